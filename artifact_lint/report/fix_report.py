"""What `artifact-lint fix` changed (or would change, with --diff), for the JSON report.

Each changed file carries its unified diff, for people, and the same change as edits in the
report's edit format (1-based, end-exclusive spans of the file as it was; a span of null creates
the file), for editors and scripts: applied in order to the old text they give the new text.
"""

from __future__ import annotations

import difflib

from artifact_lint.diagnostics import Edit, Span
from artifact_lint.fixing import _lines_with_ends, unified_diff


def change_edits(path: str, before: bytes | None, after: bytes) -> list[Edit]:
    """The line ranges that differ, as edits on the old text."""
    new_text = after.decode("utf-8", "replace")
    if before is None:
        return [Edit(path, None, new_text)]
    old, new = _lines_with_ends(before.decode("utf-8", "replace")), _lines_with_ends(new_text)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [Edit(path, Span.of(start + 1, 1, end + 1, 1), "".join(new[first:last]))
            for tag, start, end, first, last in matcher.get_opcodes() if tag != "equal"]


def changes_json(artifact: str, changes: dict[str, tuple[bytes | None, bytes]]) -> list[dict]:
    return [{"artifact": artifact, "path": path, "diff": unified_diff(artifact, {path: change}),
             "edits": [edit.to_json() for edit in change_edits(path, *change)]}
            for path, change in sorted(changes.items())]
