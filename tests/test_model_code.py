"""SEC003/SEC004 on a generated corpus: every malicious model flagged with its call named, no benign model flagged.

The corpus (tests/model_corpus.py) is built once per run. Linting happens with pickle's and marshal's
loaders disabled, and each malicious payload would touch a marker file if anything ran it: the
marker must never appear. The allowlists are checked here against what real models pickle.
"""

from __future__ import annotations

import io
import marshal
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from artifact_lint.parsers.model_formats import identify_bytes, zip_model_kind
from artifact_lint.parsers.onnx_external import leaves_folder, onnx_external_locations
from artifact_lint.parsers.pickles import scan_pickle
from artifact_lint.parsers.pickles.files import scan_streams
from artifact_lint.parsers.pickles.marshal_code import MarshalError, read_code
from artifact_lint.parsers.pickles.policy import ALLOWED_NAMES, ALLOWED_PACKAGES, RECORDED_NAMES, Verdict, judge
from artifact_lint.parsers.pickles.verdicts import judge_code
from artifact_lint.rules._samples import artifact
from tests.helpers import lint, make_artifact, write_files
from tests.model_corpus import benign, call, framed, glob, malicious, text

pytest.importorskip("numpy")
pytest.importorskip("joblib")
pytest.importorskip("sklearn")
pytest.importorskip("torch")
pytest.importorskip("cloudpickle")
pytest.importorskip("dill")
pytest.importorskip("lz4")
pytest.importorskip("h5py")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    marker = root / "MARKER"
    (root / "MARKER.dir").mkdir()  # shutil.rmtree's target: must survive
    return marker, malicious(root / "malicious", marker), benign(root / "benign")


@pytest.fixture
def no_loading(monkeypatch, tmp_path_factory):
    """Pickle's and marshal's loaders fail the test; a first lint imports the linter's own modules before."""
    lint(make_artifact(tmp_path_factory.mktemp("warm-up"), artifact()))

    def refuse(*args, **kwargs):
        raise AssertionError("model files must never be loaded")

    def imports_only(data, *args, **kwargs):  # the import system reads .pyc files with marshal.loads
        if not sys._getframe(1).f_globals.get("__name__", "").startswith("importlib"):
            refuse()
        return real_loads(data, *args, **kwargs)

    real_loads = marshal.loads
    for name in ("load", "loads", "Unpickler", "_Unpickler", "_load", "_loads"):
        monkeypatch.setattr(pickle, name, refuse, raising=False)
    monkeypatch.setattr(marshal, "loads", imports_only)
    monkeypatch.setattr(marshal, "load", refuse)


def _lint_model(tmp_path: Path, model: Path):
    files = artifact({model.name: model.read_bytes()})
    folder = tmp_path / model.name
    folder.mkdir()
    run = lint(make_artifact(folder, files))
    assert not run.all_tool_errors(), run.all_tool_errors()
    return [d for d in run.diagnostics if d.code in ("SEC003", "SEC004")]


def test_every_malicious_model_is_an_error_naming_its_call(corpus, tmp_path, no_loading):
    marker, files, _ = corpus
    assert len(files) >= 36
    missed = {}
    for name, (path, expected) in files.items():
        found = _lint_model(tmp_path, path)
        errors = [d.message for d in found if d.severity.name == "ERROR"]
        if not any(expected in message for message in errors):
            missed[name] = [d.message for d in found]
    assert missed == {}
    assert not marker.exists() and (marker.parent / "MARKER.dir").is_dir()


def test_no_benign_model_is_flagged(corpus, tmp_path, no_loading):
    _, _, files = corpus
    assert len(files) >= 25
    flagged = {name: [d.message for d in _lint_model(tmp_path, path)] for name, path in files.items()}
    assert {name: messages for name, messages in flagged.items() if messages} == {}


def _streams(path: Path):
    head = path.read_bytes()[:4096]
    kind = identify_bytes(path.name, head)
    if head.startswith(b"PK"):
        kind = zip_model_kind(zipfile.ZipFile(path).namelist())
    if kind.kind not in ("pickle", "joblib-compressed", "pytorch", "pytorch-legacy", "numpy", "numpy-npz"):
        return []
    with open(path, "rb") as handle:
        return [scan for _, scan in scan_streams(handle, kind.kind, 10.0)]


def test_allowlists_cover_what_real_models_pickle(corpus):
    """Derives the allowlist from real models: every global and call target of every benign model is allowed,
    and every name allowed outside the frameworks' packages is one a real model uses or a plain builtin type."""
    _, _, files = corpus
    used: set[str] = set()
    for path in files.values():
        for scan in _streams(path):
            assert scan.complete and scan.error is None, (path.name, scan.error, scan.stopped_early)
            used.update(f"{module}.{name}" for module, name in scan.globals)
            used.update(call.target for call in scan.calls)
    assert sorted(name for name in used if judge(name) is not Verdict.ALLOWED) == []
    outside = {name for name in used if not any(name == p or name.startswith(p + ".") for p in ALLOWED_PACKAGES)
               and not name.endswith(")") and "(...)." not in name}
    assert outside <= ALLOWED_NAMES
    assert {"builtins.getattr", "collections.OrderedDict", "copyreg._reconstructor", "_codecs.encode"} <= outside
    assert RECORDED_NAMES <= outside | {"builtins.object", "builtins.frozenset", "builtins.complex"}


@pytest.mark.parametrize("dotted", ["numpy.load", "torch.load", "torch.hub.load", "pandas.read_pickle", "joblib.load",
                                    "numpy.testing._private.utils.runstring", "sklearn.utils._testing.assert_run_python_script"])
def test_the_denylist_wins_inside_allowed_packages(dotted):
    assert judge(dotted) is Verdict.DENIED


def test_a_call_through_an_allowed_package_to_a_nested_load_is_denied():
    data = framed(call(glob("numpy", "load"), text("other.npy"), glob("builtins", "True")))
    scan = scan_pickle(io.BytesIO(data))
    assert [c.text for c in scan.calls] == ["numpy.load('other.npy', builtins.True)"]


# -- marshalled code, as Keras Lambda layers carry it, from every Python on this machine -------------

PYTHONS = sorted(Path.home().glob(".pyenv/versions/3.*/bin/python"))


@pytest.mark.parametrize("python", PYTHONS or [Path(sys.executable)], ids=lambda path: path.parent.parent.name)
def test_marshalled_code_of_every_python_is_read_as_data(python, no_loading):
    source = ("import marshal, sys\n"
              "def outer(x):\n    import os\n    def inner():\n        return os.system('touch /nonexistent/marker')\n"
              "    return inner() + len('abc')\n"
              "sys.stdout.buffer.write(marshal.dumps(outer.__code__))\n")
    data = subprocess.run([str(python), "-c", source], capture_output=True, check=True, timeout=60).stdout
    code = read_code(data)
    assert code.name == "outer" and {"os", "len"} <= set(code.names)
    assert [child.name for child in code.children] == ["inner"]
    assert judge_code(code) == ["os.system"]


@pytest.mark.parametrize("data", [b"", b"c", b"\xe3\x00\x00", b"s\x05\x00\x00\x00ab", b"(\xff\xff\xff\x7f", b"r\x09\x00\x00\x00"])
def test_broken_marshal_is_an_error_not_a_crash(data):
    with pytest.raises(MarshalError):
        read_code(data)


# -- ONNX external data ------------------------------------------------------------------------------


def _onnx_with_external(tmp_path: Path, location: str) -> Path:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    import numpy as np

    weight = numpy_helper.from_array(np.arange(4096, dtype="float32").reshape(64, 64), name="w")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])], [weight])
    model = helper.make_model(graph)
    path = tmp_path / "onnx" / "model.onnx"
    path.parent.mkdir()
    onnx.save_model(model, path, save_as_external_data=True, location="model.onnx.data", size_threshold=0)
    saved = onnx.load(path, load_external_data=False)
    for entry in saved.graph.initializer[0].external_data:
        if entry.key == "location":
            entry.value = location
    path.write_bytes(saved.SerializeToString())
    return path


@pytest.mark.parametrize(("location", "leaves"), [("model.onnx.data", False), ("weights/w.bin", False),
                                                   ("../outside.bin", True), ("/etc/passwd", True),
                                                   ("weights/../../x", True), ("C:\\weights.bin", True)])
def test_onnx_external_data_location(tmp_path, location, leaves):
    path = _onnx_with_external(tmp_path, location)
    with open(path, "rb") as handle:
        assert onnx_external_locations(handle, path.stat().st_size) == [location]
    assert leaves_folder(location, "") is leaves
    found = _lint_model(tmp_path, path)
    assert [d.code for d in found] == (["SEC004"] if leaves else [])


def test_onnx_in_a_subfolder_may_refer_to_its_parent_inside_the_artifact():
    assert not leaves_folder("../shared/weights.bin", "models")
    assert leaves_folder("../../weights.bin", "models")


# -- bounded and streaming -----------------------------------------------------------------------------


def test_a_payload_after_a_sparse_2_gb_array_is_found_without_reading_it(tmp_path, no_loading):
    """BINBYTES8 of 2 GiB (a sparse file), then os.system: seeked past, not read; found, bounded in time."""
    size = 2 * 1024 ** 3
    path = tmp_path / "model.pkl"
    with open(path, "wb") as handle:
        handle.write(b"\x80\x04\x8e" + size.to_bytes(8, "little"))
        handle.seek(size, 1)
        handle.write(b"0" + glob("posix", "system") + b"(X\x04\x00\x00\x00truetR.")
    found = _lint_model_in_place(path)
    assert any("calls os.system('true')" in d.message for d in found)


def _lint_model_in_place(model: Path):
    """Lint the folder holding `model` (written in place: a sparse file must not be copied) as an artifact."""
    write_files(model.parent, artifact({"model.joblib": None}))
    run = lint(model.parent)
    return [d for d in run.diagnostics if d.code == "SEC003"]


def test_formats_it_cannot_judge_get_an_info(tmp_path):
    files = artifact({"model.bin": b"\x00\x01 weights of some format", "model.joblib": None})
    run = lint(make_artifact(tmp_path, files))
    infos = [d for d in run.diagnostics if d.code == "SEC003"]
    assert [(d.severity.name, d.path) for d in infos] == [("INFO", "model.bin")]
    assert "format is not recognised" in infos[0].message


# -- hostile bytes: clear errors, never a crash --------------------------------------------------------


def _mutations(sample: bytes, count: int, seed: int):
    import random

    rng = random.Random(seed)
    for _ in range(count):
        data = bytearray(sample)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        yield bytes(data[: rng.randint(1, len(data))])


def test_mutated_marshalled_code_is_read_or_refused(no_loading):
    sample = marshal.dumps(compile("import os\nos.system('x')\nf = lambda y: (y, 1.5, {'a': b'b'})", "<m>", "exec"))
    for data in _mutations(sample, 1500, 11):
        try:
            read_code(data)
        except MarshalError:
            pass


def test_mutated_onnx_is_walked_or_refused(tmp_path):
    from artifact_lint.parsers.onnx_external import ProtobufError

    sample = _onnx_with_external(tmp_path, "model.onnx.data").read_bytes()
    for data in _mutations(sample, 1500, 13):
        try:
            onnx_external_locations(io.BytesIO(data), len(data))
        except ProtobufError:
            pass


def test_mutated_malicious_pickles_never_raise(corpus):
    _, files, _ = corpus
    samples = [path.read_bytes() for path, _ in files.values() if path.suffix == ".pkl"]
    for index, sample in enumerate(samples):
        for data in _mutations(sample, 60, index):
            scan = scan_pickle(io.BytesIO(data), max_seconds=1)
            assert scan.complete != (scan.error is not None or scan.stopped_early is not None)


def test_keras_configs_of_any_shape_are_judged_without_error():
    from artifact_lint.parsers.keras_config import keras_payloads

    shapes = [None, 1, "x", [], {}, {"class_name": "Lambda"}, {"class_name": "Lambda", "config": {"function": 3}},
              {"class_name": "Lambda", "config": {"function": ["not base64!"]}},
              {"class_name": "Lambda", "config": {"function": {"config": {"code": "AAAA"}}}},
              {"class_name": "function", "module": "os", "config": "system"},
              {"class_name": "X", "module": 3, "registered_name": None}, [[[{"class_name": "Lambda", "config": []}]]]]
    verdicts = [[payload.verdict for payload in keras_payloads(shape)] for shape in shapes]
    assert verdicts[9] == [Verdict.DENIED] and verdicts[7] == [Verdict.UNKNOWN] and verdicts[0] == []


def test_a_nested_file_too_big_to_keep_is_an_info_not_silence(tmp_path, no_loading):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"weight": torch.zeros(100_000)}))
    found = _lint_model_in_place(path)
    assert [d.severity.name for d in found] == ["INFO"]
    assert "too big to keep" in found[0].message
