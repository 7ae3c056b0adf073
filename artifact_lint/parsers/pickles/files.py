"""Every pickle stream inside a model file: plain and joblib pickles, PyTorch's zip and legacy formats, numpy .npy/.npz.

A PyTorch legacy file (torch.save with `_use_new_zipfile_serialization=False`) is several pickles in a
row (magic number, protocol, system info, the object, the storage keys) before the raw storages; a
numpy `.npy` of an object array is a text header then a pickle; `.npz` is a zip of `.npy` files. Each
stream is walked with `scan_pickle`, reading forward only.
"""

from __future__ import annotations

import ast
import io
from typing import BinaryIO

from artifact_lint.lazy_errors import zip_errors
from artifact_lint.parsers.model_formats import NUMPY_MAGIC, TORCH_LEGACY_MAGIC
from artifact_lint.parsers.pickles.calls import MAX_NESTED
from artifact_lint.parsers.pickles.scan import PickleScan, scan_pickle
from artifact_lint.parsers.pickles.values import Big

TORCH_LEGACY_PICKLES = 5  # magic number, protocol version, sys_info, the object, the storage keys
_MAX_NPY_HEADER = 1024 * 1024


def scan_streams(raw: BinaryIO, kind: str, max_seconds: float) -> list[tuple[str, PickleScan]]:
    """(where inside the file, scan) for each pickle stream of a file of format `kind` ("" = the file itself),
    with the files nested in each stream (torch's `_load_from_bytes`) walked and merged into it."""
    scans = _streams(raw, kind, max_seconds)
    for _, scan in scans:
        _merge_nested(scan, max_seconds)
    return scans


def _merge_nested(scan: PickleScan, max_seconds: float) -> None:
    """What the nested files' loads would do counts as this stream's (their own nested files too, MAX_NESTED in
    all); a nested file too big to have been kept is noted as not judged."""
    pending, walked = list(scan.nested), 0
    while pending and walked < MAX_NESTED:
        blob = pending.pop()
        walked += 1
        if isinstance(blob, Big):
            scan.unjudged.append(f"a nested file of {blob.size:,} bytes (torch.storage._load_from_bytes) was too big "
                                 f"to keep, so it was not walked")
            continue
        kind = "pytorch-legacy" if blob.startswith(TORCH_LEGACY_MAGIC) else "pytorch" if blob.startswith(b"PK") else "pickle"
        try:
            inner = _streams(io.BytesIO(blob), kind, max_seconds)
        except (*zip_errors(), OSError, ValueError, EOFError, KeyError):
            continue
        for _, part in inner:
            scan.globals.extend(name for name in part.globals if name not in scan.globals)
            scan.calls.extend(part.calls)
            scan.functions.extend(part.functions)
            scan.imported.extend(part.imported)
            pending.extend(part.nested)


def _streams(raw: BinaryIO, kind: str, max_seconds: float) -> list[tuple[str, PickleScan]]:
    if kind in ("pytorch", "torchscript", "numpy-npz"):
        return _zip_streams(raw, kind, max_seconds)
    if kind == "numpy":
        scan = _npy_stream(raw, max_seconds)
        return [("", scan)] if scan is not None else []
    if kind == "pytorch-legacy":
        return _consecutive(raw, TORCH_LEGACY_PICKLES, max_seconds)
    return [("", scan_pickle(raw, max_seconds=max_seconds))]


def _consecutive(raw: BinaryIO, count: int, max_seconds: float) -> list[tuple[str, PickleScan]]:
    scans = []
    start = raw.tell()
    for index in range(count):
        scan = scan_pickle(raw, max_seconds=max_seconds)
        scans.append(("" if index == 0 else f"pickle {index + 1}", scan))
        if not scan.complete or scan.end is None:
            break
        start += scan.end
        raw.seek(start)
    return scans


def _zip_streams(raw: BinaryIO, kind: str, max_seconds: float) -> list[tuple[str, PickleScan]]:
    import zipfile  # only a zip-shaped model (PyTorch, .npz) needs it

    scans = []
    with zipfile.ZipFile(raw) as archive:
        for member in archive.namelist():
            with archive.open(member) as inner:
                if kind == "numpy-npz":
                    if member.endswith(".npy"):
                        scan = _npy_stream(inner, max_seconds)
                        if scan is not None:
                            scans.append((member, scan))
                elif member.endswith(".pkl"):
                    scans.append((member, scan_pickle(inner, max_seconds=max_seconds)))
    return scans


def npy_header(raw: BinaryIO) -> dict | None:
    """The header dict of a .npy stream (read as a literal, never evaluated), leaving `raw` at the data."""
    magic = raw.read(8)
    if len(magic) < 8 or not magic.startswith(NUMPY_MAGIC):
        return None
    size_bytes = 2 if magic[6] == 1 else 4
    size = int.from_bytes(raw.read(size_bytes), "little")
    if size > _MAX_NPY_HEADER:
        return None
    try:
        header = ast.literal_eval(raw.read(size).decode("latin-1"))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return header if isinstance(header, dict) else None


def npy_holds_objects(header: dict) -> bool:
    """Whether a .npy header's dtype holds Python objects (then the data is a pickle)."""
    descr = header.get("descr")
    pending = [descr]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and item.lstrip("<>|=").startswith("O"):
            return True
        if isinstance(item, (list, tuple)):
            pending.extend(item)
    return False


def _npy_stream(raw: BinaryIO, max_seconds: float) -> PickleScan | None:
    header = npy_header(raw)
    if header is None or not npy_holds_objects(header):
        return None
    return scan_pickle(raw, max_seconds=max_seconds)
