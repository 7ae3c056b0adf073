"""Hostile artifacts against the verifier: one case per escape, each asserting held-and-reported.

Every hostile score.py raises `ESCAPED: ...` from predict when its escape worked, so the run's
own report carries the proof; the tests also check from outside (files that must not exist,
processes that must be gone, a host process that must still live). The same cases run without
bubblewrap, where the report must say "process only".
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path

import jsonschema
import pytest

from artifact_lint.report.json_report import report_schema
from artifact_lint.rules.verify import PLAIN_SCORE, SCHEMA
from artifact_lint.verifier.sandbox import find_bubblewrap
from rules._samples import artifact
from tests.helpers import make_artifact, run_cli

FILES = artifact({"score.py": PLAIN_SCORE, "model.txt": "2.0", "input_schema.json": SCHEMA, "model.joblib": None})
needs_bwrap = pytest.mark.skipif(find_bubblewrap() is None, reason="bubblewrap cannot run here (.ci/run installs it)")
HOOK = "def predict(data, model=load_model()):\n"


def hostile(body: str, *, at_import: str = "") -> str:
    """PLAIN_SCORE with `body` at the start of predict (and `at_import` at the top)."""
    indented = "".join(f"    {line}\n" for line in body.strip("\n").splitlines())
    return at_import + PLAIN_SCORE.replace(HOOK, HOOK + indented)


def verify(path: Path, *args: str, env: dict | None = None, timeout: float = 120) -> tuple[int, dict]:
    started = time.monotonic()
    result = run_cli("verify", "--format", "json", "--no-cache", *args, str(path), env=env)
    assert time.monotonic() - started < timeout, "the verifier did not end within its bounds"
    assert result.returncode in (0, 1), result.stderr.decode()
    report = json.loads(result.stdout)
    jsonschema.validate(report, report_schema())
    return result.returncode, report


def messages(report: dict) -> list[str]:
    return [d["message"] for d in report["diagnostics"]]


def codes(report: dict) -> list[str]:
    return sorted(d["code"] for d in report["diagnostics"])


def assert_held(report: dict) -> None:
    assert not any("ESCAPED" in message for message in messages(report)), messages(report)
    assert report["artifacts"][0]["verification"]["isolation"]["level"] == "sandbox"


def processes_with(marker: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{name}/cmdline").read_bytes():
                    found.append(int(name))
            except OSError:
                continue
    return found


@pytest.fixture
def secret_home(tmp_path):
    """A HOME with OCI credentials, as the user's real one has, and the environment pointing at it."""
    home = tmp_path / "home"
    (home / ".oci").mkdir(parents=True)
    (home / ".oci" / "config").write_text("[DEFAULT]\nkey_file=~/.oci/key.pem\nSECRET-OCI-CONFIG\n")
    return home, {"HOME": str(home), "OCI_CLI_SECRET": "SECRET-ENV-VALUE",
                  "PATH": os.environ["PATH"] + ":/nonexistent/SECRET-PATH-MARKER"}


@needs_bwrap
def test_writes_reach_neither_the_original_nor_the_home(tmp_path, secret_home):
    home, env = secret_home
    path = make_artifact(tmp_path, FILES)
    outside = tmp_path / "outside-marker"
    body = f"""
for target in [os.path.join(os.path.dirname(os.path.realpath(__file__)), "pwned"), {str(path / 'pwned')!r},
               {str(home / 'pwned')!r}, {str(outside)!r}, "/usr/pwned", "/etc/pwned", "/opt/pwned", "/root/pwned",
               "/dev/pwned", "/pwned"]:
    try:
        open(target, "w").write("x")
    except OSError:
        continue
    if not target.startswith("/home/datascience"):
        raise RuntimeError("ESCAPED: wrote " + target)
open(os.path.expanduser("~/allowed.txt"), "w").write("the private home is writable")
open("/dev/shm/allowed", "w").write("and so is the private shared memory")
"""
    (path / "score.py").write_text(hostile(body))
    code, report = verify(path, env=env)
    assert_held(report)
    assert not (path / "pwned").exists() and not (home / "pwned").exists() and not outside.exists()
    assert set(codes(report)) == {"VRF008"} and code == 0  # the failed attempts are reported, the run passed


@needs_bwrap
def test_the_users_environment_credentials_and_files_are_not_visible(tmp_path, secret_home):
    home, env = secret_home
    path = make_artifact(tmp_path, FILES)
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-FILE")
    body = f"""
seen = []
for name in os.listdir("/proc"):
    if name.isdigit():
        try:
            seen.append(open("/proc/" + name + "/environ", "rb").read().decode("latin-1"))
        except OSError:
            pass
seen.append(repr(dict(os.environ)))
for target in [{str(home / '.oci' / 'config')!r}, os.path.expanduser("~/.oci/config"), {str(secret)!r},
               "/root/.bashrc", "/etc/shadow"]:
    try:
        seen.append(open(target).read())
    except OSError:
        pass
if any("SECRET" in text for text in seen) or os.path.exists({str(tmp_path)!r}):
    raise RuntimeError("ESCAPED: the host's environment or files are visible")
"""
    (path / "score.py").write_text(hostile(body))
    code, report = verify(path, env=env)
    assert_held(report)
    assert report["diagnostics"] == [] and code == 0


@needs_bwrap
def test_other_users_files_in_visible_folders_stay_unreadable(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    private = site / "other_user_secret.txt"
    private.write_text("SECRET-OTHER-USER")
    os.chown(private, 4242, 4242)
    private.chmod(0o600)
    path = make_artifact(tmp_path, FILES)
    body = f"""
try:
    text = open({str(private)!r}).read()
except OSError:
    text = ""
if "SECRET" in text:
    raise RuntimeError("ESCAPED: read another user's file")
"""
    (path / "score.py").write_text(hostile(body))
    code, report = verify(path, "--python", str(venv / "bin" / "python"))
    assert_held(report)
    assert report["diagnostics"] == [] and code == 0


@needs_bwrap
def test_links_out_of_the_artifact_are_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-LINKED")
    path = make_artifact(tmp_path, FILES)
    (path / "linked.txt").symlink_to(secret)
    (path / "inner.txt").symlink_to("model.txt")
    body = """
here = os.path.dirname(os.path.realpath(__file__))
assert open(os.path.join(here, "inner.txt")).read() == "2.0"
try:
    if "SECRET" in open(os.path.join(here, "linked.txt")).read():
        raise RuntimeError("ESCAPED: followed a link out of the artifact")
except OSError:
    pass
"""
    (path / "score.py").write_text(hostile(body))
    code, report = verify(path)
    assert_held(report)
    assert codes(report) == ["VRF012"] and code == 0
    assert "outside the artifact" in messages(report)[0] and report["diagnostics"][0]["path"] == "linked.txt"


@needs_bwrap
def test_symlink_loops_are_copied_as_links_not_walked(tmp_path):
    path = make_artifact(tmp_path, FILES)
    (path / "again").symlink_to(".")
    (path / "a").symlink_to("b")
    (path / "b").symlink_to("a")
    code, report = verify(path, timeout=60)
    assert_held(report)
    assert codes(report) == ["VRF012", "VRF012"] and code == 0
    assert all("looping" in message for message in messages(report))


@needs_bwrap
def test_a_zip_bomb_member_is_not_extracted(tmp_path):
    path = tmp_path / "artifact.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in FILES.items():
            archive.writestr(name, content)
        with archive.open("padding.bin", "w", force_zip64=True) as member:
            for _ in range(14):
                member.write(bytes(16 << 20))  # 224 MiB of zeros: a ratio near 1000
    code, report = verify(path)
    assert_held(report)
    assert codes(report) == ["VRF012"] and "zip bomb" in messages(report)[0]


@needs_bwrap
def test_no_process_outlives_the_run(tmp_path):
    marker = f"artifact-lint-daemon-{uuid.uuid4().hex}"
    body = f"""
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import os, time\\nif os.fork(): os._exit(0)\\nos.setsid()\\ntime.sleep(60)",
                  {marker!r}], start_new_session=True)
import time
time.sleep(0.5)
"""
    path = make_artifact(tmp_path, {**FILES, "score.py": hostile(body)})
    code, report = verify(path)
    assert_held(report)
    assert codes(report) == ["VRF013"] and marker in messages(report)[0]
    time.sleep(0.5)
    assert processes_with(marker) == []


@needs_bwrap
def test_memory_is_limited_for_the_whole_tree(tmp_path):
    body = """
import subprocess, sys, time
hogs = [subprocess.Popen([sys.executable, "-c", "import time\\nx = b'x' * (150 << 20)\\ntime.sleep(30)"])
        for _ in range(4)]
time.sleep(20)
"""
    path = make_artifact(tmp_path, {**FILES, "score.py": hostile(body)})
    code, report = verify(path, "--memory", "400", "--timeout", "30")
    assert_held(report)
    assert codes(report) == ["VRF007"] and code == 1
    assert "400 MB" in messages(report)[0]


@needs_bwrap
def test_too_many_processes_stop_the_run(tmp_path):
    body = """
import subprocess
children = [subprocess.Popen(["sleep", "30"]) for _ in range(40)]
"""
    path = make_artifact(tmp_path, {**FILES, "score.py": hostile(body)})
    (path.parent / "artifact-lint.toml").write_text("[verify]\nprocesses = 16\n")
    code, report = verify(path, "--timeout", "30")
    assert codes(report) == ["VRF014"] and code == 1


@needs_bwrap
def test_a_child_that_closes_its_descriptors_and_spins_is_stopped(tmp_path):
    score = "import os\nos.closerange(0, 4096)\nwhile True:\n    pass\n" + PLAIN_SCORE
    path = make_artifact(tmp_path, {**FILES, "score.py": score})
    code, report = verify(path, "--load-timeout", "3", timeout=30)
    assert codes(report) == ["VRF006"] and code == 1
    assert "import did not finish within 3 s" in messages(report)[0]


@needs_bwrap
@pytest.mark.parametrize("ending, expected", [
    ("os._exit(0)", "exited with status 0"),
    ("import signal\nos.kill(os.getpid(), signal.SIGSEGV)", "SIGSEGV"),
    ("import signal\nos.kill(os.getpid(), signal.SIGKILL)", "SIGKILL"),
])
def test_an_early_end_is_never_a_pass(tmp_path, ending, expected):
    path = make_artifact(tmp_path, {**FILES, "score.py": hostile(ending)})
    code, report = verify(path)
    assert codes(report) == ["VRF010"] and code == 1
    assert expected in messages(report)[0] and "stage reached: predict" in messages(report)[0]


@needs_bwrap
def test_a_prediction_whose_repr_raises_is_not_a_pass(tmp_path):
    score = PLAIN_SCORE.replace('return {"prediction": [value * model["scale"] for value in data["x"]]}',
                                'class Evil:\n        def __repr__(self):\n            raise RuntimeError("no")\n'
                                '    return Evil()')
    path = make_artifact(tmp_path, {**FILES, "score.py": score})
    code, report = verify(path)
    assert code == 1 and "VRF010" in codes(report)


@needs_bwrap
def test_a_forged_pass_is_not_believed(tmp_path):
    body = """
import sys
fd = int(sys.argv[2])
for stage in ("import", "load", "predict"):
    os.write(fd, ('{"event": "stage", "stage": "%s"}\\n' % stage).encode())
os.write(fd, b'{"event": "result", "ok": true, "stage": "done", "timings": {}}\\n')
os._exit(0)
"""
    path = make_artifact(tmp_path, {**FILES, "score.py": hostile(body)})
    code, report = verify(path)
    assert codes(report) == ["VRF010"] and code == 1
    assert "cannot be believed" in messages(report)[0]


@needs_bwrap
def test_no_network_whatever_the_route(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    port = server.getsockname()[1]
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    body = f"""
import ctypes, shutil, socket, subprocess, struct, sys
reached = []
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    reached.append("socket")
except OSError:
    pass
if shutil.which("curl"):
    if subprocess.run(["curl", "-s", "-m", "2", "http://127.0.0.1:{port}/"]).returncode in (0, 52):
        reached.append("curl")
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.socket(2, 1, 0)
address = struct.pack("!HH4s8x", 2, {port}, bytes([127, 0, 0, 1]))
address = struct.pack("H", 2) + address[2:]
if fd >= 0 and libc.connect(fd, address, len(address)) == 0:
    reached.append("ctypes")
import __main__
__main__.state["guard_network"] = False
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    reached.append("after editing the harness")
except OSError:
    pass
if reached:
    raise RuntimeError("ESCAPED: network via " + ", ".join(reached))
"""
    path = make_artifact(tmp_path, {**FILES, "score.py": hostile(body)})
    code, report = verify(path)
    server.close()
    assert_held(report)
    assert accepted == []
    assert codes(report) == ["VRF008"] and "used the network" in messages(report)[0]


@needs_bwrap
def test_devices_ptrace_unshare_and_signals_to_the_host_are_refused(tmp_path):
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        body = f"""
import ctypes, signal
done = []
if [name for name in os.listdir("/dev") if name.startswith(("sd", "nvme", "vd", "mem", "kmsg", "xvd"))]:
    done.append("a host device is visible")
for target in ({bystander.pid}, -1):  # a host process by its number, and everything the sandbox can signal
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
libc = ctypes.CDLL(None, use_errno=True)
if libc.ptrace(16, {bystander.pid}, None, None) == 0:  # PTRACE_ATTACH to a host process
    done.append("ptrace of a host process")
if libc.unshare(0x10000000) == 0:  # CLONE_NEWUSER
    done.append("a new user namespace")
if libc.unshare(0x00020000) == 0:  # CLONE_NEWNS
    done.append("a new mount namespace")
if done:
    raise RuntimeError("ESCAPED: " + ", ".join(done))
"""
        path = make_artifact(tmp_path, {**FILES, "score.py": hostile(body)})
        code, report = verify(path)
        assert_held(report)
        assert report["diagnostics"] == [] and code == 0
        assert bystander.poll() is None, "a process outside the sandbox was signalled"
    finally:
        bystander.kill()
        bystander.wait()


@needs_bwrap
def test_huge_output_is_counted_and_only_its_tail_kept(tmp_path):
    score = "import sys\nfor _ in range(200):\n    sys.stdout.write('y' * (1 << 20) + '\\n')\nprint('LAST LINE')\n" + PLAIN_SCORE
    path = make_artifact(tmp_path, {**FILES, "score.py": score})
    code, report = verify(path)
    verification = report["artifacts"][0]["verification"]
    assert code == 0 and verification["output_bytes"]["stdout"] >= 200 << 20
    assert verification["stdout_tail"][-1] == "LAST LINE"
    assert sum(len(line) for line in verification["stdout_tail"]) < 200_000


def test_a_missing_or_non_python_interpreter_is_a_usage_error(tmp_path):
    path = make_artifact(tmp_path, FILES)
    not_python = tmp_path / "not-python"
    not_python.write_text("#!/bin/sh\necho hello\n")
    not_python.chmod(0o755)
    for python, expected in ((tmp_path / "missing", b"no such file"), (not_python, b"not a Python interpreter"),
                             (tmp_path, b"is a directory")):
        for command in (["verify"], ["lint", "--verify"]):
            result = run_cli(*command, "--python", str(python), str(path))
            assert result.returncode == 2 and expected in result.stderr, result.stderr
    old = Path.home() / ".pyenv" / "versions" / "3.7.16" / "bin" / "python"
    if old.exists():
        result = run_cli("verify", "--python", str(old), str(path))
        assert result.returncode == 2 and b"needs 3.8 or newer" in result.stderr


def test_environments_on_one_base_python_do_not_share_results(tmp_path):
    venvs = {}
    for name in ("a", "b"):
        venvs[name] = tmp_path / name
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venvs[name])], check=True)
    site_b = next(venvs["b"].glob("lib/python*/site-packages"))
    (site_b / "only_in_b.py").write_text("VALUE = 1\n")
    path = make_artifact(tmp_path, {**FILES, "score.py": "import only_in_b\n" + PLAIN_SCORE})
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}

    def run(venv):
        result = run_cli("verify", "--format", "json", "--python", str(venv / "bin" / "python"), str(path), env=env)
        return codes(json.loads(result.stdout))

    assert run(venvs["a"]) == ["VRF001"]
    assert run(venvs["b"]) == []
    site_a = next(venvs["a"].glob("lib/python*/site-packages"))
    (site_a / "only_in_b.py").write_text("VALUE = 1\n")  # the user fixes environment a
    assert run(venvs["a"]) == [], "a fixed environment replayed its old failure"


def test_without_bubblewrap_the_report_says_process_only(tmp_path):
    path = make_artifact(tmp_path, FILES)
    no_bwrap = {"PATH": str(tmp_path / "empty-path")}
    code, report = verify(path, env=no_bwrap)
    isolation = report["artifacts"][0]["verification"]["isolation"]
    assert isolation["level"] == "process only" and isolation["sandbox"] == "bubblewrap not available"
    assert codes(report) == ["VRF011"] and code == 0
    assert "isolation: process only" in messages(report)[0]
    code, report = verify(path, "--require-sandbox", env=no_bwrap)
    assert codes(report) == ["VRF011"] and code == 1
    assert report["diagnostics"][0]["severity"] == "error" and "nothing was run" in messages(report)[0]
    assert report["artifacts"][0]["verification"]["stage"] == "start"


WEAK_MODE_ESCAPES = {
    "write to the home": "open(os.path.expanduser('~/.probe'), 'w').write('x')",
    "read the environment": "assert 'HOME' in os.environ",
    "use the network": "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
                       "except OSError:\n    pass",
    "leave a process": "import subprocess\nsubprocess.Popen(['sleep', '2'])",
    "crash": "import signal\nos.kill(os.getpid(), signal.SIGSEGV)",
}


@pytest.mark.parametrize("escape", sorted(WEAK_MODE_ESCAPES))
def test_without_bubblewrap_every_run_says_it_was_not_isolated(tmp_path, escape):
    path = make_artifact(tmp_path, {**FILES, "score.py": hostile(WEAK_MODE_ESCAPES[escape])})
    code, report = verify(path, env={"PATH": str(tmp_path / "empty-path")})
    assert "VRF011" in codes(report)
    assert report["artifacts"][0]["verification"]["isolation"]["level"] == "process only"
    if escape == "crash":
        assert "VRF010" in codes(report) and code == 1
    if escape == "use the network":
        assert "VRF008" in codes(report)  # the socket guard saw it; nothing but the guard stood in the way


@needs_bwrap
def test_an_interpreter_held_after_its_result_is_not_a_pass(tmp_path):
    body = """
import sys, time
class Stuck:
    def write(self, text):
        return len(text)
    def flush(self):
        time.sleep(60)
sys.stdout = Stuck()
"""
    path = make_artifact(tmp_path, {**FILES, "score.py": hostile(body)})
    code, report = verify(path, timeout=60)
    assert codes(report) == ["VRF010"] and code == 1
    assert "did not exit" in messages(report)[0]


def test_retargeting_a_link_inside_the_artifact_runs_again(tmp_path):
    path = make_artifact(tmp_path, {name: text for name, text in FILES.items() if name != "model.txt"})
    (path / "good.txt").write_text("2.0")
    (path / "bad.txt").write_text("abc")  # the same size as good.txt
    (path / "model.txt").symlink_to("good.txt")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = json.loads(run_cli("verify", "--format", "json", str(path), env=env).stdout)
    assert codes(first) == []
    (path / "model.txt").unlink()
    (path / "model.txt").symlink_to("bad.txt")
    second = json.loads(run_cli("verify", "--format", "json", str(path), env=env).stdout)
    assert codes(second) == ["VRF002"], "a retargeted link replayed the old result"
