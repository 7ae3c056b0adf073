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


def _target_sample(tmp_path, labels) -> str:
    path = tmp_path / "target.csv"
    labels.head(10).to_frame("species").to_csv(path, index=False)
    return str(path)


def _agrees_with_output_schema(target, prediction: list) -> None:
    """predict gives as many values per row as output_schema.json lists columns."""
    columns = json.loads((target / "output_schema.json").read_text())["schema"]
    widths = {len(row) if isinstance(row, list) else 1 for row in prediction}
    assert widths == {len(columns)}, (widths, columns)


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


@pytest.mark.parametrize("suffix", [".json", ".ubj"])
def test_xgboost_booster_json_and_ubj(tmp_path, iris, suffix):
    import xgboost

    features, labels = iris
    model = xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(features, labels)
    model.get_booster().save_model(tmp_path / f"model{suffix}")
    rows = features.head(4)
    scores = model.get_booster().predict(xgboost.DMatrix(rows))
    bare, out = _init(tmp_path / "bare", tmp_path / f"model{suffix}", "--sample", _sample(tmp_path, features))
    assert "an XGBoost" in (bare / "score.py").read_text()
    _lints_clean(bare)
    assert np.allclose(_served(bare, rows.values.tolist()), scores)  # no output schema: the booster's scores
    target, _ = _init(tmp_path / "labels", tmp_path / f"model{suffix}", "--sample", _sample(tmp_path, features),
                      "--target-sample", _target_sample(tmp_path, labels))
    _lints_clean(target)
    served = _served(target, rows.values.tolist())
    assert served == model.predict(rows).tolist()  # one label per row, as output_schema.json says
    _agrees_with_output_schema(target, served)


def test_lightgbm_text_booster(tmp_path, iris):
    import lightgbm

    features, labels = iris
    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(features, labels)
    model.booster_.save_model(tmp_path / "model.txt")
    target, _ = _init(tmp_path, tmp_path / "model.txt", "--sample", _sample(tmp_path, features),
                      "--target-sample", _target_sample(tmp_path, labels))
    _lints_clean(target)
    rows = features.head(4)
    served = _served(target, rows.values.tolist())
    assert served == model.predict(rows).tolist()
    _agrees_with_output_schema(target, served)


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


def _network():
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).eval()


def test_pytorch_torchscript(tmp_path, iris):
    import torch

    features, labels = iris
    network = _network()
    torch.jit.script(network).save(str(tmp_path / "model.pt"))
    target, _ = _init(tmp_path / "scores", tmp_path / "model.pt")
    _lints_clean(target)
    rows = features.head(3).to_numpy()
    with torch.no_grad():
        expected = network(torch.tensor(rows)).numpy()
    assert np.allclose(_served(target, rows.tolist()), expected, atol=1e-6)
    labelled, _ = _init(tmp_path / "labels", tmp_path / "model.pt", "--target-sample", _target_sample(tmp_path, labels))
    served = _served(labelled, rows.tolist())
    assert served == expected.argmax(axis=1).tolist()
    _agrees_with_output_schema(labelled, served)


NETWORK_PY = """\
import torch


class Net(torch.nn.Module):
    def __init__(self, features=4, classes=3):
        super().__init__()
        self.hidden = torch.nn.Linear(features, 8)
        self.out = torch.nn.Linear(8, classes)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))
"""


def _net(tmp_path):
    """network.Net, defined in tmp_path/network.py as a user's training code would."""
    import importlib.util

    (tmp_path / "network.py").write_text(NETWORK_PY)
    spec = importlib.util.spec_from_file_location("network", tmp_path / "network.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["network"] = module
    spec.loader.exec_module(module)
    return module.Net


def test_pytorch_state_dict_needs_its_class_and_then_serves(tmp_path, iris):
    import torch

    features, labels = iris
    torch.manual_seed(0)
    net = _net(tmp_path)().eval()
    torch.save(net.state_dict(), tmp_path / "model.pt")
    refused = run_cli("init", str(tmp_path / "refused"), "--model", str(tmp_path / "model.pt"), "--conda-env", SLUG,
                      "--python", "3.11")
    assert refused.returncode == 2 and b"--model-class module:Class" in refused.stderr
    assert not (tmp_path / "refused").exists()
    target, out = _init(tmp_path, tmp_path / "model.pt", "--model-class", "network:Net",
                        "--target-sample", _target_sample(tmp_path, labels))
    assert "network.py" in out  # the module that defines the class ships in the artifact
    score = (target / "score.py").read_text()
    assert "from network import Net" in score and "NotImplementedError" not in score
    _lints_clean(target)
    rows = features.head(3).to_numpy()
    with torch.no_grad():
        expected = net(torch.tensor(rows)).numpy().argmax(axis=1).tolist()
    served = _served(target, rows.tolist())
    assert served == expected
    _agrees_with_output_schema(target, served)


@pytest.mark.parametrize(("model_class", "message"), [
    ("network:Missing", b"network defines no top-level class Missing"),
    ("elsewhere:Net", b"elsewhere.py is neither in"),
    ("network", b"must look like module:Class"),
])
def test_model_class_problems_are_clear(tmp_path, model_class, message):
    import torch

    torch.save(_net(tmp_path)().state_dict(), tmp_path / "model.pt")
    result = run_cli("init", str(tmp_path / "artifact"), "--model", str(tmp_path / "model.pt"), "--conda-env", SLUG,
                     "--python", "3.11", "--model-class", model_class)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "artifact").exists()


def test_model_class_needing_arguments_is_refused(tmp_path):
    import torch

    torch.save(torch.nn.Linear(4, 3).state_dict(), tmp_path / "model.pt")
    (tmp_path / "network.py").write_text(NETWORK_PY.replace("features=4, classes=3", "features, classes"))
    result = run_cli("init", str(tmp_path / "artifact"), "--model", str(tmp_path / "model.pt"), "--conda-env", SLUG,
                     "--python", "3.11", "--model-class", "network:Net")
    assert result.returncode == 2 and b"Net() needs arguments (features, classes)" in result.stderr


def test_pickled_torch_module_ships_its_module(tmp_path, iris):
    import torch

    features, _ = iris
    torch.manual_seed(0)
    net = _net(tmp_path)().eval()
    torch.save(net, tmp_path / "model.pt")
    target, out = _init(tmp_path, tmp_path / "model.pt")
    assert "network.py" in out and "import network" in (target / "score.py").read_text()
    _lints_clean(target)
    rows = features.head(3).to_numpy()
    with torch.no_grad():
        expected = net(torch.tensor(rows)).numpy()
    assert np.allclose(_served(target, rows.tolist()), expected, atol=1e-6)


GENERIC_PY = """\
class Threshold:
    \"\"\"A model that is not from any ML library: a rule on one column.\"\"\"

    def __init__(self, column, cut):
        self.column, self.cut = column, cut

    def predict(self, frame):
        return (frame[self.column] > self.cut).astype(int).to_numpy()
"""


def test_generic_pickle_with_its_own_class(tmp_path, iris):
    import importlib.util
    import pickle

    features, _ = iris
    (tmp_path / "rules_model.py").write_text(GENERIC_PY)
    spec = importlib.util.spec_from_file_location("rules_model", tmp_path / "rules_model.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["rules_model"] = module
    spec.loader.exec_module(module)
    model = module.Threshold("petal length (cm)", 2.5)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model, protocol=4))
    target, out = _init(tmp_path, tmp_path / "model.pkl", "--sample", _sample(tmp_path, features))
    assert "rules_model.py" in out
    _lints_clean(target)
    rows = features.head(5)
    assert _served(target, rows.to_dict(orient="records")) == model.predict(rows).tolist()


def test_pickles_of_main_classes_are_refused(tmp_path):
    (tmp_path / "model.pkl").write_bytes(b"\x80\x02c__main__\nMyModel\nq\x00)\x81q\x01.")
    result = run_cli("init", str(tmp_path / "artifact"), "--model", str(tmp_path / "model.pkl"), "--conda-env", SLUG,
                     "--python", "3.11")
    assert result.returncode == 2 and b"classes from __main__ (MyModel)" in result.stderr


def test_parquet_samples_and_a_clear_message_without_pyarrow(tmp_path, iris):
    import joblib
    from sklearn.linear_model import LogisticRegression

    features, labels = iris
    model = LogisticRegression(max_iter=500).fit(features, labels)
    joblib.dump(model, tmp_path / "model.joblib")
    features.head(10).to_parquet(tmp_path / "sample.parquet")
    labels.head(10).to_frame("species").to_parquet(tmp_path / "target.parquet")
    target, _ = _init(tmp_path, tmp_path / "model.joblib", "--sample", str(tmp_path / "sample.parquet"),
                      "--target-sample", str(tmp_path / "target.parquet"))
    _lints_clean(target)
    schema = json.loads((target / "input_schema.json").read_text())["schema"]
    assert [item["name"] for item in schema] == list(features.columns)
    _agrees_with_output_schema(target, _served(target, features.head(3).values.tolist()))
    blocker = tmp_path / "no_pyarrow"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name in ('pyarrow', 'fastparquet') else real(name, *a)\n")
    result = run_cli("init", str(tmp_path / "other"), "--model", str(tmp_path / "model.joblib"), "--conda-env", SLUG,
                     "--python", "3.11", "--sample", str(tmp_path / "sample.parquet"),
                     env={"PYTHONPATH": str(blocker)})
    assert result.returncode == 2
    assert b"is Parquet, which needs pyarrow: pip install 'artifact-lint[parquet]'" in result.stderr


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
