"""Parsed artifact files with exact positions, loaded once and shared by every rule.

score.py is parsed with the stdlib `ast` (about 1 ms; libcst is kept for
fixes), runtime.yaml is *composed* (nodes with marks, no objects constructed,
duplicate keys kept) by our own reader, or by PyYAML for what that declines.
Anything that cannot be read or parsed is recorded on the document instead of
raised, so every rule can still run.
"""

from __future__ import annotations

import ast
import codecs
import io
import tokenize
from typing import NamedTuple
from functools import cached_property

from artifact_lint.artifact import RUNTIME_YAML, SCORE_PY, Artifact, FileTooLarge, ReadError
from artifact_lint.diagnostics import Edit, Position, Span
from artifact_lint.parsers.positions import LINE_BREAK, LineIndex
from artifact_lint.parsers.yaml_compose import YamlSyntaxError, compose
from artifact_lint.parsers.yaml_nodes import Node

MAX_SOURCE_BYTES = 16 * 1024 * 1024
# A real runtime.yaml is about 1 KB; anything past this is not one.
MAX_RUNTIME_YAML_BYTES = 1024 * 1024
# JSON files (schemas, manifest) larger than this are measured, not parsed.
MAX_JSON_BYTES = 16 * 1024 * 1024

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class TextDocument:
    """A text file with its lines, for positions, excerpts and suppression comments."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text

    @cached_property
    def lines(self) -> list[str]:
        """Lines as ast, PyYAML and the JSON parser count them (not str.splitlines, which also breaks
        on form feeds and Unicode separators)."""
        lines = LINE_BREAK.split(self.text)
        return lines[:-1] if lines and lines[-1] == "" else lines

    @cached_property
    def positions(self) -> LineIndex:
        return LineIndex(self.text)

    def source(self, span: Span) -> str:
        """The text a span covers (ast.get_source_segment splits the whole file in pure Python each call)."""
        return self.text[self.positions.offset(span.start):self.positions.offset(span.end)]

    def line(self, number: int) -> str:
        """Line `number` (1-based), or "" past the end."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def whole_span(self) -> Span:
        """From the first character to the end, for edits that replace the whole file."""
        return self.positions.span(0, len(self.text))

    def append_edit(self, content: str) -> Edit:
        """An edit adding whole lines at the end of the file, after a line break if it lacks one."""
        end = self.positions.position(len(self.text))
        prefix = "\n" if self.text and not self.text.endswith(("\n", "\r")) else ""
        return Edit(self.path, Span(end, end), prefix + content)

    def line_span(self, number: int) -> Span:
        """All of line `number` with its line break, for edits that delete the line."""
        if number < len(self.lines):
            return Span.of(number, 1, number + 1, 1)
        return Span.of(number, 1, number, len(self.line(number)) + 1)



class Problem(NamedTuple):
    """Why a file could not be used: unreadable, undecodable or unparseable."""

    message: str
    span: Span | None = None
    kind: str = "parse"  # "read" | "too-large" | "decode" | "parse"


def text_encoding(data: bytes) -> tuple[bytes, str]:
    """The BOM a data file starts with (or b"") and the codec of the text after it: a BOM decides, else UTF-8."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return bom, encoding
    return b"", "utf-8"


def decode_text(data: bytes, path: str) -> str:
    """Decode as the consumers would, without the BOM; raises UnicodeDecodeError."""
    bom, encoding = text_encoding(data)
    try:
        return data[len(bom):].decode(encoding)
    except UnicodeDecodeError as error:  # positions in the whole file, BOM included
        raise UnicodeDecodeError(encoding, data, error.start + len(bom), error.end + len(bom), error.reason) from None


def describe_decode_error(data: bytes, error: UnicodeDecodeError, path: str) -> Problem:
    before = data[: error.start]
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
    bad = data[error.start: error.start + 1].hex()
    return Problem(
        f"{path} is not valid UTF-8 text (byte 0x{bad} at line {line}, column {column})",
        Span.of(line, column, line, column + 1),
        "decode",
    )


class PythonDocument(TextDocument):
    """score.py: its text, its ast (or the syntax error), and ast -> span conversion."""

    def __init__(self, path: str, text: str, tree: ast.Module | None, problem: Problem | None):
        super().__init__(path, text)
        self.tree = tree
        self.problem = problem

    @classmethod
    def parse(cls, path: str, data: bytes) -> "PythonDocument":
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding)
        except SyntaxError as error:  # unknown coding cookie
            return cls(path, data.decode("utf-8", "replace"), None, Problem(f"{path}: {error.msg}", None, "decode"))
        except (UnicodeDecodeError, LookupError) as error:
            if isinstance(error, UnicodeDecodeError):
                problem = describe_decode_error(data, error, path)
            else:
                problem = Problem(f"{path} declares an unknown encoding: {error}", None, "decode")
            return cls(path, data.decode("utf-8", "replace"), None, problem)
        if text.startswith("\ufeff"):
            text = text[1:]
        try:
            tree = ast.parse(text, filename=path)
        except SyntaxError as error:
            return cls(path, text, None, syntax_problem(error, text))
        except ValueError as error:  # NUL bytes on Python 3.11
            return cls(path, text, None, Problem(f"{path} cannot be compiled: {error}", *_nul_span(text)))
        except (RecursionError, MemoryError):
            return cls(path, text, None, Problem(f"{path} is nested too deeply for Python to compile it", None))
        return cls(path, text, tree, None)

    def span(self, node: ast.AST) -> Span:
        """Exact span of an ast node, columns converted from UTF-8 bytes to code points."""
        line = node.lineno
        end_line = getattr(node, "end_lineno", None) or line
        end_col = getattr(node, "end_col_offset", None)
        start = self._column(line, node.col_offset)
        end = self._column(end_line, end_col) if end_col is not None else start + 1
        return Span.of(line, start, end_line, end)

    def name_span(self, node: ast.AST, name: str, keyword: str = "") -> Span:
        """Span of `name` inside the header of a def/class (ast gives only the statement's)."""
        line = node.lineno
        text = self.line(line)
        start_col = self._column(line, node.col_offset) - 1
        search_from = text.find(keyword, start_col) + len(keyword) if keyword else start_col
        index = text.find(name, max(search_from, start_col))
        if index < 0:
            return self.span(node)
        return Span.of(line, index + 1, line, index + 1 + len(name))

    def _column(self, line: int, byte_offset: int) -> int:
        text = self.line(line)
        if text.isascii():
            return byte_offset + 1
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "ignore")) + 1


def _nul_span(text: str) -> tuple[Span | None]:
    index = text.find("\0")
    if index < 0:
        return (None,)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return (Span.of(line, column, line, column + 1),)


def syntax_problem(error: SyntaxError, text: str) -> Problem:
    if error.lineno is None:  # e.g. NUL bytes: Python gives no position, so find it ourselves
        return Problem(error.msg, *_nul_span(text))
    line = error.lineno
    column = max(error.offset or 1, 1)
    end_line = getattr(error, "end_lineno", None) or line
    end_column = getattr(error, "end_offset", None) or column + 1
    if (end_line, end_column) <= (line, column):
        end_line, end_column = line, column + 1
    return Problem(error.msg, Span.of(line, column, end_line, end_column))


class YamlDocument(TextDocument):
    """runtime.yaml as composed nodes: marks for every value, duplicates preserved."""

    def __init__(self, path: str, text: str, root: Node | None, problem: Problem | None):
        super().__init__(path, text)
        self.root = root
        self.problem = problem

    @classmethod
    def parse(cls, path: str, data: bytes) -> "YamlDocument":
        try:
            text = decode_text(data, path)
        except UnicodeDecodeError as error:
            return cls(path, data.decode("utf-8", "replace"), None, describe_decode_error(data, error, path))
        if text.startswith("\ufeff"):
            text = text[1:]
        try:
            root = compose(text)
        except YamlSyntaxError as error:
            line, column = error.position or (0, 0)
            span = Span.of(line + 1, column + 1, line + 1, column + 2) if error.position else None
            return cls(path, text, None, Problem(error.message, span))
        except (RecursionError, MemoryError):
            return cls(path, text, None, Problem("nested too deeply to parse", None))
        return cls(path, text, root, None)


class JsonDocument(TextDocument):
    """A JSON file (schemas, manifest) parsed with positions; NaN tokens and duplicate keys kept."""

    def __init__(self, path: str, text: str, root, problem: Problem | None, size: int):
        super().__init__(path, text)
        self.root = root
        self.problem = problem
        self.size = size

    @classmethod
    def parse(cls, path: str, data: bytes, size: int) -> "JsonDocument":
        from artifact_lint.parsers.jsondoc import JsonError, parse_json

        try:
            text = decode_text(data, path)
        except UnicodeDecodeError as error:
            return cls(path, data.decode("utf-8", "replace"), None, describe_decode_error(data, error, path), size)
        if text.startswith("\ufeff"):
            text = text[1:]
        try:
            return cls(path, text, parse_json(text), None, size)
        except JsonError as error:
            position = error.position
            return cls(path, text, None, Problem(error.message, Span(position, Position(position.line, position.column + 1))),
                       size)


def node_span(node: Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(Position(start.line + 1, start.column + 1), Position(end.line + 1, end.column + 1))


class Documents:
    """Lazy, cached access to the parsed files of one artifact (parsed at most once)."""

    def __init__(self, artifact: Artifact):
        self.artifact = artifact
        self.read_problems: dict[str, Problem] = {}
        self._json: dict[str, JsonDocument | None] = {}
        self._python: dict[str, PythonDocument | None] = {}

    def locate(self, name: str) -> str | None:
        """The container path of score.py / runtime.yaml: at the root, else the one misplaced copy."""
        at_root = self.artifact.member(name)
        if self.artifact.is_file(at_root):
            return at_root
        found = self.artifact.locate(name)
        return found[0] if len(found) == 1 else None

    def read(self, path: str, limit: int) -> bytes | None:
        try:
            return self.artifact.read_bytes(path, limit)
        except FileTooLarge as error:
            self.read_problems[path] = Problem(str(error), None, "too-large")
        except ReadError as error:
            self.read_problems[path] = Problem(str(error), None, "read")
        return None

    @cached_property
    def score(self) -> PythonDocument | None:
        path = self.locate(SCORE_PY)
        data = self.read(path, MAX_SOURCE_BYTES) if path else None
        return PythonDocument.parse(path, data) if data is not None else None

    @cached_property
    def runtime(self) -> YamlDocument | None:
        path = self.locate(RUNTIME_YAML)
        if path is None:
            return None
        data = self.read(path, MAX_RUNTIME_YAML_BYTES)
        if data is None:
            problem = self.read_problems[path]
            if problem.kind == "too-large":
                return YamlDocument(path, "", None, Problem(
                    f"{problem.message}; a runtime.yaml is about 1 KB, so this is not one", None, "too-large"))
            return None
        return YamlDocument.parse(path, data)

    def json(self, path: str) -> JsonDocument | None:
        """A JSON file of the artifact, parsed once; None when absent, unreadable or too large to parse."""
        cache = self._json
        if path not in cache:
            entry = self.artifact.entries.get(path)
            data = self.read(path, MAX_JSON_BYTES) if entry is not None and entry.kind != "dir" else None
            cache[path] = JsonDocument.parse(path, data, len(data)) if data is not None else None
        return cache[path]

    def python(self, path: str) -> PythonDocument | None:
        """Another Python file of the artifact (a helper module score.py imports), parsed once."""
        cache = self._python
        if path not in cache:
            entry = self.artifact.entries.get(path)
            data = self.read(path, MAX_SOURCE_BYTES) if entry is not None and entry.kind != "dir" else None
            cache[path] = PythonDocument.parse(path, data) if data is not None else None
        return cache[path]

    def text_documents(self) -> list[TextDocument]:
        """score.py, runtime.yaml and helper modules if already loaded: the files that can hold suppression comments."""
        loaded = [self.__dict__.get("score"), self.__dict__.get("runtime"), *self._python.values()]
        return [document for document in loaded if document is not None]

    def loaded_documents(self) -> list[TextDocument]:
        """Every text document loaded so far, for source excerpts (never forces a parse)."""
        json_documents = [d for d in self._json.values() if d is not None]
        return self.text_documents() + json_documents
