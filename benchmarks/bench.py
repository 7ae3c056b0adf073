"""Speed and memory of artifact-lint, measured as a user runs it (a fresh process each time).

    .venv/bin/python benchmarks/bench.py [--artifacts 1000] [--runs 11]

Prints: one artifact linted cold (process start to exit, median and spread of
--runs runs), many artifacts in one invocation (wall time, per-artifact time),
and the peak resident memory of each. Budgets (architecture.md): one artifact
cold <= 0.25 s median, 1,000 artifacts <= 5 s, peak memory <= 150 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rules._samples import RUNTIME_YAML, SCORE_PY  # noqa: E402  (the repo's own known-good files)


def make_artifacts(root: Path, count: int, model_bytes: int = 40_000) -> Path:
    """`count` artifacts shaped like ADS writes them for small estimators."""
    model = b"\x80\x05" + os.urandom(model_bytes) + b"."
    for index in range(count):
        folder = root / f"model_{index:04d}"
        folder.mkdir(parents=True)
        (folder / "score.py").write_text(SCORE_PY)
        (folder / "runtime.yaml").write_text(RUNTIME_YAML)
        (folder / "model.joblib").write_bytes(model)
    return root


def timed_run(args: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one command, measured with wait4."""
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, process.returncode


def lint_command(*paths: str) -> list[str]:
    return [sys.executable, "-m", "artifact_lint", "lint", "--format", "text", *paths]


def report(label: str, seconds: list[float], memory: list[float], budget: str) -> None:
    median = statistics.median(seconds)
    spread = f"min {min(seconds):.3f} s, max {max(seconds):.3f} s" if len(seconds) > 1 else ""
    print(f"{label:<38} median {median:.3f} s  {spread}  peak RSS {max(memory):.0f} MB  (budget {budget})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--artifacts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=11)
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="artifact-lint-bench-"))
    try:
        single = make_artifacts(workdir / "single", 1) / "model_0000"
        many = make_artifacts(workdir / "many", options.artifacts)
        timed_run(lint_command(str(single)))  # warm the OS file cache, as on a second run

        cold = [timed_run(lint_command(str(single))) for _ in range(options.runs)]
        report("one artifact, cold process", [c[0] for c in cold], [c[1] for c in cold], "<= 0.25 s")

        bulk = [timed_run(lint_command(str(many))) for _ in range(3)]
        report(f"{options.artifacts} artifacts, one invocation", [b[0] for b in bulk], [b[1] for b in bulk], "<= 5 s")
        per = statistics.median(b[0] for b in bulk) / options.artifacts * 1000
        print(f"{'':<38} {per:.2f} ms per artifact")

        baseline = [timed_run([sys.executable, "-c", "pass"])[0] for _ in range(options.runs)]
        print(f"{'bare python start-up (for reference)':<38} median {statistics.median(baseline):.3f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
