"""SCR0xx/SCR1xx: score.py parses, and defines load_model() and predict(data) as the server calls them."""

from __future__ import annotations

import ast

from artifact_lint.diagnostics import Applicability, Edit, Fix, Position, Severity, Span
from artifact_lint.registry import Case, Rule
from artifact_lint.rules._kind import is_group
from artifact_lint.rules._python_facts import RUNNING_MINOR
from artifact_lint.rules._runtime import declared_python_minor
from artifact_lint.rules._samples import SCORE_PY, artifact
from artifact_lint.rules._score import (
    ADS_TEST_FOR,
    ENTRY_POINTS,
    ScoreRule,
    body_without_docstring,
    entry_function,
    required_parameters,
)

LOAD = "import joblib\n\n\ndef load_model():\n    return joblib.load('model.joblib')\n\n\n"
PREDICT = "def predict(data, model=load_model()):\n    return model.predict(data).tolist()\n"


def score(text: str) -> dict:
    return artifact({"score.py": text})


class ScoreSyntax(Rule):
    """score.py has a syntax error or is not readable as Python source.

    ## What it does
    Compiles score.py (without running it) and reports the first syntax error with its line
    and column; also bytes that are not valid UTF-8 and NUL bytes.

    ## Why it matters
    The server imports score.py; a syntax error fails the deployment, and ADS introspection
    (`score_syntax`) fails. Nothing else in the file can be checked until it parses.

    ## Example
    `def predict(data)` (the colon is missing)

    ## Fix
    Correct the code at the position given. When runtime.yaml declares a Python newer than the
    one running artifact-lint, a parse failure may be newer syntax: it is reported as info, and
    running artifact-lint on that Python checks it properly.
    """

    code, name, severity = "SCR001", "score-syntax", Severity.ERROR
    ads_test = "score_syntax"
    default_path = "score.py"
    valid = [Case(artifact())]
    invalid = [
        Case(score(LOAD + "def predict(data)\n    return data\n"), expect=[(8, 18)]),
        Case(score(b"def load_model():\n    return '\xff'\n"), expect=[(2, 13)]),
        Case(score("def load_model():\n    return 1\0\n"), expect=[(2, 13)]),
    ]

    def check(self, ctx):
        document = ctx.documents.score
        if document is None or document.problem is None:
            return
        minor = declared_python_minor(ctx)
        if document.problem.kind == "parse" and minor is not None and minor > RUNNING_MINOR:
            yield self.diagnostic(
                document.path, document.problem.span,
                f"score.py does not parse on Python 3.{RUNNING_MINOR}, which runs artifact-lint: "
                f"{document.problem.message}; runtime.yaml declares 3.{minor}, so this may be newer syntax: "
                f"run artifact-lint on Python 3.{minor} to check it", severity=Severity.INFO)
            return
        yield self.diagnostic(document.path, document.problem.span,
                              f"score.py cannot be compiled: {document.problem.message}")


class _EntryPointMissing(ScoreRule):
    entry_point = ""

    def check_score(self, ctx, document, tree):
        bindings = self.bindings(ctx, tree)[self.entry_point]
        if bindings:
            return  # bound somehow; SCR105 judges how
        star = next((node for node in tree.body if isinstance(node, ast.ImportFrom)
                     and any(alias.name == "*" for alias in node.names)), None)
        hint = f" (a star import on line {star.lineno} may bring it, but the server's checks cannot see that)" if star else ""
        yield self.diagnostic(document.path, None,
                              f"score.py defines no top-level {self.entry_point}(); the server calls it{hint}")


class LoadModelMissing(_EntryPointMissing):
    """load_model is not defined at the top level of score.py.

    ## What it does
    Looks for a top-level `load_model` in score.py.

    ## Why it matters
    The server calls `load_model()` once at start-up to get the model. Without it the deployment
    fails, and ADS introspection (`score_load_model`) fails.

    ## Example
    A score.py that loads the model inside `predict` and defines no `load_model`.

    ## Fix
    Add `def load_model():` returning the loaded model (`artifact-lint init` generates a score.py).
    """

    code, name, severity = "SCR101", "load-model-missing", Severity.ERROR
    fix_kind, ads_test, entry_point = "G", "score_load_model", "load_model"
    valid = [Case(artifact())]
    invalid = [Case(score("def predict(data):\n    return data\n"), expect=[("score.py", None)]),
               Case(score(""), expect=[("score.py", None)])]


class PredictMissing(_EntryPointMissing):
    """predict is not defined at the top level of score.py.

    ## What it does
    Looks for a top-level `predict` in score.py.

    ## Why it matters
    The server calls `predict(data)` for every request. Without it every request fails, and ADS
    introspection (`score_predict`) fails.

    ## Example
    A score.py defining `score(data)` instead of `predict(data)`.

    ## Fix
    Add `def predict(data, model=load_model()):` returning a JSON-serialisable value.
    """

    code, name, severity = "SCR102", "predict-missing", Severity.ERROR
    fix_kind, ads_test, entry_point = "G", "score_predict", "predict"
    valid = [Case(artifact())]
    invalid = [Case(score(LOAD + "def score(data):\n    return data\n"), expect=[("score.py", None)])]


class PredictFirstParameter(ScoreRule):
    """predict's first parameter is not a positional parameter named `data`.

    ## What it does
    Checks the first positional parameter of `predict`.

    ## Why it matters
    The server calls `predict(data)` and ADS introspection (`score_predict_data`) requires the
    name `data`. `def predict(*args)` and a positional-only `data` (`def predict(data, /)`) work on
    the server but fail ADS introspection, so ADS's `save()` refuses the model (warning); a
    predict with no positional parameter fails every request.

    ## Example
    `def predict(payload, model=load_model()):`

    ## Fix
    Rename the first parameter to `data` (unsafe fix: renames its uses too).
    """

    code, name, severity = "SCR103", "predict-first-parameter", Severity.ERROR
    fix_kind, ads_test = "U", "score_predict_data"
    valid = [Case(artifact()), Case(score(LOAD + "def predict(data, **kwargs):\n    return data\n"))]
    invalid = [
        Case(score(LOAD + "def predict(payload, model=load_model()):\n    return payload  # echo it\n"), expect=[(8, 13)],
             fixed={"score.py": LOAD + "def predict(data, model=load_model()):\n    return data  # echo it\n"}),
        Case(score(LOAD + "def predict(data, /, model=load_model()):\n    return data\n"), expect=[(8, 13)]),
        Case(score(LOAD + "def predict(*args, **kwargs):\n    return args[0]\n"), expect=[(8, 5)]),
        Case(score(LOAD + "def predict():\n    return 1\n"), expect=[(8, 5)]),
    ]

    def check_score(self, ctx, document, tree):
        function = entry_function(self.bindings(ctx, tree)["predict"])
        if function is None:
            return
        arguments = function.args
        positional = arguments.posonlyargs + arguments.args
        if positional:
            first = positional[0]
            if first.arg != "data":
                yield self.diagnostic(document.path, document.span(first),
                                      f"predict's first parameter is {first.arg!r}; the server and ADS expect 'data'",
                                      fix=rename_parameter_fix(ctx, document, function, first.arg, "data"))
            elif arguments.posonlyargs:
                yield self.diagnostic(document.path, document.span(first),
                                      "predict's data is positional-only; it works on the server, but ADS introspection "
                                      "reads only regular parameters, fails, and ADS's save() refuses the model: drop the /",
                                      severity=Severity.WARNING)
        elif arguments.vararg is not None:
            yield self.diagnostic(document.path, document.name_span(function, "predict", "def"),
                                  "predict takes *args; it works on the server but ADS introspection crashes on it "
                                  "(IndexError) and ADS's save() refuses the model: declare predict(data, ...)",
                                  severity=Severity.WARNING)
        else:
            yield self.diagnostic(document.path, document.name_span(function, "predict", "def"),
                                  "predict takes no positional parameter; the server calls predict(data)")


def rename_parameter_fix(ctx, document, function: ast.FunctionDef, old: str, new: str) -> Fix | None:
    """Rename a top-level function's parameter and every use of it, resolved with the semantic model's scopes.

    Unsafe: callers that pass the argument by keyword would break. None when `new` is already
    used in the function, or `old` is declared global/nonlocal in it (the rename would change what
    a name refers to).
    """
    from artifact_lint.rules._semantic import SemanticModel

    model = SemanticModel.of(ctx)
    if model is None:
        return None
    score = model.score
    start, end = (function.lineno, function.col_offset), (function.end_lineno, function.end_col_offset)

    def inside(node) -> bool:
        return start <= (node.lineno, node.col_offset) and (node.end_lineno, node.end_col_offset) <= end

    names = [node for node in score.nodes(ast.Name) if node.id in (old, new) and inside(node)]
    arguments = [node for node in score.nodes(ast.arg) if node.arg == new and inside(node)]
    declared = [node for kind in (ast.Global, ast.Nonlocal) for node in score.nodes(kind)
                if old in node.names and inside(node)]
    if arguments or declared or any(node.id == new for node in names):
        return None
    parameter = (function.args.posonlyargs + function.args.args)[0]
    first = document.span(parameter).start
    edits = [Edit(document.path, Span(first, Position(first.line, first.column + len(old))), new)]
    edits += [Edit(document.path, document.span(node), new) for node in names if _resolves_to(score, node, function)]
    return Fix(f"Rename {old} to {new}", Applicability.UNSAFE, tuple(edits))


def _resolves_to(score, name: ast.Name, function: ast.AST) -> bool:
    """Whether `name` is the binding `function` makes (a parameter of it), by Python's scoping rules:
    the innermost enclosing scope that binds it, class bodies skipped but for their own names."""
    scope, first = score.symbol_scope(name), True
    while scope is not score.tree:
        if scope is function:
            return True
        if (first or not isinstance(scope, ast.ClassDef)) and score.stores.get(id(scope), {}).get(name.id):
            return False
        scope, first = score.scope_parent(scope), False
    return False


class PredictRequiredArgument(ScoreRule):
    """A predict parameter other than `data` has no default.

    ## What it does
    Checks that every parameter after `data`, positional or keyword-only, has a default.

    ## Why it matters
    The server passes only `data`, so a required second parameter fails every request with a
    TypeError; ADS introspection (`score_predict_arg`) fails too. Keyword-only parameters
    without defaults, which introspection misses, fail the same way. A default on `data` itself
    works on the server but fails introspection's count of defaults (warning).

    ## Example
    `def predict(data, model):`

    ## Fix
    Give it a default, usually `model=load_model()`.
    """

    code, name, severity = "SCR104", "predict-required-argument", Severity.ERROR
    ads_test = "score_predict_arg"
    valid = [Case(artifact()), Case(score(LOAD + "def predict(data, *args, scale=1, **kwargs):\n    return data\n"))]
    invalid = [
        Case(score(LOAD + "def predict(data=None, model=load_model()):\n    return data\n"), expect=[(8, 13)]),
        Case(score(LOAD + "def predict(data, model):\n    return model.predict(data)\n"), expect=[(8, 19)]),
        Case(score(LOAD + "def predict(data, *, model):\n    return model.predict(data)\n"), expect=[(8, 22)]),
    ]

    def check_score(self, ctx, document, tree):
        function = entry_function(self.bindings(ctx, tree)["predict"])
        if function is None:
            return
        regular = function.args.args
        if regular and regular[0].arg == "data" and len(function.args.defaults) == len(regular):
            yield self.diagnostic(document.path, document.span(regular[0]),
                                  "predict's data has a default; the server does not mind, but ADS introspection "
                                  "requires every parameter except data to have one and data none, so ADS's save() "
                                  "refuses the model: remove data's default", severity=Severity.WARNING)
        required = required_parameters(function, skip_first=True)
        if is_group(ctx):  # a model group's service passes the model too (SCR109)
            positional = function.args.posonlyargs + function.args.args
            required = [arg for arg in required if arg not in positional[1:2]]
        for arg in required:
            yield self.diagnostic(document.path, document.span(arg),
                                  f"predict's parameter {arg.arg!r} has no default; the server passes only data, "
                                  f"so every request fails: give it a default (e.g. {arg.arg}=load_model())"
                                  if arg.arg == "model" else
                                  f"predict's parameter {arg.arg!r} has no default; the server passes only data, "
                                  f"so every request fails: give it a default")


class EntryPointBinding(ScoreRule):
    """load_model or predict is not a plain top-level def.

    ## What it does
    Finds `load_model` / `predict` bound as an `async def`, a class, a lambda or other
    assignment, an import (`from helpers import predict`), or a def inside an if/try block.

    ## Why it matters
    The server calls them synchronously: an `async def` returns a coroutine, a class returns an
    instance; both fail (error). Assignments, imports and conditional defs work on the server,
    but ADS introspection only accepts a top-level def, so ADS's `save()` refuses the model
    (warning).

    ## Example
    `from helpers import predict`

    ## Fix
    Define a plain top-level function, e.g. `def predict(data, model=load_model()): return helpers.predict(data, model)`.
    """

    code, name, severity = "SCR105", "entry-point-binding", Severity.ERROR
    valid = [Case(artifact())]
    invalid = [
        Case(score(LOAD + "async def predict(data):\n    return data\n"), expect=[(8, 1)]),
        Case(score(PREDICT + "from helpers import load_model\n"), expect=[(3, 1)]),
        Case(score(LOAD + "predict = lambda data: data\n"), expect=[(8, 1)]),
        Case(score(LOAD + "class predict:\n    pass\n"), expect=[(8, 1)]),
        Case(score(LOAD + "try:\n    def predict(data):\n        return data\nexcept Exception:\n    pass\n"),
             expect=[(9, 5)]),
    ]

    def check_score(self, ctx, document, tree):
        for name, bindings in self.bindings(ctx, tree).items():
            if not bindings or any(binding.is_plain_def for binding in bindings):
                continue  # missing is SCR101/102's; a plain def is what the server and ADS want
            binding = bindings[-1]
            node = binding.node
            span = document.span(node) if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                else _header_span(document, node)
            if binding.kind in ("async", "class"):
                result = "a coroutine" if binding.kind == "async" else "an instance of the class"
                yield self.diagnostic(document.path, span,
                                      f"{name} is {binding.describe()}; the server calls {name}() and gets {result}, "
                                      f"so it fails: make it a plain def", ads_test=ADS_TEST_FOR[name])
            else:
                yield self.diagnostic(document.path, span,
                                      f"{name} is {binding.describe()}; it works on the server, but ADS introspection "
                                      f"only accepts a plain top-level def, so ADS's save() refuses the model",
                                      severity=Severity.WARNING, ads_test=ADS_TEST_FOR[name])


def _header_span(document, node):
    """From the start of a def/class statement (decorators excluded) to the end of its name."""
    name_span = document.name_span(node, node.name, "class" if isinstance(node, ast.ClassDef) else "def")
    start = document.span(node).start
    return type(name_span)(start, name_span.end)


class LoadModelArguments(ScoreRule):
    """load_model requires arguments.

    ## What it does
    Checks that every parameter of `load_model` has a default.

    ## Why it matters
    The server calls `load_model()` with no arguments; a required parameter fails the deployment
    at start-up with a TypeError. ADS introspection does not check this.

    ## Example
    `def load_model(model_path):`

    ## Fix
    Give the parameter a default (`model_file_name="model.joblib"`), or compute the path inside.
    """

    code, name, severity = "SCR106", "load-model-arguments", Severity.ERROR
    valid = [Case(artifact())]
    invalid = [
        Case(score("def load_model(path):\n    return path\n\n\n" + PREDICT), expect=[(1, 16)]),
        Case(score("def load_model(*, path):\n    return path\n\n\n" + PREDICT), expect=[(1, 19)]),
    ]

    def check_score(self, ctx, document, tree):
        function = entry_function(self.bindings(ctx, tree)["load_model"])
        if function is None or is_group(ctx):
            return  # a model group's load_model(model_folder) is called with the folder (SCR109)
        for arg in required_parameters(function, skip_first=False):
            yield self.diagnostic(document.path, document.span(arg),
                                  f"load_model's parameter {arg.arg!r} has no default; the server calls load_model() "
                                  f"with no arguments: give it a default")


class LoadModelReturnsNone(ScoreRule):
    """load_model is a stub, always raises NotImplementedError, or can return None.

    ## What it does
    Reads `load_model`'s body: an unedited stub (only `pass`, `...` or a docstring), a leading
    `raise NotImplementedError`, a bare `return` / `return None`, or a path that falls off the
    end of the function.

    ## Why it matters
    The server requires `load_model()` to return something other than None; a stub or a None
    model fails the deployment, and `predict(data, model=load_model())` fails at import.

    ## Example
    ```python
    def load_model():
        if os.path.exists(path):
            return joblib.load(path)
        # falls through: returns None when the file is missing
    ```

    ## Fix
    Return the model on every path, and raise a clear error when it cannot be loaded.
    """

    code, name, severity = "SCR107", "load-model-returns-none", Severity.ERROR
    valid = [
        Case(artifact()),
        Case(score("import os\nimport joblib\n\n\ndef load_model():\n    path = 'model.joblib'\n"
                   "    if os.path.exists(path):\n        return joblib.load(path)\n"
                   "    else:\n        raise FileNotFoundError(path)\n\n\n" + PREDICT)),
        Case(score("import joblib\n\nMODEL = 'model.joblib'\n\n\ndef load_model(name=MODEL):\n    if not name:\n"
                   "        return None\n    return joblib.load(name)\n\n\n" + PREDICT),
             note="`return None` under a condition on a parameter whose default is a constant cannot run"),
        Case(score("import joblib\n\n\ndef load_model():\n    return joblib.load('model.joblib')\n    return None\n\n\n"
                   + PREDICT), note="code after return"),
    ]
    invalid = [
        Case(score('def load_model():\n    """Load it."""\n    pass\n\n\n' + PREDICT), expect=[(1, 5)]),
        Case(score("def load_model():\n    raise NotImplementedError('todo')\n\n\n" + PREDICT), expect=[(2, 5)]),
        Case(score("import os\nimport joblib\n\n\ndef load_model():\n    if os.path.exists('m'):\n"
                   "        return joblib.load('m')\n\n\n" + PREDICT), expect=[(5, 5)]),
        Case(score("def load_model():\n    if True:\n        return\n    return 1\n\n\n" + PREDICT), expect=[(3, 9)]),
    ]

    def check_score(self, ctx, document, tree):
        function = entry_function(self.bindings(ctx, tree)["load_model"])
        if function is None or isinstance(function, ast.AsyncFunctionDef):
            return
        body = body_without_docstring(function)
        module = self.model(ctx).score
        if module.own_of(function, ast.Yield) or module.own_of(function, ast.YieldFrom):
            return  # a generator is its own problem, and not None
        name_span = document.name_span(function, "load_model", "def")
        if all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in body):
            yield self.diagnostic(document.path, name_span,
                                  "load_model is an unedited stub that returns None; load and return the model")
            return
        first = body[0]
        if isinstance(first, ast.Raise) and _names_not_implemented(first.exc):
            yield self.diagnostic(document.path, document.span(first),
                                  "load_model always raises NotImplementedError; load and return the model")
            return
        returns_none = [node for node in module.own_of(function, ast.Return) if not module.is_dead(node)
                        and (node.value is None or (isinstance(node.value, ast.Constant) and node.value.value is None))]
        for node in returns_none:
            yield self.diagnostic(document.path, document.span(node),
                                  "load_model returns None here; the server treats a None model as a failed load")
        if not returns_none and not module.never_completes(body, function):
            yield self.diagnostic(document.path, name_span,
                                  "load_model can reach its end without a return, and then returns None; return the "
                                  "model on every path, or raise when it cannot be loaded")


def _names_not_implemented(exception: ast.expr | None) -> bool:
    target = exception.func if isinstance(exception, ast.Call) else exception
    return isinstance(target, ast.Name) and target.id == "NotImplementedError"


class DuplicateEntryPoint(ScoreRule):
    """load_model or predict is defined more than once at the top level.

    ## What it does
    Counts unconditional top-level bindings of `load_model` and `predict`.

    ## Why it matters
    Only the last definition is used; the one above it, often the one being edited, is dead
    code. A copy-paste leftover is the usual cause.

    ## Example
    Two `def predict(data):` in one file.

    ## Fix
    Delete the definition you do not mean.
    """

    code, name, severity = "SCR108", "duplicate-entry-point", Severity.WARNING
    valid = [Case(artifact())]
    invalid = [Case(score(SCORE_PY + "\n\ndef predict(data):\n    return data\n"), expect=[(21, 5)])]

    def check_score(self, ctx, document, tree):
        for name in ENTRY_POINTS:
            bindings = [binding for binding in self.bindings(ctx, tree)[name] if not binding.conditional]
            for earlier, later in zip(bindings, bindings[1:], strict=False):
                node = later.node
                span = document.name_span(node, name, "def") if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    else document.span(node)
                yield self.diagnostic(document.path, span,
                                      f"{name} is bound again here (first on line {earlier.node.lineno}); "
                                      f"only the last one is used")
