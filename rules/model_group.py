"""SCR109, SCR305: the shared artifact of a homogeneous model group (spec section 3a).

The service calls load_model(model_folder) once per member model, with that member's folder,
and predict(data, model) with the model the request's model-key selects. These rules apply
only when the artifact is a model group (declared, or detected by rules/_kind.py); the
single-model rules that contradict the contract (SCR104's model, SCR106, ART003's top folder,
ART004, SCR301) step aside for it.
"""

from __future__ import annotations

import ast
import posixpath

from artifact_lint.diagnostics import Severity
from artifact_lint.registry import Case
from artifact_lint.rules._files import file_access
from artifact_lint.rules._kind import is_group
from artifact_lint.rules._samples import RUNTIME_YAML, SCORE_PY, artifact
from artifact_lint.rules._score import ScoreRule, entry_function
from artifact_lint.rules._semantic import ModuleModel, SemanticModel

GROUP_CONFIG = {"kind": "model-group"}
GROUP_SCORE = """\
import os

import joblib


def load_model(model_folder):
    return joblib.load(os.path.join(model_folder, "model.joblib"))


def predict(data, model):
    return {"prediction": model.predict(data).tolist()}
"""


def group(score: str) -> dict:
    """A model-group artifact: the shared score.py and runtime.yaml, no model file."""
    return {"score.py": score, "runtime.yaml": RUNTIME_YAML}


class ModelGroupSignature(ScoreRule):
    """A model group's score.py does not take the model folder in load_model or the model in predict.

    ## What it does
    In a model-group artifact (`kind = "model-group"`, or detected from the shape), checks that
    `load_model` takes a parameter for the member's folder, that `predict` takes `(data, model)`,
    and that predict's model is not defaulted to `load_model()`.

    ## Why it matters
    The service calls `load_model(model_folder)` once for each member model and
    `predict(data, model)` with the member the request's model key selects. A single-model
    `load_model()` fails with a TypeError; a `model=load_model()` default runs load_model without
    a folder when score.py is imported, which fails the whole group deployment.

    ## Example
    `def load_model():` and `def predict(data, model=load_model()):` in a group artifact.

    ## Fix
    `def load_model(model_folder):` loading from `model_folder`, and `def predict(data, model):`.
    """

    code, name, severity = "SCR109", "model-group-signature", Severity.ERROR
    valid = [Case(group(GROUP_SCORE)), Case(group(GROUP_SCORE), config=GROUP_CONFIG), Case(artifact())]
    invalid = [
        Case(group(SCORE_PY), config=GROUP_CONFIG, expect=[(16, 25)]),
        Case(group(GROUP_SCORE.replace("def predict(data, model)", "def predict(data)")), config=GROUP_CONFIG,
             expect=[(10, 5)]),
    ]

    def check_score(self, ctx, document, tree):
        if not is_group(ctx):
            return
        bindings = self.bindings(ctx, tree)
        load_model, predict = entry_function(bindings["load_model"]), entry_function(bindings["predict"])
        if load_model is not None and not (load_model.args.posonlyargs + load_model.args.args):
            yield self.diagnostic(document.path, document.name_span(load_model, "load_model", "def"),
                                  "in a model group the service calls load_model(model_folder) with each member "
                                  "model's folder; this load_model takes no parameter: add one and load from it")
        if predict is None:
            return
        positional = predict.args.posonlyargs + predict.args.args
        if len(positional) < 2:
            yield self.diagnostic(document.path, document.name_span(predict, "predict", "def"),
                                  "in a model group the service calls predict(data, model) with the member model the "
                                  "request selects; this predict takes no model parameter: declare predict(data, model)")
            return
        defaults = dict(zip(reversed(positional), reversed(predict.args.defaults), strict=False))
        default = defaults.get(positional[1])
        if isinstance(default, ast.Call) and isinstance(default.func, ast.Name) and default.func.id == "load_model":
            yield self.diagnostic(document.path, document.span(default),
                                  f"{positional[1].arg}=load_model() calls load_model without a model folder when "
                                  f"score.py is imported; in a model group the service passes the model: drop the "
                                  f"default")


class ModelGroupPathFromFile(ScoreRule):
    """A model group's load_model reads from score.py's folder instead of the member's model folder.

    ## What it does
    In a model-group artifact, folds the paths `load_model` (and what it calls) reads: a file
    resolved against `__file__` that the group artifact does not hold is an error; a load_model
    that never uses its folder parameter is a warning.

    ## Why it matters
    A group artifact holds score.py, runtime.yaml and helpers, not the models: each member's
    model is in the folder the service passes to `load_model(model_folder)`. A path built from
    `__file__` points at the shared artifact, where the model is not, so every member fails to
    load; ignoring the folder loads the same thing for every member.

    ## Example
    `joblib.load(os.path.join(os.path.dirname(__file__), "model.joblib"))` in a group's load_model.

    ## Fix
    Build the path from the parameter: `os.path.join(model_folder, "model.joblib")`.
    """

    code, name, severity = "SCR305", "model-group-path-from-file", Severity.ERROR
    valid = [Case(group(GROUP_SCORE)), Case(group(GROUP_SCORE), config=GROUP_CONFIG)]
    invalid = [
        Case(group(GROUP_SCORE.replace('os.path.join(model_folder, "model.joblib")',
                                       'os.path.join(os.path.dirname(os.path.realpath(__file__)), "model.joblib")')),
             expect=[(7, 24), (6, 16)], note="detected from the shape"),
        Case(group(GROUP_SCORE.replace('os.path.join(model_folder, "model.joblib")', "'/opt/models/model.joblib'")),
             config=GROUP_CONFIG, expect=[(6, 16)]),
    ]

    def check_score(self, ctx, document, tree):
        if not is_group(ctx):
            return
        model = SemanticModel.of(ctx)
        load_model = entry_function(self.bindings(ctx, tree)["load_model"])
        if load_model is None or model is None:
            return
        score = model.score
        for module, function in model.startup()[1]:  # load_model and what it calls
            if module is not score:
                continue
            for site in score.calls_in(function):
                access = file_access(site)
                if access is None or access.writes or access.path.base != "artifact":
                    continue
                relative = posixpath.normpath(access.path.text)
                if ctx.artifact.member(relative) in ctx.artifact.entries:
                    continue  # a file the group artifact itself ships (labels, a shared vocabulary)
                yield self.diagnostic(document.path, document.span(access.argument),
                                      f"{access.operation}() reads {relative} from score.py's folder, but a model "
                                      f"group's artifact holds no model: build the path from load_model's folder "
                                      f"parameter instead of __file__")
        positional = load_model.args.posonlyargs + load_model.args.args
        if positional and not _uses(score, load_model, positional[0].arg):
            yield self.diagnostic(document.path, document.span(positional[0]),
                                  f"load_model never uses {positional[0].arg}, the member model's folder the service "
                                  f"passes; every member would load the same thing", severity=Severity.WARNING)


def _uses(score: ModuleModel, function, name: str) -> bool:
    return any(node.id == name and isinstance(node.ctx, ast.Load) for node in score.own_of(function, ast.Name))
