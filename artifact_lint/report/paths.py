"""Where a finding is, as the human-facing formats print it: one rule for text, GitHub and SARIF.

A file of a folder artifact is the folder joined with the path (a path an editor can open). A
member of a zip is `archive.zip!/member` (the zip's own path, then the member's name inside it),
since a member cannot be opened on its own; a finding about the zip as a whole is the zip.
"""

from __future__ import annotations

import os

from artifact_lint.diagnostics import Diagnostic
from artifact_lint.engine import ArtifactResult


def is_zip(result: ArtifactResult) -> bool:
    return result.kind == "zip"


def file_on_disk(result: ArtifactResult, diagnostic: Diagnostic) -> str:
    """The file that exists on disk: the artifact folder's file, or the zip itself."""
    if is_zip(result):
        return result.artifact
    return os.path.normpath(os.path.join(result.artifact, diagnostic.path)).replace(os.sep, "/")


def display_path(result: ArtifactResult, diagnostic: Diagnostic) -> str:
    """`folder/score.py`, or `archive.zip!/score.py` for a zip member."""
    if not is_zip(result):
        return file_on_disk(result, diagnostic)
    if diagnostic.path in ("", "."):
        return result.artifact
    return f"{result.artifact}!/{diagnostic.path}"  # a zip's findings name its members


def location(result: ArtifactResult, diagnostic: Diagnostic) -> str:
    """display_path with `:line:column` when the finding has a position."""
    path = display_path(result, diagnostic)
    if diagnostic.span is None:
        return path
    return f"{path}:{diagnostic.span.start.line}:{diagnostic.span.start.column}"
