"""Marshalled code objects (Keras Lambda layers) read as data by our own parser: never `marshal.loads`, never run.

`marshal.loads` is documented as unsafe on crafted input, and its result is a live code object;
here the bytes become plain tuples and `Code` placeholders holding co_names and the string constants,
for CPython 3.3-3.13 layouts (which one wrote the file is not recorded, so each is tried).
"""

from __future__ import annotations

import struct

from artifact_lint.parsers.pickles.values import Code

_FLAG_REF = 0x80
_MAX_DEPTH = 64
_MAX_ITEMS = 100_000
# (int32 fields before co_code, objects after co_names up to co_name's position, "linetable" objects)
_LAYOUTS = (
    ("3.11+", 5, ("localsplusnames", "localspluskinds", "filename", "name", "qualname"), ("linetable", "exceptiontable")),
    ("3.8-3.10", 6, ("varnames", "freevars", "cellvars", "filename", "name"), ("lnotab",)),
    ("3.3-3.7", 5, ("varnames", "freevars", "cellvars", "filename", "name"), ("lnotab",)),
)


class MarshalError(ValueError):
    """The bytes are not a marshalled object this reader understands."""


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0
        self.refs: list = []

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise MarshalError("truncated")
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def int32(self) -> int:
        return struct.unpack("<i", self.take(4))[0]

    def count(self) -> int:
        size = self.int32()
        if size < 0 or size > _MAX_ITEMS:
            raise MarshalError("bad length")
        return size

    def value(self, depth: int = 0):
        if depth > _MAX_DEPTH:
            raise MarshalError("nested too deeply")
        code = self.take(1)[0]
        flag, kind = code & _FLAG_REF, chr(code & ~_FLAG_REF)
        slot = None
        if flag:
            slot = len(self.refs)
            self.refs.append(None)
        result = self._read(kind, depth)
        if slot is not None:
            self.refs[slot] = result
        return result

    def _read(self, kind: str, depth: int):
        simple = {"0": None, "N": None, "F": False, "T": True, "S": StopIteration, ".": Ellipsis}
        if kind in simple:
            return simple[kind]
        if kind == "i":
            return self.int32()
        if kind == "I":
            return struct.unpack("<q", self.take(8))[0]
        if kind == "g":
            return struct.unpack("<d", self.take(8))[0]
        if kind == "y":
            return complex(*struct.unpack("<dd", self.take(16)))
        if kind in "fx":  # floats as text (marshal version 0 and 1)
            texts = [self.take(self.take(1)[0]) for _ in range(1 if kind == "f" else 2)]
            return float(texts[0]) if kind == "f" and texts[0].strip().replace(b".", b"").isdigit() else 0.0
        if kind == "l":
            digits = self.int32()
            if abs(digits) > _MAX_ITEMS:
                raise MarshalError("long too long")
            value = sum(struct.unpack("<H", self.take(2))[0] << (15 * i) for i in range(abs(digits)))
            return -value if digits < 0 else value
        if kind == "s":
            return self.take(self.count())
        if kind in "tuaA":
            try:
                return self.take(self.count()).decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                raise MarshalError("a string is not UTF-8") from None
        if kind in "zZ":
            return self.take(self.take(1)[0]).decode("latin-1")
        if kind in "([<>":
            return tuple(self.value(depth + 1) for _ in range(self.count()))
        if kind == ")":
            return tuple(self.value(depth + 1) for _ in range(self.take(1)[0]))
        if kind == "{":  # pairs until a NULL; kept as a tuple of pairs (nothing is hashed)
            items = []
            while self.data[self.pos:self.pos + 1] != b"0":
                if len(items) > _MAX_ITEMS:
                    raise MarshalError("dict too long")
                items.append((self.value(depth + 1), self.value(depth + 1)))
            self.pos += 1
            return tuple(items)
        if kind == "r":
            index = self.int32()
            if not 0 <= index < len(self.refs):
                raise MarshalError("bad reference")
            return self.refs[index]
        if kind == "c":
            return self._code(depth)
        raise MarshalError(f"unknown type code {kind!r}")

    def _code(self, depth: int) -> Code:
        start, refs = self.pos, len(self.refs)
        for _, longs, before_name, after in _LAYOUTS:
            self.pos = start
            del self.refs[refs:]
            try:
                for _ in range(longs):
                    self.int32()
                if not isinstance(self.value(depth + 1), bytes):
                    continue
                consts, names = self.value(depth + 1), self.value(depth + 1)
                fields = {field: self.value(depth + 1) for field in before_name}
                if longs == 5 and not isinstance(fields.get(before_name[1]), bytes) and before_name[0] == "localsplusnames":
                    continue  # 3.11's localspluskinds is bytes; 3.7's freevars is a tuple
                self.int32()  # co_firstlineno
                for _ in after:
                    self.value(depth + 1)
            except MarshalError:
                continue
            if isinstance(consts, tuple) and isinstance(names, tuple) and isinstance(fields.get("name"), str):
                return Code.of(fields["name"], names, consts)
        raise MarshalError("a code object of no known CPython layout")


def read_code(data: bytes) -> Code:
    """The code object marshalled in `data`, as a `Code` placeholder; MarshalError when it is not one."""
    value = _Reader(data).value()
    if not isinstance(value, Code):
        raise MarshalError("not a code object")
    return value
