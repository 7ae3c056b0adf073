"""A corpus of malicious and benign model files, generated for tests and the benchmark.

Every malicious file, if it were ever loaded, would only touch a marker file (or try to open a
loopback address that nothing listens on); the tests assert the marker never appears. Each entry
names the call SEC003 must report. Benign files are real models of every framework installed.
"""

from __future__ import annotations

import base64
import io
import json
import marshal
import os
import pickle
import shutil
import socket
import subprocess
import webbrowser
import zipfile
from collections.abc import Callable
from pathlib import Path

# -- a tiny pickle assembler, for what pickle.dumps cannot write (modules as values, INST, memo tricks) --


def glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def text(value: str) -> bytes:
    data = value.encode()
    return b"X" + len(data).to_bytes(4, "little") + data


def tup(*items: bytes) -> bytes:
    return b"(" + b"".join(items) + b"t"


def call(function: bytes, *args: bytes) -> bytes:
    return function + tup(*args) + b"R"


def framed(body: bytes, protocol: int = 2) -> bytes:
    return b"\x80" + bytes([protocol]) + body + b"."


class Payload:
    """Unpickling this calls `function(*args)`."""

    def __init__(self, function: Callable, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def _keras_lambda_code(marker: str) -> str:
    def hook(x):
        import os
        os.system(f"touch {marker}")
        return x

    return base64.b64encode(marshal.dumps(hook.__code__)).decode("ascii")


def _keras_config(layer: dict) -> dict:
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 4]}, "registered_name": None},
        layer]}, "module": "keras", "registered_name": None}


def malicious(folder: Path, marker: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, the text the finding must name)."""
    import joblib
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    touch = f"touch {marker}"
    files: dict[str, tuple[bytes | Callable[[Path], None], str]] = {}
    evil = Payload(os.system, touch)
    files["os_system_p4.pkl"] = (pickle.dumps(evil, protocol=4), f"os.system('{touch}')")
    files["posix_system_p0.pkl"] = (pickle.dumps(evil, protocol=0), f"os.system('{touch}')")
    files["os_system_p1.pkl"] = (pickle.dumps(evil, protocol=1), f"os.system('{touch}')")
    files["os_system_p5.pkl"] = (pickle.dumps(evil, protocol=5), f"os.system('{touch}')")
    files["os_popen.pkl"] = (pickle.dumps(Payload(os.popen, touch)), f"os.popen('{touch}')")
    files["subprocess_popen.pkl"] = (pickle.dumps(Payload(subprocess.Popen, ["touch", str(marker)])), "subprocess.Popen(")
    files["subprocess_check_output.pkl"] = (pickle.dumps(Payload(subprocess.check_output, touch)),
                                            f"subprocess.check_output('{touch}')")
    files["subprocess_run.pkl"] = (pickle.dumps(Payload(subprocess.run, ["touch", str(marker)])), "subprocess.run(")
    files["builtins_exec.pkl"] = (pickle.dumps(Payload(exec, f"open({str(marker)!r}, 'w')")), "builtins.exec(")
    files["builtins_eval.pkl"] = (pickle.dumps(Payload(eval, f"open({str(marker)!r}, 'w')")), "builtins.eval(")
    files["builtins_compile.pkl"] = (framed(call(glob("builtins", "exec"), call(glob("builtins", "compile"),
                                                                                text(f"open({str(marker)!r}, 'w')"),
                                                                                text("<x>"), text("exec")))),
                                     "builtins.compile(")
    files["import_getattr_chain.pkl"] = (framed(call(call(glob("builtins", "getattr"), call(glob("builtins", "__import__"),
                                                                                             text("os")), text("system")),
                                                     text(touch))), f"os.system('{touch}')")
    files["importlib_methodcaller.pkl"] = (framed(call(call(glob("operator", "methodcaller"), text("system"), text(touch)),
                                                       call(glob("importlib", "import_module"), text("os")))),
                                           f"os.system('{touch}')")
    files["attrgetter_chain.pkl"] = (framed(call(call(call(glob("operator", "attrgetter"), text("system")),
                                                      call(glob("builtins", "__import__"), text("os"))), text(touch))),
                                     f"os.system('{touch}')")
    files["partial_system.pkl"] = (framed(call(call(glob("functools", "partial"), glob("os", "system"), text(touch)))),
                                   "os.system(")
    files["runpy_run_path.pkl"] = (framed(call(glob("runpy", "run_path"), text(str(marker)))), "runpy.run_path(")
    files["runpy_run_module.pkl"] = (framed(call(glob("runpy", "run_module"), text("this_module_does_not_exist"))),
                                     "runpy.run_module('this_module_does_not_exist')")
    files["webbrowser_open.pkl"] = (pickle.dumps(Payload(webbrowser.open, "http://127.0.0.1:9/")),
                                    "webbrowser.open('http://127.0.0.1:9/')")
    files["socket_connect.pkl"] = (pickle.dumps(Payload(socket.create_connection, ("127.0.0.1", 9))),
                                   "socket.create_connection(('127.0.0.1', 9))")
    files["pty_spawn.pkl"] = (framed(call(glob("pty", "spawn"), text(touch))), f"pty.spawn('{touch}')")
    files["shutil_rmtree.pkl"] = (pickle.dumps(Payload(shutil.rmtree, str(marker) + ".dir")), "shutil.rmtree(")
    files["code_interpreter.pkl"] = (framed(call(call(glob("builtins", "getattr"), call(glob("code", "InteractiveInterpreter")),
                                                      text("runsource")), text(f"open({str(marker)!r}, 'w')"))),
                                     "code.InteractiveInterpreter()")
    files["inst_opcode.pkl"] = (b"(" + b"S'" + touch.encode() + b"'\n" + b"ios\nsystem\n.", f"os.system('{touch}')")
    files["obj_opcode.pkl"] = (b"(cos\nsystem\nS'" + touch.encode() + b"'\no.", f"os.system('{touch}')")
    memo_trick = (b"\x80\x04" + b"\x8c\x02os\x94" + b"\x8c\x06system\x94" + b"0" + b"0" + b"\x8c\x07ignored\x94" + b"0"
                  + b"h\x00h\x01\x93" + b"\x8c" + bytes([len(touch)]) + touch.encode() + b"\x85R.")
    files["memo_stack_global.pkl"] = (memo_trick, f"os.system('{touch}')")
    files["newobj_popen.pkl"] = (framed(glob("subprocess", "Popen") + tup(text("touch"), text(str(marker))) + b"\x81"),
                                 "subprocess.Popen(")
    files["ctypes_cdll.pkl"] = (framed(call(glob("ctypes", "CDLL"), text("libc.so.6"))), "ctypes.CDLL('libc.so.6')")
    files["nested_pickle_loads.pkl"] = (pickle.dumps(Payload(pickle.loads, pickle.dumps(evil))), "_pickle.loads(")
    files["marshal_code.pkl"] = (framed(call(glob("marshal", "loads"), b"C" + bytes([3]) + b"abc")), "marshal.loads(")
    files["build_sets_module.pkl"] = (framed(glob("os", "path") + b"}" + text("sep") + text("!") + b"sb"),
                                      "sets attributes of os.path")
    buffers: list = []
    files["protocol5_out_of_band.pkl"] = (pickle.dumps([pickle.PickleBuffer(b"weights"), evil], protocol=5,
                                                       buffer_callback=buffers.append), f"os.system('{touch}')")
    files["timeit_unlisted.pkl"] = (framed(call(glob("timeit", "timeit"), text(f"open({str(marker)!r}, 'w')"))),
                                    "timeit.timeit(")
    files["pydoc_pipepager.pkl"] = (framed(call(glob("pydoc", "pipepager"), text("x"), text(touch))), "pydoc.pipepager(")
    files["os_execv_p3.pkl"] = (framed(call(glob("os", "execv"), text("/usr/bin/touch"), tup(text("touch"), text(str(marker)))),
                                       protocol=3), "os.execv('/usr/bin/touch'")
    arrays_then_payload = [np.arange(100_000, dtype="float64"), np.ones((50, 50)), evil]

    def joblib_file(compress):
        def write(path: Path) -> None:
            joblib.dump(arrays_then_payload, path, compress=compress)
        return write

    files["joblib_arrays_first.joblib"] = (joblib_file(0), f"os.system('{touch}')")
    for method in ("zlib", "gzip", "bz2", "lzma", "xz", "lz4"):
        files[f"joblib_{method}.joblib"] = (joblib_file((method, 3)), f"os.system('{touch}')")
    files.update(_by_value(touch))
    files.update(_torch_files(evil, touch))
    object_array = np.empty(2, dtype=object)
    object_array[0], object_array[1] = "ok", evil
    files["numpy_object.npy"] = (lambda path: np.save(path, object_array, allow_pickle=True), f"os.system('{touch}')")
    files["numpy_object.npz"] = (lambda path: np.savez(path, weights=np.arange(5), objects=object_array),
                                 f"os.system('{touch}')")
    files["keras_lambda.keras"] = (lambda path: _write_keras_v3(path, marker), "os.system")
    files["keras_lambda.h5"] = (lambda path: _write_keras_h5(path, marker), "os.system")
    files["keras_function_activation.keras"] = (lambda path: _write_keras_v3(path, marker, activation=True), "os.system")
    written = {}
    for name, (content, expected) in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            content(path)
            if not path.exists():  # numpy appends its own suffix
                path = next(folder.glob(name + ".*"))
        written[name] = (path, expected)
    return written


def _by_value(touch: str) -> dict:
    import cloudpickle
    import dill

    def hook():
        import os
        return os.system(touch)

    files = {"cloudpickle_function.pkl": (cloudpickle.dumps(hook), "os.system"),
             "dill_function.pkl": (dill.dumps(hook, recurse=True), "os.system")}
    files["cloudpickle_called.pkl"] = (cloudpickle.dumps(Payload(hook)), "calls function hook")
    return files


def _torch_files(evil, touch: str) -> dict:
    import torch

    state = {"weight": torch.zeros(3), "hook": evil}

    def zipped(path: Path) -> None:
        torch.save(state, path)

    def legacy(path: Path) -> None:
        torch.save(state, path, _use_new_zipfile_serialization=False)

    inner = io.BytesIO()
    torch.save(state, inner, _use_new_zipfile_serialization=False)
    nested = pickle.dumps(Payload(torch.storage._load_from_bytes, inner.getvalue()))
    return {"torch_zip.pt": (zipped, f"os.system('{touch}')"), "torch_legacy.pt": (legacy, f"os.system('{touch}')"),
            "torch_nested_load_from_bytes.pkl": (nested, f"os.system('{touch}')")}


def _lambda_layer(marker: Path) -> dict:
    return {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
            "config": {"name": "hook", "function": {"module": "builtins", "class_name": "function",
                                                    "config": {"code": _keras_lambda_code(str(marker)), "defaults": None,
                                                               "closure": None}, "registered_name": "function"}}}


def _write_keras_v3(path: Path, marker: Path, activation: bool = False) -> None:
    if activation:
        layer = {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                 "config": {"name": "dense", "units": 1, "activation": {"module": "os", "class_name": "function",
                                                                       "config": "system", "registered_name": "function"}}}
    else:
        layer = _lambda_layer(marker)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        archive.writestr("config.json", json.dumps(_keras_config(layer)))
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")


def _write_keras_h5(path: Path, marker: Path) -> None:
    import h5py

    layer = {"class_name": "Lambda", "config": {"name": "hook", "function": [_keras_lambda_code(str(marker)), None, None],
                                                "function_type": "lambda"}}
    config = {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": [layer]}}
    with h5py.File(path, "w") as handle:
        handle.attrs["keras_version"] = "2.15.0"
        handle.attrs["model_config"] = json.dumps(config)
        handle.create_dataset("model_weights/dense/kernel", data=[[0.0] * 4] * 4)


# -- benign models -----------------------------------------------------------------------------------


def benign(folder: Path) -> dict[str, Path]:
    """name -> file, for real models of every framework installed (those missing are left out)."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for builder in (_sklearn, _boosters, _data_libraries, _torch_models, _by_value_benign, _keras_benign):
        try:
            written.update(builder(folder))
        except ImportError:
            continue
    return written


def _data():
    import numpy as np

    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 4))
    return features, (features[:, 0] + features[:, 1] > 0).astype(int)


def _sklearn(folder: Path) -> dict[str, Path]:
    import joblib
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    features, labels = _data()
    frame = pd.DataFrame(features, columns=list("abcd"))
    frame["colour"] = np.where(labels > 0, "red", "blue")
    pipeline = Pipeline([
        ("prepare", ColumnTransformer([("numbers", StandardScaler(), list("abcd")),
                                       ("colour", OneHotEncoder(handle_unknown="ignore"), ["colour"])])),
        ("log", FunctionTransformer(np.abs)), ("model", LogisticRegression()),
    ]).fit(frame, labels)
    models = {"logistic": LogisticRegression().fit(features, labels),
              "forest": RandomForestClassifier(n_estimators=5, random_state=0).fit(features, labels),
              "boosting": GradientBoostingClassifier(n_estimators=5).fit(features, labels),
              "tree": DecisionTreeClassifier().fit(features, labels), "svc": SVC().fit(features, labels),
              "pipeline": pipeline}
    written = {}
    for name, model in models.items():
        path = folder / f"sklearn_{name}.joblib"
        joblib.dump(model, path)
        written[path.name] = path
        for protocol in (0, 2, 5):
            path = folder / f"sklearn_{name}_p{protocol}.pkl"
            path.write_bytes(pickle.dumps(model, protocol=protocol))
            written[path.name] = path
    for method in ("zlib", "gzip", "bz2", "lzma", "lz4"):
        path = folder / f"sklearn_forest_{method}.joblib"
        joblib.dump(models["forest"], path, compress=(method, 3))
        written[path.name] = path
    return written


def _boosters(folder: Path) -> dict[str, Path]:
    features, labels = _data()
    written = {}
    try:
        import xgboost

        model = xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(features, labels)
        path = folder / "xgboost_classifier.pkl"
        path.write_bytes(pickle.dumps(model))
        written[path.name] = path
        path = folder / "xgboost_model.json"
        model.save_model(path)
        written[path.name] = path
    except ImportError:
        pass
    import lightgbm

    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(features, labels)
    path = folder / "lightgbm_classifier.pkl"
    path.write_bytes(pickle.dumps(model))
    written[path.name] = path
    return written


def _data_libraries(folder: Path) -> dict[str, Path]:
    import numpy as np
    import pandas as pd
    import scipy.sparse

    frame = pd.DataFrame({"number": [1.5, 2.5], "when": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                          "kind": pd.Categorical(["a", "b"]), "text": ["x", None]})
    objects = np.array(["text", None, 3], dtype=object)
    data = {"pandas_frame.pkl": pickle.dumps(frame, protocol=5), "pandas_series.pkl": pickle.dumps(frame["number"]),
            "pandas_frame_p2.pkl": pickle.dumps(frame, protocol=2), "numpy_p0.pkl": pickle.dumps(objects, protocol=0),
            "numpy_arrays.pkl": pickle.dumps({"weights": np.arange(12.0).reshape(3, 4), "labels": objects}),
            "scipy_sparse.pkl": pickle.dumps(scipy.sparse.random(20, 20, density=0.1, format="csr", random_state=0))}
    written = {}
    for name, content in data.items():
        path = folder / name
        path.write_bytes(content)
        written[name] = path
    path = folder / "numpy_objects.npy"
    np.save(path, objects, allow_pickle=True)
    written[path.name] = path
    path = folder / "numpy_archive.npz"
    np.savez(path, weights=np.arange(4.0), labels=objects)
    written[path.name] = path
    return written


def _torch_models(folder: Path) -> dict[str, Path]:
    import torch

    network = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    written = {}
    for name, obj, legacy in (("torch_state_dict.pt", network.state_dict(), False), ("torch_module.pt", network, False),
                              ("torch_legacy_state_dict.pt", network.state_dict(), True)):
        path = folder / name
        torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
        written[name] = path
    path = folder / "torch_pickled_tensor.pkl"
    path.write_bytes(pickle.dumps({"weight": torch.ones(3)}))
    written[path.name] = path
    return written


def _by_value_benign(folder: Path) -> dict[str, Path]:
    import cloudpickle
    import numpy as np
    from sklearn.preprocessing import FunctionTransformer

    transformer = FunctionTransformer(lambda values: np.log1p(np.abs(values))).fit(np.ones((3, 2)))
    written = {}
    path = folder / "cloudpickle_transformer.pkl"
    path.write_bytes(cloudpickle.dumps(transformer))
    written[path.name] = path

    class Doubler:  # a notebook's own model class, as ADS's GenericModel saves one: cloudpickle stores it by value
        def predict(self, values):
            return np.asarray(values, dtype=float) * 2

    path = folder / "cloudpickle_own_class.pkl"
    path.write_bytes(cloudpickle.dumps(Doubler()))
    written[path.name] = path
    try:
        import dill

        path = folder / "dill_transformer.pkl"
        path.write_bytes(dill.dumps(transformer, recurse=True))
        written[path.name] = path
    except ImportError:
        pass
    return written


def _keras_benign(folder: Path) -> dict[str, Path]:
    layer = {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
             "config": {"name": "dense", "units": 1, "activation": "sigmoid"}}
    path = folder / "keras_dense.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        archive.writestr("config.json", json.dumps(_keras_config(layer)))
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")
    written = {path.name: path}
    try:
        import h5py
    except ImportError:
        return written
    path = folder / "keras_dense.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs["keras_version"] = "2.15.0"
        handle.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"layers": [
            {"class_name": "Dense", "config": {"name": "dense", "units": 1, "activation": "sigmoid"}}]}})
        handle.create_dataset("model_weights/dense/kernel", data=[[0.5]] * 4)
    written[path.name] = path
    return written

