"""Regenerate the `ships` lists (and the versions, as
`libraries`) of the Base service packs in artifact_lint/data/service_packs.json.

Oracle documents the Base packs as "the base Python ... for customization" and every service pack
as coming with the OCI SDK and ADS; so what a Base pack ships is Python's own tools plus the
requirements closure of `oracle-ads` and `oci` as of the pack's release date, resolved by uv for
the pack's Python on Linux x86_64. Run: python scripts/base_pack_libraries.py (needs uv and PyPI).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "artifact_lint" / "data" / "service_packs.json"
ALWAYS = ["pip", "setuptools", "wheel"]  # a conda Python always has them


def closure(python: str, date: str) -> dict[str, str]:
    from artifact_lint.verifier.environments import uv_binary

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("oracle-ads\noci\n")
    result = subprocess.run([uv_binary(), "pip", "compile", "--quiet", "--no-header", "--no-annotate",
                             "--python-version", python, "--python-platform", "x86_64-manylinux_2_28",
                             "--exclude-newer", date, handle.name], capture_output=True, text=True, check=True)
    Path(handle.name).unlink()
    pins = dict(line.strip().lower().split("==", 1) for line in result.stdout.splitlines() if "==" in line)
    return {name: pins.get(name) for name in sorted(set(pins) | set(ALWAYS))}


def main() -> int:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for pack in data["packs"]:
        if pack.get("family") == "base" and pack.get("release_date"):
            versions = closure(pack["python"], pack["release_date"])
            pack["ships"] = sorted(versions)
            pack["libraries"] = {name: version for name, version in versions.items() if version}
            pack["sources"]["libraries"] = pack["sources"]["ships"] = {
                "source": "requirements closure of oracle-ads and oci resolved by uv with --exclude-newer "
                          f"{pack['release_date']} (scripts/base_pack_libraries.py); Oracle: every pack comes with the "
                          "OCI SDK and ADS, Base packs hold only Python otherwise",
                "url": "https://docs.oracle.com/en-us/iaas/data-science/using/conda-base-fam.htm",
            }
    DATA.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
