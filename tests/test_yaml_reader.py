"""The fast YAML reader gives exactly libyaml's composed nodes (converted) for every document it accepts.

Node by node: type, tag, value, style, start and end marks (index, line, column) and structure, over
every runtime.yaml the repository holds or generates, and over hypothesis-made documents in the
subset and near it. The reader may decline anything; it must never disagree, nor accept what
PyYAML rejects.
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artifact_lint.parsers.yaml_compose import YamlSyntaxError, compose_with_pyyaml
from artifact_lint.parsers.yaml_nodes import MappingNode, ScalarNode, SequenceNode
from artifact_lint.parsers.yaml_reader import read
from artifact_lint.registry import all_rules
from rules._samples import RUNTIME_YAML
from tests.helpers import REPO

pytestmark = pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="marks are compared with libyaml's")


def _marks(node) -> tuple:
    return tuple((mark.index, mark.line, mark.column) for mark in (node.start_mark, node.end_mark))


def assert_same(ours, theirs, path: str = "root") -> None:
    assert type(ours) is type(theirs), path
    assert (ours.tag, _marks(ours)) == (theirs.tag, _marks(theirs)), path
    if isinstance(ours, ScalarNode):
        assert (ours.value, ours.style) == (theirs.value, theirs.style), path
    elif isinstance(ours, MappingNode):
        assert len(ours.value) == len(theirs.value), path
        for index, ((key, value), (their_key, their_value)) in enumerate(zip(ours.value, theirs.value, strict=True)):
            assert_same(key, their_key, f"{path}.{index}?")
            assert_same(value, their_value, f"{path}.{index}:")
    else:
        assert isinstance(ours, SequenceNode) and len(ours.value) == len(theirs.value), path
        for index, (item, their_item) in enumerate(zip(ours.value, theirs.value, strict=True)):
            assert_same(item, their_item, f"{path}[{index}]")


def agrees(text: str) -> bool:
    """True when the reader accepted `text` (and agreed with PyYAML); False when it declined."""
    ours = read(text)
    if ours is None:
        return False
    try:
        theirs = compose_with_pyyaml(text)
    except YamlSyntaxError as error:
        raise AssertionError(f"accepted what PyYAML rejects: {error.message}") from None
    assert_same(ours, theirs)
    return True


def _corpus() -> dict[str, str]:
    from artifact_lint.generators.runtime_yaml import render_runtime_yaml

    texts = {str(path.relative_to(REPO)): path.read_text("utf-8")
             for folder in ("examples", "tests/real_artifacts") for path in (REPO / folder).rglob("*runtime.yaml")}
    texts["rules/_samples.py"] = RUNTIME_YAML
    for code, rule in all_rules().items():
        for kind in ("valid", "invalid"):
            for index, case in enumerate(getattr(rule, kind)):
                for name, content in case.files.items():
                    if name.endswith("runtime.yaml") and isinstance(content, (str, bytes)):
                        try:
                            text = content.decode("utf-8") if isinstance(content, bytes) else content
                        except UnicodeDecodeError:
                            continue
                        texts[f"{code}-{kind}-{index}:{name}"] = text.removeprefix("\ufeff")
    pack = "oci://service-conda-packs@id19sfcrra6z/service_pack/cpu/General_Machine_Learning/1.0/generalml_p311_cpu_x86_64_v1"
    texts["generator"] = render_runtime_yaml(pack, "generalml_p311_cpu_x86_64_v1", "data_science", "3.11", "/home/me")
    texts["generator, quoting"] = render_runtime_yaml(pack, "generalml_p311_cpu_x86_64_v1", "data_science", "3.11",
                                                      "it's: #here")
    return texts


CORPUS = _corpus()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_reader_agrees_on_every_runtime_yaml_of_the_repo(name):
    agrees(CORPUS[name])


def test_reader_accepts_the_runtime_yaml_files_that_matter():
    """The fast path is taken where it pays: the files ADS and our generator write."""
    for name in ("examples/clean/runtime.yaml", "rules/_samples.py", "generator"):
        assert agrees(CORPUS[name]), name
    assert sum(agrees(text) for text in CORPUS.values()) > len(CORPUS) // 2


@pytest.mark.parametrize("text", [
    "a: 1\nb:\n  c: x  # hi\n  d:\n\n# c\ne: \n",
    "a:\n- x\n- y: 1\n  z: 2\n-\nb: ",
    "---\na: b\n",
    "k: \"q\"\nl:  'ü 😀 x'   \n",
    "a:\n  - 1\n  - 2\n# end\n\n",
    "a: b\n# c",
    "a: b\n   ",
    "  a: 1\n  b:\n  - -1\n  - +2.\n  - .5\n",
    "- a:\n  - x\n  b: 1\n- c:\n   d: 2\n-\n  - e\n",
    "yes: no\nNULL: ~\n<<: =\n1: 0\n-0: 3.10\n'x': \"y\"\nx: a[b]{c},d\n",
    "a: b#c\nd: -x\ne: ---\nf: ...\ng: 'a # b'\nh: \"c: d\"\n",
    "dup: 1\ndup: 2\n",
])
def test_reader_agrees_on_hand_picked_documents(text):
    assert agrees(text)


@pytest.mark.parametrize("text", [
    "", "# only a comment\n", "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: {b: c}\n", "a: [1]\n", "a: |\n  x\n",
    "a: 'it''s'\n", 'a: "\\t"\n', "a:\tb\n", "a: b\r\n", "a: b\nc\n", "a: b\n  c\n", "a: 0x1F\n", "a: 1_000\n",
    "a: 2024-01-01\n", "a: 1e5\n", "a: 08\n", "a: -.5\n", "%YAML 1.1\n---\na: b\n", "a: b\n---\nc: d\n", "a: b\n...\n",
    "---\n---\n- a\n",
    "? a\n: b\n", "- - a\n", "a: b: c\n", "'a\n  b': c\n", "a:\n  b: 1\n c: 2\n", "scalar\n", "a: 'x' y\n",
    "'" + "k" * 1030 + "': v\n", "k" * 1030 + ": v\n",  # libyaml's limit on a key's length
])
def test_reader_declines_what_is_outside_its_subset(text):
    assert read(text) is None


def test_nesting_deeper_than_the_reader_recurses_goes_to_pyyaml():
    deep = "".join("  " * level + "a:\n" for level in range(600))  # libyaml allows 1000
    assert read(deep) is None
    assert compose_with_pyyaml(deep) is not None


# Hypothesis: documents built from the subset's pieces, then perhaps damaged.
_WORDS = st.sampled_from([
    "a", "MODEL_DEPLOYMENT", "INFERENCE_ENV_PATH", "x y", "ü", "😀", "yes", "No", "off", "null", "~", "<<", "=", "0",
    "-1", "+2", "3.10", "3.", ".5", "-.5", ".inf", ".NaN", "012", "0x1F", "0o7", "0b1", "1_0", "1e5", "1.0e+5", "1:30",
    "2024-01-01", "'3.11'", '"3.11"', "''", '""', "'a # b'", "'it''s'", '"a\\tb"', "oci://b@n/p", "a#b", "-x", "---",
    "...", "a: b", "a:", "a #b", "[a]", "{a: b}", "&x a", "*x", "!!str a", "|", ">", "? a", "%x", "@x", "`x", "a,b",
])
_KEYS = st.one_of(_WORDS, st.from_regex(r"[A-Za-z_][A-Za-z0-9_ ]{0,8}", fullmatch=True))
_SCALARS = st.one_of(_WORDS, st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6),
                     st.from_regex(r"[-+.0-9a-z:#' ]{1,6}", fullmatch=True))
_TREES = st.recursive(_SCALARS, lambda children: st.one_of(
    st.lists(st.tuples(_KEYS, children), min_size=1, max_size=4),
    st.lists(children, min_size=1, max_size=4).map(tuple)), max_leaves=12)


def _render(tree, indent: int, data, lines: list[str], prefix: str = "") -> None:
    """Block YAML for `tree`: lists of pairs are mappings, tuples sequences, strings scalars."""
    step = data.draw(st.integers(1, 4))
    pad = " " * indent
    if isinstance(tree, list):
        for number, (key, value) in enumerate(tree):
            head = (prefix if number == 0 else pad) + key + data.draw(st.sampled_from([":", ":", " :", ":  "]))
            _entry(head, value, indent, step, data, lines, mapping=True)
    else:
        for number, item in enumerate(tree):
            head = (prefix if number == 0 else pad) + "-"
            if isinstance(item, list) and data.draw(st.booleans()):  # `- key: value`, the mapping's keys aligned
                spaces = data.draw(st.integers(1, 3))
                _render(item, len(head) + spaces, data, lines, head + " " * spaces)
            else:
                _entry(head, item, indent, step, data, lines, mapping=False)


def _entry(head: str, value, indent: int, step: int, data, lines: list[str], mapping: bool) -> None:
    comment = data.draw(st.sampled_from(["", "", " # c", "  #", "   "]))
    if isinstance(value, str):
        lines.append(head + " " + value + comment if value else head + comment)
        return
    lines.append(head + comment)
    if data.draw(st.booleans()):
        lines.append(data.draw(st.sampled_from(["", "# note", "  # indented note", "   "])))
    indentless = mapping and isinstance(value, tuple) and data.draw(st.booleans())
    _render(value, indent if indentless else indent + step, data, lines)


def _document(data) -> str:
    lines: list[str] = []
    if data.draw(st.booleans()):
        lines.append("---")
    _render(data.draw(_TREES.filter(lambda tree: not isinstance(tree, str))), data.draw(st.integers(0, 2)), data, lines)
    return "\n".join(lines) + data.draw(st.sampled_from(["\n", "", "\n\n", "\n# end", "\n  "]))


FUZZ = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.data())
def test_reader_agrees_on_generated_documents(data):
    agrees(_document(data))


@FUZZ
@given(st.data())
def test_reader_agrees_on_damaged_documents(data):
    text = _document(data)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        piece = data.draw(st.sampled_from([" ", "  ", "\n", "-", "- ", ":", ": ", "#", " #", "'", '"', "\t", "\r",
                                           "&", "*", "!", "{", "[", "?", "|", "---\n", "\ufeff", "\x85", "a"]))
        cut = data.draw(st.integers(0, 2))
        text = text[:at] + piece + text[at + cut:]
    agrees(text)
