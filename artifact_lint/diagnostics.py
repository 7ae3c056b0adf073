"""The one diagnostic model every rule produces and every renderer reads.

Positions are 1-based lines and columns counted in Unicode code points; spans
are end-exclusive. A span of None means the finding is about a whole file (or
a file that is missing).
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class Severity(enum.IntEnum):
    """Ordered so that `severity >= fail_on` decides the exit code."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}: use error, warning or info") from None


class Applicability(enum.Enum):
    """Safe fixes apply with `fix`; unsafe ones need `--unsafe-fixes`."""

    SAFE = "safe"
    UNSAFE = "unsafe"


class Position(NamedTuple):
    """A 1-based line and column in a file."""

    line: int
    column: int

    def to_json(self) -> dict:
        return {"line": self.line, "column": self.column}


class Span(NamedTuple):
    """A range of a file, from start to end."""

    start: Position
    end: Position

    @classmethod
    def of(cls, line: int, column: int, end_line: int, end_column: int) -> "Span":
        return cls(Position(line, column), Position(end_line, end_column))

    def to_json(self) -> dict:
        return {"start": self.start.to_json(), "end": self.end.to_json()}


class Edit(NamedTuple):
    """Replace `span` of `path` with `content`; a span of None creates the file."""

    path: str
    span: Span | None
    content: str

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "span": self.span.to_json() if self.span else None,
            "content": self.content,
        }


class Fix(NamedTuple):
    """A titled set of edits that resolves one finding, with how safe it is to apply."""

    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]
    # Values the fixed YAML must load to, (path, key path, value): fix mode checks them before it
    # writes anything and drops the fix if they do not hold. Not part of the report.
    expect: tuple[tuple[str, tuple[str, ...], object], ...] = ()

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "applicability": self.applicability.value,
            "edits": [edit.to_json() for edit in self.edits],
        }


class Diagnostic(NamedTuple):
    """One finding: a rule's code and message, where it is, and an optional fix."""

    code: str
    name: str
    severity: Severity
    message: str
    path: str
    span: Span | None = None
    ads_test: str | None = None
    fix: Fix | None = None
    artifact: str = ""
    excerpt: bool = True  # False when the source line would show a secret

    @property
    def line(self) -> int:
        return self.span.start.line if self.span else 0

    def sort_key(self) -> tuple:
        start = self.span.start if self.span else Position(0, 0)
        return (self.artifact, self.path, start.line, start.column, self.code, self.message)

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.label,
            "message": self.message,
            "artifact": self.artifact,
            "path": self.path,
            "span": self.span.to_json() if self.span else None,
            "ads_test": self.ads_test,
            "fix": self.fix.to_json() if self.fix else None,
        }
