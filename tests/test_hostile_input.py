"""Every rule survives hostile input: deep, huge and odd YAML, JSON and Python, empty and binary files.

Property-based: hypothesis builds structures nested up to and past each parser's limit (PyYAML's,
the JSON parser's, CPython's 200 parentheses and 100 indentation levels, long operator chains
that recursive visitors choke on), puts them bare or inside an otherwise valid file, in every file
an artifact has, and every rule runs over them: the run must end with a report and zero tool
errors (a rule that raises is a tool error). Examples are bounded to keep the test fast.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artifact_lint.config import ConfigLoader
from artifact_lint.engine import lint_paths
from artifact_lint.rules._samples import RUNTIME_YAML, SCORE_PY, artifact
from artifact_lint.rules.verify import SCHEMA
from tests.helpers import write_files

EXAMPLES = int(os.environ.get("ARTIFACT_LINT_HOSTILE_EXAMPLES", "30"))
HOSTILE = settings(max_examples=EXAMPLES, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Around every limit: CPython's parser (100 indents, 200 parentheses), the recursion limit (1000),
# and far past them (the 200,000-deep JSON that once crashed SCH008).
DEPTHS = [0, 1, 2, 99, 100, 101, 199, 200, 201, 999, 1000, 1001, 5000, 50_000, 200_000]
FILES = ("score.py", "runtime.yaml", "input_schema.json", "output_schema.json", "model_artifact_manifest.json",
         ".model-ignore", "model.pkl")


def _json(depth: int, kind: str) -> str:
    if kind == "object":
        return '{"a": ' * depth + "1" + "}" * depth
    if kind == "mixed":
        return '[{"a": ' * (depth // 2) + "[]" + "}]" * (depth // 2)
    return "[" * depth + "]" * depth


def _yaml(depth: int, kind: str) -> str:
    if kind == "block":
        depth = min(depth, 2000)  # block indentation grows quadratically
        return "".join("  " * level + "k:\n" for level in range(depth)) + "  " * depth + "v: 1\n"
    if kind == "anchored":
        return "&a " + "[" * depth + "]" * depth + "\nB: *a\nC: [*a, *a, *a]"
    if kind == "object":
        return "{a: " * depth + "1" + "}" * depth
    return "[" * depth + "]" * depth


def _python(depth: int, kind: str) -> str:
    if kind == "blocks":
        depth = min(depth, 2000)
        return "".join(" " * level + "if x:\n" for level in range(depth)) + " " * depth + "pass\n"
    if kind == "binop":
        return "+".join(["1"] * max(depth, 1))
    if kind == "calls":
        return "f" + "(1)" * depth
    if kind == "attributes":
        return "a" + ".b" * depth
    if kind == "unary":
        return "-" * depth + "1"
    return "(" * depth + "1" + ")" * depth


@st.composite
def hostile_artifact(draw) -> dict:
    depth = draw(st.sampled_from(DEPTHS))
    syntax = draw(st.sampled_from(["json", "yaml", "python"]))
    if syntax == "json":
        payload = _json(depth, draw(st.sampled_from(["array", "object", "mixed"])))
    elif syntax == "yaml":
        payload = _yaml(depth, draw(st.sampled_from(["flow", "object", "block", "anchored"])))
    else:
        payload = _python(depth, draw(st.sampled_from(["parens", "binop", "calls", "attributes", "unary", "blocks"])))
    target = draw(st.sampled_from(FILES))
    hosted = draw(st.booleans())
    if not hosted:
        content = payload
    elif target == "score.py":
        body = payload if payload.endswith("\n") else f"x = {payload}\n"
        content = SCORE_PY + "\n\ndef helper(x):\n" + "".join(f"    {line}\n" for line in body.splitlines())
        value = payload if syntax == "python" and "\n" not in payload else "1"
        content += f"    return open('data' + str({value}))\n"
    elif target == "runtime.yaml":
        indent = "      "
        content = RUNTIME_YAML.replace("    INFERENCE_ENV_TYPE: data_science\n",
                                       f"    INFERENCE_ENV_TYPE: data_science\n    EXTRA:\n{indent}"
                                       + payload.replace("\n", "\n" + indent) + "\n")
    elif target.endswith(".json"):
        content = SCHEMA.replace('"version": "1.1"', f'"version": "1.1", "extra": {payload}') \
            if '"version": "1.1"' in SCHEMA else payload
    else:
        content = payload
    files = artifact({target: content})
    if draw(st.booleans()):  # and a second file, empty or binary
        other = draw(st.sampled_from([name for name in FILES if name != target]))
        files[other] = draw(st.sampled_from([b"", b"\x00" * 64, bytes(range(256)), b"\xff\xfe\x00\xd8", b"\xef\xbb\xbf"]))
    return files


def assert_clean_report(files: dict) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "artifact"
        folder.mkdir()
        write_files(folder, files)
        run = lint_paths([str(folder)], ConfigLoader(), use_cache=False)
    assert run.all_tool_errors() == []
    assert len(run.results) == 1


@HOSTILE
@given(hostile_artifact())
def test_every_rule_survives_deep_huge_and_odd_files(files):
    assert_clean_report(files)


@pytest.mark.parametrize("files", [
    pytest.param({"input_schema.json": _json(200_000, "array")}, id="json-200000-deep"),
    pytest.param({"output_schema.json": _json(100_000, "object"),
                  "model_artifact_manifest.json": _json(100_000, "mixed")}, id="json-objects-100000-deep"),
    pytest.param({"runtime.yaml": "MODEL_DEPLOYMENT: " + _yaml(100_000, "flow")}, id="yaml-100000-deep"),
    pytest.param({"runtime.yaml": "MODEL_DEPLOYMENT: " + _yaml(50_000, "anchored")}, id="yaml-anchored-deep"),
    pytest.param({"score.py": f"x = {_python(100_000, 'binop')}\n"}, id="python-100000-operands"),
    pytest.param({"score.py": f"x = {_python(100_000, 'calls')}\n"}, id="python-100000-calls"),
    pytest.param({"score.py": _python(100, "blocks")}, id="python-100-indents"),
    pytest.param({"score.py": f"x = {_python(201, 'parens')}\n"}, id="python-201-parentheses"),
    pytest.param({"input_schema.json": json.dumps({"schema": [{"name": f"c{i}", "dtype": "float64"}
                                                              for i in range(20_000)], "version": "1.1"})},
                 id="schema-20000-columns"),
    pytest.param({"runtime.yaml": RUNTIME_YAML + "".join(f"K{i}: {i}\n" for i in range(20_000))}, id="yaml-20000-keys"),
    pytest.param({name: b"" for name in FILES}, id="all-empty"),
    pytest.param({name: bytes(range(256)) * 64 for name in FILES}, id="all-binary"),
])
def test_known_extremes(files):
    assert_clean_report(artifact(files))
