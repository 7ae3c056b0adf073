"""init builds artifacts that lint clean and predict like the model they were built from."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from artifact_lint.diagnostics import Severity
from artifact_lint.generators.runtime_yaml import CondaEnvError, resolve_conda_env
from artifact_lint.generators.schema import render_schema
from tests.helpers import lint, run_cli

SLUG = "generalml_p311_cpu_x86_64_v1"
PREDICT_IN_SUBPROCESS = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("score", sys.argv[1] + "/score.py")
score = importlib.util.module_from_spec(spec)
spec.loader.exec_module(score)
print(json.dumps(score.predict(json.loads(sys.argv[2]))))
"""


@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    return frame.drop(columns="target").astype("float32"), frame["target"]


def _init(tmp_path, model, *extra) -> tuple[object, str]:
    target = tmp_path / "artifact"
    result = run_cli("init", str(target), "--model", str(model), "--conda-env", SLUG, "--python", "3.11", *extra)
    assert result.returncode == 0, result.stderr.decode()
    return target, result.stdout.decode()


def _sample(tmp_path, features) -> str:
    path = tmp_path / "sample.csv"
    features.head(10).to_csv(path, index=False)
    return str(path)


def _lints_clean(target) -> None:
    run = lint(target)
    assert not run.all_tool_errors()
    serious = [(d.code, d.message) for d in run.diagnostics if d.severity >= Severity.WARNING]
    assert serious == []
    assert {d.code for d in run.diagnostics} <= {"MDL006"}  # only the recorded library versions, for information


def _served(target, rows) -> list:
    """Predictions from the generated score.py, run in a fresh interpreter from another folder."""
    result = subprocess.run([sys.executable, "-c", PREDICT_IN_SUBPROCESS, str(target), json.dumps(rows)],
                            capture_output=True, text=True, timeout=300, cwd="/")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["prediction"]


def test_sklearn(tmp_path, iris):
    import joblib
    from sklearn.linear_model import LogisticRegression

    features, labels = iris
    model = LogisticRegression(max_iter=500).fit(features, labels)
    joblib.dump(model, tmp_path / "model.joblib")
    target, out = _init(tmp_path, tmp_path / "model.joblib", "--sample", _sample(tmp_path, features))
    assert "Wrote 5 files" in out
    _lints_clean(target)
    rows = features.head(5)
    assert _served(target, rows.values.tolist()) == model.predict(rows).tolist()
    assert _served(target, rows.to_dict(orient="records")) == model.predict(rows).tolist()


def test_xgboost_json_booster(tmp_path, iris):
    import xgboost

    features, labels = iris
    model = xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(features, labels)
    model.get_booster().save_model(tmp_path / "model.json")
    target, _ = _init(tmp_path, tmp_path / "model.json", "--sample", _sample(tmp_path, features))
    _lints_clean(target)
    rows = features.head(4)
    expected = model.get_booster().predict(xgboost.DMatrix(rows))
    assert np.allclose(_served(target, rows.values.tolist()), expected)


def test_lightgbm_text_booster(tmp_path, iris):
    import lightgbm

    features, labels = iris
    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(features, labels)
    model.booster_.save_model(tmp_path / "model.txt")
    target, _ = _init(tmp_path, tmp_path / "model.txt", "--sample", _sample(tmp_path, features))
    _lints_clean(target)
    rows = features.head(4)
    assert np.allclose(_served(target, rows.values.tolist()), model.booster_.predict(rows))


def test_onnx(tmp_path, iris):
    import onnxruntime
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    features, labels = iris
    model = LogisticRegression(max_iter=500).fit(features.to_numpy(), labels)
    (tmp_path / "model.onnx").write_bytes(to_onnx(model, features.to_numpy()[:1]).SerializeToString())
    target, _ = _init(tmp_path, tmp_path / "model.onnx")
    _lints_clean(target)
    rows = features.head(4).to_numpy()
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    expected = session.run(None, {session.get_inputs()[0].name: rows})[0]
    assert _served(target, rows.tolist()) == expected.tolist()


def test_pytorch_torchscript(tmp_path, iris):
    import torch

    features, _ = iris
    torch.manual_seed(0)
    network = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).eval()
    torch.jit.script(network).save(str(tmp_path / "model.pt"))
    target, _ = _init(tmp_path, tmp_path / "model.pt")
    _lints_clean(target)
    rows = features.head(3).to_numpy()
    with torch.no_grad():
        expected = network(torch.tensor(rows)).numpy()
    assert np.allclose(_served(target, rows.tolist()), expected, atol=1e-6)


def test_pytorch_state_dict_leaves_a_clear_place_for_the_module(tmp_path):
    import torch

    torch.save(torch.nn.Linear(4, 3).state_dict(), tmp_path / "model.pt")
    target, _ = _init(tmp_path, tmp_path / "model.pt")
    assert "def build_model():" in (target / "score.py").read_text()


def test_existing_files_are_not_overwritten_without_force(tmp_path, iris):
    import joblib
    from sklearn.linear_model import LogisticRegression

    features, labels = iris
    joblib.dump(LogisticRegression(max_iter=300).fit(features, labels), tmp_path / "model.joblib")
    target, _ = _init(tmp_path, tmp_path / "model.joblib")
    (target / "score.py").write_text("# mine\n")
    again = run_cli("init", str(target), "--model", str(tmp_path / "model.joblib"), "--conda-env", SLUG, "--python", "3.11")
    assert again.returncode == 2 and b"pass --force" in again.stderr
    assert (target / "score.py").read_text() == "# mine\n"
    forced = run_cli("init", str(target), "--model", str(tmp_path / "model.joblib"), "--conda-env", SLUG, "--python",
                     "3.11", "--force")
    assert forced.returncode == 0 and "def predict(data" in (target / "score.py").read_text()


@pytest.mark.parametrize("problem", ["unknown-format", "empty-sample", "column-mismatch", "unwritable", "unknown-slug"])
def test_bad_input_is_a_clear_error_and_leaves_nothing(tmp_path, iris, problem):
    import joblib
    from sklearn.linear_model import LogisticRegression

    features, labels = iris
    model = tmp_path / "model.joblib"
    joblib.dump(LogisticRegression(max_iter=300).fit(features, labels), model)
    target = tmp_path / "artifact"
    extra, conda = [], SLUG
    if problem == "unknown-format":
        model = tmp_path / "notes.txt"
        model.write_text("just text\n")
    elif problem == "empty-sample":
        (tmp_path / "empty.csv").write_text("a,b,c,d\n")
        extra = ["--sample", str(tmp_path / "empty.csv")]
    elif problem == "column-mismatch":
        wide = features.assign(extra=1.0)
        extra = ["--sample", _sample(tmp_path, wide)]
    elif problem == "unwritable":
        (tmp_path / "file").write_text("x")
        target = tmp_path / "file" / "artifact"
    elif problem == "unknown-slug":
        conda = "some_unknown_pack_v1"
    result = run_cli("init", str(target), "--model", str(model), "--conda-env", conda, "--python", "3.11", *extra)
    assert result.returncode == 2
    message = result.stderr.decode()
    assert message.startswith("artifact-lint: error: ") and "Traceback" not in message
    assert not target.exists()


def test_conda_env_resolution():
    assert resolve_conda_env(SLUG)[1:] == (SLUG, "data_science")
    assert resolve_conda_env("oci://my-bucket@ns/packs/churn_v1")[1:] == ("", "published")
    with pytest.raises(CondaEnvError, match="oci://"):
        resolve_conda_env("mystery_pack")


def test_schema_of_real_frames_lints_clean(tmp_path):
    from rules._samples import artifact

    frame = pd.DataFrame({
        "age": np.arange(6, dtype="int64"), "income": np.linspace(1, 2, 6), "color": pd.Categorical(list("rgbrgb")),
        "member": [True, False] * 3, "joined": pd.date_range("2024-01-01", periods=6),
        "visits": pd.array([1, None, 3, 4, None, 6], dtype="Int64"), 7: np.ones(6),
    })
    single = frame.head(1)
    for name, data in (("many", frame), ("single-row", single)):
        text = render_schema(data)
        assert "NaN" not in text
        (tmp_path / name).mkdir()
        from tests.helpers import make_artifact

        run = lint(make_artifact(tmp_path / name, artifact({"input_schema.json": text})))
        assert [d for d in run.diagnostics if d.code.startswith("SCH") and d.severity >= Severity.WARNING] == []
    assert json.loads(render_schema(frame))["schema"][6]["name"] == 7


def test_fix_writes_a_missing_score_py_for_the_model_it_finds(tmp_path, iris):
    import joblib
    from sklearn.linear_model import LogisticRegression

    from rules._samples import RUNTIME_YAML

    features, labels = iris
    model = LogisticRegression(max_iter=300).fit(features, labels)
    folder = tmp_path / "artifact"
    folder.mkdir()
    joblib.dump(model, folder / "model.joblib")
    (folder / "runtime.yaml").write_text(RUNTIME_YAML)
    held = run_cli("fix", str(folder))
    assert held.returncode == 1 and not (folder / "score.py").exists()
    result = run_cli("fix", "--unsafe-fixes", str(folder))
    assert result.returncode == 0, result.stdout.decode()
    assert b"ART001 x1" in result.stdout
    _lints_clean(folder)
    rows = features.head(3)
    assert _served(folder, rows.values.tolist()) == model.predict(rows).tolist()
