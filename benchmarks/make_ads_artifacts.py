#!/usr/bin/env python
"""Make ADS-prepared reference artifacts, offline, to check artifact-lint against real ADS output.

    pip install oracle-ads scikit-learn xgboost lightgbm torch==2.13.0   # in a scratch venv
    python benchmarks/make_ads_artifacts.py OUT_DIR [framework ...]
    ARTIFACT_LINT_ADS_ARTIFACTS=OUT_DIR .venv/bin/python -m pytest tests/test_ads_reference.py

ADS's output is never committed to this repository (its templates are ADS's); it is made
on demand with ADS's public API. Frameworks: see MAKERS at the bottom (onnx needs
skl2onnx + onnxruntime + onnxmltools, tensorflow needs tensorflow-cpu).

Offline note: oracle-ads 2.16 checks that an oci:// conda path exists in Object Storage
(EnvInfo._validate_conda_env_path) and reads the pack's "opc-meta-manifest" header
(ObjectStorageDetails.fetch_metadata_of_object); both need the network (about 95 s of
retries each, offline). Unless ADS_NO_OFFLINE_STUB=1, the first is replaced by "the path
exists" and the second raises, so ADS falls back to slug = the path's basename and to the
Python versions passed in. Nothing else in ADS is patched.
"""
import os
import sys
import tempfile

# ---- offline hygiene: never look like we are inside OCI ---------------------
for var in (
    "OCI_RESOURCE_PRINCIPAL_VERSION", "OCI_RESOURCE_PRINCIPAL_RPST", "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM",
    "OCI_RESOURCE_REGION", "NB_SESSION_OCID", "JOB_RUN_OCID", "NB_SESSION_COMPARTMENT_OCID", "PROJECT_OCID",
    "CONDA_PREFIX",
):
    os.environ.pop(var, None)

if len(sys.argv) < 2:
    sys.exit(__doc__)
OUT = os.path.abspath(sys.argv[1])


def throwaway_oci_config() -> str:
    """An API-key config with a fresh, never-registered key, so ADS never tries resource principals."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    folder = tempfile.mkdtemp(prefix="ads-fake-oci-")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = os.path.join(folder, "key.pem")
    with open(key_file, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    config = os.path.join(folder, "config")
    with open(config, "w") as handle:
        handle.write("[DEFAULT]\nuser=ocid1.user.oc1..aaaaaaaafake\nfingerprint=00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00\n"
                     f"tenancy=ocid1.tenancy.oc1..aaaaaaaafake\nregion=us-ashburn-1\nkey_file={key_file}\n")
    return config


import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import ads  # noqa: E402

# Fake API-key auth so that ADS never tries resource principals / IMDS.
ads.set_auth(auth="api_key", oci_config_location=throwaway_oci_config())

INFERENCE_ENV = (
    "oci://service-conda-packs@id19sfcrra6z/service_pack/cpu/"
    "General_Machine_Learning_for_CPUs_on_Python_3.11/1.0/"
    "generalml_p311_cpu_x86_64_v1"
)
PYVER = "3.11"
IGNORE_CONDA_ERROR = os.environ.get("ADS_IGNORE_CONDA_ERROR", "0") == "1"


def install_offline_stub():
    from ads.common.object_storage_details import ObjectStorageDetails
    from ads.model.runtime.env_info import EnvInfo

    def _validate_conda_env_path(env_path, auth=None):  # pretend the pack exists
        return None

    def _fetch_metadata_of_object(self):  # behave like "no manifest metadata"
        raise RuntimeError("offline: Object Storage metadata not fetched")

    EnvInfo._validate_conda_env_path = staticmethod(_validate_conda_env_path)
    ObjectStorageDetails.fetch_metadata_of_object = _fetch_metadata_of_object


if os.environ.get("ADS_NO_OFFLINE_STUB", "0") != "1":
    install_offline_stub()


def prepare_kwargs(X_sample, y_sample, **extra):
    kw = dict(
        inference_conda_env=INFERENCE_ENV,
        inference_python_version=PYVER,
        training_conda_env=INFERENCE_ENV,
        training_python_version=PYVER,
        force_overwrite=True,
        X_sample=X_sample,
        y_sample=y_sample,
        ignore_pending_changes=True,
        ignore_conda_error=IGNORE_CONDA_ERROR,
    )
    kw.update(extra)
    return kw


def iris():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    return X.astype("float64"), y


def art_dir(name):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    return d


# ---------------------------------------------------------------- frameworks
def make_sklearn():
    from sklearn.linear_model import LogisticRegression
    from ads.model.framework.sklearn_model import SklearnModel

    X, y = iris()
    est = LogisticRegression(max_iter=500).fit(X, y)
    m = SklearnModel(estimator=est, artifact_dir=art_dir("sklearn"))
    m.prepare(**prepare_kwargs(X[:5], y[:5], use_case_type="multinomial_classification"))
    return m, X[:3]


def make_sklearn_ignore_conda():
    """Same as sklearn but prepare(ignore_conda_error=True): the 'container runtime' shape."""
    from sklearn.linear_model import LogisticRegression
    from ads.model.framework.sklearn_model import SklearnModel

    X, y = iris()
    est = LogisticRegression(max_iter=500).fit(X, y)
    m = SklearnModel(estimator=est, artifact_dir=art_dir("sklearn_ignore_conda"))
    m.prepare(**prepare_kwargs(X[:5], y[:5], ignore_conda_error=True))
    return m, X[:3]


def _mixed_frame(n=40, seed=0, datetime_as_str=True):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype("int64"),          # int64
            "income": rng.normal(5e4, 1e4, n),                       # float64
            "color": pd.Categorical(rng.choice(["red", "green", "blue"], n)),  # category
            "member": rng.choice([True, False], n),                  # bool
            "joined": pd.date_range("2020-01-01", periods=n, freq="D"),  # datetime64[ns]
            "visits": pd.array(                                      # nullable Int64 with <NA>
                [None if i % 7 == 0 else int(i) for i in range(n)], dtype="Int64"
            ),
            "score": rng.normal(size=n),                             # float64
            "bucket": rng.integers(0, 5, n),                         # int64
        }
    )
    if datetime_as_str:
        # ADS 2.16 cannot write input_schema.json for a datetime64 column
        # ("Object of type Timestamp is not JSON serializable"), see
        # make_sklearn_datetime_partial; keep the dates as ISO strings instead.
        df["joined"] = df["joined"].dt.strftime("%Y-%m-%d")
    y = pd.Series(rng.integers(0, 2, n), name="label")
    return df, y


def _mixed_pipeline():
    """Built-in sklearn pieces only (so score.py can unpickle it anywhere).

    Columns are addressed by position so the same pipeline fits str- and
    int-named frames. The datetime column (position 4) is dropped.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), [2]),
            ("nullable", SimpleImputer(strategy="median"), [5]),
            ("num", "passthrough", [0, 1, 3, 6, 7]),
        ],
        remainder="drop",
    )
    return Pipeline(
        [("pre", pre), ("rf", RandomForestClassifier(n_estimators=5, random_state=0))]
    )


CUSTOM_ENV = "oci://my-conda-bucket@mytenancyns/conda_environments/cpu/myenv/1.0/myenv_v1_0"


def make_sklearn_custom_conda():
    """Published/custom (non-service) conda pack path -> INFERENCE_ENV_TYPE: published."""
    from sklearn.linear_model import LogisticRegression
    from ads.model.framework.sklearn_model import SklearnModel

    X, y = iris()
    est = LogisticRegression(max_iter=500).fit(X, y)
    m = SklearnModel(estimator=est, artifact_dir=art_dir("sklearn_custom_conda"))
    m.prepare(**prepare_kwargs(X[:5], y[:5], inference_conda_env=CUSTOM_ENV,
                               training_conda_env=CUSTOM_ENV))
    return m, X[:3]


def make_sklearn_single_row():
    """X_sample with ONE row: ADS's Schema.to_json_file uses plain json.dumps,
    so the undefined std/skew land in input_schema.json as bare NaN (not
    strict JSON)."""
    from sklearn.linear_model import LogisticRegression
    from ads.model.framework.sklearn_model import SklearnModel

    X, y = iris()
    est = LogisticRegression(max_iter=500).fit(X, y)
    m = SklearnModel(estimator=est, artifact_dir=art_dir("sklearn_single_row"))
    m.prepare(**prepare_kwargs(X[:1], y[:1]))
    return m, X[:3]


def make_sklearn_mixed():
    """DataFrame with int/float/category/bool/datetime/Int64 columns, str names.

    NB: scikit-learn (not ADS) refuses a DataFrame whose column names mix str
    and int ("Feature names are only supported if all input features have string
    names"), so int column names get their own artifact: sklearn_mixed_intcols.
    """
    from ads.model.framework.sklearn_model import SklearnModel

    df, y = _mixed_frame()
    est = _mixed_pipeline().fit(df, y)
    m = SklearnModel(estimator=est, artifact_dir=art_dir("sklearn_mixed"))
    m.prepare(**prepare_kwargs(df.head(10), y.head(10)))
    return m, df.head(3)


def make_sklearn_datetime_partial():
    """Real datetime64 column: ADS writes score.py/runtime.yaml/model, then
    crashes while writing input_schema.json, leaving it EMPTY (0 bytes).
    The folder is kept as a reference for a half-prepared artifact; the
    expected TypeError is swallowed here."""
    from ads.model.framework.sklearn_model import SklearnModel

    df, y = _mixed_frame(datetime_as_str=False)
    est = _mixed_pipeline().fit(df, y)
    m = SklearnModel(estimator=est, artifact_dir=art_dir("sklearn_datetime_partial"))
    try:
        m.prepare(**prepare_kwargs(df.head(10), y.head(10)))
        print("[sklearn_datetime_partial] UNEXPECTED: prepare succeeded")
    except TypeError as e:
        print(f"[sklearn_datetime_partial] expected ADS failure: {e}")
    return m, None


def make_sklearn_mixed_intcols():
    """Same mixed dtypes, but every column name is an int (0..7)."""
    from ads.model.framework.sklearn_model import SklearnModel

    df, y = _mixed_frame()
    df.columns = list(range(df.shape[1]))
    est = _mixed_pipeline().fit(df, y)
    m = SklearnModel(estimator=est, artifact_dir=art_dir("sklearn_mixed_intcols"))
    m.prepare(**prepare_kwargs(df.head(10), y.head(10)))
    return m, df.head(3)


def make_xgboost():
    import xgboost as xgb
    from ads.model.framework.xgboost_model import XGBoostModel

    X, y = iris()
    est = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(X, y)
    m = XGBoostModel(estimator=est, artifact_dir=art_dir("xgboost"))
    m.prepare(**prepare_kwargs(X[:5], y[:5]))
    return m, X[:3]


def make_lightgbm():
    import lightgbm as lgb
    from ads.model.framework.lightgbm_model import LightGBMModel

    X, y = iris()
    est = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    m = LightGBMModel(estimator=est, artifact_dir=art_dir("lightgbm"))
    m.prepare(**prepare_kwargs(X[:5], y[:5]))
    return m, X[:3]


def make_pytorch():
    import torch
    from ads.model.framework.pytorch_model import PyTorchModel

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    net.eval()
    X, y = iris()
    Xs = X[:5].astype("float32")
    m = PyTorchModel(estimator=net, artifact_dir=art_dir("pytorch"))
    # use_torch_script=True gives a self-contained model.pt that score.py can load
    m.prepare(**prepare_kwargs(Xs, y[:5], use_torch_script=True))
    return m, torch.tensor(Xs[:3])


class Doubler:
    """Arbitrary python object for GenericModel."""

    def predict(self, x):
        return (np.asarray(x, dtype=float) * 2).tolist()


def make_generic():
    from ads.model.generic_model import GenericModel

    X = np.random.default_rng(1).normal(size=(10, 3))
    est = Doubler()
    m = GenericModel(estimator=est, artifact_dir=art_dir("generic"), serialize=True)
    m.prepare(**prepare_kwargs(X[:5], est.predict(X[:5]), model_file_name="model.pkl"))
    return m, X[:3].tolist()


def make_generic_noserialize():
    """GenericModel(serialize=False): ADS writes the score_generic template whose
    load_model() raises NotImplementedError, and warns that model.pkl is not in
    the folder. Left exactly as ADS leaves it (no model file: "needs action"
    reference). No verify (it cannot load)."""
    from ads.model.generic_model import GenericModel

    X = np.random.default_rng(1).normal(size=(10, 3))
    est = Doubler()
    d = art_dir("generic_noserialize")
    m = GenericModel(estimator=est, artifact_dir=d, serialize=False)
    m.prepare(**prepare_kwargs(X[:5], est.predict(X[:5]), model_file_name="model.pkl"))
    return m, None


def make_onnx():
    """SklearnModel serialized with as_onnx=True (needs skl2onnx + onnxruntime)."""
    from sklearn.linear_model import LogisticRegression
    from ads.model.framework.sklearn_model import SklearnModel

    X, y = iris()
    est = LogisticRegression(max_iter=500).fit(X.astype("float32"), y)
    m = SklearnModel(estimator=est, artifact_dir=art_dir("onnx"))
    m.prepare(**prepare_kwargs(X[:5].astype("float32"), y[:5], as_onnx=True))
    return m, X[:3].astype("float32")


def make_tensorflow():
    """Tiny Keras model; ADS saves it as model.h5 (TensorFlow serializer)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    from ads.model.framework.tensorflow_model import TensorFlowModel

    tf.random.set_seed(0)
    X, y = iris()
    X = X.astype("float32")
    net = tf.keras.Sequential(
        [tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(8, activation="relu"),
         tf.keras.layers.Dense(3)]
    )
    net.compile(optimizer="adam",
                loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    net.fit(X, y, epochs=1, verbose=0)
    m = TensorFlowModel(estimator=net, artifact_dir=art_dir("tensorflow"))
    m.prepare(**prepare_kwargs(X[:5], y[:5]))
    return m, X[:3]


MAKERS = {
    "sklearn": make_sklearn,
    "sklearn_mixed": make_sklearn_mixed,
    "sklearn_mixed_intcols": make_sklearn_mixed_intcols,
    "sklearn_ignore_conda": make_sklearn_ignore_conda,
    "sklearn_custom_conda": make_sklearn_custom_conda,
    "sklearn_single_row": make_sklearn_single_row,
    "sklearn_datetime_partial": make_sklearn_datetime_partial,
    "xgboost": make_xgboost,
    "lightgbm": make_lightgbm,
    "pytorch": make_pytorch,
    "generic": make_generic,
    "generic_noserialize": make_generic_noserialize,
    "onnx": make_onnx,
    "tensorflow": make_tensorflow,
}


def main(names):
    import time
    import traceback

    ok = True
    for name in names:
        t0 = time.time()
        try:
            m, sample = MAKERS[name]()
            print(f"[{name}] prepare OK in {time.time() - t0:.1f}s -> {m.artifact_dir}")
            try:
                if sample is None:
                    continue
                print(f"[{name}] verify:", str(m.verify(sample))[:200])
            except Exception as e:  # verify is informative only
                print(f"[{name}] verify FAILED: {type(e).__name__}: {e}")
        except Exception as e:
            ok = False
            print(f"[{name}] prepare FAILED after {time.time() - t0:.1f}s: {type(e).__name__}: {e}")
            traceback.print_exc()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[2:] or list(MAKERS)))
