"""Turn the PATH arguments into artifacts: directories, zips, or folders to search."""

from __future__ import annotations

import os
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

MARKER_FILES = (SCORE_PY, RUNTIME_YAML)


class Discovery:
    """The artifacts found from the PATH arguments, and the arguments that named none."""

    def __init__(self, artifacts: list[Artifact] | None = None):
        self.artifacts = artifacts if artifacts is not None else []
        self.errors: list[tuple[str, str]] = []  # (path as given, message)


def is_artifact_dir(path: Path) -> bool:
    return any((path / name).is_file() for name in MARKER_FILES)


def search_artifacts(folder: Path) -> list[Path]:
    """Artifact folders and artifact zips below `folder`.

    A folder holding score.py or runtime.yaml is an artifact; below it only test trees are
    searched (its other subfolders are its own content). A zip is an artifact only when it holds
    score.py or runtime.yaml at its root or in its one top folder: job, terraform, image and data
    zips are not.
    """
    found = []
    for current, dirnames, filenames in os.walk(folder):
        is_artifact = any(name in filenames for name in MARKER_FILES)
        if is_artifact:
            found.append(Path(current))
        else:
            found.extend(Path(current, name) for name in sorted(filenames)
                         if name.lower().endswith(".zip") and is_artifact_zip(Path(current, name)))
        dirnames[:] = sorted(
            name for name in dirnames
            if name not in SKIPPED_DIRS and not is_virtualenv(Path(current, name))
            and (not is_artifact or is_test_tree(name))
        )
    return found


TEST_TREES = frozenset({"test", "tests", "testing", "fixtures", "testdata", "test_data", "test_files", "unitary",
                        "integration"})


def is_test_tree(name: str) -> bool:
    """A subfolder of an artifact that holds tests (and maybe artifacts of their own), not the artifact's files."""
    lowered = name.lower()
    return lowered in TEST_TREES or lowered.startswith(("test_", "tests_"))


def is_artifact_zip(path: Path) -> bool:
    """Whether a zip found in a search holds score.py or runtime.yaml at its root or in one top folder.

    Only the central directory is read; a zip that cannot be opened (a Git LFS pointer, a partial
    download) is not taken for an artifact here: naming it on the command line lints it (ART008).
    """
    import zipfile  # only a search that finds a .zip needs it

    try:
        with zipfile.ZipFile(path) as archive:
            names = [name.rstrip("/") for name in archive.namelist()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return False
    for name in names:
        parts = name.split("/")
        if parts[-1] in MARKER_FILES and len(parts) <= 2:
            return True
    return False


def discover(paths: list[str], skip_outside: bool = False) -> Discovery:
    """Artifacts for the PATH arguments; with `skip_outside`, a file that belongs to no artifact is
    passed over without an error (pre-commit hands over every changed file of the repository)."""
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
        if not os.path.lexists(path):
            from artifact_lint.online import OnlineUnavailable, is_model_ocid  # a missing PATH may be a catalog OCID

            if not is_model_ocid(given):
                result.errors.append((given, f"{given} does not exist"))
                continue
            try:
                add(_open_zip, given, _download(given))
            except OnlineUnavailable as error:
                result.errors.append((given, str(error)))
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
            if owner is None and skip_outside:
                continue
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

    from artifact_lint.online import download_model_artifact

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
