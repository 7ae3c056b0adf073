"""A small, strict reader for the YAML that runtime.yaml files actually contain, so a lint need not import PyYAML.

It composes the plain subset (block mappings and sequences nested by indentation, single-line plain
or quoted scalars without escapes, comments, an optional leading `---`) into the same nodes, tags,
styles and marks libyaml's composer gives, and answers None ("not mine") for anything else: flow
collections, anchors, aliases, tags, block or multi-line scalars, escapes, tabs, CR line breaks,
directives, several documents, and plain scalars whose YAML 1.1 type it cannot tell for certain
(`0x1F`, `1_000`, `2024-01-01`, `1e5`...). Those, and every malformed document, go to PyYAML.

A block collection ends where the next token starts, or at the end of the text (see end_mark); an
empty value sits right after its `:` or `-`.
"""

from __future__ import annotations

import re

from artifact_lint.parsers.yaml_nodes import (
    BOOL, FLOAT, INT, MAP, MERGE, NULL, SEQ, STR, VALUE, MappingNode, Node, ScalarNode, SequenceNode,
)

_BOOLS = frozenset("yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF".split())
_NULLS = frozenset(("~", "null", "Null", "NULL"))
_SPECIAL_FLOATS = frozenset((".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"))
# First characters of the implicit resolvers (bool, null, int, float, timestamp, merge, value): any
# other plain scalar is a str.
_RESOLVED_FIRST = frozenset("yYnNtTfFoO~-+0123456789.<=")
_DIGITS = frozenset("0123456789")
# libyaml rejects a key whose `:` is more than 1024 characters past its start; keep well clear.
_LONGEST_KEY = 1000
# Characters that cannot start a plain scalar (`-` can, before a non-space).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
# A plain scalar starting with none of these is certainly a str (no indicator, no resolver): most keys and values.
_ORDINARY_FIRST = frozenset(_RESOLVED_FIRST | _INDICATORS)


# The usual line, `key:` alone or with a one-line single-quoted, double-quoted or plain value, read in one match
# exactly as key(), value() and scalar() read it; any other line (quoted keys, comments, escapes, flow, `''`) is
# theirs. Group 1 is the key, 2-4 the value's text; a key of a letter or `_` then word characters is a str unless
# it is a bool or null word, a plain value is checked by plain_value.
_SIMPLE_PAIR = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,200}):(?:$| +(?:'([^']*)'|\"([^\"\\]*)\"|([^\s#'\"][^#]*?)) *$)",
                          re.ASCII)

# The reader gives its nodes plain (index, line, column) tuples for marks: they become Marks when read.
RawMark = tuple[int, int, int]


class _Decline(Exception):
    """The document is outside the subset: PyYAML reads it."""


def read(text: str) -> Node | None:
    """The composed root node, or None when the text is not in the subset (or is empty)."""
    try:
        return _Reader(text).document()
    except (_Decline, RecursionError):  # libyaml composes deeper nesting than this reader's recursion
        return None


def _plain_tag(text: str) -> str:
    """The tag PyYAML's implicit resolver gives a plain scalar, or _Decline when not certain."""
    first = text[0]
    if first not in _RESOLVED_FIRST:
        return STR
    if text in _BOOLS:
        return BOOL
    if text in _NULLS:
        return NULL
    if first.isalpha() or first == "~":
        return STR
    if first in "<=":
        return MERGE if text == "<<" else VALUE if text == "=" else STR
    if first in "-+" and (len(text) == 1 or text[1] not in _DIGITS and text[1] != "."):
        return STR  # every signed number has a digit or `.` after the sign
    if first == ".":
        if text in _SPECIAL_FLOATS:
            return FLOAT
        if len(text) == 1 or text[1] not in _DIGITS:
            return STR
    if _is_float(text):
        return FLOAT
    if _is_int(text):
        return INT
    raise _Decline


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _is_int(text: str) -> bool:
    """`[-+]?(0|[1-9][0-9]*)`: a decimal int, certain to resolve as one (no `_`, octal, hex or base 60)."""
    body = text[1:] if text[0] in "-+" else text
    return _digits(body) and (body == "0" or body[0] != "0")


def _is_float(text: str) -> bool:
    """`[-+]?[0-9]+\\.[0-9]*` or `\\.[0-9]+`: a float, certain to resolve as one (no `_`, exponent or base 60)."""
    if text[0] == ".":
        return _digits(text[1:])
    whole, dot, fraction = (text[1:] if text[0] in "-+" else text).partition(".")
    return bool(dot) and _digits(whole) and (not fraction or _digits(fraction))


def _is_entry(line: str, column: int) -> bool:
    """A block sequence entry (`-` then a space or the line's end) at `column`."""
    return line.startswith("-", column) and (len(line) == column + 1 or line[column + 1] == " ")


def _plain_start(value: str) -> bool:
    """`value` may be a plain scalar: it starts with no indicator (`-` only before a non-space)."""
    first = value[:1]
    if not first:
        return False
    return first not in _INDICATORS or (first == "-" and len(value) > 1 and value[1] != " ")


def _rest_is_blank(line: str, column: int) -> bool:
    """Only spaces and perhaps a comment (after a space) from `column` on."""
    rest = line[column:]
    stripped = rest.lstrip(" ")
    return not stripped or (stripped[0] == "#" and len(stripped) < len(rest))


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.lines = lines = text.split("\n")
        self.starts = starts = []  # each line's offset in the text
        # The lines with tokens on them: (line number, indentation).
        self.content = content = []
        offset = 0
        started = False  # a `---` opened the document
        for number, line in enumerate(lines):
            starts.append(offset)
            offset += len(line) + 1
            if not line.isprintable():
                # Tabs, CR, NEL, U+2028/9, BOM, controls, surrogates, and (stricter than YAML, which is
                # safe) no-break spaces, format and unassigned characters: PyYAML reads those.
                raise _Decline
            body = line.lstrip(" ")
            if not body or body[0] == "#":
                continue
            indent = len(line) - len(body)
            if indent == 0 and body[:3] in ("---", "...") and (len(body) == 3 or body[3] == " "):
                if content or started or body != "---":
                    raise _Decline  # a document end, a second document, or content after `---`
                started = True
                continue
            content.append((number, indent))

    def mark(self, line: int, column: int) -> RawMark:
        return (self.starts[line] + column, line, column)

    def scalar_node(self, tag: str, value: str, line: int, column: int, end: int, style: str = "") -> ScalarNode:
        """A one-line scalar from `column` to `end` on `line`."""
        start = self.starts[line]
        return ScalarNode(tag, value, (start + column, line, column), (start + end, line, end), style)

    def plain_node(self, value: str, line: int, column: int) -> ScalarNode:
        """The plain scalar `value` at `column` on `line`; _Decline when it cannot start so or its type is uncertain."""
        first = value[:1]
        if not first or first in _ORDINARY_FIRST:
            if not _plain_start(value):
                raise _Decline
            tag = _plain_tag(value)
        else:
            tag = STR
        start = self.starts[line] + column
        return ScalarNode(tag, value, (start, line, column), (start + len(value), line, column + len(value)), "")

    def plain_value(self, value: str, line: int, column: int) -> ScalarNode:
        """A plain scalar that is the rest of a line; _Decline when it holds `: ` or ends with `:` (a mapping)."""
        if ": " in value or value.endswith(":"):
            raise _Decline
        return self.plain_node(value, line, column)

    def end_mark(self, k: int, column: int) -> RawMark:
        """Where a block collection at `column` ending before content line `k` ends: that line's first token, else
        the text's end, which libyaml moves to the start of a further line before closing collections that
        are not indented past the last line's length."""
        if k < len(self.content):
            line, indent = self.content[k]
            return self.mark(line, indent)
        last = len(self.lines) - 1
        length = len(self.lines[last])
        if column > length or not length:
            return (len(self.text), last, length)
        return (len(self.text), last + 1, 0)

    def document(self) -> Node | None:
        if not self.content:
            raise _Decline  # empty: compose gives None, let PyYAML say so
        node, k = self.block(0)
        if k != len(self.content):
            raise _Decline
        return node

    def block(self, k: int) -> tuple[Node, int]:
        """The block mapping or sequence starting at content line `k`'s indentation."""
        line, indent = self.content[k]
        if _is_entry(self.lines[line], indent):
            return self.sequence(k, indent, indentless=False)
        return self.mapping(k, indent)

    def mapping(self, k: int, column: int) -> tuple[MappingNode, int]:
        """A block mapping whose keys start at `column`, the first on content line `k`."""
        pairs = []
        content = self.content
        count = len(content)
        lines = self.lines
        while True:
            line = content[k][0]
            simple = _SIMPLE_PAIR.match(lines[line], column)
            if simple is not None:  # what key() and value() would read, in one match
                key, value = self.simple_pair(simple, line)
                if value is None:  # `key:` and nothing after it: the value is a block below, or null
                    value, k = self.value(k, line, simple.end(1) + 1, column)
                else:
                    k += 1
                pairs.append((key, value))
            else:
                found = self.key(line, column)
                if found is None:
                    raise _Decline
                value, k = self.value(k, line, found[1], column)
                pairs.append((found[0], value))
            if k == count or content[k][1] < column:
                return MappingNode(MAP, pairs, pairs[0][0]._start, self.end_mark(k, column)), k
            if content[k][1] > column:
                raise _Decline  # a continuation line or a misindented key

    def simple_pair(self, match, line: int) -> tuple[ScalarNode, ScalarNode | None]:
        """The key and one-line value (None: none on the line) of a _SIMPLE_PAIR match on `line`."""
        name = match.group(1)
        column, end = match.span(1)
        key = self.scalar_node(BOOL if name in _BOOLS else NULL if name in _NULLS else STR, name, line, column, end)
        group = match.lastindex
        if group == 1:
            return key, None
        text = match.group(group)
        column, end = match.span(group)
        if group == 4:
            return key, self.plain_value(text, line, column)
        return key, self.scalar_node(STR, text, line, column - 1, end + 1, "'" if group == 2 else '"')

    def sequence(self, k: int, column: int, indentless: bool) -> tuple[SequenceNode, int]:
        """A block sequence whose `-` are at `column`; `indentless` when it is a mapping value at the mapping's indentation."""
        items = []
        count = len(self.content)
        start = None
        while True:
            line = self.content[k][0]
            text = self.lines[line]
            if start is None:
                start = self.mark(line, column)
            at = column + 1
            while text.startswith(" ", at):
                at += 1
            if _rest_is_blank(text, column + 1):
                if k + 1 < count and self.content[k + 1][1] > column:
                    item, k = self.block(k + 1)
                else:
                    mark = self.mark(line, column + 1)
                    item, k = ScalarNode(NULL, "", mark, mark), k + 1
            elif _is_entry(text, at):
                raise _Decline  # `- - x`
            elif self.key(line, at) is not None:
                item, k = self.mapping(k, at)
            else:
                item, k = self.scalar(line, at), k + 1
            items.append(item)
            if k == count or self.content[k][1] < column:
                break
            if self.content[k][1] > column:
                raise _Decline
            if not _is_entry(self.lines[self.content[k][0]], column):
                if indentless:
                    break
                raise _Decline
        return SequenceNode(SEQ, items, start, self.end_mark(k, column)), k

    def value(self, k: int, line: int, after: int, column: int) -> tuple[Node, int]:
        """The value of the key on content line `k` (its `:` ends at `after`) in a mapping at `column`."""
        rest = self.lines[line][after:]
        stripped = rest.lstrip(" ")
        if stripped and (stripped[0] != "#" or len(stripped) == len(rest)):
            return self.scalar(line, after + len(rest) - len(stripped)), k + 1
        if k + 1 < len(self.content):
            next_line, indent = self.content[k + 1]
            if indent > column:
                return self.block(k + 1)
            if indent == column and _is_entry(self.lines[next_line], indent):
                return self.sequence(k + 1, indent, indentless=True)
        mark = self.mark(line, after)
        return ScalarNode(NULL, "", mark, mark), k + 1

    def key(self, line: int, column: int) -> tuple[ScalarNode, int] | None:
        """The key at `column` and the column after its `:`, or None when the line there holds no key."""
        text = self.lines[line]
        first = text[column]
        if first in "'\"":
            end = self.quoted_end(text, column)
            colon = end
            while text.startswith(" ", colon):
                colon += 1
            if not text.startswith(":", colon):
                return None
            if colon + 1 < len(text) and text[colon + 1] != " " or colon - column > _LONGEST_KEY:
                raise _Decline
            return self.scalar_node(STR, text[column + 1:end - 1], line, column, end, first), colon + 1
        colon = text.find(": ", column)
        if colon < 0:
            colon = len(text) - 1 if text.endswith(":") else -1
        comment = text.find(" #", column, colon)
        if colon < 0 or comment >= 0:
            return None
        value = text[column:colon]
        if value.endswith(" "):
            value = value.rstrip(" ")
        if colon - column > _LONGEST_KEY:
            raise _Decline
        return self.plain_node(value, line, column), colon + 1

    def scalar(self, line: int, column: int) -> ScalarNode:
        """A scalar that is the rest of the line (a comment may follow)."""
        text = self.lines[line]
        first = text[column]
        if first in "'\"":
            end = self.quoted_end(text, column)
            if end < len(text) and not _rest_is_blank(text, end):
                raise _Decline
            return self.scalar_node(STR, text[column + 1:end - 1], line, column, end, first)
        comment = text.find(" #", column)
        value = text[column:comment] if comment >= 0 else text[column:]
        if value.endswith(" "):
            value = value.rstrip(" ")
        return self.plain_value(value, line, column)

    @staticmethod
    def quoted_end(text: str, column: int) -> int:
        """The column after the closing quote of the quoted scalar at `column`; _Decline for escapes or none."""
        quote = text[column]
        close = text.find(quote, column + 1)
        if close < 0 or quote == '"' and "\\" in text[column + 1:close]:
            raise _Decline
        if text.startswith(quote, close + 1):
            raise _Decline  # `''` inside single quotes
        return close + 1
