"""Turn the PATH arguments into artifacts: directories, zips, or folders to search."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from artifact_lint.artifact import (
    RUNTIME_YAML,
    SCORE_PY,
    SKIPPED_DIRS,
    Artifact,
    DirectoryArtifact,
    ReadError,
    UnreadableZip,
    ZipArtifact,
    is_virtualenv,
)

from artifact_lint.online import OnlineUnavailable, download_model_artifact, is_model_ocid

MARKER_FILES = (SCORE_PY, RUNTIME_YAML)


@dataclass
class Discovery:
    artifacts: list[Artifact] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path as given, message)


def is_artifact_dir(path: Path) -> bool:
    return any((path / name).is_file() for name in MARKER_FILES)


def search_artifacts(folder: Path) -> list[Path]:
    """Folders holding score.py or runtime.yaml below `folder` (not descending into one found), and .zip files."""
    found = []
    for current, dirnames, filenames in os.walk(folder):
        if any(name in filenames for name in MARKER_FILES):
            found.append(Path(current))
            dirnames[:] = []
            continue
        found.extend(Path(current, name) for name in sorted(filenames) if name.lower().endswith(".zip"))
        dirnames[:] = sorted(
            name for name in dirnames
            if name not in SKIPPED_DIRS and not is_virtualenv(Path(current, name))
        )
    return found


def discover(paths: list[str]) -> Discovery:
    result = Discovery()
    seen: set[str] = set()

    def add(artifact_factory, display: str, path: Path) -> None:
        key = os.path.realpath(path)
        if key in seen:
            return
        seen.add(key)
        try:
            result.artifacts.append(artifact_factory(display, path))
        except ReadError as error:
            result.errors.append((display, str(error)))

    for given in paths:
        path = Path(given)
        if not os.path.lexists(path) and is_model_ocid(given):
            try:
                add(_open_zip, given, _download(given))
            except OnlineUnavailable as error:
                result.errors.append((given, str(error)))
        elif not os.path.lexists(path):
            result.errors.append((given, f"{given} does not exist"))
        elif path.is_dir():
            if is_artifact_dir(path):
                add(DirectoryArtifact, given, path)
                continue
            found = search_artifacts(path)
            if not found:
                result.errors.append(
                    (given, f"no artifact found under {given}: an artifact is a folder holding "
                            f"{SCORE_PY} or {RUNTIME_YAML}, or a .zip of one")
                )
            for folder in found:
                display = os.path.join(given, os.path.relpath(folder, path))
                add(_open_zip if folder.suffix.lower() == ".zip" else DirectoryArtifact, display, folder)
        elif path.suffix.lower() == ".zip":
            add(_open_zip, given, path)
        else:
            owner = owning_artifact(path)
            if owner is None:
                result.errors.append((given, f"{given} is not in an artifact: no folder above it holds "
                                             f"{SCORE_PY} or {RUNTIME_YAML}, and it is not a .zip"))
            else:
                add(DirectoryArtifact, os.path.normpath(owner), owner)
    return result


def _download(ocid: str) -> Path:
    """A catalog model's artifact, downloaded to a temporary folder removed when the run ends."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="artifact-lint-model-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return download_model_artifact(ocid, folder / "artifact.zip")


def _open_zip(display: str, path: Path) -> Artifact:
    """A zip artifact; one zipfile cannot read becomes an UnreadableZip (a finding, not an error)."""
    if not path.is_file():
        raise ReadError(f"{display} is not a file")
    try:
        return ZipArtifact(display, path)
    except ReadError as error:
        return UnreadableZip(display, path, str(error))


def owning_artifact(path: Path) -> Path | None:
    """The nearest folder above a file that is an artifact (so pre-commit can pass any changed file)."""
    for folder in path.parents:
        if is_artifact_dir(folder):
            return folder
        if (folder / ".git").exists():
            return None
    return None
