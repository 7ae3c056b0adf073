"""One artifact, a directory or a zip, seen as an inventory of entries plus safe reads.

Nothing here follows the artifact's instructions: files are only listed and read
as bytes, with a size bound, never executed. Zips are read in place, never
extracted. Reads refuse anything that is not a regular file (FIFOs, devices),
so a hostile folder cannot make the linter hang.
"""

from __future__ import annotations

import io
import os
import stat
import zlib
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from artifact_lint.lazy_errors import zip_errors

if TYPE_CHECKING:
    import zipfile

SCORE_PY = "score.py"
RUNTIME_YAML = "runtime.yaml"

# Folders that are never part of an artifact search, nor searched for misplaced files.
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", "site-packages", "__pycache__", ".ipynb_checkpoints",
     ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)
MAX_ENTRIES = 200_000
CATALOG_MAX_BYTES = 400 * 1000 ** 3  # the most the model catalog accepts (ART006's error)
# How deep below the root we look for a misplaced score.py / runtime.yaml.
MAX_LOCATE_DEPTH = 4
# A folder's files this small are read from disk once and served from memory after (several rules read
# score.py, runtime.yaml and the model file); the total kept per artifact is bounded.
SMALL_FILE = 64 * 1024
MAX_KEPT_BYTES = 1024 * 1024


class ReadError(Exception):
    """A file could not be read; the message says why in words a user understands."""


class DamagedMember(ReadError, OSError):
    """A zip member whose compressed data is broken (an OSError too, so stream readers treat it as I/O)."""


# What reading a zip member can raise besides zipfile.BadZipFile (see zip_errors()).
ZIP_READ_ERRORS = (zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError, OSError)


class _MemberStream(io.RawIOBase):
    """A zip member stream whose decompression errors surface as DamagedMember."""

    def __init__(self, member, name: str):
        super().__init__()
        self._member = member
        self._name = name

    def _guard(self, call, *args):
        try:
            return call(*args)
        except (*zip_errors(), *ZIP_READ_ERRORS) as error:
            raise DamagedMember(f"cannot read {self._name} from the zip: {error}") from None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._guard(self._member.read, size)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._guard(self._member.seek, offset, whence)

    def tell(self) -> int:
        return self._member.tell()

    def close(self) -> None:
        self._member.close()
        super().close()


class FileTooLarge(ReadError):
    def __init__(self, path: str, size: int, limit: int):
        super().__init__(f"{path} is {format_size(size)}, more than the {format_size(limit)} artifact-lint reads")
        self.size = size
        self.limit = limit


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def path_name(path: str) -> str:
    """PurePosixPath(path).name without building a path object: the last part, unless that is empty or "."."""
    name = path.rpartition("/")[2]
    return name if name not in ("", ".") else PurePosixPath(path).name


def is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file() or (path / "conda-meta").is_dir()


class Entry(NamedTuple):
    """A file, folder, symlink or special file, its path POSIX and relative to the container."""

    path: str
    kind: str  # "file" | "dir" | "symlink" | "other"
    size: int = 0

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class Artifact:
    """Common view of a directory or zip artifact.

    `root` is the folder inside the container that acts as the artifact root:
    "" almost always; for a zip whose files all sit in one top folder, that folder.
    Diagnostic paths are relative to the container (the zip's member names).
    """

    kind: str
    root: str = ""

    def __init__(self, display: str):
        self.display = display
        self.overlay: dict[str, bytes] = {}

    def close(self) -> None:
        """Release what reading needs (a zip's open file); folders hold nothing open."""

    def set_overlay(self, files: dict[str, bytes]) -> None:
        """Lint these contents in place of what is on disk (an editor's unsaved buffer, fix mode's next round)."""
        self.overlay = dict(files)
        self.__dict__.pop("entries", None)
        self._forget_contents()

    def _forget_contents(self) -> None:
        """Drop contents kept from earlier reads (the files may have changed since)."""

    # -- implemented by the two kinds -------------------------------------------------
    def _scan(self) -> list[Entry]:
        raise NotImplementedError

    def _read(self, entry: Entry, limit: int) -> bytes:
        raise NotImplementedError

    @property
    def location(self) -> Path:
        """The folder on disk the artifact lives in (for config lookup)."""
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------
    @cached_property
    def entries(self) -> dict[str, Entry]:
        entries = {entry.path: entry for entry in self._scan()}
        for path, data in self.overlay.items():
            entries[path] = Entry(path, "file", len(data))
            parent = PurePosixPath(path).parent
            while str(parent) not in (".", ""):
                entries.setdefault(str(parent), Entry(str(parent), "dir"))
                parent = parent.parent
        return entries

    def member(self, relative: str) -> str:
        """The container path of `relative`, a path relative to the artifact root."""
        return f"{self.root}/{relative}" if self.root else relative

    def is_file(self, path: str) -> bool:
        """An entry that is not a folder (a FIFO or device counts: reading it reports why it fails)."""
        entry = self.entries.get(path)
        return entry is not None and entry.kind != "dir"

    def locate(self, name: str) -> list[str]:
        """Container paths of files called `name` below the root, shallowest first."""
        prefix = f"{self.root}/" if self.root else ""
        found = []
        for path, entry in self.entries.items():
            if entry.name != name or entry.kind == "dir" or not path.startswith(prefix):
                continue
            parts = PurePosixPath(path[len(prefix):]).parts
            if len(parts) - 1 > MAX_LOCATE_DEPTH or any(part in SKIPPED_DIRS for part in parts[:-1]):
                continue
            found.append(path)
        return sorted(found, key=lambda p: (p.count("/"), p))

    def read_prefix(self, path: str, count: int) -> bytes:
        """The first `count` bytes of a file, whatever its size."""
        with self.open_binary(path) as stream:
            return stream.read(count)

    def open_binary(self, path: str) -> BinaryIO:
        """A readable (and seekable) binary stream of a regular file, for streaming scans and hashes."""
        if path in self.overlay:
            return io.BytesIO(self.overlay[path])
        entry = self._entry_for_reading(path)
        return self._open(entry)

    def _open(self, entry: Entry) -> BinaryIO:
        raise NotImplementedError

    def _entry_for_reading(self, path: str) -> Entry:
        entry = self.entries.get(path)
        if entry is None:
            raise ReadError(f"{path} does not exist")
        if entry.kind == "dir":
            raise ReadError(f"{path} is a folder, not a file")
        if entry.kind == "other":
            raise ReadError(f"{path} is not a regular file (a FIFO, socket or device)")
        return entry

    def read_bytes(self, path: str, limit: int) -> bytes:
        if path in self.overlay:
            data = self.overlay[path]
            if len(data) > limit:
                raise FileTooLarge(path, len(data), limit)
            return data
        return self._read(self._entry_for_reading(path), limit)


class DirectoryArtifact(Artifact):
    kind = "directory"

    def __init__(self, display: str, path: Path):
        super().__init__(display)
        self.path = path
        self._kept: dict[str, bytes] = {}  # small files already read, by path
        self._kept_bytes = 0

    @property
    def location(self) -> Path:
        return self.path

    def _forget_contents(self) -> None:
        self._kept.clear()
        self._kept_bytes = 0

    def _small_contents(self, entry: Entry) -> bytes | None:
        """The whole of a small file, read once per artifact; None for a larger one (or when enough is kept)."""
        data = self._kept.get(entry.path)
        if data is not None or entry.size > SMALL_FILE or self._kept_bytes + entry.size > MAX_KEPT_BYTES:
            return data
        try:
            data = self._read_whole(entry, SMALL_FILE)
        except FileTooLarge:  # grew since the scan: read it the ordinary way
            return None
        self._kept[entry.path] = data
        self._kept_bytes += len(data)
        return data

    def _scan(self) -> list[Entry]:
        entries: list[Entry] = []
        stack = [("", str(self.path))]
        while stack and len(entries) < MAX_ENTRIES:
            prefix, folder = stack.pop()
            try:
                with os.scandir(folder) as iterator:
                    children = sorted(iterator, key=lambda item: item.name)
            except OSError:
                continue  # unreadable or vanished folder: nothing to list
            for child in children:
                relative = f"{prefix}{child.name}"
                try:
                    info = child.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISLNK(info.st_mode):
                    entries.append(Entry(relative, "symlink", self._symlink_size(child.path)))
                elif stat.S_ISDIR(info.st_mode):
                    entries.append(Entry(relative, "dir"))
                    stack.append((relative + "/", child.path))
                elif stat.S_ISREG(info.st_mode):
                    entries.append(Entry(relative, "file", info.st_size))
                else:
                    entries.append(Entry(relative, "other"))
        return entries

    @staticmethod
    def _symlink_size(path: str) -> int:
        try:
            return os.stat(path).st_size
        except OSError:
            return 0

    def _open(self, entry: Entry) -> BinaryIO:
        data = self._small_contents(entry)
        if data is not None:
            return io.BytesIO(data)
        descriptor = self._open_descriptor(entry)
        return os.fdopen(descriptor, "rb")

    def _open_descriptor(self, entry: Entry) -> int:
        """An open descriptor of a regular file; FIFOs and devices are refused without blocking."""
        full = os.path.join(self.path, *entry.path.split("/"))
        try:
            descriptor = os.open(full, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as error:
            raise ReadError(f"cannot read {entry.path}: {error.strerror or error}") from None
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            raise ReadError(f"{entry.path} is not a regular file (a FIFO, socket or device)")
        return descriptor

    def _read(self, entry: Entry, limit: int) -> bytes:
        data = self._small_contents(entry)
        if data is None:
            return self._read_whole(entry, limit)
        if len(data) > limit:
            raise FileTooLarge(entry.path, len(data), limit)
        return data

    def _read_whole(self, entry: Entry, limit: int) -> bytes:
        descriptor = self._open_descriptor(entry)
        try:
            size = os.fstat(descriptor).st_size
            if size > limit:
                raise FileTooLarge(entry.path, size, limit)
            chunks = []
            remaining = limit + 1
            while remaining > 0:
                chunk = os.read(descriptor, min(remaining, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
            data = b"".join(chunks)
        except OSError as error:
            raise ReadError(f"cannot read {entry.path}: {error.strerror or error}") from None
        finally:
            os.close(descriptor)
        if len(data) > limit:  # the file grew while we read it
            raise FileTooLarge(entry.path, len(data), limit)
        return data


class UnreadableZip(Artifact):
    """A .zip that zipfile cannot open: linted as an artifact with one finding (ART008), not a crash."""

    kind = "zip"

    def __init__(self, display: str, path: Path, problem: str):
        super().__init__(display)
        self.path = path
        self.problem = problem

    @property
    def location(self) -> Path:
        return self.path.parent

    def _scan(self) -> list[Entry]:
        return []


class ZipArtifact(Artifact):
    kind = "zip"

    def __init__(self, display: str, path: Path):
        super().__init__(display)
        self.path = path
        import zipfile  # only a zip artifact needs it

        try:
            self._zip = zipfile.ZipFile(path)
        # e.g. NotImplementedError: "zip file version 8.4"
        except (zipfile.LargeZipFile, zipfile.BadZipFile, *ZIP_READ_ERRORS) as error:
            raise ReadError(f"{display} is not a readable zip file: {error}") from None
        self._infos: dict[str, zipfile.ZipInfo] = {}
        self.duplicate_members: list[str] = []
        self.root = self._find_root()

    @property
    def location(self) -> Path:
        return self.path.parent

    def close(self) -> None:
        self._zip.close()

    def members(self) -> list[zipfile.ZipInfo]:
        """The zip's central directory, as written (duplicates and odd names included)."""
        return self._zip.infolist()

    def _scan(self) -> list[Entry]:
        entries: dict[str, Entry] = {}
        for info in self._zip.infolist()[:MAX_ENTRIES]:
            name = info.filename
            key = name.rstrip("/")
            if not key:  # a member with no name (SEC002 reports it): nothing to list, and is_dir() would fail
                continue
            if key in self._infos:
                self.duplicate_members.append(key)
            self._infos[key] = info
            mode = info.external_attr >> 16
            if info.is_dir():
                entries[name.rstrip("/")] = Entry(name.rstrip("/"), "dir")
            elif stat.S_ISLNK(mode):
                entries[name] = Entry(name, "symlink", info.file_size)
            else:
                entries[name] = Entry(name, "file", info.file_size)
            # Zips need not list folders; add the implied ones so the inventory is complete.
            parent = PurePosixPath(name.rstrip("/")).parent
            while str(parent) not in (".", "/", ""):
                entries.setdefault(str(parent), Entry(str(parent), "dir"))
                parent = parent.parent
        return list(entries.values())

    def _find_root(self) -> str:
        """Use the single top folder as the root when the files are inside it."""
        names = [path for path, entry in self.entries.items() if entry.kind != "dir"]
        if any(name in (SCORE_PY, RUNTIME_YAML) for name in names):
            return ""
        tops = {name.split("/", 1)[0] for name in names if "/" in name}
        loose = [name for name in names if "/" not in name]
        if len(tops) == 1 and not loose:
            return tops.pop()
        return ""

    def _open(self, entry: Entry) -> BinaryIO:
        try:
            return _MemberStream(self._zip.open(self._infos[entry.path]), entry.path)
        except (*zip_errors(), *ZIP_READ_ERRORS) as error:
            raise ReadError(f"cannot read {entry.path} from the zip: {error}") from None

    def _read(self, entry: Entry, limit: int) -> bytes:
        info = self._infos[entry.path]
        if info.file_size > limit:
            raise FileTooLarge(entry.path, info.file_size, limit)
        try:
            with self._zip.open(info) as member:
                data = member.read(limit + 1)
        except (*zip_errors(), *ZIP_READ_ERRORS) as error:
            raise ReadError(f"cannot read {entry.path} from the zip: {error}") from None
        if len(data) > limit:  # the header under-stated the size
            raise FileTooLarge(entry.path, len(data), limit)
        return data
