"""What ADS would really upload from a directory artifact, after its .model-ignore (shared by ART/PKG rules)."""

from __future__ import annotations

from typing import NamedTuple

from artifact_lint.artifact import DirectoryArtifact, ReadError
from artifact_lint.documents import decode_text
from artifact_lint.model_ignore import IGNORE_FILE, IgnorePattern, dropped_paths, read_patterns

MAX_IGNORE_BYTES = 1024 * 1024


class Upload(NamedTuple):
    """Files kept and dropped; for zips (already built) everything is kept and there are no patterns."""

    ignore_path: str | None = None  # the .model-ignore's container path, when there is one
    ignore_text: str = ""
    patterns: list[IgnorePattern] = []  # the defaults are never changed: _compute builds its own
    dropped: dict[str, IgnorePattern] = {}  # container path -> pattern

    def kept(self, path: str) -> bool:
        return path not in self.dropped


def upload_of(ctx) -> Upload:
    return ctx.cached("upload", lambda: _compute(ctx))


def _compute(ctx) -> Upload:
    artifact = ctx.artifact
    ignore_path = artifact.member(IGNORE_FILE)
    if not isinstance(artifact, DirectoryArtifact) or not artifact.is_file(ignore_path):
        return Upload()
    try:
        text = decode_text(artifact.read_bytes(ignore_path, MAX_IGNORE_BYTES), ignore_path)
    except (ReadError, UnicodeDecodeError):
        return Upload(ignore_path)
    patterns = read_patterns(text)
    dropped = dropped_paths(patterns, str(artifact.path), sorted(artifact.entries))
    return Upload(ignore_path, text, patterns, dropped)
