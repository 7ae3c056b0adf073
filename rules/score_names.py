"""SCR201: names score.py uses but never defines (checked statically, pyflakes-style)."""

from __future__ import annotations

import ast

from artifact_lint.diagnostics import Severity
from artifact_lint.registry import Case
from artifact_lint.rules._python_facts import MODULE_NAMES, builtin_added_after, builtin_names
from artifact_lint.rules._runtime import declared_python_minor
from artifact_lint.rules._samples import artifact, runtime_yaml, with_helper
from artifact_lint.rules._scopes import undefined_names
from artifact_lint.rules._score import ScoreRule

# Oracle's documented minimal score.py (ADS user guide, "score.py"): it passes ADS introspection,
# yet `os` is never imported and `model_file_name` is never defined.
OCI_DOC_EXAMPLE = '''\
import joblib
model_name = "model.joblib"

def load_model(): # load_model must mandatorily return ``not None`` object.

  model = None
  with open(os.path.join(os.path.dirname(os.path.realpath(__file__)), model_file_name), "rb") as mfile:
    model = joblib.load(mfile)
  return model

def predict(data, model=load_model()):
  return model.predict(data).tolist()
'''

SCOPING = '''\
import os
from functools import lru_cache
try:
    import ujson as json
except ImportError:
    import json
if os.environ.get("DEBUG"):
    import logging
else:
    logging = None
counter = 0


class Model:
    classes = ["a", "b"]
    labels = [c.upper() for c in classes]

    def __init__(self):
        self.names = [n for n in self.labels]


def bump():
    global counter, created_later
    counter += 1
    created_later = 1


def outer():
    value = 1

    def inner():
        nonlocal value
        value += 1
        return value, __file__, [x for x in range(3) if (y := x)], y
    return inner


@lru_cache(maxsize=1)
def load_model(model_file_name="model.joblib"):
    try:
        unicode
    except NameError:
        unicode = str
    return json.loads(os.path.join(os.path.dirname(__file__), model_file_name)), created_later, Model


def predict(data, model=load_model()):
    del data
    return {"prediction": [anext, ExceptionGroup, __name__]}
'''


class UndefinedName(ScoreRule):
    """score.py uses a name that is never defined or imported.

    ## What it does
    Resolves every name with Python's own scoping rules (module, functions, closures, class
    bodies, comprehensions, `global`/`nonlocal`, conditional and `try/except ImportError`
    imports) and reports names that nothing defines, not even the builtins of the declared
    Python version. Each name is reported once, at its first use. A star import makes the check
    impossible; that is said instead.

    ## Why it matters
    The server imports score.py and calls load_model() at start-up; a NameError there fails
    the deployment after it has been created, and inside predict it fails every request. ADS
    introspection only checks syntax, so it passes such a file, Oracle's own documented
    example among them (`os` and `model_file_name` are never defined).

    ## Example
    `with open(os.path.join(model_dir, model_file_name), "rb")` without `import os`.

    ## Fix
    Import the module, or use the name you defined (`model_name`).
    """

    code, name, severity = "SCR201", "undefined-name", Severity.ERROR
    valid = [Case(artifact()), Case(artifact({"score.py": SCOPING})),
             Case(with_helper("import sys\n\nPY2 = sys.version_info[0] == 2\nif PY2:\n    text_type = unicode\n"
                              "else:\n    text_type = str\n"), note="a Python 2 branch never runs")]
    invalid = [
        Case(artifact({"score.py": OCI_DOC_EXAMPLE}), expect=[(7, 13), (7, 71)]),
        Case(artifact({"score.py": SCOPING, "runtime.yaml": runtime_yaml(python="'3.9'", slug="''", env_type="published",
                                                                          path="oci://b@ns/packs/py39")}),
             expect=[(49, 28), (49, 35)]),
        Case(artifact({"score.py": "from helpers import *\n\ndef load_model():\n    return model\n\n"
                                   "def predict(data, model=load_model()):\n    return data\n"}), expect=[(1, 1)]),
        Case(with_helper("def prepare(rows):\n    return np.asarray(rows)\n"), expect=[("helpers.py", 2, 12)],
             note="a helper module score.py imports is checked at its own file and line"),
    ]

    def check_score(self, ctx, document, tree):
        minor = declared_python_minor(ctx)
        for module in self.model(ctx).modules.values():
            yield from self._check_module(module, minor)

    def _check_module(self, module, minor):
        document = module.document
        star = next((node for node in module.nodes(ast.ImportFrom) if any(alias.name == "*" for alias in node.names)),
                    None)
        try:
            undefined = undefined_names(module, builtin_names(minor) | MODULE_NAMES)
        except (SyntaxError, ValueError, RecursionError):
            return  # symtable is stricter than ast on a few constructs; SCR001 covers broken files
        if star is not None:
            if undefined:
                yield self.diagnostic(
                    document.path, document.span(star),
                    f"`from {star.module or '.'} import *` hides which names exist, so "
                    f"{', '.join(item.name for item in undefined[:5])} cannot be checked; import the names you use",
                    severity=Severity.INFO)
            return
        for item in undefined:
            first = item.uses[0]
            added = builtin_added_after(item.name, minor)
            if added is not None:
                message = (f"{item.name} is a builtin only from Python 3.{added}; runtime.yaml declares "
                           f"Python 3.{minor}, where it is not defined")
            else:
                more = len(item.uses) - 1
                also = f" (and {more} more use{'s' if more > 1 else ''})" if more else ""
                message = f"name {item.name!r} is not defined{also}; import it or define it before use"
            yield self.diagnostic(document.path, document.span(first), message)
