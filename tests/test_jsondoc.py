"""The positioned JSON parser: spans, duplicates, json.loads parity, strict errors, no recursion."""

from __future__ import annotations

import gc
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact_lint.diagnostics import Position, Span
from artifact_lint.parsers.jsondoc import JsonError, JsonNode, parse_json

DOCUMENT = (
    "{\n"
    '  "name": "température",\n'
    '  "😀ünï": [1, -2.5e3, true],\n'
    '  "nested": {"x": null, "y": NaN}\n'
    "}\n"
)


def same(a: object, b: object) -> bool:
    """Equal as json.loads results: types, key order and NaN included (json.dumps tells them apart)."""
    return json.dumps(a) == json.dumps(b)


def depth(value: object) -> int:
    """How deeply a value nests lists/dicts of one element, counted without recursion."""
    levels = 0
    while isinstance(value, (list, dict)) and value:
        value = value[0] if isinstance(value, list) else next(iter(value.values()))
        levels += 1
    return levels


def source(text: str, span: Span) -> str:
    """The text a span covers, worked out independently of the parser (documents use \\n only)."""
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    return text[starts[span.start.line - 1] + span.start.column - 1: starts[span.end.line - 1] + span.end.column - 1]


def walk(node: JsonNode):
    pending = [node]
    while pending:
        node = pending.pop()
        yield node
        if node.kind == "array":
            pending.extend(node.value)
        elif node.kind == "object":
            for key, value in node.value:
                pending.extend((key, value))


# Spans


def test_spans_of_keys_and_values_in_a_multiline_document():
    root = parse_json(DOCUMENT)
    assert root.kind == "object"
    assert root.span == Span.of(1, 1, 5, 2)
    name_key, name = root.value[0]
    assert (name_key.kind, name_key.value, name_key.span) == ("string", "name", Span.of(2, 3, 2, 9))
    assert (name.value, name.span) == ("température", Span.of(2, 11, 2, 24))


def test_columns_count_code_points_after_non_ascii_characters():
    root = parse_json(DOCUMENT)
    key, array = root.value[1]
    assert key.value == "😀ünï"
    assert key.span == Span.of(3, 3, 3, 9)  # the emoji is one column, not two UTF-16 units
    assert array.span == Span.of(3, 11, 3, 28)
    assert [(item.kind, item.value, item.span) for item in array.value] == [
        ("number", 1, Span.of(3, 12, 3, 13)),
        ("number", -2500.0, Span.of(3, 15, 3, 21)),
        ("true", True, Span.of(3, 23, 3, 27)),
    ]


def test_nested_object_and_constant_spans():
    nested = parse_json(DOCUMENT).get("nested")
    assert nested is not None and nested.span == Span.of(4, 13, 4, 34)
    assert nested.keys() == ["x", "y"]
    assert (nested.get("x").kind, nested.get("x").span) == ("null", Span.of(4, 19, 4, 23))
    constant = nested.get("y")
    assert (constant.kind, constant.value, constant.span) == ("constant", "NaN", Span.of(4, 30, 4, 33))


def test_every_span_covers_exactly_its_value_text():
    root = parse_json(DOCUMENT)
    texts = {source(DOCUMENT, node.span) for node in walk(root)}
    assert {'"name"', '"température"', '"😀ünï"', "[1, -2.5e3, true]", "-2.5e3", "NaN", '{"x": null, "y": NaN}'} <= texts
    assert source(DOCUMENT, root.span) == DOCUMENT.rstrip("\n")


def test_crlf_and_lone_cr_each_end_one_line():
    text = '{\r\n  "a": 1,\r\n  "b": [\r\n    true\r\n  ]\r\n}\r\n'
    root = parse_json(text)
    assert root.span == Span.of(1, 1, 6, 2)
    assert root.get("a").span == Span.of(2, 8, 2, 9)
    assert root.get("b").span == Span.of(3, 8, 5, 4)
    assert root.get("b").value[0].span == Span.of(4, 5, 4, 9)
    assert parse_json('{\r"a":\r\r 1}').get("a").span == Span.of(4, 2, 4, 3)
    assert parse_json('{\n"a":\r\n\r 1}').get("a").span == Span.of(4, 2, 4, 3)


def test_crlf_error_positions():
    with pytest.raises(JsonError) as caught:
        parse_json('{\r\n  "a": 1,\r\n}\r\n')
    assert caught.value.position == Position(3, 1)


# Duplicates and lookups


def test_duplicate_keys_are_kept_and_get_returns_the_last():
    text = '{"a": 1, "b": 2, "a": {"c": 3}}'
    root = parse_json(text)
    assert [(key.value, key.span.start.column) for key, _ in root.value] == [("a", 2), ("b", 10), ("a", 18)]
    assert root.keys() == ["a", "b"]
    last = root.get("a")
    assert last is root.value[2][1] and last.span == Span.of(1, 23, 1, 31)
    assert root.get("missing") is None
    assert root.to_python() == json.loads(text) == {"a": {"c": 3}, "b": 2}
    assert list(root.to_python()) == list(json.loads(text))


def test_get_and_keys_on_non_objects():
    array = parse_json('[{"a": 1}]')
    assert array.get("a") is None and array.keys() == []
    assert parse_json('"a"').get("a") is None


def test_repr_is_shallow_and_short():
    assert repr(parse_json('{"a": [1, 2]}')) == "JsonNode(object, 1 items, 1:1-1:14)"
    assert repr(parse_json(' "x"')) == "JsonNode(string, 'x', 1:2-1:5)"


# Parity with json.loads


@pytest.mark.parametrize("text", [
    '{"a": [1, 2.5, -0.0, 1e400, -1E-3, 12345678901234567890], "b": {"c": null, "d": [true, false]}}',
    '"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/\\b\\f\\r"',
    '"\\ud800 lone surrogate \\udc00"',
    '[[], {}, [[]], {"": ""}, "", 0, -0, 0.5e+2]',
    '{"a": 1, "a": 2, "b": 3, "a": 4}',
    ' \t\r\n 42 \n',
    '{"schema": [{"name": "x", "dtype": "float64", "domain": {"stats": {"mean": NaN, "max": Infinity, "min": -Infinity}}}]}',
])
def test_to_python_matches_json_loads(text):
    assert same(parse_json(text).to_python(), json.loads(text))


def test_constants_become_floats():
    root = parse_json("[NaN, Infinity, -Infinity]")
    assert [(node.kind, node.value) for node in root.value] == [
        ("constant", "NaN"), ("constant", "Infinity"), ("constant", "-Infinity")]
    nan, inf, minus_inf = root.to_python()
    assert math.isnan(nan) and inf == math.inf and minus_inf == -math.inf
    assert math.isnan(parse_json("NaN").to_python())


def test_lone_surrogate_escapes_are_allowed_like_python():
    assert parse_json('"\\ud800"').value == "\ud800" == json.loads('"\\ud800"')


def test_numbers_keep_int_and_float_apart():
    root = parse_json("[1, 1.0, 1e2, -0]")
    assert [type(node.value) for node in root.value] == [int, float, float, int]


# Rejections, each at the offending character


REJECTED = [
    ('{"a": 1,}', "trailing commas", 1, 9),  # the '}' is the 9th character
    ('{"a": 1, }', "trailing commas", 1, 10),
    ("[1, 2,\n]", "trailing commas", 2, 1),
    ("{'a': 1}", "double quotes", 1, 2),
    ("[\"a\", 'b']", "double quotes", 1, 7),
    ('{"a": 1 // note\n}', "comments are not allowed", 1, 9),
    ("/* c */ {}", "comments are not allowed", 1, 1),
    ("[1, /* c */ 2]", "comments are not allowed", 1, 5),
    ("{a: 1}", "object keys must be strings", 1, 2),
    ('{"a": 1, b: 2}', "object keys must be strings", 1, 10),
    ("{1: 2}", "object keys must be strings", 1, 2),
    ("01", "leading zeros", 1, 1),
    ("[-012]", "leading zeros", 1, 3),
    ('"a\tb"', "U+0009", 1, 3),
    ('["ok", "a\x00"]', "U+0000", 1, 10),
    ('{"k\x1f": 1}', "U+001F", 1, 4),
    ('"a\nb"', "line break inside a string", 1, 3),
    ('["\\x"]', "invalid escape '\\\\x'", 1, 3),
    ('"ab\\u12G4"', "invalid \\u escape", 1, 4),
    ('{"a": "abc', "unterminated string", 1, 7),
    ('"abc\\', "unterminated string", 1, 1),
    ('{"a": 1} x', "extra data", 1, 10),
    ("[1]\n\n  [2]", "extra data", 3, 3),
    ("{} {}", "extra data", 1, 4),
    ("", "the file is empty", 1, 1),
    ("[1, 2", "unexpected end of input", 1, 6),
    ('{"a": 1\n', "unexpected end of input", 2, 1),
    ('{"a" 1}', "expected ':' after an object key", 1, 6),
    ('{"a": 1 "b": 2}', "expected ',' or '}' after an object member", 1, 9),
    ("[1 2]", "expected ',' or ']' after an array element", 1, 4),
    ("[True]", "found 'True'", 1, 2),
    ("[nul]", "found 'nul'", 1, 2),
    ("-", "expected a digit after '-'", 1, 2),
    ("-NaN", "expected a digit after '-'", 1, 2),
    ("[1.]", "expected a digit after '.'", 1, 4),
    ("1.e5", "expected a digit after '.'", 1, 3),
    ("1e", "expected a digit in the exponent", 1, 3),
    ("2.5E+", "expected a digit in the exponent", 1, 6),
    ("+1", "expected a value", 1, 1),
    ('{"a": }', "expected a value", 1, 7),
    ("[,1]", "expected a value", 1, 2),
    ("{,}", "expected a string key", 1, 2),
    ("[\u00a01]", "expected a value", 1, 2),  # no-break space is not JSON whitespace
    ("1" * 5000, "integer is too long", 1, 1),
]


@pytest.mark.parametrize("text, message, line, column", REJECTED)
def test_rejections_point_at_the_offending_character(text, message, line, column):
    with pytest.raises(JsonError) as caught:
        parse_json(text)
    assert message in caught.value.message
    assert str(caught.value) == caught.value.message
    assert caught.value.position == Position(line, column)


@pytest.mark.parametrize("text", [case[0] for case in REJECTED])
def test_json_loads_rejects_them_too(text):
    with pytest.raises(ValueError):
        json.loads(text)


def test_whitespace_only_is_empty_and_points_at_the_end():
    with pytest.raises(JsonError, match="the file is empty") as caught:
        parse_json("  \n\t ")
    assert caught.value.position == Position(2, 3)


def test_the_first_error_message_is_human():
    with pytest.raises(JsonError) as caught:
        parse_json('{"a": 1 "b": 2}')
    assert str(caught.value) == "expected ',' or '}' after an object member"


def test_garbage_collection_is_switched_back_on():
    parse_json("[1]")
    assert gc.isenabled()
    with pytest.raises(JsonError):
        parse_json("[1,]")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_json("[1]")
        assert not gc.isenabled()  # a caller's choice is left alone
    finally:
        gc.enable()


# No recursion


def test_deeply_nested_arrays_parse_without_recursion():
    levels = 100_000
    root = parse_json("[" * levels + "]" * levels)
    assert root.span == Span.of(1, 1, 1, 2 * levels + 1)
    node, count = root, 1
    while node.value:
        node, count = node.value[0], count + 1
    assert count == levels
    assert depth(root.to_python()) == levels - 1  # the innermost [] is empty
    assert "100000" not in repr(root)


def test_deeply_nested_objects_parse_without_recursion():
    levels = 100_000
    root = parse_json('{"a":' * levels + "1" + "}" * levels)
    assert depth(root.to_python()) == levels
    node = root
    for _ in range(levels):
        node = node.get("a")
    assert (node.kind, node.value, node.span) == ("number", 1, Span.of(1, 5 * levels + 1, 1, 5 * levels + 2))


def test_unclosed_deep_nesting_is_a_clean_error():
    with pytest.raises(JsonError, match="unexpected end of input") as caught:
        parse_json("[" * 100_000)
    assert caught.value.position == Position(1, 100_001)


# Properties over random documents


scalars = (st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(values, st.sampled_from([None, 0, 1, 2, "\t"]), st.booleans(), st.booleans())
def test_to_python_matches_json_loads_on_random_documents(value, indent, ensure_ascii, sort_keys):
    text = json.dumps(value, indent=indent, ensure_ascii=ensure_ascii, sort_keys=sort_keys)
    root = parse_json(text)
    assert same(root.to_python(), json.loads(text))
    for node in walk(root):  # every span covers exactly its own value
        assert same(json.loads(source(text, node.span)), node.to_python())


class Pairs(list):
    """An object as a list of pairs, so generated documents can repeat keys."""


pair_documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.lists(st.tuples(st.sampled_from(["a", "b", "é"]), children), max_size=5).map(Pairs),
    max_leaves=25,
)


def render(value: object, gap: str) -> str:
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{gap}{json.dumps(key)}{gap}:{gap}{render(item, gap)}" for key, item in value) + gap + "}"
    if isinstance(value, list):
        return "[" + ",".join(gap + render(item, gap) for item in value) + gap + "]"
    return json.dumps(value)


@settings(max_examples=200, deadline=None)
@given(pair_documents, st.sampled_from(["", " ", "\n", "\r\n", "\t", " \r "]))
def test_duplicate_keys_and_whitespace_match_json_loads(value, gap):
    text = gap + render(value, gap) + gap
    assert same(parse_json(text).to_python(), json.loads(text))
