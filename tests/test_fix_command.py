"""`artifact-lint fix` as a user runs it: diff first, then atomic writes, a summary, and what is left."""

from __future__ import annotations

import json
import os
import stat

import jsonschema
import pytest

from artifact_lint.fixing import write_atomically
from artifact_lint.report.json_report import report_schema
from rules._samples import RUNTIME_YAML, artifact
from tests.helpers import make_artifact, run_cli

NUMERIC = artifact({"runtime.yaml": RUNTIME_YAML.replace("'3.11'", "3.11").replace("'3.0'", "3.0")})


def test_diff_shows_changes_and_writes_nothing(tmp_path):
    path = make_artifact(tmp_path, NUMERIC)
    before = (path / "runtime.yaml").read_bytes()
    result = run_cli("fix", "--diff", str(path))
    assert result.returncode == 1
    out = result.stdout.decode()
    assert "-MODEL_ARTIFACT_VERSION: 3.0\n+MODEL_ARTIFACT_VERSION: '3.0'\n" in out
    assert "+    INFERENCE_PYTHON_VERSION: '3.11'\n" in out
    assert (path / "runtime.yaml").read_bytes() == before
    (tmp_path / "clean").mkdir()
    assert run_cli("fix", "--diff", str(make_artifact(tmp_path / "clean", artifact()))).returncode == 0


def test_fix_writes_keeps_the_mode_and_summarises(tmp_path):
    path = make_artifact(tmp_path, NUMERIC)
    target = path / "runtime.yaml"
    target.chmod(0o640)
    result = run_cli("fix", str(path))
    assert result.returncode == 0, result.stdout
    assert b"Fixed 2 problems (RTY101 x1, RTY107 x1) in 1 file." in result.stdout
    assert target.read_text() == RUNTIME_YAML
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert not [name for name in os.listdir(path) if name.endswith(".artifact-lint")]
    assert run_cli("fix", "--diff", str(path)).returncode == 0  # converged: nothing left to change


def test_unsafe_fixes_wait_for_the_flag(tmp_path):
    misspelled = RUNTIME_YAML.replace("INFERENCE_ENV_SLUG:", "INFERENCE_ENV_SLUGS:")
    path = make_artifact(tmp_path, artifact({"runtime.yaml": misspelled}))
    held = run_cli("fix", str(path))
    assert b"1 more can be fixed with --unsafe-fixes." in held.stdout and held.returncode == 1
    applied = run_cli("fix", "--unsafe-fixes", "--format", "json", str(path))
    report = json.loads(applied.stdout)
    jsonschema.validate(report, report_schema())
    assert report["fixes"]["applied"] == {"RTY113": 1} and applied.returncode == 0


def test_a_zip_is_a_clear_error(tmp_path):
    path = make_artifact(tmp_path, NUMERIC, container="zip")
    result = run_cli("fix", str(path))
    assert result.returncode == 2 and b"fix the folder it was made from" in result.stdout


def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "runtime.yaml"
    target.write_text("old\n")

    def failing_replace(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    try:
        write_atomically(target, b"new\n")
    except OSError:
        pass
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["runtime.yaml"]


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), PermissionError(13, "Permission denied"),
                                     KeyboardInterrupt()])
def test_every_file_is_untouched_or_fully_fixed(tmp_path, monkeypatch, failure):
    """Two files to fix; writing the second fails (disk full, read-only, Ctrl-C): the first is fully fixed."""
    from artifact_lint.config import ConfigLoader
    from artifact_lint.fix_command import run_fix

    schema = '{"schema": [{"dtype": "float64", "name": "a", "required": true, "feature_type": "Continuous", ' \
             '"description": "a", "domain": {"values": "Continuous", "stats": {"std": NaN}, "constraints": []}}], ' \
             '"version": "1.1"}\n'
    path = make_artifact(tmp_path, {**NUMERIC, "input_schema.json": schema})
    originals = {name: (path / name).read_bytes() for name in ("runtime.yaml", "input_schema.json")}
    real_fsync = os.fsync
    calls = []

    def failing_fsync(descriptor):
        calls.append(descriptor)
        if len(calls) == 2:
            raise failure
        return real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    try:
        code = run_fix([str(path)], ConfigLoader(), {}, unsafe=False, show_diff=False, fmt="json", exit_zero=False)
    except KeyboardInterrupt:
        code = 130
    assert code in (2, 130)
    schema_now, runtime_now = (path / "input_schema.json").read_bytes(), (path / "runtime.yaml").read_bytes()
    assert schema_now in (originals["input_schema.json"], schema.replace("NaN", "null").encode())
    assert runtime_now in (originals["runtime.yaml"], RUNTIME_YAML.encode())
    assert (schema_now, runtime_now) != (originals["input_schema.json"], originals["runtime.yaml"])  # one was fixed
    assert sorted(os.listdir(path)) == sorted(["input_schema.json", "model.joblib", "runtime.yaml", "score.py"])
