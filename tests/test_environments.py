"""verify --env auto / --pack: the deployment's environment, rebuilt with uv, on genuinely old models.

Old models are pickled by an old scikit-learn in an old pyenv interpreter (as the real artifacts
that fail were); the artifact then declares Python 3.12. Environment builds are slow: they are
marked, and the session shares one cache, so each environment is built once per run.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import jsonschema
import pytest

from artifact_lint.report.json_report import report_schema
from artifact_lint.rules._samples import runtime_yaml
from tests.helpers import lint, make_artifact, run_cli

PYENV = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
PUBLISHED_312 = runtime_yaml(python="'3.12'", slug="''", env_type="published",
                             path="oci://my-bucket@mynamespace/conda_environments/cpu/py312/1.0/py312_v1")
SCORE = '''\
import json
import os

import joblib


def load_model():
    return joblib.load(os.path.join(os.path.dirname(os.path.realpath(__file__)), "model.joblib"))


def predict(data, model=load_model()):
    payload = json.loads(data) if isinstance(data, (bytes, str)) else data
    return {"prediction": model.predict(payload["rows"]).tolist()}
'''
TRAIN = '''\
import sys
import joblib
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
X, y = load_iris(return_X_y=True)
joblib.dump(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y), sys.argv[1])
'''
REQUEST = json.dumps({"rows": [[5.1, 3.5, 1.4, 0.2]]})
TIMES: dict[str, float] = {}


def _pyenv_python(minor: str) -> Path:
    found = sorted(PYENV.glob(f"{minor}.*/bin/python"))
    if not found:
        pytest.skip(f"no Python {minor} under {PYENV} to pickle old models with")
    return found[-1]


@pytest.fixture(scope="session")
def cache_env(tmp_path_factory) -> dict:
    """One artifact-lint cache for the whole session; uv's own download cache stays the user's."""
    uv_cache = os.environ.get("UV_CACHE_DIR") or str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv")
    return {"XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache")), "UV_CACHE_DIR": uv_cache}


def _old_sklearn(tmp_path_factory, python_minor: str, sklearn: str, date: str) -> Path:
    """A virtual environment of an old Python with an old scikit-learn (wheels from PyPI, nothing built)."""
    from artifact_lint.verifier.environments import uv_binary
    import subprocess

    folder = tmp_path_factory.mktemp(f"sklearn-{sklearn}")
    subprocess.run([uv_binary(), "venv", "-q", "--python", str(_pyenv_python(python_minor)), str(folder)], check=True)
    subprocess.run([uv_binary(), "pip", "install", "-q", "--python", str(folder / "bin" / "python"), "--no-build",
                    "--exclude-newer", date, f"scikit-learn=={sklearn}", "joblib", "setuptools"], check=True)
    return folder / "bin" / "python"


def _artifact(folder: Path, python: Path, runtime: str = PUBLISHED_312) -> Path:
    import subprocess

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "score.py").write_text(SCORE, encoding="utf-8")
    (folder / "runtime.yaml").write_text(runtime, encoding="utf-8")
    (folder / "request.json").write_text(REQUEST, encoding="utf-8")
    subprocess.run([str(python), "-c", TRAIN, str(folder / "model.joblib")], check=True, capture_output=True)
    return folder


def _verify(path: Path, cache_env: dict, *extra: str):
    started = time.monotonic()
    result = run_cli("verify", str(path), "--env", "auto", "--input", str(path / "request.json"), "--format", "json",
                     *extra, env=cache_env)
    elapsed = time.monotonic() - started
    assert result.returncode in (0, 1), result.stderr.decode()
    return _single(result.stdout), elapsed


def _single(stdout: bytes) -> dict:
    """The report's one artifact, with its diagnostics (the report checked against its schema)."""
    data = json.loads(stdout)
    jsonschema.validate(data, report_schema())
    return {**data["artifacts"][0], "diagnostics": data["diagnostics"], "tool_errors": data["tool_errors"]}


@pytest.fixture(scope="session")
def old_forest(tmp_path_factory) -> Path:
    """A RandomForestClassifier pickled by scikit-learn 0.23.2 on Python 3.8, declared for a Python 3.12 pack."""
    python = _old_sklearn(tmp_path_factory, "3.8", "0.23.2", "2021-01-01")
    return _artifact(tmp_path_factory.mktemp("old-forest") / "artifact", python)


@pytest.fixture(scope="session")
def first_run(old_forest, cache_env):
    report, elapsed = _verify(old_forest, cache_env)
    TIMES["first build + verify"] = elapsed
    return report


@pytest.mark.slow
def test_old_forest_in_a_312_pack_fails_to_load(first_run):
    codes = {d["code"]: d for d in first_run["diagnostics"]}
    assert "VRF002" in codes, first_run["diagnostics"]
    assert "incompatible dtype" in codes["VRF002"]["message"]
    environment = first_run["verification"]["environment"]
    installed = {item["name"]: item for item in environment["installed"]}
    assert installed["python"]["version"].startswith("3.12.")
    sklearn = installed["scikit-learn"]
    assert tuple(int(p) for p in sklearn["version"].split(".")[:2]) >= (1, 3)
    assert "0.23.2 recorded in model.joblib has no release for Python 3.12" in sklearn["source"]
    assert {"joblib", "numpy"} <= set(installed)
    assert not environment["cached"] and environment["build_seconds"] > 0


@pytest.mark.slow
def test_second_run_reuses_the_environment(first_run, old_forest, cache_env):
    report, elapsed = _verify(old_forest, cache_env, "--no-cache")
    TIMES["cached rerun (verify --no-cache)"] = elapsed
    assert report["verification"]["environment"]["cached"] is True
    assert report["verification"]["environment"]["location"] == first_run["verification"]["environment"]["location"]
    assert "VRF002" in {d["code"] for d in report["diagnostics"]}
    print(f"\nenvironment timings: {TIMES}")


@pytest.mark.slow
def test_sound_artifact_passes_in_its_environment(first_run, tmp_path, cache_env):
    python = Path(first_run["verification"]["environment"]["python"])  # the 3.12 environment's own scikit-learn
    sound = _artifact(tmp_path / "sound", python)
    report, _ = _verify(sound, cache_env)
    assert report["diagnostics"] == [] and report["verification"]["ok"] is True
    installed = {item["name"]: item for item in report["verification"]["environment"]["installed"]}
    assert installed["scikit-learn"]["source"].startswith("recorded in model.joblib")


@pytest.mark.slow
def test_lint_verify_env_auto_and_the_config_key(first_run, old_forest, cache_env, tmp_path):
    result = run_cli("lint", str(old_forest), "--verify", "--env", "auto", "--select", "VRF,MDL007", "--format", "json",
                     env=cache_env)
    report = _single(result.stdout)
    assert report["verification"]["environment"]["cached"] is True
    codes = [d["code"] for d in report["diagnostics"]]
    assert "MDL007" in codes and "VRF002" in codes  # the static warning, and the run that proves it
    config = tmp_path / "artifact-lint.toml"
    config.write_text('[verify]\nenv = "auto"\ninput = "request.json"\n', encoding="utf-8")
    result = run_cli("verify", str(old_forest), "--config", str(config), "--format", "json", env=cache_env)
    report = _single(result.stdout)
    assert report["verification"]["environment"]["cached"] is True, result.stderr.decode()


@pytest.mark.slow
def test_pack_dir_runs_its_python_and_feeds_the_static_checks(first_run, old_forest, cache_env, tmp_path):
    environment = Path(first_run["verification"]["environment"]["location"])
    pack = tmp_path / "conda" / "py312_v1"
    (pack / "bin").mkdir(parents=True)
    (pack / "bin" / "python").symlink_to(environment / "bin" / "python")
    (pack / "conda-meta").mkdir()
    (pack / "conda-meta" / "scikit-learn-1.5.1-py312_0.json").write_text(
        json.dumps({"name": "scikit-learn", "version": "1.5.1"}), encoding="utf-8")
    result = run_cli("lint", str(old_forest), "--verify", "--pack", str(pack), "--select", "VRF,MDL006",
                     "--format", "json", env=cache_env)
    report = _single(result.stdout)
    assert report["verification"]["environment"]["location"] == str(pack)
    assert {"name": "scikit-learn", "version": "1.5.1", "source": f"conda-meta of {pack}"} in \
        report["verification"]["environment"]["installed"]
    mdl006 = [d["message"] for d in report["diagnostics"] if d["code"] == "MDL006"]
    assert any("the configured version is 1.5.1" in message for message in mdl006), report["diagnostics"]


@pytest.mark.slow
def test_a_class_gone_from_new_scikit_learn_is_an_error_statically_and_in_the_run(tmp_path_factory, cache_env):
    python = _old_sklearn(tmp_path_factory, "3.7", "0.21.3", "2019-12-01")  # still sklearn.ensemble.forest
    old = _artifact(tmp_path_factory.mktemp("forest-021") / "artifact", python)
    static = [d for d in lint(old).diagnostics if d.code == "MDL007"]
    assert [(d.severity.label, d.message.split(";")[0]) for d in static] == [
        ("error", "model.joblib pickles sklearn.ensemble.forest.RandomForestClassifier, which scikit-learn no longer "
                  "has (last in 0.23.2, gone in 0.24.2)")]
    report, _ = _verify(old, cache_env)
    failed = {d["code"]: d["message"] for d in report["diagnostics"]}
    assert "sklearn.ensemble.forest" in failed["VRF002"]


def test_an_unavailable_python_is_a_clear_error(tmp_path, cache_env):
    path = make_artifact(tmp_path, {"score.py": SCORE, "model.joblib": b"\x80\x04K\x01.",
                                    "runtime.yaml": PUBLISHED_312.replace("'3.12'", "'3.99'")})  # surely absent
    result = run_cli("verify", str(path), "--env", "auto", env=cache_env)
    assert result.returncode == 2
    output = (result.stdout + result.stderr).decode()
    assert "Python 3.99, which runtime.yaml declares, is not installed here" in output
    assert "`uv python install 3.99` or `pyenv install 3.99`" in output
    assert "Traceback" not in output


def test_a_python_the_verifier_cannot_run_is_said_before_building(tmp_path, cache_env):
    path = make_artifact(tmp_path, {"score.py": SCORE, "model.joblib": b"\x80\x04K\x01.",
                                    "runtime.yaml": PUBLISHED_312.replace("'3.12'", "'3.7'")})
    cache_env = {**cache_env, "XDG_CACHE_HOME": str(tmp_path / "own-cache")}
    result = run_cli("verify", str(path), "--env", "auto", env=cache_env)
    assert result.returncode == 2
    assert b"runtime.yaml declares Python 3.7, and the verifier runs score.py in Python 3.8 or newer" in \
        result.stdout + result.stderr
    assert not list(Path(cache_env["XDG_CACHE_HOME"]).glob("artifact-lint/envs/*"))  # nothing was built for it


def test_python_and_env_together_is_a_usage_error(tmp_path):
    result = run_cli("verify", str(tmp_path), "--env", "auto", "--python", "/usr/bin/python3")
    assert result.returncode == 2 and b"not both" in result.stderr


def test_plan_for_a_known_pack_uses_its_date(tmp_path):
    from artifact_lint.verifier.environments import plan_environment

    path = make_artifact(tmp_path, {"score.py": SCORE, "model.joblib": b"\x80\x04K\x01.", "runtime.yaml": runtime_yaml()})
    plan = plan_environment(_context(path))
    assert plan.python_version == "3.11" and plan.exclude_newer == "2024-09-19"
    assert plan.requirements == ["joblib", "setuptools"]
    assert "as of generalml_p311_cpu_x86_64_v1's date (known to exist by 2024-09-19" in plan.provenance[0].source


def test_plan_for_a_base_pack_pins_its_versions(tmp_path):
    from artifact_lint.rules.service_packs import BASE
    from artifact_lint.verifier.environments import plan_environment

    path = make_artifact(tmp_path, {**BASE, "score.py": SCORE.replace("import joblib", "import joblib\nimport sklearn")})
    plan = plan_environment(_context(path))
    assert {"joblib==1.4.2", "scikit-learn==1.5.1"} <= set(plan.requirements) and plan.exclude_newer == "2024-08-23"
    lines = {item.name: item for item in plan.provenance}
    assert lines["scikit-learn"].source.startswith("python_p311_any_x86_64_v1: requirements closure of oracle-ads")


def test_plan_from_an_ads_header_date(tmp_path):
    from artifact_lint.verifier.environments import plan_environment

    header = "# score.py 1.0 generated by ADS 2.8.5 on 20230301_141022\n"
    score = header + SCORE.replace("import joblib", "import joblib\nimport ads")
    path = make_artifact(tmp_path, {"score.py": score, "model.joblib": b"\x80\x04K\x01.", "runtime.yaml": PUBLISHED_312})
    plan = plan_environment(_context(path))
    assert plan.exclude_newer == "2023-03-01"
    assert "oracle-ads==2.8.5" in plan.requirements
    (tmp_path / "b").mkdir()
    unknown = make_artifact(tmp_path / "b", {"score.py": SCORE.replace("import joblib", "import joblib\nimport mystery_mod"),
                                            "model.joblib": b"\x80\x04K\x01.", "runtime.yaml": PUBLISHED_312})
    lines = {item.name: item for item in plan_environment(_context(unknown)).provenance}
    assert lines["mystery_mod"].version == "not installed"  # never a guessed PyPI name


def _context(path: Path):
    from artifact_lint.config import Config
    from artifact_lint.discovery import discover
    from artifact_lint.documents import Documents
    from artifact_lint.engine import LintContext

    artifact = discover([str(path)]).artifacts[0]
    return LintContext(artifact, Config(), Documents(artifact), set())
