"""Hostile or broken input gets a diagnostic or a clear error, quickly, and never a traceback."""

from __future__ import annotations

import os
import time

import pytest

from rules._samples import RUNTIME_YAML, artifact
from tests.helpers import lint, make_artifact, run_cli


def findings(tmp_path, files, **kwargs) -> list[tuple[str, str]]:
    run = lint(make_artifact(tmp_path, files, **kwargs))
    assert not run.all_tool_errors(), run.all_tool_errors()
    return [(d.code, d.message) for d in run.diagnostics]


def only_codes(items) -> set[str]:
    return {code for code, _ in items}


def test_empty_score_py(tmp_path):
    assert only_codes(findings(tmp_path, artifact({"score.py": ""}))) == {"SCR101", "SCR102"}


def test_binary_score_py(tmp_path):
    found = findings(tmp_path, artifact({"score.py": bytes(range(256)) * 4}))
    assert only_codes(found) == {"SCR001"}


def test_latin1_score_py_with_a_coding_cookie_is_fine(tmp_path):
    source = artifact()["score.py"].replace('"model.joblib"', '"modèl.joblib"')
    text = b"# -*- coding: latin-1 -*-\n" + source.encode("latin-1")
    files = artifact({"score.py": text, "model.joblib": None, "modèl.joblib": b"\x80\x04K\x01."})
    assert findings(tmp_path, files) == []


def test_non_utf8_runtime_yaml(tmp_path):
    found = findings(tmp_path, artifact({"runtime.yaml": RUNTIME_YAML.encode().replace(b"''", b"'\xe9'", 1)}))
    assert only_codes(found) == {"RTY001"}
    assert "not valid UTF-8" in found[0][1]


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", "42\n", "{unclosed: [\n"])
def test_runtime_yaml_that_is_not_a_mapping(tmp_path, text):
    assert only_codes(findings(tmp_path, artifact({"runtime.yaml": text}))) == {"RTY001"}


def test_yaml_alias_bomb_is_cheap(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    bomb = RUNTIME_YAML + "\n".join(lines) + "\n"
    started = time.perf_counter()
    found = findings(tmp_path, artifact({"runtime.yaml": bomb}))
    assert time.perf_counter() - started < 5
    assert {code for code, _ in found} == {"RTY113"}  # a0..a11 are unknown keys, nothing exploded


def test_recursive_yaml_alias(tmp_path):
    found = findings(tmp_path, artifact({"runtime.yaml": RUNTIME_YAML + "LOOP: &loop [*loop]\n"}))
    assert only_codes(found) == {"RTY113"}


def test_huge_runtime_yaml_is_refused_without_reading_it(tmp_path):
    huge = RUNTIME_YAML + "# " + "x" * (50 * 1024 * 1024) + "\n"
    found = findings(tmp_path, artifact({"runtime.yaml": huge}))
    assert only_codes(found) == {"RTY001"}
    assert "this is not one" in found[0][1]


def test_deeply_nested_score_py(tmp_path):
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    assert "SCR001" in only_codes(findings(tmp_path, artifact({"score.py": deep})))


def test_fifo_in_place_of_score_py_does_not_hang(tmp_path):
    path = make_artifact(tmp_path, artifact({"score.py": None}))
    os.mkfifo(path / "score.py")
    result = run_cli("lint", "--format", "json", str(path))
    assert result.returncode == 1
    assert b"ALX003" in result.stdout and b"not a regular file" in result.stdout


def test_unreadable_score_py(tmp_path, monkeypatch):
    """Permissions are simulated at os.open: CI runs as root, which reads files whatever their mode."""
    path = make_artifact(tmp_path, artifact())
    real_open = os.open

    def denying_open(name, flags, *args, **kwargs):
        if str(name).endswith("score.py"):
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr("artifact_lint.artifact.os.open", denying_open)
    found = [d for d in lint(path).diagnostics if d.code == "ALX003"]
    assert [d.message for d in found] == [
        "cannot read score.py: Permission denied; the upload will fail on it too, and it was not checked"
    ]


def test_broken_symlink_as_score_py(tmp_path):
    path = make_artifact(tmp_path, artifact({"score.py": None}))
    (path / "score.py").symlink_to(tmp_path / "nowhere.py")
    found = [d for d in lint(path).diagnostics if d.code == "ALX003"]
    assert found and "cannot read score.py" in found[0].message


def test_zip_and_folder_give_the_same_findings(tmp_path):
    files = artifact({"runtime.yaml": RUNTIME_YAML.replace("'3.11'", "3.10"), "score.py": "def predict(x): pass\n"})
    folder = lint(make_artifact(tmp_path, files)).diagnostics
    (tmp_path / "z").mkdir()
    zipped = lint(make_artifact(tmp_path / "z", files, container="zip")).diagnostics
    assert [(d.code, d.path, d.span, d.message) for d in folder] == [(d.code, d.path, d.span, d.message) for d in zipped]
