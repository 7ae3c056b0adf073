"""The pre-commit hooks, installed with the real pre-commit from this checkout, on a real repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rules._samples import RUNTIME_YAML, artifact
from tests.helpers import REPO, write_files

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
pytestmark = pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(),
                                reason="needs git and this checkout's history")


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                          capture_output=True, text=True, timeout=600, env=_env(repo))


def _env(repo: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env["PRE_COMMIT_HOME"] = str(repo.parent / "pre-commit-cache")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _project_with_hook(tmp_path: Path) -> Path:
    """A new git repository whose pre-commit runs this checkout's artifact-lint hook (at HEAD)."""
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {head}\n    hooks:\n      - id: artifact-lint\n")
    installed = subprocess.run([*PRE_COMMIT, "install"], cwd=repo, capture_output=True, text=True, env=_env(repo))
    assert installed.returncode == 0, installed.stderr
    return repo


def test_commit_is_blocked_until_the_artifact_is_fixed(tmp_path):
    repo = _project_with_hook(tmp_path)
    write_files(repo / "models" / "churn", artifact({"runtime.yaml": RUNTIME_YAML.replace("'3.11'", "3.10")}))
    git(repo, "add", "-A")
    blocked = git(repo, "commit", "-q", "-m", "broken artifact")
    assert blocked.returncode != 0
    assert "RTY107" in blocked.stdout + blocked.stderr
    write_files(repo / "models" / "churn", {"runtime.yaml": RUNTIME_YAML})
    git(repo, "add", "-A")
    committed = git(repo, "commit", "-q", "-m", "fixed artifact")
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert "Passed" in committed.stdout + committed.stderr


def test_a_model_only_change_is_linted_and_blocked(tmp_path):
    repo = _project_with_hook(tmp_path)
    write_files(repo, {"README.md": "# project\n", "notebooks/train.py": "print('not an artifact')\n"})
    write_files(repo / "models" / "churn", artifact({"helpers.py": "X = 1\n"}))
    git(repo, "add", "-A")
    first = git(repo, "commit", "-q", "-m", "artifact and other files")
    assert first.returncode == 0, first.stdout + first.stderr  # files outside any artifact are passed over
    assert "not in an artifact" not in first.stdout + first.stderr
    # the riskiest commit a data scientist makes: only the model file changes, to a pickle the server cannot load
    write_files(repo / "models" / "churn", {"model.joblib": b"\x80\x02c__main__\nMyModel\nq\x00)\x81q\x01."})
    git(repo, "add", "-A")
    blocked = git(repo, "commit", "-q", "-m", "retrained")
    assert blocked.returncode != 0
    assert "MDL002" in blocked.stdout + blocked.stderr
    git(repo, "reset", "-q", "--hard")
    write_files(repo / "models" / "churn", {"helpers.py": "X = 2\n"})  # a helper module alone maps to its artifact
    git(repo, "add", "-A")
    helper = git(repo, "commit", "-q", "-m", "helper")
    assert helper.returncode == 0 and "artifact-lint" in helper.stdout + helper.stderr


def test_try_repo_runs_the_fix_hook_on_the_checkout(tmp_path):
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q")
    write_files(repo / "model", artifact({"runtime.yaml": RUNTIME_YAML.replace("'3.0'", "3.0")}))
    git(repo, "add", "-A")
    result = subprocess.run([*PRE_COMMIT, "try-repo", str(REPO), "artifact-lint-fix", "--all-files"], cwd=repo,
                            capture_output=True, text=True, timeout=600, env=_env(repo))
    assert "Fixed 1 problem (RTY101 x1)" in result.stdout, result.stdout + result.stderr
    assert (repo / "model" / "runtime.yaml").read_text() == RUNTIME_YAML
