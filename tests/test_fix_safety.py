"""Fix mode can be trusted with anything: kill -9, signals, anchors, CRLF, BOMs, symlinks, modes, edits meanwhile.

The kill loop runs the real command in a subprocess and SIGKILLs it at random moments, half of
them aimed at the write phase (right after a temporary file appears): every file must be either
as it was or fully fixed, and what a killed run leaves is reported by lint and removed by the next
fix. The other tests pin one guarantee each.
"""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from artifact_lint.config import ConfigLoader
from artifact_lint.diagnostics import Applicability, Edit, Fix
from artifact_lint.fix_command import run_fix
from artifact_lint.fix_temp import SUFFIX, is_fix_temp
from artifact_lint.rules._samples import PROVENANCE, RUNTIME_YAML, SCORE_PY, SERVICE_PACK_PATH, artifact, runtime_yaml
from tests.helpers import make_artifact, run_cli, write_files

KILL_SECONDS = float(os.environ.get("ARTIFACT_LINT_KILL_SECONDS", "22"))
NUMERIC_RUNTIME = RUNTIME_YAML.replace("'3.11'", "3.11")
READS_CWD = SCORE_PY.replace('    return {"prediction"', '    labels = open("labels.txt").read()\n    return {"prediction"')
FIXED_SCORE = READS_CWD.replace('open("labels.txt")',
                                'open(os.path.join(os.path.dirname(os.path.realpath(__file__)), "labels.txt"))')
ANCHORED = runtime_yaml(
    python="&py 3.10  # the pack's Python", path=SERVICE_PACK_PATH.replace("3.11", "3.10").replace("p311", "p310"),
    slug="generalml_p310_cpu_x86_64_v1",
    provenance=PROVENANCE.replace("TRAINING_PYTHON_VERSION: ''", "TRAINING_PYTHON_VERSION: *py")
    .replace("TRAINING_REGION: ''", 'TRAINING_REGION: "us-ashburn-1"'))


def fix(path: Path, fmt: str = "text") -> int:
    return run_fix([str(path)], ConfigLoader(), {}, unsafe=False, show_diff=False, fmt=fmt, exit_zero=False)


def listing(path: Path) -> list[str]:
    return sorted(os.listdir(path))


# -- kill -9 and signals -------------------------------------------------------------------------

def _large_artifact() -> dict:
    """Two files to fix: a 600 KB score.py (SCR302) and runtime.yaml (RTY107)."""
    score = READS_CWD + "".join(f"TABLE_{i} = {'x' * 20_000!r}\n" for i in range(30))
    return artifact({"score.py": score, "runtime.yaml": NUMERIC_RUNTIME, "labels.txt": "a\n"})


def _start_fix(folder: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "artifact_lint", "fix", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for_write_phase(process: subprocess.Popen, folder: Path, limit: float = 30.0) -> bool:
    """Poll until fix has a temporary file in the folder (True) or has exited (False)."""
    stop = time.monotonic() + limit
    while time.monotonic() < stop and process.poll() is None:
        if any(name.endswith(SUFFIX) for name in os.listdir(folder)):
            return True
        time.sleep(0.0005)
    return False


def test_kill_9_at_random_moments_leaves_every_file_original_or_fully_fixed(tmp_path):
    files = _large_artifact()
    (tmp_path / "reference").mkdir()
    reference = make_artifact(tmp_path / "reference", files)
    started = time.monotonic()
    assert run_cli("fix", str(reference)).returncode == 0
    duration = time.monotonic() - started
    fixed = {name: (reference / name).read_bytes() for name in ("score.py", "runtime.yaml")}
    original = {name: files[name].encode() for name in fixed}
    assert fixed["score.py"].startswith(FIXED_SCORE.encode()) and fixed["runtime.yaml"] == RUNTIME_YAML.encode()
    folder = tmp_path / "artifact"
    seed = int(os.environ.get("ARTIFACT_LINT_KILL_SEED", "16"))
    rng = random.Random(seed)
    moments, leftovers_seen, states = 0, [], set()
    deadline = time.monotonic() + KILL_SECONDS
    while time.monotonic() < deadline and moments < 60:
        if folder.exists():
            for name in os.listdir(folder):
                (folder / name).unlink()
        else:
            folder.mkdir()
        write_files(folder, files)
        process = _start_fix(folder)
        if moments % 2 == 0:
            time.sleep(rng.uniform(0, duration))
        elif _wait_for_write_phase(process, folder):
            time.sleep(rng.uniform(0, 0.02))
        process.send_signal(signal.SIGKILL)
        process.wait()
        moments += 1
        state = tuple("fixed" if (folder / name).read_bytes() == fixed[name] else "original" for name in fixed)
        for name in fixed:
            assert (folder / name).read_bytes() in (original[name], fixed[name]), f"{name} half-fixed (seed {seed})"
        states.add(state)
        leftovers = [name for name in os.listdir(folder) if name.endswith(SUFFIX)]
        assert all(is_fix_temp(name) for name in leftovers)
        if leftovers and not leftovers_seen:  # lint reports them; the next fix removes them and finishes
            leftovers_seen.append(leftovers)
            report = json.loads(run_cli("lint", "--format", "json", str(folder)).stdout)
            assert sorted(d["path"] for d in report["diagnostics"] if d["code"] == "ART010") == sorted(leftovers)
            assert run_cli("fix", str(folder)).returncode == 0
            assert not [name for name in os.listdir(folder) if name.endswith(SUFFIX)]
            assert {name: (folder / name).read_bytes() for name in fixed} == fixed
    assert moments >= 5, f"only {moments} kills in {KILL_SECONDS} s"
    assert ("original", "original") in states  # killed before writing: nothing changed


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_clean_up_before_exiting(tmp_path, signum):
    """Signalled while writing: exit 128+N (or 0 if it had just finished), nothing left behind, no file half-way."""
    files = _large_artifact()
    folder = make_artifact(tmp_path, files)
    process = _start_fix(folder)
    assert _wait_for_write_phase(process, folder)
    process.send_signal(signum)
    code = process.wait(timeout=60)
    assert code in (0, 128 + signum)
    assert not [name for name in os.listdir(folder) if name.endswith(SUFFIX)]
    now = ((folder / "score.py").read_bytes(), (folder / "runtime.yaml").read_bytes())
    original = (files["score.py"].encode(), files["runtime.yaml"].encode())
    assert now == original or (now[0].startswith(FIXED_SCORE.encode()) and now[1] == RUNTIME_YAML.encode())
    if code == 0:
        assert now != original


def test_the_next_run_removes_stale_temporaries_but_not_a_live_runs(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [f".score.py.{dead.pid}-0a1b2c3d{SUFFIX}", f".runtime.yaml.Xy7_ab12{SUFFIX}"]
    live = f".score.py.{os.getpid()}-0a1b2c3d{SUFFIX}"  # this test's process is running
    folder = make_artifact(tmp_path, artifact({name: "partial" for name in [*stale, live]}))
    lint = json.loads(run_cli("lint", "--format", "json", str(folder)).stdout)
    assert sorted(d["path"] for d in lint["diagnostics"] if d["code"] == "ART010") == sorted([*stale, live])
    result = run_cli("fix", "--format", "json", str(folder))
    assert json.loads(result.stdout)["fixes"]["removed_temporary_files"] == sorted(f"{folder}/{name}" for name in stale)
    assert listing(folder) == sorted([live, "model.joblib", "runtime.yaml", "score.py"])
    assert run_cli("fix", "--diff", str(folder)).returncode == 0  # --diff writes (and removes) nothing


# -- what a fix must keep ------------------------------------------------------------------------

def test_yaml_fix_keeps_anchor_alias_comment_and_quoting(tmp_path):
    path = make_artifact(tmp_path, artifact({"runtime.yaml": ANCHORED}))
    assert fix(path) == 0
    text = (path / "runtime.yaml").read_text()
    assert text == ANCHORED.replace("&py 3.10  #", "&py '3.10'  #")
    loaded = yaml.safe_load(text)
    assert loaded["MODEL_DEPLOYMENT"]["INFERENCE_CONDA_ENV"]["INFERENCE_PYTHON_VERSION"] == "3.10"
    assert loaded["MODEL_PROVENANCE"]["TRAINING_CONDA_ENV"]["TRAINING_PYTHON_VERSION"] == "3.10"


def test_an_explicitly_tagged_number_gets_no_fix(tmp_path, capsys):
    tagged = ANCHORED.replace("&py 3.10", "&py !!float 3.10")
    path = make_artifact(tmp_path, artifact({"runtime.yaml": tagged}))
    assert fix(path) == 1
    assert (path / "runtime.yaml").read_text() == tagged
    assert "RTY107" in capsys.readouterr().out


def _patch_rty107(monkeypatch, content: str, expect: bool) -> None:
    """Make RTY107 offer a fix with `content` instead of its own (to prove the guard, not the rule)."""
    from artifact_lint.rules.runtime_yaml_values import VersionAsNumber

    real = VersionAsNumber.check_runtime

    def check_runtime(self, ctx, document, root):
        for diagnostic in real(self, ctx, document, root):
            if diagnostic.fix is not None:
                keys = ("MODEL_DEPLOYMENT", "INFERENCE_CONDA_ENV", "INFERENCE_PYTHON_VERSION")
                edits = (Edit(document.path, diagnostic.span, content),)
                diagnostic = diagnostic._replace(fix=Fix("broken", Applicability.SAFE, edits,
                                                         expect=((document.path, keys, "3.11"),) if expect else ()))
            yield diagnostic

    monkeypatch.setattr(VersionAsNumber, "check_runtime", check_runtime)


@pytest.mark.parametrize(("content", "expect", "reason"), [
    ("'3.11", False, "leave YAML that does not load"),
    ("*nowhere", False, "leave YAML that does not load"),
    ("3.11", True, "load MODEL_DEPLOYMENT.INFERENCE_CONDA_ENV.INFERENCE_PYTHON_VERSION as 3.11 instead of '3.11'"),
])
def test_a_fix_that_would_break_its_file_is_dropped_and_reported(tmp_path, monkeypatch, capsys, content, expect,
                                                                 reason):
    path = make_artifact(tmp_path, artifact({"runtime.yaml": NUMERIC_RUNTIME, "score.py": READS_CWD,
                                             "labels.txt": "a\n"}))
    _patch_rty107(monkeypatch, content, expect)
    assert fix(path) == 2
    out = capsys.readouterr().out
    assert f"runtime.yaml: the RTY107 fix would {reason}" in out
    assert (path / "runtime.yaml").read_text() == NUMERIC_RUNTIME  # dropped, nothing written
    assert (path / "score.py").read_text() == FIXED_SCORE  # the other file's fix still applies
    assert "Fixed 1 problem (SCR302 x1)" in out and "No findings remain" not in out


def test_crlf_files_get_crlf_lines_and_boms_are_kept(tmp_path):
    crlf_runtime = RUNTIME_YAML.replace("    INFERENCE_ENV_SLUG: generalml_p311_cpu_x86_64_v1\n", "").replace("\n", "\r\n")
    crlf_score = "\ufeff" + READS_CWD.replace("import os\n", "").replace("\n", "\r\n")
    path = make_artifact(tmp_path, artifact({"runtime.yaml": crlf_runtime.encode("utf-8"),
                                             "score.py": crlf_score.encode("utf-8"), "labels.txt": "a\n"}))
    assert fix(path) == 0
    runtime, score = (path / "runtime.yaml").read_bytes(), (path / "score.py").read_bytes()
    assert runtime == RUNTIME_YAML.replace("\n", "\r\n").encode()  # RTY111 added the slug line, with CRLF
    assert score.startswith(b"\xef\xbb\xbf") and b"import os\r\n" in score
    assert b"\n" not in score.replace(b"\r\n", b"") and b"\n" not in runtime.replace(b"\r\n", b"")
    assert score.decode("utf-8-sig").replace("\r\n", "\n") == "import os\n" + FIXED_SCORE.replace("import os\n", "", 1)


def test_a_utf16_runtime_yaml_stays_utf16(tmp_path):
    data = b"\xff\xfe" + NUMERIC_RUNTIME.encode("utf-16-le")
    path = make_artifact(tmp_path, artifact({"runtime.yaml": data}))
    assert fix(path) == 0
    assert (path / "runtime.yaml").read_bytes() == b"\xff\xfe" + RUNTIME_YAML.encode("utf-16-le")


# -- symlinks, modes, edits meanwhile ------------------------------------------------------------

def test_a_symlink_inside_the_artifact_is_kept_and_its_target_fixed(tmp_path):
    path = make_artifact(tmp_path, artifact({"runtime.yaml": None, "config/runtime.yaml": NUMERIC_RUNTIME}))
    (path / "runtime.yaml").symlink_to("config/runtime.yaml")
    (path / "config" / "runtime.yaml").chmod(0o640)
    assert fix(path) == 0
    assert (path / "runtime.yaml").is_symlink() and os.readlink(path / "runtime.yaml") == "config/runtime.yaml"
    assert (path / "config" / "runtime.yaml").read_text() == RUNTIME_YAML
    assert stat.S_IMODE((path / "config" / "runtime.yaml").stat().st_mode) == 0o640


def test_a_symlink_out_of_the_artifact_is_refused_clearly(tmp_path, capsys):
    outside = tmp_path / "shared" / "runtime.yaml"
    outside.parent.mkdir()
    outside.write_text(NUMERIC_RUNTIME)
    (tmp_path / "work").mkdir()
    path = make_artifact(tmp_path / "work", artifact({"runtime.yaml": None, "score.py": READS_CWD, "labels.txt": "a"}))
    (path / "runtime.yaml").symlink_to(outside)
    assert fix(path) == 2
    out = capsys.readouterr().out
    assert f"runtime.yaml is a symlink to {outside}, outside the artifact: not changed" in out
    assert (path / "runtime.yaml").is_symlink() and outside.read_text() == NUMERIC_RUNTIME
    assert (path / "score.py").read_text() == FIXED_SCORE


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_created_files_get_the_umask_mode_and_replaced_files_keep_theirs(tmp_path, umask):
    path = make_artifact(tmp_path, artifact({"runtime.yaml": NUMERIC_RUNTIME, "__pycache__/score.cpython-311.pyc": b"x"}))
    (path / "runtime.yaml").chmod(0o604)
    previous = os.umask(umask)
    try:
        assert fix(path) == 0
    finally:
        os.umask(previous)
    assert (path / ".model-ignore").read_text() == "__pycache__/\n"  # created by ART007's fix
    assert stat.S_IMODE((path / ".model-ignore").stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((path / "runtime.yaml").stat().st_mode) == 0o604


def test_a_file_edited_while_fix_runs_is_not_overwritten(tmp_path, monkeypatch, capsys):
    import artifact_lint.fix_command as fix_command

    path = make_artifact(tmp_path, artifact({"runtime.yaml": NUMERIC_RUNTIME, "score.py": READS_CWD, "labels.txt": "a"}))
    real = fix_command.fix_artifact
    edited = NUMERIC_RUNTIME + "# edited in the editor meanwhile\n"

    def then_edit(*args, **kwargs):
        outcome = real(*args, **kwargs)
        (path / "runtime.yaml").write_text(edited)
        return outcome

    monkeypatch.setattr(fix_command, "fix_artifact", then_edit)
    assert fix(path) == 2
    out = capsys.readouterr().out
    assert "runtime.yaml changed on disk while fix ran: not overwritten" in out
    assert (path / "runtime.yaml").read_text() == edited
    assert (path / "score.py").read_text() == FIXED_SCORE
    assert "Fixed 1 problem (SCR302 x1)" in out and "RTY107" in out and "No findings remain" not in out
    assert not [name for name in listing(path) if name.endswith(SUFFIX)]


def test_the_generated_model_ignore_drops_fix_temporaries():
    from artifact_lint.generators.artifact import MODEL_IGNORE
    from artifact_lint.model_ignore import dropped_paths, read_patterns

    temporary = f"src/.score.py.42-0a1b2c3d{SUFFIX}"
    dropped = dropped_paths(read_patterns(MODEL_IGNORE), "/home/me/model", [temporary, "score.py", "runtime.yaml"])
    assert sorted(dropped) == [temporary]
