"""The bytes of a pickle stream through a small buffer, and joblib's compressed wrappers around it.

Payloads are skipped (seeked past, or read and discarded in chunks), never held whole, so a
2 GB model costs a 64 KiB buffer; reads also watch the scan's deadline.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

from artifact_lint.lazy_errors import loaded_errors
from artifact_lint.parsers.pickles.errors import Corrupt, Stop, Truncated

_READ_SIZE = 64 * 1024  # one buffer refill
_DISCARD_SIZE = 1024 * 1024  # chunk size when skipping a payload that cannot be seeked past


class Source:
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
            raise Stop("the time budget (max_seconds) ran out")
        try:
            return self._raw.read(size) or b""
        except EOFError:
            raise Truncated() from None
        except (OSError, ValueError, RuntimeError, zlib.error, *loaded_errors("lzma", "LZMAError")) as error:
            if self._name:
                raise Corrupt(f"the {self._name} stream is corrupt ({error})") from None
            raise Corrupt(f"cannot read the file ({error})") from None

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
                raise Truncated()

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
                raise Truncated()
            size -= len(chunk)
            self._base += len(chunk)

    def _seek_past(self, size: int) -> None:
        # Land on the payload's last byte and read from there: a short file shows up as
        # truncation without ever asking for the file's size.
        target = self._base + size - 1
        try:
            self._raw.seek(self._start + target)
        except (OSError, ValueError, OverflowError) as error:
            raise Corrupt(f"cannot seek in the file ({error})") from None
        self._base = target
        if not self._refill():
            raise Truncated()
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
                raise Truncated()


class Prefixed:
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


class ZlibReader:
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


def compression(head: bytes) -> str | None:
    """joblib's compression from the first bytes (checked a little more strictly than joblib does)."""
    if head[:1] == b"\x78" and len(head) >= 2 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    for prefix, name in ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ", "xz"), (b"\x5d\x00\x00", "lzma"),
                         (b"\x04\x22\x4d\x18", "lz4"), (b"ZF0x", "zf")):
        if head.startswith(prefix):
            return name
    return None


def decompressor(name: str, raw: Any) -> Any:
    if name == "zlib":
        return ZlibReader(raw)
    # Each decompressor is imported by the first stream that needs it (most models are plain or zlib).
    if name == "gzip":
        import gzip

        return gzip.GzipFile(fileobj=raw, mode="rb")
    if name == "bz2":
        import bz2

        return bz2.BZ2File(raw, "rb")
    if name in ("xz", "lzma"):
        import lzma

        return lzma.LZMAFile(raw, "rb")
    if name == "lz4":
        try:
            import lz4.frame  # optional, like in joblib; a library, not the file's code
        except ImportError:
            raise Stop("lz4 module not installed") from None
        return lz4.frame.LZ4FrameFile(raw, "rb")
    raise Stop("joblib's pre-0.9.3 'ZF' compressed format is not scanned")


def read_head(raw: Any, size: int) -> bytes:
    parts = []
    while size > 0:
        chunk = raw.read(size)
        if not chunk:
            break
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def start_offset(raw: Any) -> int | None:
    """Where the stream starts in `raw` if payloads can be seeked past, else None."""
    try:
        return raw.tell() if raw.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None
