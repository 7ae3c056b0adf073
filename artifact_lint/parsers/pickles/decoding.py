"""Opcode arguments read from the stream, named after pickletools' ArgumentDescriptors.

Big payloads are skipped and stand as `Big` placeholders; protocol 0 text is bounded in length and
digits, so no argument can cost unbounded memory or time.
"""

from __future__ import annotations

import struct

from artifact_lint.parsers.pickles.errors import Corrupt, Stop
from artifact_lint.parsers.pickles.stream import Source
from artifact_lint.parsers.pickles.values import Big

_MAX_KEPT = 64 * 1024  # larger str/bytes payloads become placeholders
_KEPT_BUDGET = 64 * 1024 * 1024  # total payload bytes kept; past it only short strings are kept
_SHORT = 256
MAX_LINE = 64 * 1024  # protocol 0 text arguments
_MAX_DIGITS = 4000  # int() refuses more than 4300 digits by default


class Decoder:
    """Reads each opcode's argument; `at` is the offset of the opcode being decoded, for messages."""

    def __init__(self, source: Source):
        self.source = source
        self.at = 0
        self.kept = 0

    def arg_uint1(self) -> int:
        return self.source.read(1)[0]

    def arg_uint2(self) -> int:
        return int.from_bytes(self.source.read(2), "little")

    def arg_int4(self) -> int:
        return int.from_bytes(self.source.read(4), "little", signed=True)

    def arg_uint4(self) -> int:
        return int.from_bytes(self.source.read(4), "little")

    def arg_uint8(self) -> int:
        return int.from_bytes(self.source.read(8), "little")

    def arg_float8(self) -> float:
        return struct.unpack(">d", self.source.read(8))[0]

    def _line(self) -> bytes | None:
        return self.source.readline(MAX_LINE)

    arg_stringnl = arg_stringnl_noescape = arg_decimalnl_short = arg_decimalnl_long = _line
    arg_floatnl = arg_unicodestringnl = _line

    def arg_stringnl_noescape_pair(self) -> tuple[str, str]:
        module, name = self._line(), self._line()
        if module is None or name is None:
            raise Stop(f"a global name longer than {MAX_LINE:,} bytes at byte {self.at}")
        try:
            return module.decode("utf-8"), name.decode("utf-8")
        except UnicodeDecodeError:
            raise Corrupt(f"a global name is not UTF-8 at byte {self.at}") from None

    def _payload(self, size: int, kind: str) -> bytes | Big:
        if size < 0:
            raise Corrupt(f"negative length at byte {self.at}")
        if size > _MAX_KEPT or (size > _SHORT and self.kept + size > _KEPT_BUDGET):
            self.source.skip(size)
            return Big(kind, size)
        self.kept += size
        return self.source.read(size)

    def arg_string1(self) -> bytes | Big:
        return self._payload(self.arg_uint1(), "bytes")

    def arg_string4(self) -> bytes | Big:
        return self._payload(self.arg_int4(), "bytes")

    arg_bytes1 = arg_string1

    def arg_bytes4(self) -> bytes | Big:
        return self._payload(self.arg_uint4(), "bytes")

    def arg_bytes8(self) -> bytes | Big:
        return self._payload(self.arg_uint8(), "bytes")

    arg_bytearray8 = arg_bytes8

    def _text(self, data: bytes | Big) -> str | Big:
        if isinstance(data, Big):
            return Big("str", data.size)
        try:
            return data.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            raise Corrupt(f"a string is not UTF-8 at byte {self.at}") from None

    def arg_unicodestring1(self) -> str | Big:
        return self._text(self.arg_string1())

    def arg_unicodestring4(self) -> str | Big:
        return self._text(self.arg_bytes4())

    def arg_unicodestring8(self) -> str | Big:
        return self._text(self.arg_bytes8())

    def arg_long1(self) -> int | Big:
        return self._long(self._payload(self.arg_uint1(), "int"))

    def arg_long4(self) -> int | Big:
        return self._long(self._payload(self.arg_int4(), "int"))

    @staticmethod
    def _long(data: bytes | Big) -> int | Big:
        return data if isinstance(data, Big) else int.from_bytes(data, "little", signed=True)

    # -- protocol 0 text ------------------------------------------------------------------------
    def int_text(self, line: bytes | None, base: int = 0) -> int | Big:
        if line is None or (len(line) > _MAX_DIGITS and line.strip().lstrip(b"+-").isdigit()):
            return Big("int", MAX_LINE if line is None else len(line))
        try:
            return int(line, base)
        except ValueError:
            raise Corrupt(f"invalid number at byte {self.at}") from None

    def index(self, line: bytes | None) -> int:
        value = self.int_text(line, 10)
        if not isinstance(value, int) or value < 0:
            raise Corrupt(f"invalid memo index at byte {self.at}")
        return value
