"""The JSON tables shipped in artifact_lint/data (package data), read from beside this module.

Plain file reads rather than importlib.resources: the package is always installed as files (a wheel
or the source tree), and importlib.resources costs every lint start several milliseconds of imports
(tempfile, random, shutil) for a path this module already knows.
"""

from __future__ import annotations

import json
import os

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def load_json(name: str):
    """The parsed content of data/`name`."""
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as handle:
        return json.loads(handle.read())
