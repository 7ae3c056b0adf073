"""`# artifact-lint: ignore[CODE]` and `# artifact-lint: file-ignore[CODE]` comments.

The same syntax works in score.py and runtime.yaml. A comment at the end of a
line covers that line; a comment alone on a line covers the next line. Each
suppression remembers which codes it silenced, so ALX001 can report the ones
that silence nothing.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import NamedTuple

from artifact_lint.diagnostics import Diagnostic, Span
from artifact_lint.documents import PythonDocument, TextDocument

DIRECTIVE = re.compile(r"artifact-lint:\s*(?P<scope>file-ignore|ignore)\b(?:\[(?P<codes>[^\]]*)\])?")
# In YAML a comment starts at a '#' at the start of a line or after white space.
YAML_COMMENT = re.compile(r"(?:^|\s)(#.*)$")


class Suppression(NamedTuple):
    """One `# artifact-lint: ignore[...]` or `file-ignore[...]` comment, and the codes it silences."""

    path: str
    scope: str  # "line" | "file"
    target_line: int
    codes: tuple[str, ...] | None  # None silences every code
    span: Span
    last_line: int  # a Python statement spanning lines is covered to its end
    used: set[str]  # the codes it silenced, filled in by apply_suppressions

    def covers(self, diagnostic: Diagnostic) -> bool:
        if diagnostic.path != self.path:
            return False
        if self.codes is not None and diagnostic.code not in self.codes:
            return False
        if self.scope == "file":
            return True
        return diagnostic.span is not None and self.target_line <= diagnostic.line <= max(self.last_line,
                                                                                          self.target_line)


def _comments(document: TextDocument) -> tuple[list[tuple[int, int, str, bool]], dict[int, int]]:
    """(line, column, comment text, alone on its line) for each comment that may hold a directive, and
    for Python the last line of each statement by its first line (a suppression covers all of it)."""
    if "artifact-lint:" not in document.text:
        return [], {}
    if isinstance(document, PythonDocument):
        try:
            found, statements, first = [], {}, None
            for token in tokenize.generate_tokens(io.StringIO(document.text).readline):
                if token.type == tokenize.COMMENT and "artifact-lint:" in token.string:
                    line, column = token.start
                    alone = not token.line[:column].strip()
                    found.append((line, column, token.string, alone))
                elif token.type == tokenize.NEWLINE and first is not None:
                    statements[first] = token.start[0]
                    first = None
                elif token.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT) and first is None:
                    first = token.start[0]
            return found, statements
        except (tokenize.TokenError, SyntaxError, IndentationError):
            pass  # fall back to reading lines, as for YAML
    found = []
    for number, text in enumerate(document.lines, start=1):
        if "artifact-lint:" not in text:
            continue
        match = YAML_COMMENT.search(text)
        if match:
            column = match.start(1)
            found.append((number, column, match.group(1), not text[:column].strip()))
    return found, {}


def parse_suppressions(document: TextDocument) -> list[Suppression]:
    suppressions = []
    comments, statements = _comments(document)
    for line, column, comment, alone in comments:
        match = DIRECTIVE.search(comment)
        if not match:
            continue
        codes = None
        if match.group("codes") is not None:
            codes = tuple(code.strip().upper() for code in match.group("codes").split(",") if code.strip())
        start = column + match.start() + 1
        span = Span.of(line, start, line, column + match.end() + 1)
        scope = "file" if match.group("scope") == "file-ignore" else "line"
        target = line + 1 if alone else line
        suppressions.append(Suppression(document.path, scope, target, codes, span, statements.get(target, target), set()))
    return suppressions


def apply_suppressions(diagnostics: list[Diagnostic], suppressions: list[Suppression]) -> list[Diagnostic]:
    """Drop what the comments cover, recording on each suppression what it silenced."""
    kept = []
    for diagnostic in diagnostics:
        covering = [suppression for suppression in suppressions if suppression.covers(diagnostic)]
        for suppression in covering:
            suppression.used.add(diagnostic.code)
        if not covering:
            kept.append(diagnostic)
    return kept
