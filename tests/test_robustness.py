"""Whatever an artifact holds, a lint returns a report (exit 0 or 1): never a traceback, a crash or a hang.

Property-based: hypothesis generates and mutates score.py, runtime.yaml, schemas, pickles and zips.
The file-system oddities (symlink loops, FIFOs, devices, files that vanish while read) are tested
one by one below.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artifact_lint.config import ConfigLoader
from artifact_lint.engine import lint_paths
from artifact_lint.rules.score_names import OCI_DOC_EXAMPLE
from artifact_lint.rules.verify import SCHEMA
from rules._samples import RUNTIME_YAML, SCORE_PY, artifact
from tests.helpers import run_cli, write_files

EXAMPLES = int(os.environ.get("ARTIFACT_LINT_FUZZ_EXAMPLES", "120"))
TIME_BOUND = 10.0
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.data_too_large])
SEEDS = {
    "score.py": [SCORE_PY.encode(), OCI_DOC_EXAMPLE.encode()],
    "runtime.yaml": [RUNTIME_YAML.encode()],
    "input_schema.json": [SCHEMA.encode()],
    "model.pkl": [pickle.dumps({"coef": [1.0, 2.0], "name": "m", "nested": [[1, 2], {"a": (1, 2)}]}, protocol=p)
                  for p in range(6)],
}
SPECIAL = [b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\r\n", b"\t", b"&a [*a, *a]", b"*a", b"NaN", b"[" * 200,
           b"(" * 300, b"'''", b"\\", b"\x80\x05", b".", b"\xe9", b"{", b"}", b": ", b"- ", b"!!python/object:os.system"]


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A seed with a few byte-level edits: deletions, insertions of odd tokens, truncations, repeats."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 6))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["delete", "insert", "special", "truncate", "repeat", "flip"]))
        if action == "delete":
            del data[position:position + draw(st.integers(1, 20))]
        elif action == "insert":
            data[position:position] = draw(st.binary(max_size=20))
        elif action == "special":
            data[position:position] = draw(st.sampled_from(SPECIAL))
        elif action == "truncate":
            del data[position:]
        elif action == "repeat" and data:
            piece = data[position:position + 40]
            data[position:position] = piece * draw(st.integers(1, 50))
        elif action == "flip" and position < len(data):
            data[position] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


def assert_report(files: dict, container: str = "directory") -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "artifact"
        if container == "zip":
            path = Path(scratch) / "artifact.zip"
            with zipfile.ZipFile(path, "w") as archive:
                for name, content in files.items():
                    archive.writestr(name, content)
        else:
            folder.mkdir()
            write_files(folder, files)
            path = folder
        started = time.perf_counter()
        run = lint_paths([str(path)], ConfigLoader())
        assert time.perf_counter() - started < TIME_BOUND
        assert run.all_tool_errors() == []
        assert len(run.results) == 1


@FUZZ
@given(st.sampled_from(sorted(SEEDS)), st.data())
def test_mutated_files_always_give_a_report(name, data):
    content = data.draw(mutated(SEEDS[name]))
    assert_report(artifact({name: content}))


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text_as_score_py(text):
    assert_report(artifact({"score.py": text}))


@FUZZ
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=10) | st.integers(),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children,
                                                                                     max_size=4), max_leaves=30))
def test_arbitrary_yaml_and_json_documents(document):
    import json

    import yaml

    assert_report(artifact({"runtime.yaml": yaml.safe_dump(document), "input_schema.json": json.dumps(document),
                            "model_artifact_manifest.json": json.dumps(document)}))


@FUZZ
@given(st.data())
def test_mutated_zips_always_give_a_report(data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in artifact().items():
            archive.writestr(name, content)
    damaged = data.draw(mutated([buffer.getvalue()]))
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "model.zip"
        path.write_bytes(damaged)
        run = lint_paths([str(path)], ConfigLoader())
        assert run.all_tool_errors() == [] and len(run.results) == 1


def test_a_zip_member_with_no_name_is_a_finding_not_a_crash(tmp_path):
    """Found by the fuzz above: ZipInfo.is_dir() raises IndexError on an empty name."""
    path = tmp_path / "model.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in artifact().items():
            archive.writestr(name, content)
        archive.writestr(zipfile.ZipInfo(""), b"x")
    run = lint_paths([str(path)], ConfigLoader())
    assert run.all_tool_errors() == []
    assert [(d.code, d.message) for d in run.diagnostics if d.code == "SEC002"] == [
        ("SEC002", "zip member '' has an empty name, which extractors skip or refuse")]


def test_recursive_and_deep_pickles():
    recursive = []
    recursive.append(recursive)
    deep = b"\x80\x02" + b"]" * 50_000 + b"a" * 49_999 + b"."  # 50,000 nested lists, written by hand
    assert_report(artifact({"model.pkl": pickle.dumps(recursive)}))
    assert_report(artifact({"model.pkl": deep}))


def test_ten_megabyte_single_lines():
    line = "x = '" + "a" * (10 * 1024 * 1024) + "'\n"
    assert_report(artifact({"score.py": SCORE_PY + line, "runtime.yaml": RUNTIME_YAML + "# " + "b" * 10_000_000 + "\n"}))


def test_yaml_alias_bomb_and_boms_and_crlf():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))
    assert_report(artifact({"runtime.yaml": "\ufeff" + RUNTIME_YAML.replace("\n", "\r\n") + bomb,
                            "score.py": b"\xef\xbb\xbf" + SCORE_PY.replace("\n", "\r\n").encode()}))


def test_symlink_loops_fifos_and_devices(tmp_path):
    folder = tmp_path / "artifact"
    folder.mkdir()
    write_files(folder, artifact())
    (folder / "loop_a").symlink_to(folder / "loop_b")
    (folder / "loop_b").symlink_to(folder / "loop_a")
    (folder / "self").symlink_to(folder)
    os.mkfifo(folder / "pipe.pkl")
    (folder / "zero.joblib").symlink_to("/dev/zero")
    result = run_cli("lint", "--format", "json", str(folder))
    assert result.returncode in (0, 1) and b"Traceback" not in result.stderr


def test_files_that_vanish_or_grow_while_read(tmp_path, monkeypatch):
    from artifact_lint.artifact import DirectoryArtifact

    folder = tmp_path / "artifact"
    folder.mkdir()
    write_files(folder, artifact({"input_schema.json": SCHEMA}))
    real = DirectoryArtifact._open_descriptor

    def vanishing(self, entry):
        if entry.path in ("score.py", "input_schema.json"):
            Path(self.path, entry.path).unlink(missing_ok=True)
        if entry.path == "runtime.yaml":
            with open(os.path.join(self.path, entry.path), "a") as handle:
                handle.write("# grown\n" * 1000)
        return real(self, entry)

    monkeypatch.setattr(DirectoryArtifact, "_open_descriptor", vanishing)
    run = lint_paths([str(folder)], ConfigLoader())
    assert run.all_tool_errors() == []
    assert "ALX003" in {d.code for d in run.diagnostics}


@pytest.mark.parametrize("content", [b"", b"\x00" * 100, bytes(range(256)) * 10, "ä€😀".encode() * 100])
def test_odd_bytes_everywhere(content):
    assert_report({name: content for name in ("score.py", "runtime.yaml", "input_schema.json", "output_schema.json",
                                              "model.joblib", ".model-ignore", "model_artifact_manifest.json")})
