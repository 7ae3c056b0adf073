"""The command as users and CI run it: exit codes, formats, selection, errors without tracebacks."""

from __future__ import annotations

import json

import jsonschema
import pytest

from artifact_lint.report.json_report import report_schema
from rules._samples import RUNTIME_YAML, artifact
from tests.helpers import REPO, make_artifact, run_cli, write_files

EXAMPLES = REPO / "examples"


def lint_json(*args, **kwargs) -> tuple[int, dict]:
    result = run_cli("lint", "--format", "json", *args, **kwargs)
    report = json.loads(result.stdout)  # stdout holds exactly one JSON document
    jsonschema.validate(report, report_schema())
    return result.returncode, report


def test_bundled_examples_one_clean_one_broken():
    code, report = lint_json(str(EXAMPLES))
    assert code == 1
    by_path = {artifact["path"]: artifact for artifact in report["artifacts"]}
    clean, broken = by_path[str(EXAMPLES / "clean")], by_path[str(EXAMPLES / "broken")]
    assert clean["errors"] == clean["warnings"] == 0
    codes = {d["code"] for d in report["diagnostics"] if d["artifact"] == str(EXAMPLES / "broken")}
    assert {"RTY101", "RTY107", "RTY002", "RTY105", "RTY112", "SCR103", "SCR104", "SCR105", "SCR106"} <= codes
    assert broken["errors"] >= 8
    assert report["summary"]["artifacts"] == 2 and report["tool_errors"] == []


def test_clean_artifact_exits_zero_and_says_so():
    result = run_cli("lint", str(EXAMPLES / "clean"))
    assert result.returncode == 0
    assert b"Found 0 errors, 0 warnings" in result.stdout
    quiet = run_cli("lint", "--ignore", "MDL006,SCH009", str(EXAMPLES / "clean"))
    assert quiet.returncode == 0 and b"All checks passed (1 artifact linted)." in quiet.stdout


def test_json_diagnostic_matches_the_contract(tmp_path):
    path = make_artifact(tmp_path, artifact({"runtime.yaml": RUNTIME_YAML.replace("'3.11'", "3.10")}))
    code, report = lint_json(str(path), "--select", "RTY107")
    assert code == 1
    [diagnostic] = report["diagnostics"]
    assert diagnostic == {
        "code": "RTY107",
        "name": "version-written-as-number",
        "severity": "error",
        "message": "INFERENCE_PYTHON_VERSION is the YAML number 3.1 (written 3.10); quote it: '3.10'",
        "artifact": str(path),
        "path": "runtime.yaml",
        "span": {"start": {"line": 7, "column": 31}, "end": {"line": 7, "column": 35}},
        "ads_test": "runtime_env_python",
        "fix": {
            "title": "Quote the version",
            "applicability": "safe",
            "edits": [{"path": "runtime.yaml",
                       "span": {"start": {"line": 7, "column": 31}, "end": {"line": 7, "column": 35}},
                       "content": "'3.10'"}],
        },
    }
    assert report["summary"] == {"artifacts": 1, "errors": 1, "warnings": 0, "infos": 0, "fixable": 1}


def test_text_output_has_locations_excerpts_and_no_colour_when_piped():
    result = run_cli("lint", str(EXAMPLES / "broken"))
    out = result.stdout.decode()
    assert "\x1b[" not in out
    assert f"{EXAMPLES / 'broken'}/runtime.yaml:7:31 RTY107 error: INFERENCE_PYTHON_VERSION" in out
    assert "     7 │     INFERENCE_PYTHON_VERSION: 3.10\n" in out
    assert "       │                               ^^^^\n" in out
    assert out.rstrip().splitlines()[-1].startswith("Found ")


def test_colour_only_on_a_terminal_and_never_with_no_color():
    forced = run_cli("lint", str(EXAMPLES / "broken"), env={"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"})
    assert b"\x1b[" in forced.stdout
    muted = run_cli("lint", str(EXAMPLES / "broken"), env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert b"\x1b[" not in muted.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["does-not-exist"], b"does-not-exist does not exist"),
        (["--select", "XYZ123", "."], b"unknown rule selector"),
        (["--format", "yaml", "."], b"Invalid value for '--format'"),
    ],
)
def test_usage_and_input_errors_exit_2_without_traceback(tmp_path, args, message):
    result = run_cli("lint", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stdout + result.stderr
    assert b"Traceback" not in result.stdout + result.stderr


def test_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli("lint", "--format", "json", str(tmp_path / "empty"))
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert "no artifact found under" in report["tool_errors"][0]["message"]


def test_corrupt_zip_is_a_finding(tmp_path):
    (tmp_path / "model.zip").write_bytes(b"PK\x03\x04 not really a zip")
    result = run_cli("lint", str(tmp_path / "model.zip"))
    assert result.returncode == 1
    assert b"ART008 error: " in result.stdout and b"is not a readable zip file" in result.stdout
    assert b"Traceback" not in result.stdout + result.stderr


def test_select_ignore_and_extend_select(tmp_path):
    broken = str(EXAMPLES / "broken")
    _, only_runtime = lint_json(broken, "--select", "RTY")
    assert {d["code"][:3] for d in only_runtime["diagnostics"]} == {"RTY"}
    _, without = lint_json(broken, "--select", "RTY", "--ignore", "RTY107,duplicate-key")
    assert not {"RTY107", "RTY002"} & {d["code"] for d in without["diagnostics"]}
    _, extended = lint_json(broken, "--select", "RTY002", "--extend-select", "SCR105")
    assert {d["code"] for d in extended["diagnostics"]} == {"RTY002", "SCR105"}


def test_fail_on_and_exit_zero(tmp_path):
    warning_only = make_artifact(tmp_path, artifact({"runtime.yaml": RUNTIME_YAML.replace("'3.11'", "3.11")}))
    assert run_cli("lint", str(warning_only)).returncode == 0
    assert run_cli("lint", "--fail-on", "warning", str(warning_only)).returncode == 1
    assert run_cli("lint", "--exit-zero", str(EXAMPLES / "broken")).returncode == 0


def test_runtime_container_does_not_need_runtime_yaml(tmp_path):
    path = make_artifact(tmp_path, artifact({"runtime.yaml": None}))
    assert run_cli("lint", str(path)).returncode == 1
    assert run_cli("lint", "--runtime", "container", str(path)).returncode == 0


def test_output_file_gets_the_report_and_stdout_stays_empty(tmp_path):
    target = tmp_path / "report.json"
    result = run_cli("lint", "--format", "json", "--output-file", str(target), str(EXAMPLES / "broken"))
    assert result.returncode == 1 and result.stdout == b""
    jsonschema.validate(json.loads(target.read_text()), report_schema())


def test_a_score_py_path_lints_its_artifact():
    code, report = lint_json(str(EXAMPLES / "broken" / "score.py"))
    assert code == 1 and report["artifacts"][0]["path"] == str(EXAMPLES / "broken")


def test_rules_and_rule_commands():
    listing = run_cli("rules").stdout.decode()
    assert "RTY107  version-written-as-number" in listing and "safe fix" in listing
    rules = json.loads(run_cli("rules", "--format", "json").stdout)
    assert {"code": "SCR103", "name": "predict-first-parameter", "severity": "error", "fix": "unsafe fix",
            "ads_test": "score_predict_data"}.items() <= next(r for r in rules if r["code"] == "SCR103").items()
    shown = run_cli("rule", "RTY107")
    assert shown.returncode == 0 and b"## Why it matters" in shown.stdout
    assert run_cli("rule", "predict-first-parameter").stdout.startswith(b"# SCR103 predict-first-parameter")
    missing = run_cli("rule", "NOPE01")
    assert missing.returncode == 2 and b"artifact-lint rules" in missing.stderr


def test_version_and_module_entry_point():
    from artifact_lint import __version__

    result = run_cli("--version")
    assert result.returncode == 0 and __version__.encode() in result.stdout


def test_files_outside_artifacts_are_skipped_only_when_asked(tmp_path):
    write_files(tmp_path / "model", artifact())
    write_files(tmp_path, {"notes.txt": "x\n"})
    inside = str(tmp_path / "model" / "model.joblib")
    asked = run_cli("lint", "--skip-non-artifact-files", str(tmp_path / "notes.txt"), inside)
    assert asked.returncode == 0, asked.stdout + asked.stderr
    assert b"notes.txt" not in asked.stdout + asked.stderr and b"1 artifact linted" in asked.stdout
    plain = run_cli("lint", str(tmp_path / "notes.txt"), inside)
    assert plain.returncode == 2 and b"notes.txt is not in an artifact" in plain.stdout + plain.stderr
