"""The verifier: runs score.py like the service, in a box, and never touches the artifact."""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from pathlib import Path

import pytest

from artifact_lint.rules.verify import PLAIN_SCORE, SCHEMA
from artifact_lint.verifier.runner import CHILD
from rules._samples import artifact
from tests.helpers import make_artifact, run_cli

FILES = artifact({"score.py": PLAIN_SCORE, "model.txt": "2.0", "input_schema.json": SCHEMA, "model.joblib": None})


def verify_json(*args, env=None) -> tuple[int, dict]:
    result = run_cli("verify", "--format", "json", *args, env=env)
    return result.returncode, json.loads(result.stdout)


def codes(report) -> list[str]:
    return sorted(d["code"] for d in report["diagnostics"])


def fingerprint(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def test_child_is_stdlib_python_38_and_never_imports_artifact_lint():
    source = CHILD.read_text()
    tree = ast.parse(source, feature_version=(3, 8))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "artifact_lint" not in imported
    import sys

    assert imported <= set(sys.stdlib_module_names)


def test_success_reports_timings_and_isolation(tmp_path):
    path = make_artifact(tmp_path, FILES)
    code, report = verify_json(str(path), "--repeat", "3", "--no-cache")
    assert code == 0 and report["diagnostics"] == []
    verification = report["artifacts"][0]["verification"]
    assert verification["ok"] and verification["timings"]["predict_runs"] == 3
    assert {"import", "load", "predict_p50", "predict_p95"} <= set(verification["timings"])
    assert verification["isolation"]["level"] == "sandbox" and "empty network namespace" in verification["isolation"]["network"]
    assert verification["payload"] == "3 rows from input_schema.json, as columns"


def test_the_artifact_is_byte_identical_afterwards(tmp_path):
    writer = PLAIN_SCORE.replace("def predict(data, model=load_model()):\n",
                                 "def predict(data, model=load_model()):\n"
                                 "    open(os.path.join(os.path.dirname(__file__), 'log.txt'), 'a').write('x')\n")
    path = make_artifact(tmp_path, {**FILES, "score.py": writer})
    before = fingerprint(path)
    code, report = verify_json(str(path), "--no-cache")
    assert fingerprint(path) == before
    # the copy is read-only, as everything but /home/datascience is on the service: predict fails there too
    assert codes(report) == ["VRF003", "VRF008"] and code == 1
    assert "Read-only file system" in report["diagnostics"][0]["message"]


def test_environment_is_scrubbed(tmp_path):
    nosy = PLAIN_SCORE.replace("def predict(data, model=load_model()):\n",
                               "def predict(data, model=load_model()):\n"
                               "    leaked = [k for k in os.environ if 'SECRET' in k or 'PROXY' in k or k.startswith('OCI_')]\n"
                               "    assert not leaked, leaked\n"
                               "    assert os.getcwd() != os.path.dirname(os.path.realpath(__file__))\n")
    path = make_artifact(tmp_path, {**FILES, "score.py": nosy})
    env = {"AWS_SECRET_ACCESS_KEY": "x", "OCI_CLI_KEY_CONTENT": "y", "HTTPS_PROXY": "http://127.0.0.1:1"}
    code, report = verify_json(str(path), "--no-cache", env=env)
    assert report["diagnostics"] == [] and code == 0


def test_sklearn_prediction_that_is_an_ndarray(tmp_path):
    import joblib
    from sklearn.linear_model import LogisticRegression

    score = ("import os\nimport joblib\n\n\ndef load_model():\n"
             "    return joblib.load(os.path.join(os.path.dirname(os.path.realpath(__file__)), 'model.joblib'))\n\n\n"
             "def predict(data, model=load_model()):\n    return model.predict(data)\n")
    path = make_artifact(tmp_path, artifact({"score.py": score}))
    joblib.dump(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), path / "model.joblib")
    (tmp_path / "request.json").write_text("[[0.2], [0.9]]")
    code, report = verify_json(str(path), "--input", str(tmp_path / "request.json"), "--no-cache")
    assert codes(report) == ["VRF004"] and code == 1
    assert "numpy.ndarray" in report["diagnostics"][0]["message"]


def test_input_bytes_reach_predict_as_bytes(tmp_path):
    echo = PLAIN_SCORE.replace('return {"prediction": [value * model["scale"] for value in data["x"]]}',
                               'assert isinstance(data, bytes), type(data)\n    return {"prediction": len(data)}')
    path = make_artifact(tmp_path, {**FILES, "score.py": echo})
    (tmp_path / "image.bin").write_bytes(b"\x89PNG")
    code, report = verify_json(str(path), "--input-bytes", str(tmp_path / "image.bin"), "--no-cache")
    assert report["diagnostics"] == [] and code == 0


def test_results_are_cached_until_something_changes(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    path = make_artifact(tmp_path, FILES)
    first = run_cli("verify", str(path), env=env)
    second = run_cli("verify", str(path), env=env)
    assert b"cached result" not in first.stdout and b"cached result" in second.stdout
    (path / "model.txt").write_text("3.0")
    third = run_cli("verify", str(path), env=env)
    assert b"cached result" not in third.stdout
    assert b"cached result" not in run_cli("verify", "--no-cache", str(path), env=env).stdout


def test_lint_verify_merges_static_and_runtime_findings(tmp_path):
    broken = PLAIN_SCORE.replace('data["x"]', 'data["y"]')
    path = make_artifact(tmp_path, {**FILES, "score.py": broken})
    result = run_cli("lint", "--verify", "--format", "json", str(path))
    report = json.loads(result.stdout)
    assert "VRF003" in codes(report) and "ART004" in codes(report)
    assert report["artifacts"][0]["verification"]["stage"] == "predict"


@pytest.mark.parametrize("args", [["--input", "x.json", "--input-bytes", "x.json"]])
def test_usage_errors(tmp_path, args):
    (tmp_path / "x.json").write_text("{}")
    path = make_artifact(tmp_path, FILES)
    result = run_cli("verify", str(path), *args, cwd=tmp_path)
    assert result.returncode == 2 and b"not both" in result.stderr


def test_sklearn_artifact_built_by_init_verifies_clean(tmp_path):
    import joblib
    import pandas as pd
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    frame = load_iris(as_frame=True).frame
    features = frame.drop(columns="target")
    joblib.dump(LogisticRegression(max_iter=300).fit(features, frame["target"]), tmp_path / "model.joblib")
    features.head(10).to_csv(tmp_path / "sample.csv", index=False)
    pd.DataFrame({"target": frame["target"].head(10)}).to_csv(tmp_path / "target.csv", index=False)
    target = tmp_path / "artifact"
    made = run_cli("init", str(target), "--model", str(tmp_path / "model.joblib"), "--conda-env",
                   "generalml_p311_cpu_x86_64_v1", "--python", "3.11", "--sample", str(tmp_path / "sample.csv"),
                   "--target-sample", str(tmp_path / "target.csv"))
    assert made.returncode == 0, made.stderr
    code, report = verify_json(str(target), "--repeat", "3", "--no-cache")
    assert report["diagnostics"] == [] and code == 0
    assert report["artifacts"][0]["verification"]["timings"]["predict_runs"] == 3


def test_lint_verify_takes_the_verify_options(tmp_path):
    slow = PLAIN_SCORE.replace("def predict(data, model=load_model()):\n",
                               "def predict(data, model=load_model()):\n    import time\n    time.sleep(30)\n")
    path = make_artifact(tmp_path, {**FILES, "score.py": slow})
    result = run_cli("lint", "--verify", "--timeout", "1", "--require-sandbox", "--no-cache", "--format", "json",
                     "--python", sys.executable, str(path))
    report = json.loads(result.stdout)
    assert "VRF006" in codes(report) and "predict did not finish within 1 s" in result.stdout.decode()
    refused = run_cli("lint", "--timeout", "1", str(path))
    assert refused.returncode == 2 and b"need --verify" in refused.stderr


GROUP_SCORE = '''\
import os


def load_model(model_folder):
    with open(os.path.join(model_folder, "model.txt")) as handle:
        return {"scale": float(handle.read())}


def predict(data, model):
    return {"prediction": [value * model["scale"] for value in data["x"]]}
'''


def test_a_model_group_runs_with_a_member_model_folder(tmp_path):
    group = {name: text for name, text in FILES.items() if name not in ("model.txt", "model.joblib")}
    path = make_artifact(tmp_path, {**group, "score.py": GROUP_SCORE})
    member = tmp_path / "member"
    member.mkdir()
    (member / "model.txt").write_text("3.0")
    code, report = verify_json(str(path), "--model-folder", str(member), "--no-cache")
    assert code == 0 and report["diagnostics"] == [], report
    assert report["artifacts"][0]["contract"]["kind"] == "model-group"
    (member / "model.txt").write_text("not a number")  # the member's content is part of the cached result's key
    code, report = verify_json(str(path), "--model-folder", str(member))
    assert codes(report) == ["VRF002"] and "could not convert" in report["diagnostics"][0]["message"]
    missing = run_cli("verify", str(path))
    assert missing.returncode == 2 and b"pass --model-folder" in missing.stderr + missing.stdout
    (tmp_path / "single").mkdir()
    single = make_artifact(tmp_path / "single", FILES)
    wrong = run_cli("verify", "--model-folder", str(member), str(single))
    assert wrong.returncode == 2 and b"for model-group artifacts" in wrong.stderr + wrong.stdout
