"""A linted artifact leaves no cyclic garbage behind.

The engine pauses the cyclic collector while it analyses an artifact (engine._collector_paused),
which is only sound if everything an artifact's analysis builds is freed by reference counting once
the artifact is done. These tests fail as soon as a fact, a model or a rule keeps a cycle.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from artifact_lint.config import ConfigLoader
from artifact_lint.engine import lint_paths
from benchmarks.ads_shaped import ADS_SHAPED_SCORE
from rules._samples import RUNTIME_YAML, artifact, with_helper
from tests.helpers import write_files

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HELPER = """
import os
MODEL_NAME = "model.joblib"
def path_of(name=MODEL_NAME):
    if not os.path.exists(name):
        return None
    return os.path.join(os.path.dirname(__file__), name)
"""


def cyclic_garbage_of(folder: Path) -> list:
    loader = ConfigLoader()
    lint_paths([str(folder)], loader)  # rules imported, module-level caches filled
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        lint_paths([str(folder)], loader)
        gc.collect()
        return [type(item).__qualname__ for item in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


@pytest.mark.parametrize("files", [
    pytest.param(artifact({"score.py": ADS_SHAPED_SCORE, "runtime.yaml": RUNTIME_YAML}), id="ads-shaped"),
    pytest.param(with_helper(HELPER), id="with-helper-module"),
])
def test_linting_an_artifact_leaves_no_cycles(tmp_path, files):
    write_files(tmp_path, files)
    assert cyclic_garbage_of(tmp_path) == []


def test_the_broken_example_leaves_no_cycles():
    assert cyclic_garbage_of(EXAMPLES / "broken") == []


def test_the_collector_runs_again_after_an_artifact(tmp_path):
    write_files(tmp_path, artifact())
    assert gc.isenabled()
    lint_paths([str(tmp_path)], ConfigLoader())
    assert gc.isenabled()
