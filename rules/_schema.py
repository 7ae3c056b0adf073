"""What the schema rules share: which files are schemas, a node walker, and ADS's item layout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from artifact_lint.documents import JsonDocument
from artifact_lint.registry import Rule

if TYPE_CHECKING:  # the JSON parser loads only when an artifact has JSON files
    from artifact_lint.parsers.jsondoc import JsonNode

SCHEMA_FILES = ("input_schema.json", "output_schema.json")
KNOWN_VERSIONS = ("1.0", "1.1")
# ADS's item validator: key -> allowed JSON kinds (None = may be null).
ITEM_KEYS = {
    "dtype": ("string",), "name": ("string", "number"), "required": ("true", "false"),
    "feature_type": ("string", "null"), "description": ("string", "null"), "order": ("number", "null"),
    "domain": ("object", "null"),
}
REQUIRED_ITEM_KEYS = ("dtype", "name", "required")
DOMAIN_KEYS = {"values": ("string", "null"), "stats": ("object", "null"), "constraints": ("array", "null")}
CONSTRAINT_KEYS = {"expression": ("string",), "language": ("string",)}
# Keys ADS's Schema.from_dict needs besides what the validator requires.
LOADER_KEYS = ("feature_type", "description", "domain")

# pandas' dtype vocabulary (pandas.api.types.pandas_dtype accepts each; tests check against pandas itself).
NUMPY_DTYPES = {
    "bool", "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
    "float64", "float128", "longdouble", "complex64", "complex128", "object", "str", "bytes", "int", "float", "complex",
    "datetime64", "timedelta64", "half", "single", "double", "byte", "ubyte", "short", "ushort", "intc", "uintc",
    "intp", "uintp", "longlong", "ulonglong", "clongdouble", "csingle", "cdouble",
}
PANDAS_DTYPES = {
    "category", "string", "string[python]", "string[pyarrow]", "boolean", "Int8", "Int16", "Int32", "Int64", "UInt8",
    "UInt16", "UInt32", "UInt64", "Float32", "Float64", "interval", "period", "datetime64[ns]", "timedelta64[ns]",
}
DTYPE_PATTERNS = (
    re.compile(r"^(datetime|timedelta)64\[(ns|us|ms|s)\]$"),
    re.compile(r"^datetime64\[(ns|us|ms|s), [A-Za-z_+\-/0-9:]+\]$"),
    re.compile(r"^period\[[A-Za-z0-9\-]+\]$"),
    re.compile(r"^interval\[(int64|float64|uint64|datetime64\[ns\]|timedelta64\[ns\])(, (right|left|both|neither))?\]$"),
    re.compile(r"^Sparse\[[a-z0-9]+(, [^\]]+)?\]$"),
    re.compile(r"^[a-z0-9_]+(\[[a-z]+\])?\[pyarrow\]$"),
    re.compile(r"^[<>|=]?[biufcmMOSUV]\d*$"),
)


def is_pandas_dtype(name: str) -> bool:
    return name in NUMPY_DTYPES or name in PANDAS_DTYPES or any(p.match(name) for p in DTYPE_PATTERNS)


def feature_type_for(dtype: str) -> str:
    """The ADS feature type ADS itself gives a column of this dtype."""
    lower = dtype.lower()
    if lower.startswith(("float", "double")):
        return "Continuous"
    if lower.startswith(("int", "uint")):
        return "Integer"
    if lower in ("bool", "boolean", "bool_"):
        return "Boolean"
    if lower == "category":
        return "Category"
    if lower.startswith(("datetime", "timedelta")):
        return "DateTime"
    if lower.startswith(("object", "string", "str")):
        return "String"
    return "Unknown"


def iter_nodes(root: JsonNode) -> Iterator[JsonNode]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if node.kind == "object":
            stack.extend(value for _, value in reversed(node.value))
        elif node.kind == "array":
            stack.extend(reversed(node.value))


def schema_items(root: JsonNode | None) -> list[JsonNode]:
    """The column entries of a schema (empty when the layout is wrong: SCH003 says why)."""
    if root is None or root.kind != "object":
        return []
    schema = root.get("schema")
    return list(schema.value) if schema is not None and schema.kind == "array" else []


def item_name(item: JsonNode) -> str | None:
    node = item.get("name") if item.kind == "object" else None
    return str(node.value) if node is not None and node.kind in ("string", "number") else None


class SchemaRule(Rule):
    """A rule about input_schema.json / output_schema.json when it parsed."""

    default_path = "input_schema.json"

    def check(self, ctx):
        for name in SCHEMA_FILES:
            path = ctx.artifact.member(name)
            document = ctx.documents.json(path) if path in ctx.artifact.entries else None
            if document is not None and document.root is not None:
                yield from self.check_schema(ctx, document, document.root)

    def check_schema(self, ctx, document: JsonDocument, root: JsonNode):
        raise NotImplementedError
