"""rules/ and generators/ ship as artifact_lint.rules / artifact_lint.generators, never as top-level packages.

Builds the project the way a user installs it, regular and editable, into fresh
virtualenvs (build dependencies come from the package index, as for a user).
"""

from __future__ import annotations

import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from tests.helpers import REPO

CHECK = (
    "import importlib.util, artifact_lint.rules, artifact_lint.generators; "
    "from artifact_lint.rules import RULE_MODULES; "
    "assert importlib.util.find_spec('rules') is None, 'top-level rules installed'; "
    "assert importlib.util.find_spec('generators') is None, 'top-level generators installed'; "
    "from artifact_lint.service_packs import knowledge; assert knowledge().packs, 'service-pack data missing'; "
    "from artifact_lint.library_support import oldest_supporting, removed_global; "
    "assert oldest_supporting('scikit-learn', 12) and removed_global('sklearn.ensemble.forest', 'X', '1.3.0'); "
    "print(artifact_lint.rules.__file__); print(artifact_lint.generators.__file__)"
)


def _copy_project(target: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache")
    shutil.copytree(REPO, target, ignore=ignore)
    return target


@pytest.mark.parametrize("editable", [False, True], ids=["regular", "editable"])
def test_install_ships_rules_and_generators_inside_the_package(tmp_path, editable):
    source = _copy_project(tmp_path / "src")
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check"]
    install += ["-e", str(source)] if editable else [str(source)]
    result = subprocess.run(install, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    # Run from an unrelated folder so the source tree is not on sys.path by accident.
    check = subprocess.run([str(python), "-c", CHECK], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    rules_file, generators_file = check.stdout.split()
    if editable:
        assert Path(rules_file) == source / "rules" / "__init__.py"
        assert Path(generators_file) == source / "generators" / "__init__.py"
    else:
        site = Path(rules_file).parents[2]
        assert Path(rules_file) == site / "artifact_lint" / "rules" / "__init__.py"
        assert not (site / "rules").exists() and not (site / "generators").exists()
