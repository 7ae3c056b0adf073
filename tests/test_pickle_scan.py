"""pickle_scan walks pickle and joblib files without ever loading them.

Every scan here runs with pickle's loaders disabled (`no_unpickling`), and the
hostile pickles would leave a sentinel file or import a module if anything in
them ran, so the tests prove the safety rule as well as the results.
"""

from __future__ import annotations

import io
import os
import pickle
import pickletools
import subprocess
import sys
import textwrap
import time

import pytest

from artifact_lint.parsers.pickles import TRUNCATED, PickleScan, looks_like_pickle, scan_pickle

NESTED = {
    "numbers": [0, 1, -1, 255, 65535, 2**31, -(2**40), 10**40, 1.5, float("inf")],
    "text": ["", "ascii", "ünïcödé ✓", "line\nbreak", "quote'\""],
    "bytes": b"\x00\x01\xff" * 10,
    "nested": {"tuple": (1, (2, (3, ()))), "set": {1, 2, 3}, "frozen": frozenset({"a"}), "none": None},
    "flags": [True, False],
}


class Marker:
    """A class pickled by reference inside object arrays."""

    def __init__(self, value):
        self.value = value


class Sentinel:
    """Unpickling this would run `action(*args)`: create the sentinel file."""

    def __init__(self, action, args):
        self.action = action
        self.args = args

    def __reduce__(self):
        return self.action, self.args


class Unseekable:
    """A stream that can only be read forward (a pipe, a socket, a zip member)."""

    def __init__(self, raw):
        self.raw = raw

    def read(self, size=-1):
        return self.raw.read(size)

    def seekable(self):
        return False


class CountingReader:
    """A seekable file that counts the bytes it hands out."""

    def __init__(self, raw):
        self.raw = raw
        self.bytes_read = 0

    def read(self, size=-1):
        data = self.raw.read(size)
        self.bytes_read += len(data)
        return data

    def seek(self, offset, whence=0):
        return self.raw.seek(offset, whence)

    def tell(self):
        return self.raw.tell()

    def seekable(self):
        return True


# Libraries the tests use read pickle's internals when first imported: import them before the guard.
for _module in ("pandas", "sklearn.linear_model", "joblib"):
    try:
        __import__(_module)
    except ImportError:
        pass


@pytest.fixture(autouse=True)
def no_unpickling(monkeypatch):
    """Any attempt to unpickle during a test fails loudly."""

    def refuse(*args, **kwargs):
        raise AssertionError("pickle_scan must never unpickle")

    for name in ("load", "loads", "Unpickler", "_Unpickler", "_load", "_loads"):
        monkeypatch.setattr(pickle, name, refuse, raising=False)


def scan_bytes(data: bytes, **kwargs) -> PickleScan:
    return scan_pickle(io.BytesIO(data), **kwargs)


def assert_clean(scan: PickleScan) -> None:
    assert (scan.error, scan.stopped_early, scan.complete) == (None, None, True)


# -- plain pickles ------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(6))
def test_every_protocol_of_nested_builtin_data(protocol):
    data = pickle.dumps(NESTED, protocol=protocol)
    scan = scan_bytes(data)
    assert_clean(scan)
    assert scan.protocol == (protocol if protocol >= 2 else None)
    assert scan.opcodes == sum(1 for _ in pickletools.genops(data))
    assert scan.compression is None and scan.versions == {}
    assert looks_like_pickle(data[:64])


def test_class_defined_in_main_is_reported(tmp_path):
    target = tmp_path / "thing.pkl"
    script = textwrap.dedent(f"""
        import pickle
        class Thing:
            def __init__(self):
                self.size = 3
        with open({str(target)!r}, "wb") as handle:
            pickle.dump([Thing(), Thing()], handle)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
    with open(target, "rb") as handle:
        scan = scan_pickle(handle)
    assert_clean(scan)
    assert ("__main__", "Thing") in scan.globals


@pytest.mark.parametrize("protocol", [0, 2, 4])
@pytest.mark.parametrize("via", ["system", "open", "exec"])
def test_hostile_reduce_is_reported_and_never_run(tmp_path, protocol, via):
    sentinel = tmp_path / "sentinel"
    payload = {
        "system": Sentinel(os.system, (f"touch {sentinel}",)),
        "open": Sentinel(open, (str(sentinel), "w")),
        "exec": Sentinel(exec, (f"open({str(sentinel)!r}, 'w').close()",)),
    }[via]
    data = pickle.dumps({"model": payload}, protocol=protocol)
    scan = scan_bytes(data)
    assert_clean(scan)
    assert not sentinel.exists()
    expected = {"system": (os.name, "system"), "open": ("io", "open"), "exec": ("builtins", "exec")}[via]
    assert scan.globals == [expected]  # protocols 0-2 write __builtin__: mapped like pickle's fix_imports


def test_globals_are_never_imported(tmp_path, monkeypatch):
    sentinel = tmp_path / "imported"
    (tmp_path / "side_effect_module.py").write_text(f"open({str(sentinel)!r}, 'w').close()\nclass Model: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    data = b"\x80\x02cside_effect_module\nModel\n)\x81}b."
    scan = scan_bytes(data)
    assert_clean(scan)
    assert scan.globals == [("side_effect_module", "Model")]
    assert "side_effect_module" not in sys.modules and not sentinel.exists()


def test_stack_global_names_from_the_memo():
    import collections

    data = pickle.dumps([collections.OrderedDict(), collections.Counter(), collections.OrderedDict()], protocol=4)
    ops = [op.name for op, _, _ in pickletools.genops(data)]
    assert ops.count("STACK_GLOBAL") == 2 and "BINGET" in ops  # the module name comes back from the memo
    scan = scan_bytes(data)
    assert_clean(scan)
    assert scan.globals == [("collections", "OrderedDict"), ("collections", "Counter")]

    # Both the module and the name from the memo, in another order than written.
    crafted = b"\x80\x04\x8c\x04path\x94\x8c\x02os\x94\x86" + b"0" + b"h\x01h\x00\x93" + b"."
    scan = scan_bytes(crafted)
    assert_clean(scan)
    assert scan.globals == [("os", "path")]


def test_same_class_twice_is_reported_once(tmp_path):
    data = pickle.dumps([Marker(1), Marker(2)], protocol=4)
    scan = scan_bytes(data)
    assert_clean(scan)
    assert scan.globals == [(Marker.__module__, "Marker")]


# -- broken files -------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [1, 5, 40])
def test_truncated_file(cut):
    data = pickle.dumps(NESTED, protocol=4)
    scan = scan_bytes(data[:-cut])
    assert scan.error == TRUNCATED and "truncated" in scan.error
    assert scan.complete is False


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x80\x04\xff\xfe\xfd", "unknown opcode 0xff at byte 2"),
        (b"\xde\xad\xbe\xef", "unknown opcode 0xde at byte 0"),
        (b"hello world, not a pickle", "at byte 0"),
        (b"\x80\x02a.", "stack underflow at byte 2"),
        (b"\x80\x02N(0a.", "stack underflow at byte 5"),
        (b"\x80\x02h\x07.", "memo entry 7"),
        (b"\x80\x02N\x86.", "stack underflow"),
        (b"\x80\x02u.", "no MARK"),
        (b"\x80\x09N.", "unsupported pickle protocol 9"),
        (b"", "the file is empty"),
    ],
)
def test_garbage_and_corruption(data, message):
    scan = scan_bytes(data)
    assert scan.error is not None and message in scan.error
    assert scan.complete is False


def test_self_referencing_and_very_deep_structures():
    loop: list = []
    loop.append(loop)
    assert_clean(scan_bytes(pickle.dumps({"loop": loop, "again": loop}, protocol=2)))

    depth = 50_000
    deep_list = b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."
    assert_clean(scan_bytes(deep_list))
    deep_tuple_key = b"\x80\x02}" + b"(" * depth + b"t" * depth + b"Ns."  # a 50,000-deep tuple as a dict key
    assert_clean(scan_bytes(deep_tuple_key))
    deep_protocol0 = b"(lp0\n" * depth + b"a" * (depth - 1) + b"."
    assert_clean(scan_bytes(deep_protocol0))


def test_huge_payload_is_skipped_not_read(tmp_path):
    size = 200 * 1024 * 1024
    path = tmp_path / "big.pkl"
    with open(path, "wb") as handle:  # sparse: a BINBYTES8 header, a hole, then STOP
        handle.write(b"\x80\x04\x8e" + size.to_bytes(8, "little"))
        handle.seek(11 + size)
        handle.write(b".")
    started = time.perf_counter()
    with open(path, "rb") as handle:
        reader = CountingReader(handle)
        scan = scan_pickle(reader)
    elapsed = time.perf_counter() - started
    assert_clean(scan)
    assert elapsed < 2.0
    assert reader.bytes_read < 1024 * 1024

    with open(path, "r+b") as handle:  # the same file cut inside the payload
        handle.truncate(size // 2)
    with open(path, "rb") as handle:
        scan = scan_pickle(handle)
    assert scan.error == TRUNCATED


def test_payload_skipped_on_a_stream_that_cannot_seek():
    size = 8 * 1024 * 1024 + 5
    data = b"\x80\x04\x8e" + size.to_bytes(8, "little") + bytes(size) + b"\x94."
    assert_clean(scan_pickle(Unseekable(io.BytesIO(data))))
    assert scan_pickle(Unseekable(io.BytesIO(data[:-10]))).error == TRUNCATED


def test_mutated_pickles_never_raise():
    import random

    rng = random.Random(7)
    samples = [pickle.dumps(NESTED, protocol=protocol) for protocol in range(6)]
    for _ in range(1500):
        data = bytearray(rng.choice(samples))
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        scan = scan_bytes(bytes(data[: rng.randint(1, len(data))]), max_seconds=1)
        assert scan.complete != (scan.error is not None or scan.stopped_early is not None)


def test_protocol_0_long_text_lines_are_bounded():
    long_text = "x" * (300 * 1024)
    data = pickle.dumps([long_text, "short"], protocol=0)
    assert_clean(scan_bytes(data))


def test_budgets_stop_without_blaming_the_file():
    data = pickle.dumps(list(range(5000)), protocol=4)
    scan = scan_bytes(data, max_opcodes=100)
    assert scan.error is None and scan.complete is False
    assert scan.opcodes == 100 and "max_opcodes" in scan.stopped_early
    scan = scan_bytes(data, max_seconds=-1)
    assert scan.error is None and "max_seconds" in scan.stopped_early


def test_looks_like_pickle():
    assert looks_like_pickle(pickle.dumps([1], protocol=2)[:8])
    assert looks_like_pickle(pickle.dumps({"a": 1}, protocol=0)[:64])
    assert looks_like_pickle(pickle.dumps({"a": 1}, protocol=1)[:64])
    assert looks_like_pickle(b"\x1f\x8b\x08\x00")
    assert looks_like_pickle(b"\x78\x9c\x00\x00")
    assert not looks_like_pickle(b"\x80\x07")
    for text in (b"Version: 1.0\nmore text", b"Lorem ipsum\n", b"(not a pickle)", b"I am a readme\n", b"", b"{\"json\": 1}"):
        assert not looks_like_pickle(text), text


# -- joblib -------------------------------------------------------------------------------------

np = pytest.importorskip("numpy")
joblib = pytest.importorskip("joblib")

COMPRESSORS = ["zlib", "gzip", "bz2", "xz", "lzma"]
try:
    import lz4.frame  # noqa: F401

    COMPRESSORS.append("lz4")
except ImportError:
    pass


def joblib_payload() -> dict:
    return {
        "float64": np.linspace(0, 1, 1001),
        "int32": np.arange(77, dtype=np.int32).reshape(7, 11),
        "fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        "bool": np.array([True, False, True]),
        "unicode": np.array(["a", "seven77"], dtype="U7"),
        "datetime": np.array(["2024-01-01", "2024-02-29"], dtype="datetime64[D]"),
        "objects": np.array([Marker(1), Marker, {"k": [1, 2]}, "text", None], dtype=object),
        "structured": np.array([(1, "x")], dtype=[("a", "i4"), ("b", "O")]),
        "scalar": np.array(3.5),
        "empty": np.array([], dtype=np.float32),
        "after": "the scan must find this stream still in step",
    }


def expected_joblib_globals() -> set:
    return {("joblib.numpy_pickle", "NumpyArrayWrapper"), ("numpy", "dtype"), ("numpy", "ndarray"),
            (Marker.__module__, "Marker")}


@pytest.mark.parametrize("compress", [None, *COMPRESSORS])
def test_joblib_arrays_of_every_dtype(tmp_path, compress):
    path = tmp_path / "model.joblib"
    joblib.dump(joblib_payload(), path, compress=(compress, 3) if compress else 0)
    with open(path, "rb") as handle:
        scan = scan_pickle(handle)
    assert_clean(scan)
    assert scan.compression == compress
    assert expected_joblib_globals() <= set(scan.globals)
    assert looks_like_pickle(path.read_bytes()[:64])


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_joblib_other_protocols_and_unseekable_streams(tmp_path, protocol):
    path = tmp_path / "model.joblib"
    joblib.dump(joblib_payload(), path, protocol=protocol)
    with open(path, "rb") as handle:
        scan = scan_pickle(Unseekable(handle))
    assert_clean(scan)
    assert expected_joblib_globals() <= set(scan.globals)


def test_joblib_truncated_inside_an_array(tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump({"big": np.zeros(100_000)}, path)
    data = path.read_bytes()
    scan = scan_bytes(data[: len(data) // 2])
    assert scan.error == TRUNCATED and not scan.complete
    scan = scan_bytes(data[:-1])
    assert scan.error == TRUNCATED


def test_joblib_dtype_not_understood_stops_without_an_error():
    crafted = (b"\x80\x04cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}"
               b"\x8c\x05dtype\x8c\x05weird" b"s" b"b" b"\x00\x01\x02.")
    scan = scan_bytes(crafted)
    assert scan.error is None and not scan.complete
    assert "dtype" in scan.stopped_early


def test_lz4_without_the_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "lz4", None)
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    scan = scan_bytes(b"\x04\x22\x4d\x18" + b"\x00" * 20)
    assert scan.compression == "lz4" and scan.error is None
    assert scan.stopped_early == "lz4 module not installed"


def test_joblib_sklearn_model_versions_and_globals(tmp_path):
    sklearn = pytest.importorskip("sklearn")
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    features = rng.normal(size=(60, 4))
    model = LogisticRegression().fit(features, (features[:, 0] > 0).astype(int))
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    started = time.perf_counter()
    with open(path, "rb") as handle:
        scan = scan_pickle(handle)
    elapsed = time.perf_counter() - started
    assert_clean(scan)
    assert scan.versions == {"scikit-learn": sklearn.__version__}
    assert ("sklearn.linear_model._logistic", "LogisticRegression") in scan.globals
    assert elapsed < 1.0
