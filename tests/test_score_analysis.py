"""The machinery behind the score.py rules: folding, module facts, and whole-file outcomes."""

from __future__ import annotations

import ast

import pytest

from artifact_lint.rules._fold import Environment, Folded, fold, function_environment, single_assignments
from artifact_lint.rules._imports import ImportMap
from artifact_lint.rules._python_facts import builtin_names, distribution_of, is_stdlib
from artifact_lint.rules._samples import artifact
from artifact_lint.rules.score_names import OCI_DOC_EXAMPLE
from tests.helpers import lint, make_artifact

PRELUDE = """
import os
import os.path as osp
from pathlib import Path
MODEL = "model.joblib"
HERE = os.path.dirname(os.path.realpath(__file__))
"""


def folded(expression: str, prelude: str = PRELUDE) -> Folded | None:
    tree = ast.parse(prelude + f"\ndef load_model(name=MODEL):\n    local_dir = HERE\n    return {expression}\n")
    env = Environment(ImportMap(tree), single_assignments(tree.body, include_nested_blocks=False))
    function = tree.body[-1]
    return fold(function.body[-1].value, function_environment(function, env))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("os.path.join(os.path.dirname(os.path.realpath(__file__)), name)", Folded("model.joblib", "artifact")),
        ("os.path.join(HERE, 'sub', MODEL)", Folded("sub/model.joblib", "artifact")),
        ("osp.join(local_dir, name)", Folded("model.joblib", "artifact")),
        ("Path(__file__).parent / name", Folded("model.joblib", "artifact")),
        ("Path(__file__).resolve().parent.joinpath('m', name)", Folded("m/model.joblib", "artifact")),
        ("f'{HERE}/{name}'", Folded("model.joblib", "artifact")),
        ("HERE + '/weights.bin'", Folded("weights.bin", "artifact")),
        ("'model' + '.pkl'", Folded("model.pkl")),
        ("'{}.onnx'.format('model')", Folded("model.onnx")),
        ("os.path.join(os.getcwd(), name)", Folded("model.joblib", "cwd")),
        ("os.path.join(HERE, '/opt/models/m.pkl')", Folded("/opt/models/m.pkl", "absolute")),
        ("os.environ['MODEL_DIR']", None),
        ("os.path.join(unknown, name)", None),
    ],
)
def test_fold(expression, expected):
    assert folded(expression) == expected


def test_plain_strings_become_paths_only_when_used_as_paths():
    assert Folded("model.joblib").as_path() == Folded("model.joblib", "cwd")
    assert Folded("/srv/m.pkl").as_path() == Folded("/srv/m.pkl", "absolute")
    assert Folded("C:\\models\\m.pkl").as_path().base == "absolute"


def test_a_name_assigned_twice_does_not_fold():
    assert folded("MODEL", prelude=PRELUDE + "MODEL = 'other.pkl'\n") is None


def test_import_map_resolves_aliases_and_from_imports():
    imports = ImportMap(ast.parse("import numpy as np\nfrom joblib import load as jl\nimport os.path\n"))
    assert imports.qualified(ast.parse("np.load", mode="eval").body) == "numpy.load"
    assert imports.qualified(ast.parse("jl", mode="eval").body) == "joblib.load"
    assert imports.qualified(ast.parse("os.path.join", mode="eval").body) == "os.path.join"


@pytest.mark.parametrize(("module", "distribution"), [
    ("sklearn", "scikit-learn"), ("cv2", "opencv-python"), ("PIL", "pillow"), ("yaml", "pyyaml"),
    ("sklearn.linear_model", "scikit-learn"), ("bs4", "beautifulsoup4"), ("dateutil.parser", "python-dateutil"),
    ("ads", "oracle-ads"), ("not_a_known_module", None),
])
def test_module_to_distribution_table(module, distribution):
    assert distribution_of(module) == distribution


def test_stdlib_and_builtins_follow_the_declared_python():
    assert is_stdlib("distutils", 11) and not is_stdlib("distutils", 12)
    assert is_stdlib("tomllib", 11) and not is_stdlib("tomllib", 10)
    assert not is_stdlib("numpy", 11)
    assert "anext" in builtin_names(10) and "anext" not in builtin_names(9)


def test_oci_documented_example_gives_exactly_its_two_bugs(tmp_path):
    run = lint(make_artifact(tmp_path, artifact({"score.py": OCI_DOC_EXAMPLE})))
    found = [(d.code, d.span.start.line, d.span.start.column, d.message.split(";")[0]) for d in run.diagnostics]
    assert found == [
        ("SCR201", 7, 13, "name 'os' is not defined (and 2 more uses)"),
        ("SCR201", 7, 71, "name 'model_file_name' is not defined"),
    ]


def test_cwd_fix_is_exact_data(tmp_path):
    score = "import joblib\n\n\ndef load_model():\n    return joblib.load('model.joblib')\n\n\n" \
            "def predict(data, model=load_model()):\n    return model.predict(data).tolist()\n"
    run = lint(make_artifact(tmp_path, artifact({"score.py": score})))
    [diagnostic] = [d for d in run.diagnostics if d.code == "SCR302"]
    edits = [(e.span.start.line, e.span.start.column, e.span.end.line, e.span.end.column, e.content)
             for e in diagnostic.fix.edits]
    assert diagnostic.fix.applicability.value == "safe"
    assert edits == [
        (1, 1, 1, 1, "import os\n"),
        (5, 24, 5, 38, "os.path.join(os.path.dirname(os.path.realpath(__file__)), 'model.joblib')"),
    ]
