"""SCR204-SCR206: runtime failures static analysis can prove in score.py and its helper modules.

A name used before it is bound, a str concatenated with a caught exception, and a module called
like a function each raise on the server (UnboundLocalError, TypeError), in load_model at
start-up or in predict on every request that takes that path.
"""

from __future__ import annotations

import ast
from collections import Counter

from artifact_lint.diagnostics import Severity
from artifact_lint.registry import Case
from artifact_lint.rules._fold import fold
from artifact_lint.rules._samples import SCORE_PY, artifact
from artifact_lint.rules._score import ScoreRule
from artifact_lint.rules._semantic import DEFS, ModuleModel
from artifact_lint.rules._unbound import unbound_uses

LOAD_MODEL = '''    model_dir = os.path.dirname(os.path.realpath(__file__))
    with open(os.path.join(model_dir, model_file_name), "rb") as handle:
        return joblib.load(handle)
'''


def _load_model(body: str) -> dict:
    """The sample artifact with load_model's body replaced."""
    return artifact({"score.py": SCORE_PY.replace(LOAD_MODEL, body)})


class PossiblyUnboundName(ScoreRule):
    """A local name is used where it may not have been assigned yet.

    ## What it does
    Follows each function of score.py and its helper modules statement by statement and
    reports a local variable used where some path reaches it unassigned: assigned only in an
    `if` without `else`, only inside a `try:` whose handler carries on, after `del`, or the name
    of `except ... as e` after its handler. Statically dead branches do not count; uses under the
    same condition as the assignment, and loop-carried values, are left alone.

    ## Why it matters
    Python raises UnboundLocalError when that path runs: in load_model the deployment fails to
    start, in predict the requests that take the path fail with HTTP 500.

    ## Example
    ```python
    def load_model():
        try:
            model = joblib.load(path)
        except FileNotFoundError:
            print("no model")
        return model
    ```

    ## Fix
    Assign the name on every path (a default before the `if`/`try`), or raise in the handler.
    """

    code, name, severity = "SCR204", "possibly-unbound-name", Severity.WARNING
    valid = [
        Case(artifact()),
        Case(_load_model("    path = os.path.join(os.path.dirname(__file__), model_file_name)\n"
                         "    try:\n        model = joblib.load(path)\n    except FileNotFoundError:\n"
                         "        raise RuntimeError('the model file is missing')\n    return model\n")),
        Case(_load_model("    debug = False\n    if debug:\n        print('loading')\n        marker = 1\n"
                         "    if debug:\n        print(marker)\n"
                         "    return joblib.load(os.path.join(os.path.dirname(__file__), model_file_name))\n")),
    ]
    invalid = [
        Case(_load_model("    path = os.path.join(os.path.dirname(__file__), model_file_name)\n"
                         "    try:\n        model = joblib.load(path)\n    except FileNotFoundError:\n"
                         "        print('no model at', path)\n    return model\n"), expect=[(16, 12)]),
        Case(_load_model("    path = os.path.join(os.path.dirname(__file__), model_file_name)\n"
                         "    if os.path.exists(path):\n        model = joblib.load(path)\n    return model\n"),
             expect=[(14, 12)]),
        Case(_load_model("    try:\n        return joblib.load(os.path.join(os.path.dirname(__file__), model_file_name))\n"
                         "    except OSError as error:\n        print('cannot load')\n    raise RuntimeError(error)\n"),
             expect=[(15, 24)], note="`except ... as error` unbinds error when the handler ends"),
    ]

    def check_score(self, ctx, document, tree):
        for module in self.model(ctx).modules.values():
            for kind in DEFS:
                for function in module.nodes(kind):
                    if module.is_dead(function):
                        continue
                    for found in unbound_uses(module, function):
                        name = found.name.id
                        if found.certain:
                            message = (f"{name!r} is not assigned on any path through {function.name} that reaches "
                                       f"this line: Python raises UnboundLocalError here")
                        else:
                            message = (f"{name!r} may be unassigned here: some path through {function.name} reaches "
                                       f"this line without assigning it, and then Python raises UnboundLocalError")
                        yield self.diagnostic(module.path, module.document.span(found.name), message,
                                              severity=Severity.ERROR if found.certain else None)


class StrPlusException(ScoreRule):
    """A str is concatenated with the exception an `except ... as e` caught.

    ## What it does
    Finds `"message: " + e` (or `e + "..."`) inside the handler that bound `e`, where the other
    side is a string.

    ## Why it matters
    An exception is not a str, so the handler itself raises TypeError and the original error is
    lost behind it: the deployment log shows "can only concatenate str" instead of why the model
    did not load.

    ## Example
    `except Exception as e: raise RuntimeError("load failed: " + e)`

    ## Fix
    Format it: `f"load failed: {e}"`, or `"load failed: " + str(e)`.
    """

    code, name, severity = "SCR205", "str-plus-exception", Severity.ERROR
    valid = [
        Case(artifact()),
        Case(_load_model("    try:\n        return joblib.load(os.path.join(os.path.dirname(__file__), model_file_name))\n"
                         "    except OSError as error:\n        raise RuntimeError('cannot load: ' + str(error))\n")),
    ]
    invalid = [
        Case(_load_model("    try:\n        return joblib.load(os.path.join(os.path.dirname(__file__), model_file_name))\n"
                         "    except OSError as error:\n        raise RuntimeError('cannot load: ' + error)\n"),
             expect=[(14, 28)]),
    ]

    def check_score(self, ctx, document, tree):
        for module in self.model(ctx).modules.values():
            for node in module.nodes(ast.BinOp):
                if not isinstance(node.op, ast.Add) or module.is_dead(node):
                    continue
                for exception, other in ((node.right, node.left), (node.left, node.right)):
                    if isinstance(exception, ast.Name) and self._caught_as(module, node, exception.id) \
                            and self._is_str(module, node, other):
                        yield self.diagnostic(
                            module.path, module.document.span(node),
                            f"{exception.id} is the caught exception, not a str: this + raises TypeError inside the "
                            f"handler and hides the original error; use f\"...{{{exception.id}}}\" or str({exception.id})")
                        break

    @staticmethod
    def _caught_as(module: ModuleModel, node: ast.AST, name: str) -> bool:
        """`node` is inside the body of a handler that binds `name`, in the same scope, and the body keeps it."""
        scope = module.scope_of(node)
        inner = None
        for statement in module.statements_around(node):
            if isinstance(statement, ast.Try) and module.scope_of(statement) is scope:
                for handler in statement.handlers:
                    if handler.name == name and any(child is inner for child in handler.body):
                        return not any(isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and any(
                            isinstance(t, ast.Name) and t.id == name for t in getattr(s, "targets", [getattr(s, "target", None)]))
                            for s in handler.body)
            inner = statement
        return False

    @staticmethod
    def _is_str(module: ModuleModel, node: ast.AST, other: ast.expr) -> bool:
        if isinstance(other, ast.JoinedStr):
            return True
        scope = module.scope_of(node)
        folded = fold(other, module.env_of(scope if isinstance(scope, DEFS) else None))
        return folded is not None and folded.base is None


class ModuleCalled(ScoreRule):
    """A module is called like a function.

    ## What it does
    Finds calls of a name that only `import x` binds (`import datetime` then `datetime(...)`,
    `import tqdm` then `tqdm(items)`).

    ## Why it matters
    A module is not callable: Python raises `TypeError: 'module' object is not callable` when
    the call runs, at start-up or on every request.

    ## Example
    `import datetime` ... `datetime(2024, 1, 1)`

    ## Fix
    Import the callable from the module: `from datetime import datetime`.
    """

    code, name, severity = "SCR206", "module-called", Severity.ERROR
    valid = [Case(artifact()),
             Case(artifact({"score.py": SCORE_PY.replace("import json", "from datetime import datetime\nimport json")
                            + "\n\nSTARTED = datetime(2024, 1, 1)\n"}))]
    invalid = [Case(artifact({"score.py": SCORE_PY.replace("import json", "import datetime\nimport json")
                              + "\n\nSTARTED = datetime(2024, 1, 1)\n"}), expect=[(22, 11)])]

    def check_score(self, ctx, document, tree):
        for module in self.model(ctx).modules.values():
            if any(alias.name == "*" for node in module.nodes(ast.ImportFrom) for alias in node.names):
                continue
            only_modules = self._names_bound_only_by_import(module)
            for call in module.nodes(ast.Call):
                func = call.func
                if isinstance(func, ast.Name) and func.id in only_modules and not module.is_dead(call):
                    yield self.diagnostic(module.path, module.document.span(call),
                                          f"{func.id} is the module {only_modules[func.id]}, which cannot be called: "
                                          f"this raises TypeError; import the callable from it "
                                          f"(from {only_modules[func.id]} import ...)")

    @staticmethod
    def _names_bound_only_by_import(module: ModuleModel) -> dict[str, str]:
        imported: Counter = Counter()
        modules: dict[str, str] = {}
        for node in module.nodes(ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                imported[bound] += 1
                modules[bound] = alias.name if alias.asname else bound
        total: Counter = Counter()
        for stores in module.stores.values():
            total.update({name: count for name, count in stores.items() if name in imported})
        return {name: modules[name] for name, count in imported.items() if total[name] == count}
