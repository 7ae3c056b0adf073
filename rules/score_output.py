"""SCR403: predict returns something json.dumps cannot serialise (ndarray, DataFrame, set, ...)."""

from __future__ import annotations

import ast

from artifact_lint.diagnostics import Severity
from artifact_lint.registry import Case
from artifact_lint.rules._imports import call_name
from artifact_lint.rules._kind import predict_output_unknown
from artifact_lint.rules._samples import SCORE_PY, artifact, with_helper
from artifact_lint.rules._score import ScoreRule
from artifact_lint.rules._semantic import FunctionNode, ModuleModel, SemanticModel

CONVERTERS = {"tolist", "to_dict", "item", "to_json", "to_list", "dumps", "isoformat"}
MODEL_OUTPUTS = {"predict", "predict_proba", "predict_log_proba", "decision_function", "transform", "score_samples"}
NUMPY_SCALARS = {"argmax", "argmin", "sum", "mean", "max", "min", "median", "std", "var", "float32", "float64",
                 "int32", "int64", "prod", "dot"}
MAX_DEPTH = 6


class OutputKinds:
    """Classifies expressions as a value json.dumps rejects, following the functions of score.py and its helpers."""

    def __init__(self, model: SemanticModel):
        self.model = model

    def of(self, expression: ast.expr | None, function: FunctionNode, module: ModuleModel, depth: int = 0) -> str | None:
        """"a numpy array", "a DataFrame", ... or None (serialisable, or not known)."""
        if expression is None or depth > MAX_DEPTH:
            return None
        step = depth + 1
        if isinstance(expression, (ast.Set, ast.SetComp)):
            return "a set"
        if isinstance(expression, ast.Dict):
            return self._inside("a dict holding", expression.values, function, module, step)
        if isinstance(expression, (ast.List, ast.Tuple)):
            return self._inside("a list holding", expression.elts, function, module, step)
        if isinstance(expression, ast.Attribute) and expression.attr == "values":
            return "a numpy array (.values)"
        if isinstance(expression, ast.Name):
            assigned = module.env_of(function).local.get(expression.id)
            return self.of(assigned, function, module, step) if assigned is not None else None
        if isinstance(expression, ast.Call):
            return self._call(expression, function, module, step)
        return None

    def _inside(self, label: str, items, function, module, depth) -> str | None:
        for item in items:
            kind = self.of(item, function, module, depth) if item is not None else None
            if kind:
                return f"{label} {kind}"
        return None

    def _call(self, call: ast.Call, function: FunctionNode, module: ModuleModel, depth: int) -> str | None:
        name = call_name(module.imports, call)
        method = name.rsplit(".", 1)[-1]
        if method in CONVERTERS or name in ("float", "int", "str", "bool", "list", "dict"):
            return None
        if name.startswith("numpy."):
            return "a numpy scalar" if method in NUMPY_SCALARS else "a numpy array"
        if name in ("pandas.DataFrame", "pandas.concat", "pandas.DataFrame.from_dict"):
            return "a DataFrame"
        if name == "pandas.Series":
            return "a pandas Series"
        if name in ("set", "frozenset"):
            return "a set"
        if method in MODEL_OUTPUTS and isinstance(call.func, ast.Attribute):
            return f"a numpy array (.{method}() returns one)"
        target = self.model.resolve(module, call)
        if target is not None and target[1] is not function:
            owner, callee = target
            kinds = [self.of(node.value, callee, owner, depth) for node in owner.own_of(callee, ast.Return)
                     if not owner.is_dead(node)]
            return next((kind for kind in kinds if kind), None)
        return None


class NonSerialisablePrediction(ScoreRule):
    """predict returns a value that is visibly not JSON-serialisable.

    ## What it does
    Follows predict's return values, through local variables and score.py's own functions, and
    reports numpy arrays (`model.predict(...)`, `np.*`, `.values`), numpy scalars, DataFrames,
    Series and sets, alone or inside the returned dict or list. Values that go through
    `.tolist()`, `.to_dict()`, `.item()`, `json.dumps` or `float()` are fine.

    ## Why it matters
    The server serialises predict's result with json; an ndarray fails every request with
    HTTP 500 although load_model and predict themselves worked.

    ## Example
    `return {"prediction": model.predict(frame)}`

    ## Fix
    Convert: `model.predict(frame).tolist()`.
    """

    code, name, severity = "SCR403", "non-serialisable-prediction", Severity.WARNING
    valid = [
        Case(artifact()),
        Case(artifact({"score.py": SCORE_PY.replace(
            '    return {"prediction": model.predict(payload).tolist()}',
            '    yhat = post(model.predict(payload))\n    return {"prediction": yhat}\n\n\n'
            'def post(values):\n    return values.tolist()')})),
    ]
    invalid = [
        Case(artifact({"score.py": SCORE_PY.replace("model.predict(payload).tolist()", "model.predict(payload)")}),
             expect=[(18, 27)]),
        Case(artifact({"score.py": SCORE_PY.replace(
            '    return {"prediction": model.predict(payload).tolist()}',
            '    labels = set(model.predict(payload).tolist())\n    return labels')}), expect=[(19, 12)]),
        Case(with_helper("import numpy as np\n\n\ndef post(values):\n    return np.round(values, 2)\n",
                         SCORE_PY.replace("import joblib\n", "import joblib\nimport helpers\n").replace(
                             "model.predict(payload).tolist()", "helpers.post(model.predict(payload))")),
             expect=[(19, 27)], note="followed into a helper module's function"),
    ]

    def check_score(self, ctx, document, tree):
        model = self.model(ctx)
        score = model.score
        predict = score.functions.get("predict")
        if predict is None:
            return
        kinds = OutputKinds(model)
        for node in score.own_of(predict, ast.Return):
            if node.value is not None and not score.is_dead(node):
                kind = kinds.of(node.value, predict, score)
                if kind:
                    # What .predict() returns is a guess when the model is not a library's (rules/_kind.py).
                    guessed = "() returns one" in kind and predict_output_unknown(ctx)
                    verb = "may return" if guessed else "returns"
                    yield self.diagnostic(document.path, document.span(self._culprit(node.value)),
                                          f"predict {verb} {kind}, which json cannot serialise: every request fails "
                                          f"with HTTP 500; convert it (.tolist(), .to_dict(), .item())",
                                          severity=Severity.INFO if guessed else None)

    @staticmethod
    def _culprit(value: ast.expr) -> ast.expr:
        """The dict value or list item at fault, for a precise span; else the whole return value."""
        if isinstance(value, ast.Dict) and len(value.values) == 1:
            return value.values[0]
        return value
