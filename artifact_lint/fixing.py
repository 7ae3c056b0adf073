"""Fix mode: apply fixes without overlap, re-lint to a fixed point, then write each file atomically.

Rounds run on an in-memory overlay of the artifact (nothing touches the disk until the end, so
`--diff` writes nothing and a failed run leaves files as they were). Each round applies the
fixes whose edits do not overlap one another; the rest wait for the next round, when the
findings are recomputed on the edited text. Python files are round-tripped through libcst
before they are accepted, so a fix can never leave score.py unparseable or lose its comments.
"""

from __future__ import annotations

import codecs
import difflib
import os
import stat
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from artifact_lint.artifact import Artifact, DirectoryArtifact, ReadError
from artifact_lint.config import Config
from artifact_lint.diagnostics import Applicability, Diagnostic, Edit
from artifact_lint.positions import LineIndex
from artifact_lint.engine import ArtifactResult, lint_artifact

MAX_ROUNDS = 10
MAX_FIXED_FILE = 16 * 1024 * 1024


class FixError(Exception):
    """Fix mode cannot run on this input (a zip, an unreadable file)."""


@dataclass
class FixOutcome:
    result: ArtifactResult  # the findings left after the last round
    applied: Counter = field(default_factory=Counter)  # code -> fixes applied
    unsafe_held_back: int = 0
    changes: dict[str, tuple[bytes | None, bytes]] = field(default_factory=dict)  # path -> (before, after)
    converged: bool = True
    rejected: list[str] = field(default_factory=list)


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping span edits to `text` (positions as the linter reports them)."""
    index = LineIndex(text)
    ranges = sorted(((index.offset(e.span.start), index.offset(e.span.end), e.content) for e in edits), reverse=True)
    for start, end, content in ranges:
        text = text[:start] + content + text[end:]
    return text


def _overlap(a: Edit, b: Edit) -> bool:
    if a.path != b.path:
        return False
    if a.span is None or b.span is None:
        return True
    (a0, a1), (b0, b1) = (a.span.start, a.span.end), (b.span.start, b.span.end)
    if a0 == a1 and b0 == b1:
        return a0 == b0  # two insertions at one point: their order would be arbitrary
    if a0 == a1:
        return b0 <= a0 < b1
    if b0 == b1:
        return a0 <= b0 < a1
    return a0 < b1 and b0 < a1


def _decode(data: bytes) -> tuple[str, bytes]:
    """Text and the BOM to put back, for files fixes edit (text files by construction)."""
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    return data[len(bom):].decode("utf-8"), bom


def _valid_python(text: str) -> bool:
    """libcst must parse the result and print it back unchanged (comments and layout kept)."""
    import libcst

    try:
        return libcst.parse_module(text).code == text
    except (libcst.ParserSyntaxError, RecursionError, ValueError):
        return False


class _Workspace:
    """The artifact's files as fixes change them, kept in memory."""

    def __init__(self, artifact: Artifact):
        self.artifact = artifact
        self.current: dict[str, bytes] = {}
        self.original: dict[str, bytes | None] = {}

    def text(self, path: str) -> tuple[str, bytes] | None:
        if path in self.current:
            return _decode(self.current[path])
        if path not in self.artifact.entries:
            return None
        try:
            return _decode(self.artifact.read_bytes(path, MAX_FIXED_FILE))
        except (ReadError, UnicodeDecodeError):
            raise FixError(f"cannot edit {path}: not a readable UTF-8 text file") from None

    def write(self, path: str, text: str, bom: bytes) -> None:
        if path not in self.original:
            existed = path in self.artifact.entries
            self.original[path] = self.artifact.read_bytes(path, MAX_FIXED_FILE) if existed else None
        self.current[path] = bom + text.encode("utf-8")


def _choose(diagnostics: list[Diagnostic], unsafe: bool) -> tuple[list[Diagnostic], int]:
    """Fixes to apply this round (no two overlapping), and how many unsafe ones were held back."""
    chosen: list[Diagnostic] = []
    taken: list[Edit] = []
    held = 0
    for diagnostic in diagnostics:
        fix = diagnostic.fix
        if fix is None:
            continue
        if fix.applicability is Applicability.UNSAFE and not unsafe:
            held += 1
            continue
        if any(_overlap(edit, other) for edit in fix.edits for other in taken):
            continue  # waits for the next round
        chosen.append(diagnostic)
        taken.extend(fix.edits)
    return chosen, held


def _apply_round(workspace: _Workspace, chosen: list[Diagnostic], outcome: FixOutcome) -> int:
    """Apply the chosen fixes file by file; a file whose result is not valid Python is left alone."""
    by_path: dict[str, list[tuple[Diagnostic, Edit]]] = {}
    for diagnostic in chosen:
        for edit in diagnostic.fix.edits:
            by_path.setdefault(edit.path, []).append((diagnostic, edit))
    applied: set[int] = set()
    for path, pairs in by_path.items():
        creations = [edit for _, edit in pairs if edit.span is None]
        if creations:
            if path in workspace.artifact.entries or path in workspace.current:
                continue  # a generator never overwrites a file that exists
            text, bom = creations[0].content, b""
        else:
            loaded = workspace.text(path)
            if loaded is None:
                continue
            original, bom = loaded
            text = apply_edits(original, [edit for _, edit in pairs])
        if path.endswith(".py") and not _valid_python(text):
            outcome.rejected.append(f"{path}: the fixes for {', '.join(sorted({d.code for d, _ in pairs}))} would not "
                                    f"leave valid Python; not applied")
            continue
        workspace.write(path, text, bom)
        applied.update(id(d) for d, _ in pairs)
    for diagnostic in chosen:
        if id(diagnostic) in applied and all(edit.path in workspace.current for edit in diagnostic.fix.edits):
            outcome.applied[diagnostic.code] += 1
    return len(applied)


def fix_artifact(artifact: Artifact, config: Config, *, unsafe: bool = False) -> FixOutcome:
    """Fix to a fixed point in memory; the caller writes `outcome.changes` (or shows them as a diff)."""
    if not isinstance(artifact, DirectoryArtifact):
        raise FixError(f"{artifact.display} is a zip: fix the folder it was made from and zip it again")
    workspace = _Workspace(artifact)
    outcome: FixOutcome | None = None
    try:
        for _ in range(MAX_ROUNDS):
            artifact.set_overlay(workspace.current)
            result = lint_artifact(artifact, config)
            outcome = outcome or FixOutcome(result)
            outcome.result = result
            chosen, outcome.unsafe_held_back = _choose(result.diagnostics, unsafe)
            if not chosen or not _apply_round(workspace, chosen, outcome):
                break
        else:
            artifact.set_overlay(workspace.current)
            outcome.result = lint_artifact(artifact, config)
            outcome.converged = not _choose(outcome.result.diagnostics, unsafe)[0]
    finally:
        artifact.set_overlay({})
    outcome.changes = {path: (workspace.original[path], data) for path, data in workspace.current.items()
                       if workspace.original[path] != data}
    return outcome


def unified_diff(root_display: str, changes: dict[str, tuple[bytes | None, bytes]]) -> str:
    chunks = []
    for path, (before, after) in sorted(changes.items()):
        old = _lines_with_ends(before.decode("utf-8", "replace")) if before is not None else []
        new = _lines_with_ends(after.decode("utf-8", "replace"))
        name = os.path.join(root_display, path).lstrip("/")
        chunks.extend(difflib.unified_diff(old, new, "/dev/null" if before is None else f"a/{name}", f"b/{name}"))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in chunks)


def _lines_with_ends(text: str) -> list[str]:
    """Lines with their breaks, split where the linter's positions split them."""
    starts = LineIndex(text).starts
    return [text[start:end] for start, end in zip(starts, starts[1:] + [len(text)], strict=True) if start < end]


def write_atomically(target: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and os.replace: the file is old or new, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(os.stat(target).st_mode) if target.exists() else None
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".artifact-lint")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_changes(artifact: DirectoryArtifact, changes: dict[str, tuple[bytes | None, bytes]]) -> None:
    for path, (_, data) in sorted(changes.items()):
        write_atomically(artifact.path.joinpath(*path.split("/")), data)
