"""The semantic model of score.py and its helpers: one index, dead and guarded code, folding, modules."""

from __future__ import annotations

import ast

import pytest

from artifact_lint.diagnostics import Severity
from artifact_lint.documents import PythonDocument
from artifact_lint.rules._fold import Folded, fold
from artifact_lint.rules._samples import SCORE_PY, artifact, with_helper
from artifact_lint.rules._semantic import ModuleModel
from artifact_lint.rules.schemas import SCHEMA_IF_PRESENT
from artifact_lint.rules.score_paths import GUARDED_READ
from tests.helpers import lint, make_artifact


def module(text: str) -> ModuleModel:
    return ModuleModel("score", PythonDocument.parse("score.py", text.encode()))


def calls_named(model: ModuleModel, name: str) -> list[ast.Call]:
    return [c for c in model.nodes(ast.Call) if model.imports.qualified(c.func) == name]


def test_one_index_gives_nodes_by_type_and_by_scope():
    model = module(SCORE_PY)
    load_model = model.functions["load_model"]
    assert [c.func.attr for c in model.nodes(ast.Call) if isinstance(c.func, ast.Attribute)][:3] == \
        ["dirname", "realpath", "join"]
    own_calls = {model.imports.qualified(n.func) for n in model.own(load_model) if isinstance(n, ast.Call)}
    assert own_calls == {"os.path.dirname", "os.path.realpath", "os.path.join", "open", "joblib.load"}
    # predict's default argument runs at import, in the module's scope
    assert any(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "load_model" for n in model.own(None))


@pytest.mark.parametrize("condition", [
    "False", "DEBUG", "not ENABLED", "MODE == 'debug'", "__name__ == '__main__'", "TYPE_CHECKING", "DEBUG and x",
    "PY2", "sys.version_info < (3,)", "sys.version_info.major == 2",
])
def test_statically_false_conditions_make_their_branch_dead(condition):
    text = ("import sys\nfrom typing import TYPE_CHECKING\nDEBUG = False\nENABLED = True\nMODE = 'serve'\n"
            "PY2 = sys.version_info[0] == 2\n\n"
            f"def load_model(x=1):\n    if {condition}:\n        open('a')\n    else:\n        open('b')\n    return 1\n")
    model = module(text)
    (first,), (second,) = (([c for c in model.nodes(ast.Call) if c.args and c.args[0].value == name])
                           for name in ("a", "b"))
    assert model.is_dead(first) and not model.is_dead(second)


def test_a_name_assigned_twice_or_conditionally_is_not_a_constant():
    model = module("import os\nDEBUG = False\nif os.environ.get('X'):\n    DEBUG = True\n\n"
                   "def load_model():\n    if DEBUG:\n        open('a')\n    return 1\n")
    assert not any(model.is_dead(c) for c in calls_named(model, "open"))


def test_code_after_return_and_raise_is_dead():
    model = module("def load_model():\n    return 1\n    open('a')\n\ndef f():\n    raise ValueError\n    open('b')\n")
    assert all(model.is_dead(c) for c in calls_named(model, "open"))


def test_exists_checks_and_missing_file_handlers_guard_reads():
    model = module("import os\n\ndef f(p):\n    if os.path.exists(p):\n        open(p)\n    try:\n        open('x')\n"
                   "    except FileNotFoundError:\n        pass\n    try:\n        open('y')\n    except OSError:\n"
                   "        raise\n    open('z')\n")
    guarded = {c.args[0].id if isinstance(c.args[0], ast.Name) else c.args[0].value: model.is_guarded(c)
               for c in calls_named(model, "open")}
    assert guarded == {"p": True, "x": True, "y": False, "z": False}


@pytest.mark.parametrize(("expression", "expected"), [
    ("MODEL_STEM + '.tar.gz'", Folded("model.tar.gz")),
    ("'%s.onnx' % MODEL_STEM", Folded("model.onnx")),
    ("'%s/%s' % ('sub', 'm.pkl')", Folded("sub/m.pkl")),
    ("'{stem}.pkl'.format(stem=MODEL_STEM)", Folded("model.pkl")),
    ("TEMPLATE.format(MODEL_STEM)", Folded("model.bin")),
    ("(Path(__file__).parent / 'model.pkl').with_suffix('.onnx')", Folded("model.onnx", "artifact")),
    ("Path(__file__).with_name('weights.bin')", Folded("weights.bin", "artifact")),
])
def test_folding_covers_string_building(expression, expected):
    model = module(f"from pathlib import Path\nMODEL_STEM = 'model'\nTEMPLATE = '{{}}.bin'\nVALUE = {expression}\n")
    assert fold(model.module_env.module["VALUE"], model.module_env) == expected


def test_helper_modules_are_parsed_once_and_resolved_transitively(tmp_path):
    files = with_helper("from lib import tools\n\n\ndef prepare(rows):\n    return tools.tidy(rows)\n")
    files["lib/__init__.py"] = ""
    files["lib/tools.py"] = "from . import names\n\n\ndef tidy(rows):\n    return names.clean(rows)\n"
    files["lib/names.py"] = "def clean(rows):\n    return undefined_helper(rows)\n"
    run = lint(make_artifact(tmp_path, files))
    found = [(d.code, d.path, d.span.start.line) for d in run.diagnostics if d.code.startswith("SCR2")]
    assert found == [("SCR201", "lib/names.py", 2)]


def test_guarded_read_of_a_missing_file_is_an_info(tmp_path):
    run = lint(make_artifact(tmp_path, artifact({"score.py": GUARDED_READ})))
    assert [(d.code, d.severity) for d in run.diagnostics if d.code == "SCR301"] == [("SCR301", Severity.INFO)]


def test_schema_read_only_if_present_is_an_info(tmp_path):
    run = lint(make_artifact(tmp_path, artifact({"score.py": SCHEMA_IF_PRESENT})))
    assert [(d.code, d.severity) for d in run.diagnostics if d.code == "SCH101"] == [("SCH101", Severity.INFO)]


def test_certainly_unbound_is_an_error_and_possibly_unbound_a_warning(tmp_path):
    text = SCORE_PY + "\n\ndef later(flag):\n    if flag:\n        value = 1\n    del flag\n    return value, flag\n"
    run = lint(make_artifact(tmp_path, artifact({"score.py": text})))
    found = sorted((d.span.start.column, d.severity) for d in run.diagnostics if d.code == "SCR204")
    assert found == [(12, Severity.WARNING), (19, Severity.ERROR)]


@pytest.mark.parametrize(("text", "undefined"), [
    ("def a():\n    y = 1\n\ndef b():\n    return y\n", ["y"]),
    ("class C:\n    size = 1\n    def m(self):\n        return size\n", ["size"]),
    ("def f():\n    global G\n    return G\n", ["G"]),
    ("def f():\n    global G\n    G = 1\n\ndef g():\n    return G\n", []),
    ("def outer():\n    z = 1\n    class C:\n        w = z\n    return [z for _ in C.w]\n", []),
])
def test_undefined_names_fast_path_agrees_with_the_compiler(text, undefined):
    from artifact_lint.rules._python_facts import MODULE_NAMES, builtin_names
    from artifact_lint.rules._scopes import undefined_names

    found = undefined_names(module(text), builtin_names(None) | MODULE_NAMES)
    assert [item.name for item in found] == undefined
