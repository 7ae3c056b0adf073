"""SEC003 on the generated corpus: how many malicious and benign model files are flagged, and how fast.

    .venv/bin/python benchmarks/model_code_bench.py

Prints: malicious files flagged (error naming the call) out of all, benign files flagged out of all,
time per artifact in one process (median, max), one cold process on a malicious artifact, and time
and peak memory for 2 GB models (a sparse pickle, seeked past; a zlib-compressed joblib, streamed).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from artifact_lint.engine import lint_paths  # noqa: E402
from artifact_lint.config import ConfigLoader  # noqa: E402
from rules._samples import artifact  # noqa: E402
from tests.helpers import write_files  # noqa: E402
from tests.model_corpus import benign, glob, malicious  # noqa: E402

CHILD = """
import resource, subprocess, sys, time
started = time.perf_counter()
subprocess.run([sys.executable, "-m", "artifact_lint", "lint", "--format", "json", sys.argv[1]], stdout=subprocess.DEVNULL)
elapsed = time.perf_counter() - started
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def as_artifact(folder: Path, model: Path) -> Path:
    target = folder / model.name
    write_files(target, artifact({"model.joblib": None, model.name: model.read_bytes()}))
    return target


def sec003(path: Path):
    run = lint_paths([str(path)], ConfigLoader(), use_cache=False)
    return [d for result in run.results for d in result.diagnostics if d.code == "SEC003"]


def cold(path: Path) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True).stdout
    seconds, megabytes = out.split()
    return float(seconds), float(megabytes)


def two_gigabyte_models(folder: Path) -> dict[str, Path]:
    import joblib
    import numpy as np

    size = 2 << 30
    sparse = folder / "sparse"
    write_files(sparse, artifact({"model.joblib": None}))
    with open(sparse / "model.pkl", "wb") as handle:
        handle.write(b"\x80\x04\x8e" + size.to_bytes(8, "little"))
        handle.seek(size, 1)
        handle.write(b"0" + glob("posix", "system") + b"(X\x04\x00\x00\x00truetR.")
    compressed = folder / "compressed"
    write_files(compressed, artifact({"model.joblib": None}))
    joblib.dump({"weights": np.zeros(size // 8)}, compressed / "model.joblib", compress=("zlib", 1))
    return {"2 GB sparse pickle, payload after the bytes": sparse, "2 GB zlib joblib (array of zeros)": compressed}


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="model-code-bench-"))
    try:
        marker = workdir / "MARKER"
        (workdir / "MARKER.dir").mkdir()
        bad = malicious(workdir / "bad", marker)
        good = benign(workdir / "good")
        times, caught = [], 0
        for path, expected in bad.values():
            folder = as_artifact(workdir / "bad-artifacts", path)
            started = time.perf_counter()
            found = sec003(folder)
            times.append(time.perf_counter() - started)
            caught += any(d.severity.name == "ERROR" and expected in d.message for d in found)
        flagged = 0
        for path in good.values():
            folder = as_artifact(workdir / "good-artifacts", path)
            started = time.perf_counter()
            flagged += bool(sec003(folder))
            times.append(time.perf_counter() - started)
        print(f"malicious flagged with the call named   {caught}/{len(bad)}")
        print(f"benign flagged                          {flagged}/{len(good)}")
        print(f"marker file touched                     {marker.exists()}")
        print(f"lint per artifact, in process           median {statistics.median(times) * 1000:.1f} ms, "
              f"max {max(times) * 1000:.1f} ms, total {sum(times):.2f} s for {len(times)}")
        one = as_artifact(workdir / "cold", bad["os_system_p4.pkl"][0])
        runs = [cold(one) for _ in range(5)]
        print(f"one malicious artifact, cold process    median {statistics.median(r[0] for r in runs):.3f} s, "
              f"peak {max(r[1] for r in runs):.0f} MB")
        for label, folder in two_gigabyte_models(workdir / "big").items():
            seconds, megabytes = cold(folder)
            print(f"{label:<40} {seconds:.2f} s, peak {megabytes:.0f} MB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
