"""What CI and people read: zip member paths, --statistics in every format, fix --diff as JSON, the README's
problem matcher, no escape codes where they do not belong, config errors, plurals and the fix hint."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import zipfile

import jsonschema
import pytest

from artifact_lint.diagnostics import Edit, Position, Span
from artifact_lint.fixing import apply_edits
from artifact_lint.report.json_report import report_schema
from rules._samples import RUNTIME_YAML, SCORE_PY, artifact
from tests.helpers import REPO, make_artifact, run_cli, write_files

BROKEN = REPO / "examples" / "broken"
SARIF_SCHEMA = REPO.parent / "shared" / "data" / "sarif-schema-2.1.0.json"
NUMERIC = RUNTIME_YAML.replace("'3.11'", "3.10")


def _folder(path):
    path.mkdir()
    return path


@pytest.fixture
def broken_zip(tmp_path):
    path = tmp_path / "churn.zip"
    files = artifact({"score.py": SCORE_PY.replace("def predict(data,", "def predict(payload,")})
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def test_zip_members_print_as_archive_bang_member(broken_zip):
    text = run_cli("lint", str(broken_zip)).stdout.decode()
    line = next(line for line in text.splitlines() if "SCR103" in line)
    assert line.startswith(f"  {broken_zip}!/score.py:16:13 SCR103 error: ")
    github = run_cli("lint", "--format", "github", str(broken_zip)).stdout.decode()
    annotation = next(line for line in github.splitlines() if "SCR103" in line)
    assert annotation.startswith(f"::error file={broken_zip},title=SCR103 ")  # no line: it is not a line of the zip
    assert f"::{broken_zip}!/score.py:16:13: predict's first parameter" in annotation
    sarif = json.loads(run_cli("lint", "--format", "sarif", str(broken_zip)).stdout)
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "SCR103")
    assert result["message"]["text"].startswith(f"{broken_zip}!/score.py:16:13: ")
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}


def test_statistics_in_json_sarif_github_and_ads(tmp_path):
    json_report = json.loads(run_cli("lint", "--format", "json", "--statistics", str(BROKEN)).stdout)
    jsonschema.validate(json_report, report_schema())
    rty107 = next(entry for entry in json_report["statistics"] if entry["code"] == "RTY107")
    assert rty107 == {"code": "RTY107", "name": "version-written-as-number", "count": 1, "fixable": 1}
    assert sum(entry["count"] for entry in json_report["statistics"]) == len(json_report["diagnostics"])
    assert "statistics" not in json.loads(run_cli("lint", "--format", "json", str(BROKEN)).stdout)
    sarif = json.loads(run_cli("lint", "--format", "sarif", "--statistics", str(BROKEN)).stdout)
    assert sarif["runs"][0]["properties"]["statistics"] == json_report["statistics"]
    if SARIF_SCHEMA.exists():
        jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    # the README's GitHub recipe: GITHUB_ACTIONS picks the github format; the table goes to the job summary
    summary = tmp_path / "summary.md"
    github = run_cli("lint", "--statistics", str(BROKEN), env={"GITHUB_ACTIONS": "true",
                                                               "GITHUB_STEP_SUMMARY": str(summary)})
    out = github.stdout.decode()
    assert "::error file=" in out and "    1  RTY107  version-written-as-number  (1 fixable)" in out
    assert "| RTY107 | version-written-as-number | 1 | 1 |" in summary.read_text()
    ads = run_cli("lint", "--format", "ads", "--statistics", str(BROKEN))
    json.loads(ads.stdout)  # the ADS document stays exactly ADS's shape
    assert b"RTY107  version-written-as-number" in ads.stderr


def test_fix_diff_as_json_has_diffs_and_edits_and_writes_nothing(tmp_path):
    path = make_artifact(tmp_path, artifact({"runtime.yaml": NUMERIC}))
    result = run_cli("fix", "--diff", "--format", "json", str(path))
    assert result.returncode == 1  # something would change
    report = json.loads(result.stdout)
    jsonschema.validate(report, report_schema())
    assert (path / "runtime.yaml").read_text() == NUMERIC  # nothing written
    (change,) = report["fixes"]["changes"]
    assert change["path"] == "runtime.yaml" and change["artifact"] == str(path)
    assert "-    INFERENCE_PYTHON_VERSION: 3.10\n+    INFERENCE_PYTHON_VERSION: '3.10'\n" in change["diff"]
    edits = [Edit(e["path"], Span(Position(**e["span"]["start"]), Position(**e["span"]["end"])), e["content"])
             for e in change["edits"]]
    # the edits, applied, give the fixed file
    assert apply_edits(NUMERIC, edits) == NUMERIC.replace("VERSION: 3.10", "VERSION: '3.10'")
    assert report["fixes"]["applied"] == {"RTY107": 1}
    clean = run_cli("fix", "--diff", "--format", "json", str(make_artifact(_folder(tmp_path / "clean"), artifact())))
    assert clean.returncode == 0 and json.loads(clean.stdout)["fixes"]["changes"] == []


def _readme_problem_matchers() -> list[dict]:
    readme = (REPO / "README.md").read_text()
    block = next(block for block in re.findall(r"```json\n(.*?)```", readme, re.S) if "problemMatcher" in block)
    return json.loads(block)["tasks"][0]["problemMatcher"]


def test_readme_problem_matcher_takes_every_finding_once():
    matchers = _readme_problem_matchers()
    out = run_cli("lint", str(BROKEN), "--exit-zero").stdout.decode()
    findings = [line for line in out.splitlines() if re.search(r" [A-Z]{3}\d{3} (error|warning|info): ", line)]
    assert any(":" not in line.split(" ")[2] for line in findings)  # there are whole-file findings to take
    for line in findings:
        matched = [m for m in matchers if re.match(m["pattern"]["regexp"], line)]
        assert len(matched) == 1, line
        pattern = matched[0]["pattern"]
        groups = re.match(pattern["regexp"], line).groups()
        assert os.path.isabs(groups[pattern["file"] - 1]) and groups[pattern["code"] - 1] in line


def _run_in_terminal(args: list[str], env: dict) -> bytes:
    """Run the command with stdout and stderr on a pseudo-terminal, as in a user's shell."""
    leader, follower = pty.openpty()
    full_env = {key: value for key, value in os.environ.items() if key not in ("GITHUB_ACTIONS", "FORCE_COLOR")}
    process = subprocess.Popen([sys.executable, "-m", "artifact_lint", *args], stdout=follower, stderr=follower,
                               env={**full_env, "TERM": "xterm-256color", **env})
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(leader)
    return output


def test_no_escape_codes_with_no_color_even_on_a_terminal(tmp_path):
    for index in range(25):  # enough artifacts for the progress bar
        write_files(tmp_path / f"model_{index}", artifact({"runtime.yaml": NUMERIC}))
    coloured = _run_in_terminal(["lint", str(tmp_path)], {})
    assert b"\x1b[" in coloured  # the terminal gets colour and progress...
    muted = _run_in_terminal(["lint", str(tmp_path)], {"NO_COLOR": "1"})
    assert b"RTY107" in muted and b"\x1b" not in muted  # ...but not with NO_COLOR: no colour, no cursor moves
    dumb = _run_in_terminal(["lint", str(tmp_path / "model_0")], {"TERM": "dumb"})
    assert b"RTY107" in dumb and b"\x1b" not in dumb
    piped = run_cli("lint", str(tmp_path))
    assert b"\x1b" not in piped.stdout + piped.stderr


def test_config_errors_name_the_file_and_the_key(tmp_path):
    write_files(tmp_path, {"pyproject.toml": '[tool.artifact-lint]\nseverity = { RTY107 = "loud" }\n'})
    path = make_artifact(tmp_path, artifact())
    result = run_cli("lint", str(path))
    assert result.returncode == 2
    assert f"{tmp_path / 'pyproject.toml'}: severity.RTY107: unknown severity 'loud'".encode() in result.stdout
    explicit = tmp_path / "artifact-lint.toml"
    explicit.write_text('runtime = "kubernetes"\n')
    usage = run_cli("lint", "--config", str(explicit), str(path))
    assert usage.returncode == 2 and f"{explicit}: runtime must be conda or container".encode() in usage.stderr


def test_counts_are_singular_and_plural_and_the_hint_names_fix(tmp_path):
    one = make_artifact(tmp_path, artifact({"runtime.yaml": RUNTIME_YAML.replace("'3.0'", "3.0")}))
    text = run_cli("lint", str(one)).stdout.decode().splitlines()[-1]
    assert text == "Found 1 error, 0 warnings and 0 infos in 1 artifact. 1 can be fixed with `artifact-lint fix`."
    github = run_cli("lint", "--format", "github", str(one)).stdout.decode().splitlines()[-1]
    assert github == "artifact-lint: Found 1 error, 0 warnings and 0 infos in 1 artifact."
    broken = run_cli("lint", str(BROKEN)).stdout.decode().splitlines()[-1]
    assert re.search(r"\d+ can be fixed with `artifact-lint fix`, \d+ more with `artifact-lint fix --unsafe-fixes`",
                     broken)
    clean = run_cli("lint", str(make_artifact(_folder(tmp_path / "clean"), artifact()))).stdout.decode().splitlines()[-1]
    assert clean == "All checks passed (1 artifact linted)."
