"""Learn what a pickle (or joblib/cloudpickle/dill) file needs and would do by walking its opcodes, never by loading it.

Loading a pickle runs code chosen by whoever wrote it, so the hard rule here is: nothing from the
file is ever unpickled, imported, constructed or called. The stack machine (`machine`) reads the
opcodes of protocols 0-5 itself and records what the file *would* do: its protocol, every global it
would import (to find `__main__` classes and modules the deployment may lack), every call it would
make (`calls`), library versions written into estimator state (`model_facts`) and whether the stream
is truncated or corrupt.

`pickletools.genops` is not used because it reads every payload into memory and cannot follow
joblib, whose files are not pure pickle streams: raw numpy array bytes sit right after the BUILD of
each `NumpyArrayWrapper`, and the whole file may be compressed (`stream`). Time, opcodes and live
objects are bounded, and nothing recurses, so deeply nested pickles cannot raise RecursionError.
"""

from __future__ import annotations

import io
import re
import time
from typing import BinaryIO

from artifact_lint.parsers.pickles.errors import TRUNCATED, Corrupt, Stop, Truncated
from artifact_lint.parsers.pickles.machine import Machine
from artifact_lint.parsers.pickles.result import PickleScan
from artifact_lint.parsers.pickles.stream import Prefixed, Source, compression, decompressor, read_head, start_offset

_HEAD_SIZE = 6


def scan_pickle(raw: BinaryIO, *, max_opcodes: int = 20_000_000, max_seconds: float = 10.0) -> PickleScan:
    """Walk the pickle (or joblib file) in `raw` from its current position; never loads anything."""
    result = PickleScan()
    deadline = time.monotonic() + max_seconds
    machine = None
    try:
        start = start_offset(raw)
        head = read_head(raw, _HEAD_SIZE)
        kind = compression(head)
        if kind is None:
            source = Source(raw, start=start, head=head, deadline=deadline)
        else:
            result.compression = None if kind == "zf" else kind
            stream = decompressor(kind, Prefixed(head, raw))
            source = Source(stream, start=None, head=b"", deadline=deadline, name=kind)
        machine = Machine(source, result, max_opcodes, deadline)
        machine.run()
    except Truncated:
        result.error = TRUNCATED
    except Corrupt as error:
        result.error = str(error)
    except Stop as error:
        result.stopped_early = str(error)
    except OSError as error:
        result.error = f"cannot read the file ({error})"
    if machine is not None:
        calls = machine.calls
        result.calls, result.functions = calls.calls, calls.functions
        result.imported, result.nested = calls.imported, calls.nested
    return result


# Opcodes a protocol 0 or 1 pickle starts with (containers, constants, globals).
_OLD_PROTOCOL_STARTS = frozenset(b"(]})cNIJKLMFGSTUVX")


def looks_like_pickle(head: bytes) -> bool:
    """Whether the first bytes (64 or more is best) start a pickle or a compressed joblib file."""
    if len(head) >= 2 and head[0] == 0x80:
        return 2 <= head[1] <= 5
    if compression(head) is not None:
        return True
    if not head or head[0] not in _OLD_PROTOCOL_STARTS:
        return False
    if head[0] == ord("V") and not re.match(rb"V[^\n]*\n[pq.]", head):
        return False  # any line of text would pass as a UNICODE argument
    scan = scan_pickle(io.BytesIO(head), max_opcodes=64, max_seconds=0.1)
    return scan.error in (None, TRUNCATED) and (scan.complete or scan.opcodes >= 2)
