"""SARIF, GitHub annotations, ADS's test_json_output.json shape, statistics and editor buffers."""

from __future__ import annotations

import json

import jsonschema
import pytest

from rules._samples import RUNTIME_YAML, SCORE_PY, artifact
from tests.helpers import REPO, make_artifact, run_cli

SARIF_SCHEMA = REPO.parent / "shared" / "data" / "sarif-schema-2.1.0.json"
BROKEN = REPO / "examples" / "broken"


@pytest.mark.skipif(not SARIF_SCHEMA.exists(), reason="../shared/data/sarif-schema-2.1.0.json is not beside this checkout")
def test_sarif_is_valid_and_complete():
    result = run_cli("lint", "--format", "sarif", str(BROKEN), cwd=REPO)
    assert result.returncode == 1
    sarif = json.loads(result.stdout)
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    [tool_run] = sarif["runs"]
    rules = {rule["id"]: rule for rule in tool_run["tool"]["driver"]["rules"]}
    assert rules["RTY107"]["help"]["text"].startswith("A version is written as a YAML number")
    located = next(r for r in tool_run["results"] if r["ruleId"] == "RTY107")
    assert located["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "examples/broken/runtime.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 7, "startColumn": 31, "endLine": 7, "endColumn": 35},
    }
    prints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in tool_run["results"]]
    assert len(prints) == len(set(prints))
    again = json.loads(run_cli("lint", "--format", "sarif", str(BROKEN), cwd=REPO).stdout)
    assert prints == [r["partialFingerprints"]["primaryLocationLineHash"] for r in again["runs"][0]["results"]]


def test_github_annotations_and_automatic_choice():
    explicit = run_cli("lint", "--format", "github", str(BROKEN), cwd=REPO).stdout.decode()
    automatic = run_cli("lint", str(BROKEN), cwd=REPO, env={"GITHUB_ACTIONS": "true"}).stdout.decode()
    assert explicit == automatic
    lines = explicit.splitlines()
    assert lines[0] == "::group::" + str(BROKEN)
    assert ("::error file=" + str(BROKEN / "runtime.yaml") + ",line=7,col=31,endLine=7,endColumn=35,"
            "title=RTY107 version-written-as-number::INFERENCE_PYTHON_VERSION is the YAML number 3.1 (written 3.10); "
            "quote it: '3.10'") in lines
    assert "::endgroup::" in lines


def test_ads_format_has_adss_shape(tmp_path):
    path = make_artifact(tmp_path, artifact({"runtime.yaml": RUNTIME_YAML.replace("'3.0'", "3.0"),
                                             "score.py": SCORE_PY.replace("def predict(data,", "def predict(payload,")}))
    report = json.loads(run_cli("lint", "--format", "ads", str(path)).stdout)
    assert list(report) == ["score_py", "runtime_yaml", "score_syntax", "score_load_model", "score_predict",
                            "score_predict_data", "score_predict_arg", "runtime_version", "runtime_env_python",
                            "runtime_env_path", "runtime_path_exist"]
    for entry in report.values():
        assert set(entry) - {"key"} == {"category", "description", "error_msg", "success"}
        assert all(isinstance(entry[field], str) for field in ("category", "description", "error_msg"))
    assert report["score_py"]["key"] == "score_py"
    assert report["runtime_version"]["success"] is False and "RTY101" in report["runtime_version"]["error_msg"]
    assert report["score_predict_data"]["success"] is False
    assert report["score_syntax"]["success"] is True and report["runtime_path_exist"]["success"] is None


def test_statistics_count_per_code():
    out = run_cli("lint", "--statistics", str(BROKEN)).stdout.decode()
    assert "    1  RTY107  version-written-as-number  (1 fixable)" in out


def test_stdin_filename_lints_the_unsaved_buffer(tmp_path):
    path = make_artifact(tmp_path, artifact())
    unsaved = SCORE_PY.replace("def predict(data,", "def predict(payload,").replace(
        "json.loads(data) if isinstance(data, (bytes, str)) else data",
        "json.loads(payload) if isinstance(payload, (bytes, str)) else payload").encode()
    result = run_cli("lint", "--format", "json", "--stdin-filename", str(path / "score.py"), stdin=unsaved)
    report = json.loads(result.stdout)
    assert [d["code"] for d in report["diagnostics"] if d["code"].startswith("SCR1")] == ["SCR103"]
    fix = next(d for d in report["diagnostics"] if d["code"] == "SCR103")["fix"]
    assert fix["edits"][0]["content"] == "data"
    assert (path / "score.py").read_text() == SCORE_PY  # the file on disk is not touched
