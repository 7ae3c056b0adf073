"""A small JSON parser that keeps positions, for findings inside artifact JSON files.

input_schema.json, output_schema.json and model_artifact_manifest.json are
linted like every other file: each finding points at a 1-based line and column
(Unicode code points, end-exclusive spans). `json.loads` gives plain objects
with no positions, silently keeps the last of duplicate keys and accepts NaN
and Infinity without saying so. This parser builds a tree of `JsonNode`s, each
with its span, keeps duplicate keys in source order, and accepts the bare
tokens NaN, Infinity and -Infinity (json.dumps writes them) as "constant"
nodes so rules can report them instead of failing. Everything else is strict
RFC 8259, with errors at the offending character.

It never recurses (an explicit stack: a file of 100000 `[` must not crash the
linter), scans with compiled regexes and the stdlib's C string scanner, and
turns offsets into positions only when a span is asked for, so a 5 MB schema
parses in well under a second.
"""

from __future__ import annotations

import gc
import re
from json.decoder import scanstring

from artifact_lint.diagnostics import Position, Span
from artifact_lint.parsers.positions import LineIndex

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_STRING_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_DIGITS = frozenset("0123456789")
_SPACE = frozenset(" \t\n\r")
_ESCAPES = frozenset('"\\/bfnrt')
# First character -> (token, kind, value) for the bare-word values.
_WORDS = {
    "t": ("true", "true", True),
    "f": ("false", "false", False),
    "n": ("null", "null", None),
    "N": ("NaN", "constant", "NaN"),
    "I": ("Infinity", "constant", "Infinity"),
}


class JsonError(Exception):
    """Why a JSON text could not be parsed, and where (1-based)."""

    def __init__(self, message: str, position: Position):
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return self.message


class JsonNode:
    """One JSON value; objects keep every pair, duplicates included.

    The span is worked out on access from character offsets: building two
    Positions for each of the hundreds of thousands of nodes in a large schema
    tripled the parse time, and rules only ask for the few they report.
    Slots keep a large schema's nodes small; nodes compare by identity.
    """

    __slots__ = ("kind", "value", "start", "end", "lines")

    def __init__(self, kind: str, value: object, start: int, end: int, lines: LineIndex):
        self.kind = kind
        self.value = value
        self.start = start  # offset of the first character
        self.end = end  # offset just after the last character
        self.lines = lines

    @property
    def span(self) -> Span:
        return self.lines.span(self.start, self.end)

    def get(self, key: str) -> JsonNode | None:
        """The value of the last pair named `key`, the one json.loads keeps."""
        if self.kind != "object":
            return None
        for name, value in reversed(self.value):
            if name.value == key:
                return value
        return None

    def keys(self) -> list[str]:
        """Distinct keys in first-seen order, as `json.loads(...).keys()`; duplicates are in `value`."""
        if self.kind != "object":
            return []
        return list(dict.fromkeys(name.value for name, _ in self.value))

    def to_python(self) -> object:
        """The value json.loads would give, built without recursion."""
        if self.kind not in ("object", "array"):
            return _scalar(self)
        root: dict | list = {} if self.kind == "object" else []
        pending: list[tuple[JsonNode, dict | list]] = [(self, root)]
        while pending:
            node, out = pending.pop()
            if node.kind == "array":
                for child in node.value:
                    out.append(_child(child, pending))
            else:
                for name, child in node.value:
                    out[name.value] = _child(child, pending)
        return root

    def __repr__(self) -> str:
        # Shallow on purpose: a repr of every value of a deep tree would recurse.
        if self.kind in ("object", "array"):
            shown = f"{len(self.value)} items"
        else:
            shown = repr(self.value)
        start, end = self.span.start, self.span.end
        return f"JsonNode({self.kind}, {shown}, {start.line}:{start.column}-{end.line}:{end.column})"


def _scalar(node: JsonNode) -> object:
    return float(node.value) if node.kind == "constant" else node.value


def _child(node: JsonNode, pending: list) -> object:
    """A scalar's value, or an empty container queued to be filled."""
    kind = node.kind
    if kind == "object" or kind == "array":
        out: dict | list = {} if kind == "object" else []
        pending.append((node, out))
        return out
    return _scalar(node)


def parse_json(text: str) -> JsonNode:
    """Parse `text` (already decoded, BOM removed) into a tree of nodes; raises JsonError."""
    # The tree has no cycles, so collections during the build find nothing, yet
    # they took 60% of the time on a 5 MB schema (half a million new objects).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _Parser(text).parse()
    finally:
        if enabled:
            gc.enable()


class _Parser:
    """One pass over the text; the hot paths are inlined, the error paths are methods."""

    def __init__(self, text: str):
        self.text = text
        self.lines = LineIndex(text)

    def fail(self, offset: int, message: str) -> JsonError:
        return JsonError(message, self.lines.position(offset))

    def parse(self) -> JsonNode:
        text, lines = self.text, self.lines
        n = len(text)
        skip = _WHITESPACE.match
        space = _SPACE
        i = skip(text, 0).end()
        if i >= n:
            raise self.fail(n, "the file is empty")
        # Open containers: [start offset, items, key node of the member being read, or None in an array].
        stack: list[list] = []
        while True:
            # A value starts at i (whitespace already skipped).
            c = text[i] if i < n else ""
            if c == '"':
                try:
                    value, end = scanstring(text, i + 1, True)
                except ValueError:
                    raise self.string_error(i) from None
                node = JsonNode("string", value, i, end, lines)
                i = end
            elif c == "{":
                j = skip(text, i + 1).end()
                if text.startswith("}", j):
                    node = JsonNode("object", [], i, j + 1, lines)
                    i = j + 1
                else:
                    key, j = self.key(j, "a string key in double quotes or '}'")
                    stack.append([i, [], key])
                    i = j
                    continue
            elif c == "[":
                j = skip(text, i + 1).end()
                if text.startswith("]", j):
                    node = JsonNode("array", [], i, j + 1, lines)
                    i = j + 1
                else:
                    stack.append([i, [], None])
                    i = j
                    continue
            elif c == "-" or c in _DIGITS:
                node, i = self.number(i)
            else:
                node, i = self.word(i)
            # Hand the finished value to its container, closing containers as they end.
            while True:
                if i < n and text[i] in space:
                    i = skip(text, i).end()
                if not stack:
                    if i < n:
                        raise self.fail(i, "extra data after the JSON value")
                    return node
                frame = stack[-1]
                c = text[i] if i < n else ""
                key = frame[2]
                if key is None:
                    frame[1].append(node)
                    if c == ",":
                        i = skip(text, i + 1).end()
                        if text.startswith("]", i):
                            raise self.fail(i, "trailing commas are not allowed")
                        break
                    if c == "]":
                        stack.pop()
                        i += 1
                        node = JsonNode("array", frame[1], frame[0], i, lines)
                        continue
                    raise self.unexpected(i, "',' or ']' after an array element")
                frame[1].append((key, node))
                if c == ",":
                    i = skip(text, i + 1).end()
                    if not text.startswith('"', i):
                        if text.startswith("}", i):
                            raise self.fail(i, "trailing commas are not allowed")
                        raise self.key_error(i, "a string key in double quotes")
                    # The next key, inlined: this is the hottest path in a schema.
                    try:
                        value, end = scanstring(text, i + 1, True)
                    except ValueError:
                        raise self.string_error(i) from None
                    frame[2] = JsonNode("string", value, i, end, lines)
                    if text.startswith(":", end):
                        i = end + 1
                    else:
                        i = skip(text, end).end()
                        if not text.startswith(":", i):
                            raise self.unexpected(i, "':' after an object key")
                        i += 1
                    if i < n and text[i] in space:
                        i = skip(text, i).end()
                    break
                if c == "}":
                    stack.pop()
                    i += 1
                    node = JsonNode("object", frame[1], frame[0], i, lines)
                    continue
                raise self.unexpected(i, "',' or '}' after an object member")

    def key(self, i: int, expected: str) -> tuple[JsonNode, int]:
        """An object key and its ':'; returns the key node and where the value starts."""
        text = self.text
        if not text.startswith('"', i):
            raise self.key_error(i, expected)
        try:
            value, end = scanstring(text, i + 1, True)
        except ValueError:
            raise self.string_error(i) from None
        key = JsonNode("string", value, i, end, self.lines)
        end = _WHITESPACE.match(text, end).end()
        if not text.startswith(":", end):
            raise self.unexpected(end, "':' after an object key")
        return key, _WHITESPACE.match(text, end + 1).end()

    def key_error(self, i: int, expected: str) -> JsonError:
        text = self.text
        if text.startswith("'", i):
            return self.fail(i, "strings must use double quotes")
        if _WORD.match(text, i) or text[i:i + 1] in _DIGITS:
            return self.fail(i, "object keys must be strings in double quotes")
        return self.unexpected(i, expected)

    def string_error(self, start: int) -> JsonError:
        """Find what the C scanner rejected, to report it at the right character."""
        text, n = self.text, len(self.text)
        j = start + 1
        while True:
            j = _STRING_PLAIN.match(text, j).end()
            if j >= n:
                return self.fail(start, "unterminated string")
            c = text[j]
            if c == "\\":
                escape = text[j + 1:j + 2]
                if not escape:
                    return self.fail(start, "unterminated string")
                if escape in _ESCAPES:
                    j += 2
                elif escape == "u" and _HEX4.match(text, j + 2):
                    j += 6
                elif escape == "u":
                    return self.fail(j, "invalid \\u escape: expected four hex digits")
                else:
                    shown = "\\" + escape
                    return self.fail(j, f"invalid escape {shown!r}")
            elif c == '"':
                return self.fail(start, "invalid string")  # not reached: the scanner accepts such a string
            elif c in "\n\r":
                return self.fail(j, "line break inside a string: close the string or write it as \\n")
            else:
                return self.fail(j, f"control character U+{ord(c):04X} inside a string must be escaped")

    def number(self, i: int) -> tuple[JsonNode, int]:
        text = self.text
        match = _NUMBER.match(text, i)
        if match is None:  # a '-' without a digit
            if text.startswith("-Infinity", i):
                return JsonNode("constant", "-Infinity", i, i + 9, self.lines), i + 9
            raise self.fail(i + 1, "expected a digit after '-'")
        end = match.end()
        fraction, exponent = match.groups()
        after = text[end:end + 1]
        if after in _DIGITS:  # only possible right after a lone 0
            raise self.fail(end - 1, "numbers cannot have leading zeros")
        if fraction is None and after == ".":
            raise self.fail(end + 1, "expected a digit after '.'")
        if exponent is None and after and after in "eE":
            sign = 1 if text[end + 1:end + 2] in ("+", "-") else 0
            raise self.fail(end + 1 + sign, "expected a digit in the exponent")
        token = match.group()
        if fraction is None and exponent is None:
            try:
                value: int | float = int(token)
            except ValueError:  # past sys.get_int_max_str_digits(); json.loads refuses it too
                raise self.fail(i, f"integer is too long ({len(token)} characters)") from None
        else:
            value = float(token)
        return JsonNode("number", value, i, end, self.lines), end

    def word(self, i: int) -> tuple[JsonNode, int]:
        """true, false, null, NaN or Infinity; anything else is an error about the value."""
        text = self.text
        entry = _WORDS.get(text[i:i + 1])
        if entry is not None and text.startswith(entry[0], i):
            token, kind, value = entry
            return JsonNode(kind, value, i, i + len(token), self.lines), i + len(token)
        if text.startswith("'", i):
            raise self.fail(i, "strings must use double quotes")
        word = _WORD.match(text, i)
        if word:
            raise self.fail(i, f"expected a value, found {word.group()!r}")
        raise self.unexpected(i, "a value")

    def unexpected(self, i: int, expected: str) -> JsonError:
        text = self.text
        if i >= len(text):
            return self.fail(len(text), f"unexpected end of input: expected {expected}")
        if text[i] == "/" and text[i + 1:i + 2] in ("/", "*"):
            return self.fail(i, "comments are not allowed in JSON")
        return self.fail(i, f"expected {expected}")
