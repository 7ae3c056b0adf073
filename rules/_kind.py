"""Which contract an artifact follows, declared or read from its shape, and why.

Rules that only hold for one contract ask here instead of each guessing:

- "model": one model shipped in the artifact; the server calls load_model() and predict(data).
- "model-group": the shared artifact of a homogeneous model group (spec section 3a); the
  service calls load_model(model_folder) per member and predict(data, model); no model file.
- "model-less": load_model() reads no file by design (a constant, rules or an object built in code).
- "template": runtime.yaml still holds placeholders and no model is saved yet (a boilerplate to fill in).

Declared (`kind` in config, `--artifact-kind`) wins; "auto" reads the shape.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from artifact_lint.artifact import path_name
from artifact_lint.parsers.model_formats import model_candidates
from artifact_lint.rules._imports import call_name
from artifact_lint.rules._runtime import ENV_KEYS, find_env_key, is_placeholder
from artifact_lint.rules._score import ScoreRule, entry_function
from artifact_lint.rules._semantic import ModuleModel, SemanticModel

MODEL, GROUP, MODEL_LESS, TEMPLATE = "model", "model-group", "model-less", "template"
# The last part of a call name that reads, downloads or deserializes something (a model on disk or online).
READING_WORDS = ("load", "read", "open", "session", "booster", "restore", "from_file", "listdir")
# ... and the last part of one that fetches a model from elsewhere (a hub, a URL, a bucket).
FETCHING_WORDS = ("download", "pretrained", "pipeline", "fetch", "urlopen")
# Modules whose every call may fetch something over the network or from storage.
FETCHING_MODULES = frozenset({"requests", "urllib", "urllib3", "httpx", "boto3", "oci", "ads", "huggingface_hub",
                              "fsspec", "ocifs", "mlflow"})


class ArtifactKind(NamedTuple):
    """What sort of model the artifact deploys, and whether it was declared or detected."""

    kind: str
    source: str  # "declared" | "detected"
    reason: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "source": self.source, "reason": self.reason}


def artifact_kind(ctx) -> ArtifactKind:
    """The artifact's contract, decided once per artifact."""
    return ctx.cached("artifact.kind", lambda: _decide(ctx))


def is_group(ctx) -> bool:
    return artifact_kind(ctx).kind == GROUP


def predict_output_unknown(ctx) -> bool:
    """Whether what the model's .predict() returns cannot be known: a group's members are not in the
    artifact, and a pickled object of a class the artifact defines itself (its first global is one
    of the artifact's own modules) returns whatever that class returns."""
    if is_group(ctx):
        return True
    from artifact_lint.rules._models import model_files

    helpers = _helper_modules(ctx)
    scans = [scan for model in model_files(ctx) for _, scan in model.scans]
    return bool(scans) and all(scan.globals and scan.globals[0][0].split(".", 1)[0] in helpers for scan in scans)


def _helper_modules(ctx) -> set[str]:
    """Top-level module names of the artifact's own Python files (score.py aside)."""
    return {_stem(path) for path in ctx.artifact.entries if path.endswith(".py")} - {"score"}


def _stem(python_path: str) -> str:
    """PurePosixPath(python_path).stem of a path ending in .py, without building a path object."""
    name = path_name(python_path)
    return name if name == ".py" else name[:-3]


def _decide(ctx) -> ArtifactKind:
    declared = getattr(ctx.config, "kind", "auto")
    if declared != "auto":
        return ArtifactKind(declared, "declared", f'declared: kind = "{declared}" (config or --artifact-kind)')
    document = ctx.documents.score
    tree = document.tree if document is not None else None
    if tree is None:
        return ArtifactKind(MODEL, "detected", "no score.py that parses: the single-model contract is assumed")
    score = SemanticModel.of(ctx).score
    bindings = ScoreRule.bindings(ctx, tree)  # the rules' own, computed once
    load_model, predict = entry_function(bindings["load_model"]), entry_function(bindings["predict"])
    has_model = bool(model_candidates(ctx.artifact))
    if load_model is not None and predict is not None and not has_model and group_shape(score, load_model, predict):
        folder = _positional(load_model)[0].arg
        model = _positional(predict)[1].arg
        return ArtifactKind(GROUP, "detected",
                            f"load_model({folder}) takes a model's folder, predict(data, {model}) takes the loaded "
                            f"model without a default, and the artifact holds no model file: the homogeneous "
                            f"model-group contract")
    if not has_model and _runtime_placeholders(ctx):
        return ArtifactKind(TEMPLATE, "detected",
                            "runtime.yaml still holds placeholders (<...>) and no model is saved yet: a template")
    loads = _what_load_model_loads(ctx, score, load_model) if load_model is not None else "file"
    if loads is None:
        return ArtifactKind(MODEL_LESS, "detected",
                            "load_model() reads, opens and downloads nothing: the model is built in code")
    if loads == "fetch" and not has_model:
        return ArtifactKind(MODEL_LESS, "detected",
                            "load_model() fetches its model at start-up (a hub, a URL, a bucket) and reads no file of "
                            "the artifact")
    return ArtifactKind(MODEL, "detected", "load_model() and predict(data) follow the single-model contract")


def _positional(function) -> list[ast.arg]:
    return function.args.posonlyargs + function.args.args


def _required_positional(function) -> list[ast.arg]:
    positional = _positional(function)
    return positional[: len(positional) - len(function.args.defaults)]


def group_shape(score: ModuleModel, load_model, predict) -> bool:
    """The group contract: plain defs, load_model(folder) using its argument as a folder, predict(data, model).

    A broken single-model score.py (load_model(model_path) opening its argument, an async
    predict(payload, model)) has required parameters too: the folder use and `data` tell them apart.
    """
    if not (isinstance(load_model, ast.FunctionDef) and isinstance(predict, ast.FunctionDef)):
        return False
    folder, needed = _required_positional(load_model), _required_positional(predict)
    if not folder or len(needed) < 2 or needed[0].arg != "data":
        return False
    name = folder[0].arg
    return any(word in name.lower() for word in ("folder", "dir")) or _used_as_folder(score, load_model, name)


def _used_as_folder(score: ModuleModel, function, name: str) -> bool:
    """`name` joined with another path part: os.path.join(name, ...), name + "/" + ..., f"{name}/...", Path(name) / ..."""
    def mentions(node) -> bool:
        return any(child.id == name for child in score.nodes_within(node))

    return any(len(node.args) >= 2 and mentions(node.args[0])
               and getattr(node.func, "attr", getattr(node.func, "id", "")) == "join"
               for node in score.own_of(function, ast.Call)) \
        or any(isinstance(node.op, (ast.Add, ast.Div)) and mentions(node.left) for node in score.own_of(function, ast.BinOp)) \
        or any(len(node.values) >= 2 and mentions(node.values[0]) for node in score.own_of(function, ast.JoinedStr))


def _runtime_placeholders(ctx) -> bool:
    document = ctx.documents.runtime
    root = getattr(document, "root", None) if document is not None else None
    if root is None:
        return False
    try:
        return any(is_placeholder(found.text) for key in ENV_KEYS if (found := find_env_key(root, key)) is not None)
    except (AttributeError, TypeError):  # runtime.yaml is not a mapping: nothing to read
        return False


def _what_load_model_loads(ctx, score: ModuleModel, load_model) -> str | None:
    """"file" when load_model, or what it calls in score.py, may read a file; "fetch" when it only
    fetches a model from elsewhere; None when it does neither.

    A call whose name says it loads, reads or opens counts as reading, and so does any call into a
    helper module of the artifact (its code is not followed here).
    """
    imports = score.imports
    helpers = _helper_modules(ctx)
    local = {node.name: node for node in score.tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    pending, seen, fetches = [load_model], set(), False
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        scopes = [item for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))] \
            if isinstance(node, ast.ClassDef) else [node]  # a class: what its methods do
        for call in [call for scope in scopes for call in score.own_of(scope, ast.Call)]:
            if isinstance(call.func, ast.Name) and call.func.id in local:
                pending.append(local[call.func.id])
                continue
            name = call_name(imports, call)
            module, last = name.split(".", 1)[0], name.rsplit(".", 1)[-1].lower()
            if any(word in last for word in FETCHING_WORDS) or module in FETCHING_MODULES:
                fetches = True
            elif any(word in last for word in READING_WORDS) or module in helpers:
                return "file"
    return "fetch" if fetches else None
