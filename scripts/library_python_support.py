"""Regenerate artifact_lint/data/library_python_support.json: for each ML library and Python 3.N,
the oldest release that ships a wheel for CPython 3.N on Linux x86_64 (from PyPI, resolved by uv
with --resolution lowest --no-build, so a release without such a wheel does not count).

A model pickled by an older release than that cannot have been written in, and will not be read
by, the same release in a pack of that Python. Run: python scripts/library_python_support.py
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "artifact_lint" / "data" / "library_python_support.json"
LIBRARIES = ("scikit-learn", "xgboost", "lightgbm", "numpy", "scipy", "pandas")
PYTHONS = tuple(f"3.{minor}" for minor in range(6, 14))


def oldest(uv: str, library: str, python: str) -> str | None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write(library + "\n")
    try:
        result = subprocess.run([uv, "pip", "compile", "--quiet", "--no-header", "--no-annotate", "--no-deps",
                                 "--no-build", "--resolution", "lowest", "--python-version", python,
                                 "--python-platform", "x86_64-manylinux_2_28", handle.name],
                                capture_output=True, text=True, timeout=300)
    finally:
        Path(handle.name).unlink()
    for line in result.stdout.splitlines():
        if line.lower().startswith(library + "=="):
            return line.split("==", 1)[1].strip()
    return None


def main() -> int:
    from artifact_lint.verifier.environments import uv_binary

    uv = uv_binary()
    table = {library: {python: oldest(uv, library, python) for python in PYTHONS} for library in LIBRARIES}
    OUT.write_text(json.dumps({
        "about": "library -> Python 3.N -> the oldest release with a CPython 3.N wheel for Linux x86_64 on PyPI "
                 "(null: none, or the library has no release for that Python)",
        "source": "PyPI, via scripts/library_python_support.py (uv pip compile --resolution lowest --no-build)",
        "generated": datetime.date.today().isoformat(),
        "oldest": table,
    }, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
