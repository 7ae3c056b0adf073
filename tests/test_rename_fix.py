"""SCR103's rename of predict's first parameter: every use Python resolves to it, and nothing else."""

from __future__ import annotations

import pytest

from artifact_lint.fixing import apply_edits
from rules._samples import artifact
from tests.helpers import lint, make_artifact

LOAD = "def load_model():\n    return 1\n\n\n"


def renamed(tmp_path, body: str) -> str | None:
    """predict's source after SCR103's fix, or None when it offers none."""
    source = LOAD + body
    run = lint(make_artifact(tmp_path, artifact({"score.py": source})))
    [finding] = [d for d in run.diagnostics if d.code == "SCR103"]
    return apply_edits(source, list(finding.fix.edits))[len(LOAD):] if finding.fix else None


@pytest.mark.parametrize("body, expected", [
    ("def predict(payload, model=load_model()):\n    return payload\n",
     "def predict(data, model=load_model()):\n    return data\n"),
    ("def predict(payload: dict, model=None):\n    payload = dict(payload)\n    return [payload[k] for k in payload]\n",
     "def predict(data: dict, model=None):\n    data = dict(data)\n    return [data[k] for k in data]\n"),
    # a comprehension and a lambda that bind the same name keep theirs; a nested def that reads it follows
    ("def predict(x, model=None):\n    a = [x for x in range(3)]\n    f = lambda x: x + 1\n"
     "    def g():\n        return x\n    return a, f(x), g()\n",
     "def predict(data, model=None):\n    a = [x for x in range(3)]\n    f = lambda x: x + 1\n"
     "    def g():\n        return data\n    return a, f(data), g()\n"),
    # a class body that binds x looks it up in the class and the globals, never in predict; a method
    # skips the class body and reads predict's; a class that binds no x reads predict's too
    ("def predict(x, model=None):\n    class C:\n        y = x\n        x = 2\n        def m(self):\n"
     "            return x\n    class D:\n        z = x\n    return C, D\n",
     "def predict(data, model=None):\n    class C:\n        y = x\n        x = 2\n        def m(self):\n"
     "            return data\n    class D:\n        z = data\n    return C, D\n"),
    ("def predict(x, model=None):\n    return x\n\n\nx = 3\n", "def predict(data, model=None):\n    return data\n\n\nx = 3\n"),
])
def test_every_use_and_only_those_are_renamed(tmp_path, body, expected):
    assert renamed(tmp_path, body) == expected


@pytest.mark.parametrize("body", [
    "def predict(payload, model=None):\n    data = 1\n    return payload, data\n",
    "def predict(payload, model=None):\n    return [data for data in payload]\n",
    "def predict(payload, model=None):\n    def inner():\n        nonlocal payload\n        payload = 1\n    return payload\n",
])
def test_no_rename_where_it_would_change_what_a_name_means(tmp_path, body):
    assert renamed(tmp_path, body) is None
