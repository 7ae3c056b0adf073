"""Learn what a pickle (or joblib/cloudpickle) file needs by walking its opcodes, never by loading it.

Loading a pickle runs code chosen by whoever wrote it, so the hard rule here is:
nothing from the file is ever unpickled, imported, constructed or called. A
small symbolic stack machine reads the opcodes of protocols 0-5 itself and
records what the file *would* do: its protocol, every global it would import
(to find `__main__` classes and modules the deployment may lack), library
versions written into estimator state (scikit-learn's `_sklearn_version`) and
whether the stream is truncated or corrupt.

`pickletools.genops` is not used because it reads every payload into memory
and cannot follow joblib, whose files are not pure pickle streams: raw numpy
array bytes sit right after the BUILD of each `NumpyArrayWrapper`, and the whole
file may be compressed. Here big payloads are seeked past (or read and
discarded in chunks), joblib arrays are skipped using the sizes in the wrapper's
state, and time, opcodes and live objects are bounded. No recursion anywhere, so
deeply nested pickles cannot raise RecursionError.
"""

from __future__ import annotations

import _compat_pickle
import bz2
import codecs
import gzip
import io
import lzma
import pickletools
import re
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

TRUNCATED = "the file ends before the pickle's STOP (truncated?)"

_READ_SIZE = 64 * 1024  # one buffer refill
_DISCARD_SIZE = 1024 * 1024  # chunk size when skipping a payload that cannot be seeked past
_MAX_KEPT = 64 * 1024  # larger str/bytes payloads become placeholders
_KEPT_BUDGET = 64 * 1024 * 1024  # total payload bytes kept; past it only short strings are kept
_SHORT = 256
_MAX_LINE = 64 * 1024  # protocol 0 text arguments
_MAX_DIGITS = 4000  # int() refuses more than 4300 digits by default
_MAX_ITEMS = 10_000  # elements kept per list/dict/set/tuple; the rest are counted as read, not kept
_MAX_LIVE = 2_000_000  # stack + memo entries before the scan stops to bound memory
_CHECK_EVERY = 1024  # opcodes between time/memory checks

_HEAD_SIZE = 6
_NUMPY_ARRAY_WRAPPER = "NumpyArrayWrapper"
_RECONSTRUCTORS = {("copyreg", "_reconstructor"), ("copyreg", "__newobj__"), ("copyreg", "__newobj_ex__")}
_VERSION_KEYS = {"_sklearn_version": "scikit-learn"}
# numpy dtype kinds whose type string gives the item size in bytes ("f8", "i4", "M8", ...).
_SIZED_KINDS = frozenset("biufcmMSaV")
_NPY_ITEM_HASOBJECT = 0x01


@dataclass
class PickleScan:
    """What walking the opcodes taught us; `error` is set only when the stream is certainly broken."""

    protocol: int | None = None
    globals: list[tuple[str, str]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    n_features: int | None = None  # the last-built estimator's n_features_in_ (the top-level one, built last)
    complete: bool = False
    error: str | None = None
    compression: str | None = None
    opcodes: int = 0
    stopped_early: str | None = None


class _Truncated(Exception):
    """The stream ended in the middle of the pickle."""


class _Corrupt(Exception):
    """The stream cannot be a valid pickle; the message says where and why."""


class _Stop(Exception):
    """The scan gives up without blaming the file (budget, unsupported format)."""


# -- placeholders: what a value *would* be, never the value itself ----------------------------


class _Big:
    """A payload too large to keep (its bytes were skipped)."""

    __slots__ = ("kind", "size")

    def __init__(self, kind: str, size: int):
        self.kind = kind
        self.size = size


class _Global:
    """A global the unpickler would import."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module = module
        self.name = name


class _Opaque:
    """An object the unpickler would build; remembers the global it would come from."""

    __slots__ = ("origin", "args", "state")

    def __init__(self, origin: _Global | None, args: Any = None):
        self.origin = origin
        self.args = args
        self.state: Any = None


class _Set:
    """A set or frozenset, kept as a list so that no element is ever hashed."""

    __slots__ = ("items",)

    def __init__(self, items: list | None = None):
        self.items = items if items is not None else []


class _Key:
    """Identity wrapper for dict keys that are not plain scalars (lists, tuples, placeholders)."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


_SCALARS = (str, bytes, int, float, bool, type(None))


def _key(value: Any) -> Any:
    # Only scalars are hashed: hashing a 50,000-deep tuple would recurse in C.
    return value if type(value) in _SCALARS else _Key(value)


def _origin(callable_: Any, args: Any) -> _Global | None:
    """The class an object comes from, seeing through copyreg's helpers."""
    if not isinstance(callable_, _Global):
        return None
    if (callable_.module, callable_.name) in _RECONSTRUCTORS and isinstance(args, tuple) and args:
        if isinstance(args[0], _Global):
            return args[0]
    return callable_


# -- reading the stream -------------------------------------------------------------------------


class _Source:
    """The stream's bytes through a small buffer: payloads are skipped, never held whole."""

    def __init__(self, raw: Any, *, start: int | None, head: bytes, deadline: float, name: str | None = None):
        self._raw = raw
        self._start = start  # raw offset of stream byte 0 when raw is seekable, else None
        self._buf = head
        self._pos = 0
        self._base = 0  # stream offset of self._buf[0]
        self._deadline = deadline
        self._name = name

    def tell(self) -> int:
        return self._base + self._pos

    def _raw_read(self, size: int) -> bytes:
        if time.monotonic() > self._deadline:
            raise _Stop("the time budget (max_seconds) ran out")
        try:
            return self._raw.read(size) or b""
        except EOFError:
            raise _Truncated() from None
        except (OSError, ValueError, RuntimeError, zlib.error, lzma.LZMAError) as error:
            if self._name:
                raise _Corrupt(f"the {self._name} stream is corrupt ({error})") from None
            raise _Corrupt(f"cannot read the file ({error})") from None

    def _refill(self) -> bool:
        chunk = self._raw_read(_READ_SIZE)
        if not chunk:
            return False
        self._base += len(self._buf)
        self._buf = chunk
        self._pos = 0
        return True

    def byte(self) -> int | None:
        """The next byte, or None at the end of the stream."""
        if self._pos >= len(self._buf) and not self._refill():
            return None
        value = self._buf[self._pos]
        self._pos += 1
        return value

    def read(self, size: int) -> bytes:
        """Exactly `size` bytes (callers keep this small)."""
        end = self._pos + size
        if end <= len(self._buf):
            data = self._buf[self._pos:end]
            self._pos = end
            return data
        parts = []
        need = size
        while True:
            piece = self._buf[self._pos:self._pos + need]
            parts.append(piece)
            self._pos += len(piece)
            need -= len(piece)
            if not need:
                return b"".join(parts)
            if not self._refill():
                raise _Truncated()

    def skip(self, size: int) -> None:
        available = len(self._buf) - self._pos
        if size <= available:
            self._pos += size
            return
        size -= available
        self._base += len(self._buf)
        self._buf = b""
        self._pos = 0
        if self._start is not None:
            self._seek_past(size)
            return
        while size > 0:
            chunk = self._raw_read(min(size, _DISCARD_SIZE))
            if not chunk:
                raise _Truncated()
            size -= len(chunk)
            self._base += len(chunk)

    def _seek_past(self, size: int) -> None:
        # Land on the payload's last byte and read from there: a short file shows up as
        # truncation without ever asking for the file's size.
        target = self._base + size - 1
        try:
            self._raw.seek(self._start + target)
        except (OSError, ValueError, OverflowError) as error:
            raise _Corrupt(f"cannot seek in the file ({error})") from None
        self._base = target
        if not self._refill():
            raise _Truncated()
        self._pos = 1

    def readline(self, limit: int) -> bytes | None:
        """A protocol 0 text argument without its newline; None (and consumed) when longer than `limit`."""
        parts: list[bytes] = []
        size = 0
        while True:
            end = self._buf.find(b"\n", self._pos)
            piece = self._buf[self._pos:end if end >= 0 else len(self._buf)]
            self._pos = end + 1 if end >= 0 else len(self._buf)
            size += len(piece)
            if size <= limit:
                parts.append(piece)
            else:
                parts.clear()
            if end >= 0:
                return b"".join(parts) if size <= limit else None
            if not self._refill():
                raise _Truncated()


class _Prefixed:
    """The head bytes already read, then the rest of the file: what a decompressor reads from."""

    def __init__(self, head: bytes, raw: Any):
        self._head = head
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        if self._head:
            data = self._head if size < 0 else self._head[:size]
            self._head = self._head[len(data):]
            return data
        return self._raw.read(size) or b""


class _ZlibReader:
    """A streaming zlib reader whose output per call is bounded (joblib's zlib files)."""

    def __init__(self, raw: Any):
        self._raw = raw
        self._decompressor = zlib.decompressobj(zlib.MAX_WBITS)

    def read(self, size: int) -> bytes:
        while True:
            if self._decompressor.unconsumed_tail:
                data = self._decompressor.decompress(self._decompressor.unconsumed_tail, size)
            elif self._decompressor.eof:
                return b""
            else:
                chunk = self._raw.read(_READ_SIZE)
                if not chunk:
                    raise EOFError("the zlib stream ends early")
                data = self._decompressor.decompress(chunk, size)
            if data:
                return data


def _compression(head: bytes) -> str | None:
    """joblib's compression from the first bytes (checked a little more strictly than joblib does)."""
    if head[:1] == b"\x78" and len(head) >= 2 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    for prefix, name in ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ", "xz"), (b"\x5d\x00\x00", "lzma"),
                         (b"\x04\x22\x4d\x18", "lz4"), (b"ZF0x", "zf")):
        if head.startswith(prefix):
            return name
    return None


def _decompressor(name: str, raw: Any) -> Any:
    if name == "zlib":
        return _ZlibReader(raw)
    if name == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if name == "bz2":
        return bz2.BZ2File(raw, "rb")
    if name in ("xz", "lzma"):
        return lzma.LZMAFile(raw, "rb")
    if name == "lz4":
        try:
            import lz4.frame  # optional, like in joblib; a library, not the file's code
        except ImportError:
            raise _Stop("lz4 module not installed") from None
        return lz4.frame.LZ4FrameFile(raw, "rb")
    raise _Stop("joblib's pre-0.9.3 'ZF' compressed format is not scanned")


def _read_head(raw: Any, size: int) -> bytes:
    parts = []
    while size > 0:
        chunk = raw.read(size)
        if not chunk:
            break
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def _start_offset(raw: Any) -> int | None:
    """Where the stream starts in `raw` if payloads can be seeked past, else None."""
    try:
        return raw.tell() if raw.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


# -- numpy dtypes, as written by numpy.dtype.__reduce__ ------------------------------------------


def _dtype_layout(dtype: Any) -> tuple[int, bool]:
    """(item size, holds Python objects) of a pickled numpy dtype; _Stop when not understood."""
    origin = dtype.origin if isinstance(dtype, _Opaque) else None
    if origin is None or origin.name != "dtype" or not origin.module.startswith("numpy"):
        raise _Stop("a joblib array's dtype is not a numpy dtype the scanner understands")
    args, state = dtype.args, dtype.state
    typestr = args[0] if isinstance(args, tuple) and args and isinstance(args[0], str) else ""
    match = re.fullmatch(r"([a-zA-Z?])(\d*)", typestr)
    if not match:
        raise _Stop(f"a joblib array has a numpy dtype the scanner does not understand ({typestr!r})")
    kind, digits = match.group(1), match.group(2)
    elsize = state[5] if isinstance(state, tuple) and len(state) > 7 and type(state[5]) is int else -1
    flags = state[7] if isinstance(state, tuple) and len(state) > 7 and type(state[7]) is int else None
    hasobject = kind == "O" or (flags is not None and bool(flags & _NPY_ITEM_HASOBJECT))
    if elsize > 0:
        return elsize, hasobject
    if kind == "O":
        return int(digits or 8), True
    if kind == "U" and digits:
        return int(digits) * 4, hasobject
    if kind in _SIZED_KINDS and digits:
        return int(digits), hasobject
    raise _Stop(f"the item size of a joblib array's numpy dtype {typestr!r} is not known")


def _array_bytes(state: dict, itemsize: int) -> int:
    shape = state.get("shape")
    if not isinstance(shape, tuple) or not all(type(size) is int and size >= 0 for size in shape):
        raise _Stop("a joblib array's shape is not a tuple of sizes")
    count = 1
    for size in shape:
        count *= size
    return count * itemsize


# -- the stack machine ---------------------------------------------------------------------------


class _Machine:
    """Emulates the unpickler's stack, marks and memo with placeholders; builds and imports nothing."""

    def __init__(self, source: _Source, result: PickleScan, max_opcodes: int, deadline: float):
        self.source = source
        self.result = result
        self.max_opcodes = max_opcodes
        self.deadline = deadline
        self.stack: list = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}
        self.proto = 0  # of the current stream, for fix_imports like pickle.Unpickler
        self.outer: list[tuple[list, list[int], dict[int, Any], int]] = []  # streams a joblib object array interrupted
        self.at = 0
        self.kept = 0
        self.seen: set[tuple[str, str]] = set()
        self.table = self._table()

    def _table(self) -> list[tuple[Callable, Callable | None] | None]:
        table: list[tuple[Callable, Callable | None] | None] = [None] * 256
        for op in pickletools.opcodes:
            reader = getattr(self, "_arg_" + op.arg.name) if op.arg is not None else None
            table[ord(op.code)] = (getattr(self, "_op_" + op.name.lower()), reader)
        return table

    def run(self) -> None:
        source, result, table = self.source, self.result, self.table
        while True:
            if result.opcodes >= self.max_opcodes:
                raise _Stop(f"the opcode budget (max_opcodes={self.max_opcodes:,}) ran out")
            if result.opcodes % _CHECK_EVERY == 0:
                self._check_budgets()
            self.at = source.tell()
            code = source.byte()
            if code is None:
                if result.opcodes == 0 and not self.outer:
                    raise _Corrupt("the file is empty")
                raise _Truncated()
            entry = table[code]
            if entry is None:
                raise _Corrupt(f"unknown opcode 0x{code:02x} at byte {self.at}")
            handler, reader = entry
            result.opcodes += 1
            if handler(reader() if reader is not None else None):
                return

    def _check_budgets(self) -> None:
        if time.monotonic() > self.deadline:
            raise _Stop("the time budget (max_seconds) ran out")
        live = len(self.stack) + len(self.memo) + sum(len(stack) + len(memo) for stack, _, memo, _ in self.outer)
        if live > _MAX_LIVE:
            raise _Stop(f"more than {_MAX_LIVE:,} live objects (stack and memo); stopped to bound memory")

    # -- stack helpers ------------------------------------------------------------------------
    def _fence(self) -> int:
        return self.marks[-1] if self.marks else 0

    def _underflow(self) -> _Corrupt:
        return _Corrupt(f"stack underflow at byte {self.at}")

    def _pop(self) -> Any:
        if len(self.stack) <= self._fence():
            raise self._underflow()
        return self.stack.pop()

    def _peek(self) -> Any:
        if len(self.stack) <= self._fence():
            raise self._underflow()
        return self.stack[-1]

    def _pop_n(self, count: int) -> list:
        if len(self.stack) - self._fence() < count:
            raise self._underflow()
        items = self.stack[-count:]
        del self.stack[-count:]
        return items

    def _pop_mark(self) -> list:
        if not self.marks:
            raise _Corrupt(f"no MARK before the opcode at byte {self.at}")
        index = self.marks.pop()
        items = self.stack[index:]
        del self.stack[index:]
        return items

    def _global(self, module: str, name: str) -> _Global:
        if self.proto < 3:  # pickle.Unpickler's fix_imports: Python 2 names
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        if (module, name) not in self.seen:
            self.seen.add((module, name))
            self.result.globals.append((module, name))
        return _Global(module, name)

    # -- argument readers (named after pickletools' ArgumentDescriptors) ------------------------
    def _arg_uint1(self) -> int:
        return self.source.read(1)[0]

    def _arg_uint2(self) -> int:
        return int.from_bytes(self.source.read(2), "little")

    def _arg_int4(self) -> int:
        return int.from_bytes(self.source.read(4), "little", signed=True)

    def _arg_uint4(self) -> int:
        return int.from_bytes(self.source.read(4), "little")

    def _arg_uint8(self) -> int:
        return int.from_bytes(self.source.read(8), "little")

    def _arg_float8(self) -> float:
        return struct.unpack(">d", self.source.read(8))[0]

    def _line(self) -> bytes | None:
        return self.source.readline(_MAX_LINE)

    _arg_stringnl = _arg_stringnl_noescape = _arg_decimalnl_short = _arg_decimalnl_long = _line
    _arg_floatnl = _arg_unicodestringnl = _line

    def _arg_stringnl_noescape_pair(self) -> tuple[str, str]:
        module, name = self._line(), self._line()
        if module is None or name is None:
            raise _Stop(f"a global name longer than {_MAX_LINE:,} bytes at byte {self.at}")
        try:
            return module.decode("utf-8"), name.decode("utf-8")
        except UnicodeDecodeError:
            raise _Corrupt(f"a global name is not UTF-8 at byte {self.at}") from None

    def _payload(self, size: int, kind: str) -> bytes | _Big:
        if size < 0:
            raise _Corrupt(f"negative length at byte {self.at}")
        if size > _MAX_KEPT or (size > _SHORT and self.kept + size > _KEPT_BUDGET):
            self.source.skip(size)
            return _Big(kind, size)
        self.kept += size
        return self.source.read(size)

    def _arg_string1(self) -> bytes | _Big:
        return self._payload(self._arg_uint1(), "bytes")

    def _arg_string4(self) -> bytes | _Big:
        return self._payload(self._arg_int4(), "bytes")

    _arg_bytes1 = _arg_string1

    def _arg_bytes4(self) -> bytes | _Big:
        return self._payload(self._arg_uint4(), "bytes")

    def _arg_bytes8(self) -> bytes | _Big:
        return self._payload(self._arg_uint8(), "bytes")

    _arg_bytearray8 = _arg_bytes8

    def _text(self, data: bytes | _Big) -> str | _Big:
        if isinstance(data, _Big):
            return _Big("str", data.size)
        try:
            return data.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            raise _Corrupt(f"a string is not UTF-8 at byte {self.at}") from None

    def _arg_unicodestring1(self) -> str | _Big:
        return self._text(self._arg_string1())

    def _arg_unicodestring4(self) -> str | _Big:
        return self._text(self._arg_bytes4())

    def _arg_unicodestring8(self) -> str | _Big:
        return self._text(self._arg_bytes8())

    def _arg_long1(self) -> int | _Big:
        return self._long(self._payload(self._arg_uint1(), "int"))

    def _arg_long4(self) -> int | _Big:
        return self._long(self._payload(self._arg_int4(), "int"))

    @staticmethod
    def _long(data: bytes | _Big) -> int | _Big:
        return data if isinstance(data, _Big) else int.from_bytes(data, "little", signed=True)

    # -- parsing protocol 0 text ----------------------------------------------------------------
    def _int_text(self, line: bytes | None, base: int = 0) -> int | _Big:
        if line is None or (len(line) > _MAX_DIGITS and line.strip().lstrip(b"+-").isdigit()):
            return _Big("int", _MAX_LINE if line is None else len(line))
        try:
            return int(line, base)
        except ValueError:
            raise _Corrupt(f"invalid number at byte {self.at}") from None

    def _index(self, line: bytes | None) -> int:
        value = self._int_text(line, 10)
        if not isinstance(value, int) or value < 0:
            raise _Corrupt(f"invalid memo index at byte {self.at}")
        return value

    # -- opcodes: constants ---------------------------------------------------------------------
    def _push(self, value: Any) -> None:
        self.stack.append(value)

    def _op_int(self, line: bytes | None) -> None:
        self._push(False if line == b"00" else True if line == b"01" else self._int_text(line))

    def _op_long(self, line: bytes | None) -> None:
        self._push(self._int_text(line[:-1] if line and line.endswith(b"L") else line))

    _op_binint = _op_binint1 = _op_binint2 = _op_long1 = _op_long4 = _push
    _op_binbytes = _op_short_binbytes = _op_binbytes8 = _op_bytearray8 = _push
    _op_short_binunicode = _op_binunicode = _op_binunicode8 = _op_binfloat = _push

    def _op_string(self, line: bytes | None) -> None:
        if line is None:
            self._push(_Big("str", _MAX_LINE))
            return
        if len(line) < 2 or line[0] != line[-1] or line[0] not in b"\"'":
            raise _Corrupt(f"the STRING argument at byte {self.at} is not quoted")
        try:
            self._op_binstring(codecs.escape_decode(line[1:-1])[0])
        except ValueError:
            raise _Corrupt(f"invalid STRING escape at byte {self.at}") from None

    def _op_binstring(self, data: bytes | _Big) -> None:
        # Python 2 str: text when it is ASCII (as pickle's default encoding decodes it), else bytes.
        if isinstance(data, bytes) and data.isascii():
            self._push(data.decode("ascii"))
        else:
            self._push(data)

    _op_short_binstring = _op_binstring

    def _op_unicode(self, line: bytes | None) -> None:
        if line is None:
            self._push(_Big("str", _MAX_LINE))
            return
        try:
            self._push(line.decode("raw-unicode-escape"))
        except UnicodeDecodeError:
            raise _Corrupt(f"invalid UNICODE argument at byte {self.at}") from None

    def _op_float(self, line: bytes | None) -> None:
        if line is None:
            self._push(_Big("float", _MAX_LINE))
            return
        try:
            self._push(float(line))
        except ValueError:
            raise _Corrupt(f"invalid FLOAT argument at byte {self.at}") from None

    def _op_none(self, _: None) -> None:
        self._push(None)

    def _op_newtrue(self, _: None) -> None:
        self._push(True)

    def _op_newfalse(self, _: None) -> None:
        self._push(False)

    def _op_next_buffer(self, _: None) -> None:
        self._push(_Opaque(None))  # an out-of-band buffer the loader would have to supply

    def _op_readonly_buffer(self, _: None) -> None:
        self._peek()

    # -- opcodes: containers --------------------------------------------------------------------
    def _op_empty_list(self, _: None) -> None:
        self._push([])

    def _op_list(self, _: None) -> None:
        self._push(self._pop_mark()[:_MAX_ITEMS])

    def _op_append(self, _: None) -> None:
        value = self._pop()
        self._extend(self._peek(), [value])

    def _op_appends(self, _: None) -> None:
        items = self._pop_mark()
        self._extend(self._peek(), items)

    @staticmethod
    def _extend(target: Any, items: list) -> None:
        if isinstance(target, list):
            target.extend(items[:max(0, _MAX_ITEMS - len(target))])
        elif isinstance(target, _Set):
            target.items.extend(items[:max(0, _MAX_ITEMS - len(target.items))])
        # anything else would call its own append/extend: an opaque object, nothing to track

    def _op_empty_tuple(self, _: None) -> None:
        self._push(())

    def _op_tuple(self, _: None) -> None:
        self._push(tuple(self._pop_mark()[:_MAX_ITEMS]))

    def _op_tuple1(self, _: None) -> None:
        self._push(tuple(self._pop_n(1)))

    def _op_tuple2(self, _: None) -> None:
        self._push(tuple(self._pop_n(2)))

    def _op_tuple3(self, _: None) -> None:
        self._push(tuple(self._pop_n(3)))

    def _op_empty_dict(self, _: None) -> None:
        self._push({})

    def _op_dict(self, _: None) -> None:
        items = self._pop_mark()
        if len(items) % 2:
            raise _Corrupt(f"odd number of items for DICT at byte {self.at}")
        target: dict = {}
        self._set_items(target, items)
        self._push(target)

    def _op_setitem(self, _: None) -> None:
        items = self._pop_n(2)
        self._set_items(self._peek(), items)

    def _op_setitems(self, _: None) -> None:
        items = self._pop_mark()
        if len(items) % 2:
            raise _Corrupt(f"odd number of items for SETITEMS at byte {self.at}")
        self._set_items(self._peek(), items)

    @staticmethod
    def _set_items(target: Any, items: list) -> None:
        if not isinstance(target, dict):
            return  # an opaque object's __setitem__: nothing to track
        for index in range(0, len(items), 2):
            key = _key(items[index])
            if len(target) < _MAX_ITEMS or key in target:
                target[key] = items[index + 1]

    def _op_empty_set(self, _: None) -> None:
        self._push(_Set())

    def _op_additems(self, _: None) -> None:
        items = self._pop_mark()
        self._extend(self._peek(), items)

    def _op_frozenset(self, _: None) -> None:
        self._push(_Set(self._pop_mark()[:_MAX_ITEMS]))

    # -- opcodes: stack and memo ----------------------------------------------------------------
    def _op_pop(self, _: None) -> None:
        if self.marks and self.marks[-1] == len(self.stack):
            self.marks.pop()  # like the C unpickler: POP at a mark drops the mark
        else:
            self._pop()

    def _op_dup(self, _: None) -> None:
        self._push(self._peek())

    def _op_mark(self, _: None) -> None:
        self.marks.append(len(self.stack))

    def _op_pop_mark(self, _: None) -> None:
        self._pop_mark()

    def _get(self, index: int) -> None:
        if index not in self.memo:
            raise _Corrupt(f"memo entry {index} is read before it is written, at byte {self.at}")
        self._push(self.memo[index])

    def _put(self, index: int) -> None:
        self.memo[index] = self._peek()

    def _op_get(self, line: bytes | None) -> None:
        self._get(self._index(line))

    def _op_put(self, line: bytes | None) -> None:
        self._put(self._index(line))

    _op_binget = _op_long_binget = _get
    _op_binput = _op_long_binput = _put

    def _op_memoize(self, _: None) -> None:
        self._put(len(self.memo))

    # -- opcodes: globals and objects (placeholders only) -------------------------------------------
    def _op_global(self, names: tuple[str, str]) -> None:
        self._push(self._global(*names))

    def _op_stack_global(self, _: None) -> None:
        name = self._pop()
        module = self._pop()
        if isinstance(module, str) and isinstance(name, str):
            self._push(self._global(module, name))
        elif isinstance(module, (str, _Big)) and isinstance(name, (str, _Big)):
            raise _Stop(f"the STACK_GLOBAL at byte {self.at} names a module or class too long to keep")
        else:
            raise _Corrupt(f"STACK_GLOBAL at byte {self.at} needs two strings")

    def _op_inst(self, names: tuple[str, str]) -> None:
        cls = self._global(*names)
        self._push(_Opaque(cls, tuple(self._pop_mark()[:_MAX_ITEMS])))

    def _op_obj(self, _: None) -> None:
        items = self._pop_mark()
        if not items:
            raise self._underflow()
        self._push(_Opaque(_origin(items[0], None), tuple(items[1:_MAX_ITEMS])))

    def _op_newobj(self, _: None) -> None:
        args = self._pop()
        self._push(_Opaque(_origin(self._pop(), None), args))

    def _op_newobj_ex(self, _: None) -> None:
        self._pop()  # keyword arguments
        args = self._pop()
        self._push(_Opaque(_origin(self._pop(), None), args))

    def _op_reduce(self, _: None) -> None:
        args = self._pop()
        callable_ = self._pop()
        self._push(_Opaque(_origin(callable_, args), args))

    def _op_ext1(self, _: int) -> None:
        self._push(_Opaque(None))  # a class from copyreg's extension registry: not in the file

    _op_ext2 = _op_ext4 = _op_ext1

    def _op_persid(self, _: bytes | None) -> None:
        self._push(_Opaque(None))  # resolved by the loader's persistent_load

    def _op_binpersid(self, _: None) -> None:
        self._pop()
        self._push(_Opaque(None))

    def _op_build(self, _: None) -> None:
        state = self._pop()
        target = self._peek()
        self._note_versions(state)
        if not isinstance(target, _Opaque):
            return
        target.state = state
        origin = target.origin
        if (origin is not None and origin.name == _NUMPY_ARRAY_WRAPPER and origin.module.endswith("joblib.numpy_pickle")
                and not self.outer):
            self._skip_joblib_array(state)

    def _note_versions(self, state: Any) -> None:
        parts = state if isinstance(state, tuple) and len(state) == 2 else (state,)
        for part in parts:
            if not isinstance(part, dict):
                continue
            for key, library in _VERSION_KEYS.items():
                version = part.get(key)
                if isinstance(version, str) and len(version) < 100:
                    self.result.versions.setdefault(library, version)
            features = part.get("n_features_in_")
            if isinstance(features, int) and not isinstance(features, bool):
                self.result.n_features = features

    def _skip_joblib_array(self, state: Any) -> None:
        """Step over the array data joblib writes right after a NumpyArrayWrapper's BUILD."""
        if not isinstance(state, dict):
            raise _Stop(f"the joblib array at byte {self.at} has no state dict")
        itemsize, hasobject = _dtype_layout(state.get("dtype"))
        if hasobject:
            # A complete nested pickle stream (its own stack and memo) follows; scan it, then resume.
            self.outer.append((self.stack, self.marks, self.memo, self.proto))
            self.stack, self.marks, self.memo, self.proto = [], [], {}, 0
            return
        size = _array_bytes(state, itemsize)
        if state.get("numpy_array_alignment_bytes") is not None:
            self.source.skip(self.source.read(1)[0])  # padding length byte, then the padding
        self.source.skip(size)

    # -- opcodes: framing and control ---------------------------------------------------------------
    def _op_proto(self, protocol: int) -> None:
        if protocol > 5:
            raise _Corrupt(f"unsupported pickle protocol {protocol} at byte {self.at}")
        self.proto = protocol
        if not self.outer and self.result.protocol is None:
            self.result.protocol = protocol

    def _op_frame(self, _: int) -> None:
        pass  # only a length hint: the frame's opcodes follow and are read one by one

    def _op_stop(self, _: None) -> bool:
        self._pop()
        if not self.outer:
            self.result.complete = True
            return True
        self.stack, self.marks, self.memo, self.proto = self.outer.pop()
        return False


def scan_pickle(raw: BinaryIO, *, max_opcodes: int = 20_000_000, max_seconds: float = 10.0) -> PickleScan:
    """Walk the pickle (or joblib file) in `raw` from its current position; never loads anything."""
    result = PickleScan()
    deadline = time.monotonic() + max_seconds
    try:
        start = _start_offset(raw)
        head = _read_head(raw, _HEAD_SIZE)
        compression = _compression(head)
        if compression is None:
            source = _Source(raw, start=start, head=head, deadline=deadline)
        else:
            result.compression = None if compression == "zf" else compression
            stream = _decompressor(compression, _Prefixed(head, raw))
            source = _Source(stream, start=None, head=b"", deadline=deadline, name=compression)
        _Machine(source, result, max_opcodes, deadline).run()
    except _Truncated:
        result.error = TRUNCATED
    except _Corrupt as error:
        result.error = str(error)
    except _Stop as error:
        result.stopped_early = str(error)
    except OSError as error:
        result.error = f"cannot read the file ({error})"
    return result


# Opcodes a protocol 0 or 1 pickle starts with (containers, constants, globals).
_OLD_PROTOCOL_STARTS = frozenset(b"(]})cNIJKLMFGSTUVX")


def looks_like_pickle(head: bytes) -> bool:
    """Whether the first bytes (64 or more is best) start a pickle or a compressed joblib file."""
    if len(head) >= 2 and head[0] == 0x80:
        return 2 <= head[1] <= 5
    if _compression(head) is not None:
        return True
    if not head or head[0] not in _OLD_PROTOCOL_STARTS:
        return False
    if head[0] == ord("V") and not re.match(rb"V[^\n]*\n[pq.]", head):
        return False  # any line of text would pass as a UNICODE argument
    scan = scan_pickle(io.BytesIO(head), max_opcodes=64, max_seconds=0.1)
    return scan.error in (None, TRUNCATED) and (scan.complete or scan.opcodes >= 2)
