"""`artifact-lint fix` as a user runs it: diff first, then atomic writes, a summary, and what is left."""

from __future__ import annotations

import json
import os
import stat

import jsonschema
import pytest

from artifact_lint.transaction import write_atomically
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


SCHEMA_WITH_NAN = '{"schema": [{"dtype": "float64", "name": "a", "required": true, "feature_type": "Continuous", ' \
                  '"description": "a", "domain": {"values": "Continuous", "stats": {"std": NaN}, "constraints": []}}], ' \
                  '"version": "1.1"}\n'
TWO_FILES = {**NUMERIC, "input_schema.json": SCHEMA_WITH_NAN}


def _fail_on_call(monkeypatch, name: str, number: int, failure: BaseException) -> None:
    """Make the `number`-th call of os.`name` raise `failure`."""
    real = getattr(os, name)
    calls = []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == number:
            raise failure
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, failing)


@pytest.mark.parametrize(("call", "failure"), [
    ("fsync", OSError(28, "No space left on device")),  # writing the second temporary file
    ("fsync", KeyboardInterrupt()),
    ("replace", OSError(30, "Read-only file system")),  # renaming the second file into place
])
def test_a_failed_write_changes_no_file(tmp_path, monkeypatch, capsys, call, failure):
    """Two files to fix; a step of the second fails: both are left as they were, nothing is left behind, exit 2."""
    from artifact_lint.config import ConfigLoader
    from artifact_lint.fix_command import run_fix

    path = make_artifact(tmp_path, TWO_FILES)
    originals = {name: (path / name).read_bytes() for name in ("runtime.yaml", "input_schema.json")}
    _fail_on_call(monkeypatch, call, 2, failure)
    code = run_fix([str(path)], ConfigLoader(), {}, unsafe=False, show_diff=False, fmt="text", exit_zero=False)
    monkeypatch.undo()
    out = capsys.readouterr().out
    assert {name: (path / name).read_bytes() for name in originals} == originals
    assert sorted(os.listdir(path)) == sorted(["input_schema.json", "model.joblib", "runtime.yaml", "score.py"])
    if isinstance(failure, KeyboardInterrupt):
        assert code == 130
        return
    assert code == 2
    assert "No findings remain" not in out and "Fixed" not in out
    assert f"could not write runtime.yaml: {failure.strerror}" in out  # files are written in name order
    assert "RTY107" in out and "SCH" in out  # the findings really left on disk


def test_without_hard_links_the_originals_are_kept_as_copies(tmp_path, monkeypatch):
    from artifact_lint.config import ConfigLoader
    from artifact_lint.fix_command import run_fix

    path = make_artifact(tmp_path, TWO_FILES)

    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    _fail_on_call(monkeypatch, "replace", 2, OSError(5, "Input/output error"))
    assert run_fix([str(path)], ConfigLoader(), {}, unsafe=False, show_diff=False, fmt="json", exit_zero=False) == 2
    monkeypatch.undo()
    assert (path / "runtime.yaml").read_bytes() == TWO_FILES["runtime.yaml"].encode()  # rolled back from the copy
    assert sorted(os.listdir(path)) == sorted(["input_schema.json", "model.joblib", "runtime.yaml", "score.py"])
    monkeypatch.setattr(os, "link", no_links)
    assert run_fix([str(path)], ConfigLoader(), {}, unsafe=False, show_diff=False, fmt="json", exit_zero=False) == 0
    assert (path / "runtime.yaml").read_text() == RUNTIME_YAML
