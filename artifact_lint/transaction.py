"""Write a fix run's files as one transaction per artifact: all or (after a failure) none.

Every new text is first written in full to a temporary file beside its target and synced; only
then are the temporaries renamed into place, one atomic rename each, with the original kept under
a temporary name (a hard link: no copy, same inode, mode and owner) until the run commits. A
failure while renaming puts back what was renamed. So a SIGKILL at any moment leaves every file
either original or fully fixed (plus temporaries the next run removes), SIGINT/SIGTERM are held
off while renaming and otherwise clean up, and a file someone edited while fix ran is skipped,
not overwritten. A symlink is never replaced: the file it points to is written, when that file
is inside the artifact; otherwise the file is refused.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
from dataclasses import dataclass, field
from pathlib import Path

from artifact_lint.artifact import DirectoryArtifact
from artifact_lint.fix_temp import is_stale, temp_name

HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_NEW_FILE_MODE = 0o666  # before the umask, as open() and every editor create files


class Refused(Exception):
    """This file may not be written (a symlink out of the artifact, not a regular file)."""


class WriteFailed(OSError):
    """Writing failed and every file was put back as it was; the message names the file and why."""


@dataclass
class Planned:
    path: str  # the container path, as findings name it
    target: Path  # the file actually written: the path itself, or its symlink's target
    before: bytes | None  # what fix read (None: fix creates the file)
    after: bytes
    temporary: Path | None = None
    backup: Path | None = None  # the original, kept until the transaction commits
    installed: bool = False  # the target now holds `after`


@dataclass
class Written:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # messages: the file changed while fix ran


def resolve_target(artifact: DirectoryArtifact, path: str) -> Path:
    """The file to write for `path`: itself, or the file its symlink points to when inside the artifact."""
    full = artifact.path.joinpath(*path.split("/"))
    root = os.path.realpath(artifact.path)
    real = os.path.realpath(full)
    if os.path.commonpath([root, real]) != root:
        if os.path.islink(full):
            raise Refused(f"{path} is a symlink to {real}, outside the artifact: not changed (edit that file, or copy "
                          f"it into the artifact)")
        raise Refused(f"{path} is reached through a symlinked folder that leads outside the artifact ({real}): "
                      f"not changed")
    if os.path.lexists(real) and not os.path.isfile(real):
        raise Refused(f"{path} is not a regular file: not changed")
    return Path(real)


def remove_stale_temporaries(artifact: DirectoryArtifact) -> list[str]:
    """Delete the temporary files a killed fix run left in the artifact; their container paths."""
    removed = []
    for path, entry in sorted(artifact.entries.items()):
        if entry.kind == "file" and is_stale(entry.name):
            try:
                os.unlink(artifact.path.joinpath(*path.split("/")))
            except OSError:
                continue  # gone already, or not ours to delete: lint keeps reporting it (ART010)
            removed.append(path)
    if removed:
        artifact.set_overlay({})  # forget the listing that still holds them
    return removed


def write_changes(artifact: DirectoryArtifact, changes: dict[str, tuple[bytes | None, bytes]]) -> Written:
    """Write fix mode's changes as one transaction; raises WriteFailed (nothing changed) or Refused."""
    planned = [Planned(path, resolve_target(artifact, path), before, after)
               for path, (before, after) in sorted(changes.items())]
    return commit(planned)


def write_atomically(target: Path, data: bytes) -> None:
    """One file, old or new and never half-written, created with the umask's mode or keeping its own."""
    target.parent.mkdir(parents=True, exist_ok=True)
    real = Path(os.path.realpath(target))
    before = real.read_bytes() if real.is_file() else None
    commit([Planned(str(target), real, before, data)], check_unchanged=False)


def commit(planned: list[Planned], *, check_unchanged: bool = True) -> Written:
    outcome = Written()
    try:
        for item in planned:
            _prepare(item)
        with _signals_held():
            done: list[Planned] = []
            try:
                for item in planned:
                    if check_unchanged and not _unchanged(item):
                        outcome.skipped.append(f"{item.path} changed on disk while fix ran: not overwritten; run fix "
                                               f"again")
                        continue
                    done.append(item)
                    _install(item)
            except OSError as error:
                _roll_back(done)
                raise _failure(item, error) from None
            outcome.written = [item.path for item in done]
            _sync_folders(done)
    finally:
        with _signals_held():  # a signal arriving now acts once the leftovers are gone
            for item in planned:
                for leftover in (item.temporary, item.backup):
                    if leftover is not None:
                        with contextlib.suppress(OSError):
                            os.unlink(leftover)
    return outcome


def _prepare(item: Planned) -> None:
    """Write the new text in full to a synced temporary beside the target, with the target's mode."""
    folder = item.target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Recorded before it exists, so a signal right after the file appears still has it removed.
        item.temporary = folder / temp_name(item.target.name)
        mode = _NEW_FILE_MODE if item.before is None else 0o600
        try:
            descriptor = os.open(item.temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                                 mode)
        except FileExistsError:
            item.temporary = None  # not ours: never delete it
            raise
        with os.fdopen(descriptor, "wb") as handle:
            if item.before is not None:
                os.fchmod(handle.fileno(), stat.S_IMODE(os.stat(item.target).st_mode))
            handle.write(item.after)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        raise _failure(item, error) from None


def _failure(item: Planned, error: OSError) -> WriteFailed:
    return WriteFailed(f"could not write {item.path}: {error.strerror or error}; every file was left as it was")


def _unchanged(item: Planned) -> bool:
    """The target still holds what fix read (or, for a new file, still does not exist)."""
    if item.before is None:
        return not os.path.lexists(item.target)
    try:
        with open(item.target, "rb") as handle:
            return handle.read(len(item.before) + 1) == item.before
    except OSError:
        return False


def _install(item: Planned) -> None:
    """Rename the temporary into place, keeping the original under a temporary name for a roll-back."""
    if item.before is None:
        try:
            os.link(item.temporary, item.target)  # fails, rather than overwrites, if the file appeared meanwhile
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            if os.path.lexists(item.target):
                raise FileExistsError(17, "the file appeared while fix ran") from None
            os.rename(item.temporary, item.target)
        item.installed = True
        return
    item.backup = item.target.parent / temp_name(item.target.name)
    try:
        os.link(item.target, item.backup)
    except FileExistsError:
        item.backup = None  # not ours: never delete it
        raise
    except OSError:  # a file system without hard links: keep a copy instead
        _write_new(item.backup, item.before, stat.S_IMODE(os.stat(item.target).st_mode))
    os.replace(item.temporary, item.target)
    item.temporary = None
    item.installed = True


def _write_new(path: Path, data: bytes, mode: int) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), mode)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _roll_back(done: list[Planned]) -> None:
    for item in reversed(done):
        if not item.installed:
            continue
        with contextlib.suppress(OSError):
            if item.before is None:
                os.unlink(item.target)
            else:
                os.replace(item.backup, item.target)
                item.backup = None


def _sync_folders(done: list[Planned]) -> None:
    """Make the renames durable (best effort: not every file system lets a folder be synced)."""
    for folder in {item.target.parent for item in done}:
        with contextlib.suppress(OSError):
            descriptor = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)


@contextlib.contextmanager
def _signals_held():
    """SIGINT and SIGTERM wait until the renames are done (or rolled back), then act."""
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
    except (AttributeError, ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
