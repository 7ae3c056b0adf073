"""What users install is what is tested: build the wheel, install it (not editable) into a fresh
virtualenv outside the checkout, and run lint, verify and init from there.

The last round shipped a wheel without the verifier and an editable test install never noticed;
this test is the only place the suite sees the installed package, so .ci/run runs it with the rest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _run(*command, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "GITHUB_ACTIONS")}
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(artifact-lint executable, the wheel, a folder outside the checkout) for the whole module."""
    outside = tmp_path_factory.mktemp("installed")
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                 outside / "dist", REPO, cwd=outside)
    assert built.returncode == 0, built.stderr
    wheel = next((outside / "dist").glob("artifact_lint-*.whl"))
    venv = outside / "venv"
    assert _run(sys.executable, "-m", "venv", venv, cwd=outside).returncode == 0
    install = _run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=outside)
    assert install.returncode == 0, install.stderr
    return venv / "bin" / "artifact-lint", wheel, outside


def test_the_wheel_ships_every_package_of_the_tree(installed):
    _, wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, package in ((REPO / "artifact_lint", "artifact_lint"), (REPO / "rules", "artifact_lint/rules"),
                            (REPO / "generators", "artifact_lint/generators")):
        for init in folder.rglob("__init__.py"):
            shipped = f"{package}/{init.relative_to(folder).as_posix()}"
            assert shipped in names, f"{shipped} is not in the wheel"
    assert "artifact_lint/verifier/child.py" in names
    assert not any(name.startswith(("rules/", "generators/", "tests/")) for name in names)


def test_the_installed_tool_is_not_the_checkout(installed):
    executable, _, outside = installed
    where = _run(executable.parent / "python", "-c", "import artifact_lint; print(artifact_lint.__file__)", cwd=outside)
    assert where.returncode == 0 and str(REPO) not in where.stdout and "site-packages" in where.stdout


def test_lint_runs_from_the_install(installed):
    executable, _, outside = installed
    result = _run(executable, "lint", "--format", "json", REPO / "examples", cwd=outside)
    report = json.loads(result.stdout)
    assert result.returncode == 1, result.stderr
    by_artifact = {Path(a["path"]).name: a for a in report["artifacts"]}
    assert {"clean", "broken"} <= set(by_artifact)
    assert not [d for d in report["diagnostics"] if d["artifact"].endswith("clean") and d["severity"] != "info"]


def test_verify_runs_from_the_install(installed):
    executable, _, outside = installed
    # the example's model needs scikit-learn, which the test environment has and the fresh install does not
    result = _run(executable, "verify", "--format", "json", "--no-cache", "--python", sys.executable,
                  REPO / "examples" / "clean", cwd=outside)
    assert result.returncode == 0, result.stdout + result.stderr
    verification = json.loads(result.stdout)["artifacts"][0]["verification"]
    assert verification["ok"] and verification["stage"] == "done"


def test_init_runs_from_the_install(installed, tmp_path):
    import joblib
    from sklearn.linear_model import LogisticRegression

    executable, _, outside = installed
    joblib.dump(LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0]], [0, 1]), tmp_path / "model.joblib")
    target = tmp_path / "artifact"
    made = _run(executable, "init", target, "--model", tmp_path / "model.joblib", "--conda-env",
                "generalml_p311_cpu_x86_64_v1", "--python", "3.11", cwd=outside)
    assert made.returncode == 0, made.stderr
    assert {"score.py", "runtime.yaml", "model.joblib"} <= {path.name for path in target.iterdir()}
    linted = _run(executable, "lint", target, cwd=outside)
    assert linted.returncode == 0, linted.stdout
