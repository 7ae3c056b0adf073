"""Lines and positions, counted one way everywhere (ast, PyYAML, the JSON parser, fix edits, excerpts).

A line ends at \\n, \\r\\n or a lone \\r; positions are 1-based, columns count code points.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from artifact_lint.diagnostics import Position, Span

LINE_BREAK = re.compile(r"\r\n|\r|\n")


class LineIndex:
    """Offsets to positions and back, from the start offset of every line."""

    def __init__(self, text: str):
        self.length = len(text)
        self.starts = [0]
        self.starts.extend(match.end() for match in LINE_BREAK.finditer(text))

    def position(self, offset: int) -> Position:
        index = bisect_right(self.starts, offset) - 1
        return Position(index + 1, offset - self.starts[index] + 1)

    def span(self, start: int, end: int) -> Span:
        return Span(self.position(start), self.position(end))

    def offset(self, position: Position) -> int:
        """The character offset of a position; past the end clamps to the end."""
        if position.line > len(self.starts):
            return self.length
        return min(self.starts[position.line - 1] + position.column - 1, self.length)
