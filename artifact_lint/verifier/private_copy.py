"""The private copy the sandbox runs: bounded, never following a link out of the artifact.

The copy is made from the artifact's inventory (the same one the static rules read), so it
has the static rules' entry limit, and it is extracted with SEC002's zip limits: members that
escape, symlink members and bombs are refused, and no member may expand past the size its
header declares. Links inside a folder artifact are recreated only when they resolve inside
it; loops, dangling links and links that leave are reported, never followed.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from artifact_lint.artifact import CATALOG_MAX_BYTES, MAX_ENTRIES, Artifact, ReadError, ZipArtifact
from artifact_lint.zip_safety import member_problem

CHUNK = 1 << 20
DISK_RESERVE = 512 * 1024 * 1024  # never fill the disk the copy is made on


class CopyRefused(Exception):
    """The artifact cannot be copied within the limits; nothing is run."""


@dataclass
class CopyReport:
    files: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)  # "path: why", for the VRF012 finding


def _relative(artifact: Artifact, path: str) -> str | None:
    """The path below the artifact root, or None for entries outside it."""
    if not artifact.root:
        return path
    prefix = artifact.root + "/"
    return path[len(prefix):] if path.startswith(prefix) else None


def _byte_budget(destination: Path) -> int:
    free = shutil.disk_usage(destination).free - DISK_RESERVE
    return max(0, min(CATALOG_MAX_BYTES, free))


def copy_artifact(artifact: Artifact, destination: Path) -> CopyReport:
    """Copy `artifact` into the empty folder `destination`; raise CopyRefused past the limits."""
    report = CopyReport()
    entries = artifact.entries
    if len(entries) >= MAX_ENTRIES:
        raise CopyRefused(f"the artifact has more than {MAX_ENTRIES:,} entries, the limit the static checks read")
    zip_infos = {info.filename: info for info in artifact.members()} if isinstance(artifact, ZipArtifact) else {}
    budget = _byte_budget(destination)
    links: list[tuple[str, str]] = []
    for path, entry in sorted(entries.items()):
        relative = _relative(artifact, path)
        if not relative or relative.startswith("/") or ".." in PurePosixPath(relative).parts:
            continue  # a name that leaves the copy: SEC002 reports it, nothing here writes it
        target = destination.joinpath(*PurePosixPath(relative).parts)
        info = zip_infos.get(path) or zip_infos.get(path + "/")
        problem = member_problem(info) if info is not None else None
        if problem is not None:
            report.skipped.append(f"{path}: zip member {problem}; not extracted")
        elif entry.kind == "dir":
            target.mkdir(parents=True, exist_ok=True)
        elif entry.kind == "symlink":
            links.append((path, relative))
        elif entry.kind == "other":
            report.skipped.append(f"{path}: not a regular file (a FIFO, socket or device); not copied")
        else:
            budget -= _copy_file(artifact, path, entry.size, target, budget)
            report.files += 1
    for path, relative in links:
        _copy_link(artifact, path, relative, destination, report)
    report.bytes = sum(f.stat().st_size for f in destination.rglob("*") if f.is_file() and not f.is_symlink())
    return report


def _copy_file(artifact: Artifact, path: str, declared: int, target: Path, budget: int) -> int:
    """Stream one file; a member may not grow past its declared size, nor the copy past the budget."""
    if declared > budget:
        raise CopyRefused(f"copying {path} ({declared:,} bytes) would exceed the {budget:,} bytes the copy may use")
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with artifact.open_binary(path) as source, open(target, "wb") as sink:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                if written > declared or written > budget:
                    raise CopyRefused(f"{path} expands past the {declared:,} bytes it declares; not extracted")
                sink.write(chunk)
    except (ReadError, OSError) as error:
        raise CopyRefused(f"cannot copy {path}: {error}") from None
    return written


def _copy_link(artifact: Artifact, path: str, relative: str, destination: Path, report: CopyReport) -> None:
    """Recreate a link as a relative link when it resolves inside the artifact; report the others."""
    if isinstance(artifact, ZipArtifact):
        report.skipped.append(f"{path}: a symlink member; not extracted")
        return
    source = Path(artifact.path).joinpath(*PurePosixPath(path).parts)
    root = Path(os.path.realpath(Path(artifact.path).joinpath(*PurePosixPath(artifact.root).parts)))
    try:
        resolved = Path(os.path.realpath(source, strict=True))
    except (OSError, RuntimeError):
        report.skipped.append(f"{path}: a dangling or looping symlink; not followed")
        return
    if resolved != root and root not in resolved.parents:
        report.skipped.append(f"{path}: a symlink to {resolved}, outside the artifact; not followed")
        return
    link = destination.joinpath(*PurePosixPath(relative).parts)
    link.parent.mkdir(parents=True, exist_ok=True)
    inside = destination.joinpath(resolved.relative_to(root))
    os.symlink(os.path.relpath(inside, link.parent), link)
