"""A clean lint stays light: libcst, pandas, oci and pygls are imported only when a fix, generator or the server needs them,
and every start skips what only some lints use: rich (colour only), the online module (OCIDs, --online),
difflib (near-miss suggestions), importlib.resources (the data tables are read as files) and yaml (PyYAML composes
only what the fast runtime.yaml reader declines); and a directory artifact with a plain pickle model opens no zip
and no compressed stream, and has no manifest to hash, so zipfile, gzip, bz2, lzma and hashlib stay unloaded too
(see artifact_lint/lazy_errors.py), as does the Keras config reader. No dataclass is made either: each compiles
its methods on every start, which together cost a cold lint a fifth of its instructions, so what a lint builds
are NamedTuples and plain classes."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO

PROBE = """
import sys
from artifact_lint.cli import cli
try:
    cli.main(["lint", sys.argv[1], "--format", sys.argv[2]], standalone_mode=False)
except SystemExit:
    pass
heavy = sorted(name for name in ("libcst", "pandas", "oci", "numpy", "pygls", "lsprotocol", "rich", "artifact_lint.online",
                                 "difflib", "importlib.resources", "yaml", "zipfile", "gzip", "bz2", "lzma",
                                 "hashlib", "dataclasses", "artifact_lint.parsers.keras_config") if name in sys.modules)
print("HEAVY:" + ",".join(heavy), file=sys.stderr)
"""


def test_clean_lint_does_not_import_heavy_modules():
    for fmt in ("text", "json"):
        result = subprocess.run([sys.executable, "-c", PROBE, str(REPO / "examples" / "clean"), fmt],
                                capture_output=True, text=True, timeout=60)
        assert "HEAVY:\n" in result.stderr, result.stderr
