"""[tool.artifact-lint] / artifact-lint.toml: found upward, applied per artifact, errors are clear."""

from __future__ import annotations

import json

from artifact_lint.config import ConfigLoader, parse_version_range
from artifact_lint.diagnostics import Severity
from rules._samples import RUNTIME_YAML, artifact
from tests.helpers import lint, make_artifact, run_cli, write_files

NUMERIC_PYTHON = artifact({"runtime.yaml": RUNTIME_YAML.replace("'3.11'", "3.11")})  # one RTY107 warning


def codes(run) -> list[str]:
    return [d.code for d in run.diagnostics]


def test_nearest_pyproject_section_applies(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.artifact-lint]\nignore = ["RTY107"]\n')
    (tmp_path / "models").mkdir()
    path = make_artifact(tmp_path / "models", NUMERIC_PYTHON)
    assert codes(lint(path)) == []


def test_pyproject_without_section_is_passed_over(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.artifact-lint]\nignore = ["RTY107"]\n')
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    path = make_artifact(tmp_path / "models", NUMERIC_PYTHON)
    assert codes(lint(path)) == []


def test_artifact_lint_toml_wins_over_pyproject_in_the_same_folder(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.artifact-lint]\nignore = ["RTY107"]\n')
    (tmp_path / "artifact-lint.toml").write_text('fail-on = "warning"\n')
    path = make_artifact(tmp_path, NUMERIC_PYTHON)
    run = lint(path)
    assert codes(run) == ["RTY107"] and run.exit_code() == 1


def test_severity_override_and_per_file_ignores(tmp_path):
    path = make_artifact(tmp_path, NUMERIC_PYTHON, config={"severity": {"RTY107": "error"}})
    [diagnostic] = lint(path).diagnostics
    assert diagnostic.severity is Severity.ERROR
    other = tmp_path / "other"
    other.mkdir()
    path = make_artifact(other, NUMERIC_PYTHON, config={"per-file-ignores": {"runtime.yaml": ["RTY1"]}})
    assert codes(lint(path)) == []


def test_runtime_from_config(tmp_path):
    path = make_artifact(tmp_path, artifact({"runtime.yaml": None}), config={"runtime": "container"})
    assert codes(lint(path)) == []


def test_python_versions_range():
    assert parse_version_range("3.8-3.12") == ((3, 8), (3, 12))
    assert parse_version_range(["3.9", "3.13"]) == ((3, 9), (3, 13))


def test_invalid_toml_is_a_one_line_error(tmp_path):
    path = make_artifact(tmp_path, NUMERIC_PYTHON)
    (tmp_path / "artifact-lint.toml").write_text("select = [\n")
    result = run_cli("lint", "--format", "json", str(path))
    assert result.returncode == 2
    [error] = json.loads(result.stdout)["tool_errors"]
    assert "not valid TOML" in error["message"]


def test_unknown_config_key_warns_on_stderr(tmp_path):
    path = make_artifact(tmp_path, NUMERIC_PYTHON, config={"selekt": ["RTY"]})
    result = run_cli("lint", str(path))
    assert result.returncode == 0
    assert b"unknown key 'selekt'" in result.stderr


def test_explicit_config_file_option(tmp_path):
    path = make_artifact(tmp_path, NUMERIC_PYTHON)
    write_files(tmp_path, {"ci.toml": 'fail-on = "warning"\n'})
    assert run_cli("lint", "--config", str(tmp_path / "ci.toml"), str(path)).returncode == 1


def test_loader_caches_per_folder(tmp_path):
    loader = ConfigLoader()
    assert loader.for_directory(tmp_path) is loader.for_directory(tmp_path)
