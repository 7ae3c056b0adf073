"""An editor's unsaved text linted with the rest of its artifact from disk.

`lint --stdin-filename` and `artifact-lint server` both come here, so a buffer in the editor and
the same text piped to the command give the same findings.
"""

from __future__ import annotations

from pathlib import Path

from artifact_lint.artifact import RUNTIME_YAML, SCORE_PY
from artifact_lint.config import ConfigLoader
from artifact_lint.discovery import owning_artifact
from artifact_lint.engine import LintRun, lint_paths


def buffer_artifact(path: Path) -> Path | None:
    """The artifact folder a file belongs to: the nearest folder above it holding score.py or
    runtime.yaml on disk, or the file's own folder when it is a score.py or runtime.yaml not saved yet."""
    path = path.absolute()
    owner = owning_artifact(path)
    if owner is None and path.name in (SCORE_PY, RUNTIME_YAML):
        owner = path.parent
    return owner


def lint_buffers(root: Path, buffers: dict[str, bytes], loader: ConfigLoader, overrides: dict | None = None) -> LintRun:
    """Lint the artifact at `root` with `buffers` (paths relative to root -> content) in place of the disk."""
    return lint_paths([str(root)], loader, overrides, buffers=buffers)
