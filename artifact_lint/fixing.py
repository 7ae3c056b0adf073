"""Fix mode: apply fixes without overlap, re-lint to a fixed point, in memory; the caller writes.

Rounds run on an in-memory overlay of the artifact (nothing touches the disk here, so `--diff`
writes nothing and a failed run leaves files as they were; artifact_lint.transaction writes the
result). Each round applies the fixes whose edits do not overlap one another; the rest wait for
the next round, when the findings are recomputed on the edited text. Every fixed text is
re-parsed first (artifact_lint.fix_checks): a fix that would break its file is dropped and
reported, and not tried again. Files keep their encoding, BOM and line endings: inserted lines
use the file's own newline.
"""

from __future__ import annotations

import difflib
import io
import os
import tokenize
from collections import Counter
from dataclasses import dataclass, field

from artifact_lint.artifact import Artifact, DirectoryArtifact, ReadError
from artifact_lint.config import Config
from artifact_lint.diagnostics import Applicability, Diagnostic, Edit
from artifact_lint.documents import text_encoding
from artifact_lint.engine import ArtifactResult, lint_artifact
from artifact_lint.fix_checks import breakage
from artifact_lint.parsers.positions import LINE_BREAK, LineIndex
from artifact_lint.transaction import Refused, resolve_target

MAX_ROUNDS = 10
MAX_FIXED_FILE = 16 * 1024 * 1024


class FixError(Exception):
    """Fix mode cannot run on this input (a zip)."""


@dataclass
class FixOutcome:
    result: ArtifactResult  # the findings left after the last round
    applied: Counter = field(default_factory=Counter)  # code -> fixes applied
    applied_in: dict[str, Counter] = field(default_factory=dict)  # path -> code -> fixes applied to that file
    unsafe_held_back: int = 0
    changes: dict[str, tuple[bytes | None, bytes]] = field(default_factory=dict)  # path -> (before, after)
    converged: bool = True
    rejected: list[str] = field(default_factory=list)

    def keep_only(self, written: list[str]) -> None:
        """Count only the fixes of the files that were written (the others were skipped)."""
        self.applied_in = {path: codes for path, codes in self.applied_in.items() if path in written}
        self.applied = sum(self.applied_in.values(), Counter())
        self.changes = {path: change for path, change in self.changes.items() if path in written}


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


@dataclass(frozen=True)
class TextFile:
    """A file's text as the linter sees it, and how to write it back byte for byte alike."""

    text: str
    bom: bytes = b""
    codec: str = "utf-8"
    newline: str = "\n"

    @classmethod
    def decode(cls, path: str, data: bytes) -> "TextFile":
        """Python by its coding cookie (as the interpreter), other files by their BOM, else UTF-8."""
        if path.endswith(".py"):
            codec, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            bom, codec = (data[:3], "utf-8") if codec == "utf-8-sig" else (b"", codec)
        else:
            bom, codec = text_encoding(data)
        text = data[len(bom):].decode(codec)
        found = LINE_BREAK.search(text)
        return cls(text, bom, codec, found.group() if found else "\n")

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.codec)

    def lines_as_written(self, content: str) -> str:
        """Edit content with the file's own line breaks (edits are written with \\n)."""
        return content if self.newline == "\n" else LINE_BREAK.sub(self.newline, content)


class _Workspace:
    """The artifact's files as fixes change them, kept in memory."""

    def __init__(self, artifact: DirectoryArtifact):
        self.artifact = artifact
        self.files: dict[str, TextFile] = {}  # every file loaded, as fixes left it
        self.current: dict[str, bytes] = {}  # the files fixes changed
        self.original: dict[str, bytes | None] = {}
        self.refused: dict[str, str] = {}  # path -> why fix may not edit it
        self.blocked: set[tuple[str, str]] = set()  # (code, path): a fix that broke the file, not tried again

    def load(self, path: str) -> TextFile | None:
        """The file as fixes left it; None when it does not exist. Raises Refused."""
        if path in self.refused:
            raise Refused(self.refused[path])
        if path in self.files:
            return self.files[path]
        if path not in self.artifact.entries:
            return None
        try:
            resolve_target(self.artifact, path)
            data = self.artifact.read_bytes(path, MAX_FIXED_FILE)
            loaded = TextFile.decode(path, data)
        except Refused as refusal:
            self.refused[path] = str(refusal)
            raise
        except (ReadError, UnicodeError, SyntaxError, LookupError) as error:
            self.refused[path] = f"cannot edit {path}: not a readable text file ({error})"
            raise Refused(self.refused[path]) from None
        self.original[path] = data
        self.files[path] = loaded
        return loaded

    def write(self, path: str, file: TextFile, text: str) -> None:
        self.original.setdefault(path, None)
        self.files[path] = TextFile(text, file.bom, file.codec, file.newline)
        self.current[path] = file.encode(text)

    def allowed(self, diagnostic: Diagnostic) -> bool:
        return not any(edit.path in self.refused or (diagnostic.code, edit.path) in self.blocked
                       for edit in diagnostic.fix.edits)


def _choose(diagnostics: list[Diagnostic], unsafe: bool, workspace: _Workspace) -> tuple[list[Diagnostic], int]:
    """Fixes to apply this round (no two overlapping), and how many unsafe ones were held back."""
    chosen: list[Diagnostic] = []
    taken: list[Edit] = []
    held = 0
    for diagnostic in diagnostics:
        fix = diagnostic.fix
        if fix is None or not workspace.allowed(diagnostic):
            continue
        if fix.applicability is Applicability.UNSAFE and not unsafe:
            held += 1
            continue
        if any(_overlap(edit, other) for edit in fix.edits for other in taken):
            continue  # waits for the next round
        chosen.append(diagnostic)
        taken.extend(fix.edits)
    return chosen, held


def _fixed_text(workspace: _Workspace, path: str, fixes: list[Diagnostic], outcome: FixOutcome
                ) -> tuple[TextFile, str, list[Diagnostic]] | None:
    """The file's text with as many of `fixes` as leave it sound, and those fixes; None when none applies."""
    try:
        loaded = workspace.load(path)
    except Refused as refusal:
        outcome.rejected.append(str(refusal))
        return None
    edits = {id(d): [e for e in d.fix.edits if e.path == path] for d in fixes}
    creating = any(edit.span is None for d in fixes for edit in edits[id(d)])
    if creating and loaded is not None:
        return None  # a generator never overwrites a file that exists
    file = loaded or TextFile("")
    before = loaded.text if loaded is not None else None

    def attempt(subset: list[Diagnostic]) -> tuple[str | None, str | None]:
        chosen = [e for d in subset for e in edits[id(d)]]
        chosen = [Edit(e.path, e.span, file.lines_as_written(e.content)) for e in chosen]
        text = chosen[0].content if creating else apply_edits(file.text, chosen)
        expect = [(keys, value) for d in subset for where, keys, value in d.fix.expect if where == path]
        problem = breakage(path, before, text, expect)
        if problem is None:
            try:
                file.encode(text)
            except UnicodeEncodeError:
                problem = f"need characters the file's encoding ({file.codec}) cannot hold"
        return (None, problem) if problem else (text, None)

    text, problem = attempt(fixes)
    if problem is None:
        return file, text, fixes
    kept: list[Diagnostic] = []
    text = None
    for diagnostic in fixes:  # together they break the file: keep each that does not
        trial, problem = attempt(kept + [diagnostic])
        if problem is None:
            kept.append(diagnostic)
            text = trial
        else:
            workspace.blocked.add((diagnostic.code, path))
            outcome.rejected.append(f"{path}: the {diagnostic.code} fix would {problem}; not applied")
    return (file, text, kept) if kept else None


def _apply_round(workspace: _Workspace, chosen: list[Diagnostic], outcome: FixOutcome) -> int:
    """Apply the chosen fixes file by file; a fix rejected in one of its files is applied in none."""
    pending = list(chosen)
    while True:
        by_path: dict[str, list[Diagnostic]] = {}
        for diagnostic in pending:
            for path in dict.fromkeys(edit.path for edit in diagnostic.fix.edits):
                by_path.setdefault(path, []).append(diagnostic)
        results = {path: _fixed_text(workspace, path, fixes, outcome) for path, fixes in by_path.items()}
        accepted = {path: {id(d) for d in result[2]} if result else set() for path, result in results.items()}
        partial = [d for d in pending if not all(id(d) in accepted[e.path] for e in d.fix.edits)]
        if not partial:
            break
        pending = [d for d in pending if d not in partial]
        for diagnostic in partial:
            for edit in diagnostic.fix.edits:
                workspace.blocked.add((diagnostic.code, edit.path))
    for path, result in results.items():
        if result:
            workspace.write(path, result[0], result[1])
    for diagnostic in pending:
        outcome.applied[diagnostic.code] += 1
        outcome.applied_in.setdefault(diagnostic.fix.edits[0].path, Counter())[diagnostic.code] += 1
    return len(pending)


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
            chosen, outcome.unsafe_held_back = _choose(result.diagnostics, unsafe, workspace)
            if not chosen or not _apply_round(workspace, chosen, outcome):
                break
        else:
            artifact.set_overlay(workspace.current)
            outcome.result = lint_artifact(artifact, config)
            outcome.converged = not _choose(outcome.result.diagnostics, unsafe, workspace)[0]
    finally:
        artifact.set_overlay({})
    outcome.changes = {path: (workspace.original[path], data) for path, data in workspace.current.items()
                       if workspace.original[path] != data}
    return outcome


def unified_diff(root_display: str, changes: dict[str, tuple[bytes | None, bytes]]) -> str:
    chunks = []
    for path, (before, after) in sorted(changes.items()):
        old = _lines_with_ends(_shown(path, before)) if before is not None else []
        new = _lines_with_ends(_shown(path, after))
        name = os.path.join(root_display, path).lstrip("/")
        chunks.extend(difflib.unified_diff(old, new, "/dev/null" if before is None else f"a/{name}", f"b/{name}"))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in chunks)


def _shown(path: str, data: bytes) -> str:
    try:
        return TextFile.decode(path, data).text
    except (UnicodeError, SyntaxError, LookupError):
        return data.decode("utf-8", "replace")


def _lines_with_ends(text: str) -> list[str]:
    """Lines with their breaks, split where the linter's positions split them."""
    starts = LineIndex(text).starts
    return [text[start:end] for start, end in zip(starts, starts[1:] + [len(text)], strict=True) if start < end]
