"""Speed and memory of artifact-lint, measured as a user runs it (a fresh process each time).

    .venv/bin/python benchmarks/bench.py [--artifacts 1000] [--runs 11]

Prints: one artifact linted cold (process start to exit, median and spread of
--runs runs), many artifacts in one invocation (wall time, per-artifact time),
the analysis time per artifact on one core (in one warm process, no start-up),
and the peak resident memory of each. The artifacts are ADS-shaped scikit-learn
ones (benchmarks/ads_shaped.py). Budgets (issue 12): one artifact cold <= 0.10 s
median, 1,000 artifacts <= 2.0 s on 2 cores, <= 3 ms analysis per artifact on
one core, peak memory <= 60 MB; the verifier's overhead over a bare import+predict
<= 0.3 s and its own peak memory with 200 MB of child output <= 60 MB; and
`artifact-lint server`: an edit to an ADS-shaped score.py gets fresh diagnostics
in <= 150 ms (debounce included).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.ads_shaped import ADS_SHAPED_SCORE  # noqa: E402
from rules._samples import RUNTIME_YAML  # noqa: E402  (the repo's own known-good files)


def make_artifacts(root: Path, count: int, model_bytes: int = 40_000) -> Path:
    """`count` artifacts shaped like ADS writes them for small estimators (a pickle of tens of KB)."""
    model = pickle.dumps({"coef_": os.urandom(model_bytes), "classes_": [0, 1, 2], "_sklearn_version": "1.5.2"}, protocol=5)
    for index in range(count):
        folder = root / f"model_{index:04d}"
        folder.mkdir(parents=True)
        (folder / "score.py").write_text(ADS_SHAPED_SCORE)
        (folder / "runtime.yaml").write_text(RUNTIME_YAML)
        (folder / "model.joblib").write_bytes(model)
    return root


def write_sparse_pickle(path: Path, size: int) -> None:
    """A pickle holding one `size`-byte bytes object, written sparse (no disk is filled)."""
    with open(path, "wb") as handle:
        handle.write(b"\x80\x04\x8e" + size.to_bytes(8, "little"))
        handle.seek(size, os.SEEK_CUR)
        handle.write(b"\x94.")


def write_schema(path: Path, size: int) -> None:
    """A real schema file of about `size` bytes: many columns with statistics."""
    item = {"dtype": "float64", "feature_type": "Continuous", "name": "", "required": True, "description": "",
            "domain": {"values": "Continuous", "stats": {"count": 1000.0, "mean": 0.5, "standard deviation": 0.29},
                       "constraints": []}, "order": 0}
    with open(path, "w") as handle:
        handle.write('{"schema": [')
        written, index = 0, 0
        while written < size:
            item["name"] = item["description"] = f"feature_{index}"
            item["order"] = index
            text = ("," if index else "") + json.dumps(item)
            handle.write(text)
            written += len(text)
            index += 1
        handle.write('], "version": "1.1"}')


# A user's install has its bytecode cached; this sandbox sets PYTHONDONTWRITEBYTECODE, so drop it.
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


ADS_PROBE = """
import importlib, sys, time, warnings
warnings.filterwarnings("ignore")
import logging
logging.disable(logging.CRITICAL)
started = time.perf_counter()
import ads.model.model_artifact_boilerplate.artifact_introspection_test.model_artifact_validate as mav
for folder in sys.argv[1:]:
    importlib.reload(mav)
    mav.validate_artifact(artifact=folder)
print(time.perf_counter() - started)
"""


def ads_python() -> str | None:
    """A python that has oracle-ads: this one, or ADS_PYTHON (a scratch venv)."""
    candidate = os.environ.get("ADS_PYTHON") or sys.executable
    probe = subprocess.run([candidate, "-c", "import ads"], capture_output=True)
    return candidate if probe.returncode == 0 else None


def ads_comparison(single: Path, many: Path, count: int, ours_bulk: list[float], ours_cold: list[float]) -> None:
    """The same artifacts through ADS's introspection (offline), in the same run, as a ratio."""
    python = ads_python()
    if python is None:
        print("ADS introspection: oracle-ads not importable (set ADS_PYTHON to a python that has it)")
        return
    folders = sorted(str(p) for p in many.iterdir())
    env = {**CHILD_ENV, "HOME": tempfile.mkdtemp()}  # no ~/.oci/config: the offline check fails fast

    def wall(arguments: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run([python, "-c", ADS_PROBE, *arguments], capture_output=True, env=env)
        return time.perf_counter() - started

    cold = [wall([str(single)]) for _ in range(3)]
    bulk = wall(folders)
    print(f"{'ADS introspection, one artifact':<38} median {statistics.median(cold):.3f} s (process start included); "
          f"artifact-lint is {statistics.median(cold) / statistics.median(ours_cold):.1f}x faster")
    print(f"{f'ADS introspection, {count} artifacts':<38} {bulk:.3f} s; artifact-lint is "
          f"{bulk / statistics.median(ours_bulk):.1f}x faster (ADS stops at each artifact's first failing group)")


def verifier_overhead(workdir: Path, runs: int) -> None:
    """`artifact-lint verify` against a bare `python -c "import score; score.predict(x)"` on the same artifact."""
    from artifact_lint.rules.verify import PLAIN_SCORE, SCHEMA

    folder = workdir / "verify"
    folder.mkdir()
    (folder / "score.py").write_text(PLAIN_SCORE)
    (folder / "model.txt").write_text("2.0")
    (folder / "input_schema.json").write_text(SCHEMA)
    (folder / "runtime.yaml").write_text(RUNTIME_YAML)
    bare = [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import score; "
            "score.predict({'x': [1.0, 2.0, 3.0]})", str(folder)]
    verify = [sys.executable, "-m", "artifact_lint", "verify", "--no-cache", str(folder)]
    bare_times = [timed_run(bare)[0] for _ in range(runs)]
    verify_runs = [timed_run(verify) for _ in range(runs)]
    report("verify one artifact (plain score.py)", [r[0] for r in verify_runs], [r[1] for r in verify_runs], "")
    overhead = statistics.median(r[0] for r in verify_runs) - statistics.median(bare_times)
    print(f"{'':<38} overhead over bare python: {overhead:.3f} s (budget <= 0.3 s)")
    isolation = json.loads(subprocess.run(verify + ["--format", "json"], capture_output=True, env=CHILD_ENV).stdout)
    print(f"{'':<38} isolation: {isolation['artifacts'][0]['verification']['isolation']['level']}")


def verifier_parent_memory(workdir: Path) -> None:
    """Peak RSS of the verifier's own process (not the child's) while score.py prints 200 MB."""
    from artifact_lint.rules.verify import PLAIN_SCORE, SCHEMA

    folder = workdir / "loud"
    folder.mkdir()
    (folder / "score.py").write_text("import sys\nfor _ in range(200):\n    sys.stdout.write('y' * (1 << 20) + '\\n')\n"
                                     + PLAIN_SCORE)
    (folder / "model.txt").write_text("2.0")
    (folder / "input_schema.json").write_text(SCHEMA)
    probe = ("import atexit, resource, sys\n"
             "atexit.register(lambda: sys.stderr.write('MAXRSS %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
             "sys.argv = ['artifact-lint', 'verify', '--no-cache', sys.argv[1]]\n"
             "from artifact_lint.cli import main\nmain()\n")
    done = subprocess.run([sys.executable, "-c", probe, str(folder)], capture_output=True, env=CHILD_ENV)
    peak = int(done.stderr.decode().rsplit("MAXRSS ", 1)[1].split()[0]) / 1024
    print(f"{'verifier parent, 200 MB child stdout':<38} peak RSS {peak:.0f} MB (budget <= 60 MB)")


def server_latency(workdir: Path, edits: int = 40) -> None:
    """`artifact-lint server`: time from a didChange of score.py to the diagnostics for that version.

    Two kinds of edit, alternating with the clean text: a typo in predict's body (SCR201, as typing
    makes) and renaming predict's `data` (SCR103, which also computes its rename fix).
    """
    folder = workdir / "server"
    folder.mkdir()
    (folder / "score.py").write_text(ADS_SHAPED_SCORE)
    (folder / "runtime.yaml").write_text(RUNTIME_YAML)
    (folder / "model.joblib").write_bytes(pickle.dumps({"_sklearn_version": "1.5.2"}, protocol=5))
    process = subprocess.Popen([sys.executable, "-m", "artifact_lint", "server"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=CHILD_ENV)
    uri = (folder / "score.py").as_uri()

    def send(message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        process.stdin.flush()

    def receive() -> dict:
        length = 0
        while (line := process.stdout.readline().strip()):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(process.stdout.read(length))

    def diagnostics(version: int) -> list:
        while True:
            message = receive()
            params = message.get("params") or {}
            if message.get("method") == "textDocument/publishDiagnostics" and params.get("uri") == uri \
                    and params.get("version") == version:
                return params["diagnostics"]

    try:
        send({"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}})
        while receive().get("id") != 1:
            pass
        send({"method": "initialized", "params": {}})
        send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": ADS_SHAPED_SCORE}}})
        diagnostics(1)
        version = 1
        for label, code, broken in (
                ("typo in predict's body", "SCR201", ADS_SHAPED_SCORE.replace("(model.predict(features))",
                                                                              "(model.predict(featurs))")),
                ("predict(payload) (rename fix)", "SCR103", ADS_SHAPED_SCORE.replace("def predict(data,",
                                                                                     "def predict(payload,"))):
            seconds = []
            for edit in range(edits):
                version += 1
                text = broken if edit % 2 == 0 else ADS_SHAPED_SCORE
                started = time.perf_counter()
                send({"method": "textDocument/didChange", "params": {
                    "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}})
                found = diagnostics(version)
                seconds.append(time.perf_counter() - started)
                assert any(d["code"] == code for d in found) == (text is broken), found
            seconds.sort()
            print(f"{'server: edit to fresh diagnostics':<38} median {statistics.median(seconds) * 1000:.0f} ms  "
                  f"p95 {seconds[int(len(seconds) * 0.95) - 1] * 1000:.0f} ms  max {seconds[-1] * 1000:.0f} ms  "
                  f"({edits} edits, {label}, 50 ms debounce included; budget <= 150 ms)")
        send({"id": 2, "method": "shutdown"})
        send({"method": "exit"})
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()


def timed_run(args: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one command, measured with wait4."""
    started = time.perf_counter()
    # Run outside the checkout, so `-m artifact_lint` finds the installed package, not the source tree.
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=CHILD_ENV,
                               cwd=tempfile.gettempdir())
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, process.returncode


def installed_python(workdir: Path) -> str:
    """A Python with artifact-lint installed from its wheel, the way `pip install .` leaves it.

    An editable install puts an import hook on every start (about 18 ms here) that users never pay,
    so the start-up figures are taken from the wheel: built, unpacked into a venv's site-packages and
    byte-compiled, with this venv's site-packages behind it for the dependencies.
    """
    wheels = workdir / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels),
                    str(REPO)], check=True, capture_output=True)
    venv = workdir / "installed"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    with zipfile.ZipFile(next(wheels.glob("*.whl"))) as wheel:
        wheel.extractall(site)
    own_site = subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "dependencies.pth").write_text(own_site + "\n")
    subprocess.run([python, "-m", "compileall", "-q", site], check=True, env=CHILD_ENV)
    return str(python)


LINT_PYTHON = sys.executable  # replaced by the installed wheel's Python in main()


def lint_command(*paths: str, jobs: int = 2, fmt: str = "text") -> list[str]:
    return [LINT_PYTHON, "-m", "artifact_lint", "lint", "--format", fmt, "--jobs", str(jobs), *paths]


ANALYSIS_PROBE = """
import statistics, sys, time
from pathlib import Path
from artifact_lint.config import ConfigLoader
from artifact_lint.engine import lint_paths
folders = sorted(str(p) for p in Path(sys.argv[1]).iterdir())
loader = ConfigLoader()
lint_paths(folders[:20], loader, jobs=1)  # warm: rule modules imported, caches filled
rounds = []
for _ in range(int(sys.argv[2])):
    started = time.process_time()  # CPU time of this one process: what one core spends, whoever else runs
    lint_paths(folders, loader, jobs=1)
    rounds.append((time.process_time() - started) / len(folders) * 1000)
print(statistics.median(rounds), min(rounds), max(rounds))
"""


def analysis_per_artifact(many: Path, rounds: int = 5) -> None:
    """CPU milliseconds of analysis per artifact on one core, start-up excluded (median of `rounds` passes)."""
    result = subprocess.run([sys.executable, "-c", ANALYSIS_PROBE, str(many), str(rounds)], capture_output=True,
                            text=True, env=CHILD_ENV, cwd=REPO)
    if result.returncode != 0:
        print(f"analysis per artifact: probe failed: {result.stderr.strip()[-300:]}")
        return
    median, low, high = (float(value) for value in result.stdout.split())
    print(f"{'analysis per artifact, one core':<38} median {median:.2f} ms  min {low:.2f} ms, max {high:.2f} ms  "
          f"(budget <= 3 ms)")


def checked_run(args: list[str]) -> tuple[float, float, int]:
    """timed_run, refusing a lint that crashed or failed to start (exit 0 and 1 are findings, 2+ is not)."""
    seconds, memory, code = timed_run(args)
    if code not in (0, 1):
        raise SystemExit(f"bench: {' '.join(args)} exited {code}")
    return seconds, memory, code


def report(label: str, seconds: list[float], memory: list[float], budget: str) -> None:
    median = statistics.median(seconds)
    spread = f"min {min(seconds):.3f} s, max {max(seconds):.3f} s" if len(seconds) > 1 else ""
    print(f"{label:<38} median {median:.3f} s  {spread}  peak RSS {max(memory):.0f} MB  (budget {budget})")


def main() -> None:
    global LINT_PYTHON
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--artifacts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--server-only", action="store_true", help="Only measure the language server's latency.")
    parser.add_argument("--verifier-only", action="store_true", help="Only the verifier's overhead and memory.")
    parser.add_argument("--only-lint", action="store_true", help="stop after the cold, bulk and analysis figures")
    options = parser.parse_args()
    if options.server_only:
        workdir = Path(tempfile.mkdtemp(prefix="artifact-lint-bench-"))
        try:
            server_latency(workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return

    workdir = Path(tempfile.mkdtemp(prefix="artifact-lint-bench-"))
    if options.verifier_only:
        try:
            verifier_overhead(workdir, options.runs)
            verifier_parent_memory(workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    try:
        LINT_PYTHON = installed_python(workdir)
        baseline = [timed_run([LINT_PYTHON, "-c", "pass"])[0] for _ in range(options.runs)]
        print(f"{'bare python start-up (for reference)':<38} median {statistics.median(baseline):.3f} s  "
              f"min {min(baseline):.3f} s")
        single = make_artifacts(workdir / "single", 1) / "model_0000"
        many = make_artifacts(workdir / "many", options.artifacts)
        checked_run(lint_command(str(single)))  # warm the OS file cache and write the bytecode, as on a second run

        cold = [checked_run(lint_command(str(single))) for _ in range(options.runs)]
        report("one artifact, cold process", [c[0] for c in cold], [c[1] for c in cold], "<= 0.10 s, 60 MB")
        cold_json = [checked_run(lint_command(str(single), fmt="json")) for _ in range(options.runs)]
        report("one artifact, cold, --format json", [c[0] for c in cold_json], [c[1] for c in cold_json],
               "<= 0.10 s, 60 MB")

        bulk = [checked_run(lint_command(str(many))) for _ in range(3)]
        report(f"{options.artifacts} artifacts, one invocation, 2 jobs", [b[0] for b in bulk], [b[1] for b in bulk],
               "<= 2.0 s")
        per = statistics.median(b[0] for b in bulk) / options.artifacts * 1000
        print(f"{'':<38} {per:.2f} ms per artifact")
        analysis_per_artifact(many)
        if options.only_lint:
            return

        for label, size, budget in (("1 GB model", 1 << 30, "<= 5 s"), ("2 GB sparse model", 2 << 30, "in seconds")):
            big = make_artifacts(workdir / label.replace(" ", "_"), 1) / "model_0000"
            write_sparse_pickle(big / "model.joblib", size)
            run = [checked_run(lint_command(str(big))) for _ in range(3)]
            report(f"one artifact with a {label}", [r[0] for r in run], [r[1] for r in run], budget)

        schema_folder = make_artifacts(workdir / "big_schema", 1) / "model_0000"
        write_schema(schema_folder / "input_schema.json", 200 * 1024 * 1024)
        run = [checked_run(lint_command(str(schema_folder))) for _ in range(3)]
        report("one artifact with a 200 MB schema", [r[0] for r in run], [r[1] for r in run], "in seconds")

        server_latency(workdir)
        verifier_overhead(workdir, options.runs)
        verifier_parent_memory(workdir)
        ads_comparison(single, many, options.artifacts, [b[0] for b in bulk], [c[0] for c in cold])

    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
