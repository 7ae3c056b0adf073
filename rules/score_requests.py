"""SCR402, SCR405: request data that reaches code-running loaders, import machinery or file paths.

Both follow predict's `data` parameter through assignments and the functions score.py and its
helper modules define (RequestFlow), and differ only in the calls they report.
"""

from __future__ import annotations

import ast

from artifact_lint.diagnostics import Severity
from artifact_lint.registry import Case
from artifact_lint.rules._files import OPEN
from artifact_lint.rules._imports import call_name
from artifact_lint.rules._samples import SCORE_PY, artifact
from artifact_lint.rules._score import ScoreRule
from artifact_lint.rules._semantic import FunctionNode, ModuleModel, SemanticModel

PICKLE_SINKS = {
    "pickle.loads", "pickle.load", "_pickle.loads", "cloudpickle.loads", "cloudpickle.load", "dill.loads", "dill.load",
    "joblib.load", "pandas.read_pickle", "marshal.loads", "yaml.unsafe_load", "yaml.full_load", "jsonpickle.decode",
}
SAFE_YAML_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")
# Calls that import, run or open whatever their first argument names.
CODE_SINKS = {
    "importlib.import_module", "__import__", "builtins.__import__", "importlib.__import__", "exec", "eval", "compile",
    "builtins.exec", "builtins.eval", "runpy.run_path", "runpy.run_module", "pydoc.locate",
    *OPEN, "os.listdir", "os.remove", "os.unlink", "shutil.rmtree", "shutil.copy", "shutil.copyfile",
}
MAX_VIA = 8
NO_NAMES: frozenset[str] = frozenset()
# The nodes that pass a value on to a name (`_assignments` knows how each does it).
ASSIGNING = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)


class RequestFlow:
    """Follows predict's `data` through assignments and own functions (across modules) to the calls it reaches."""

    def __init__(self, model: SemanticModel):
        self.model = model
        self.done: set[tuple[int, frozenset[str]]] = set()
        self._names_in: dict[ast.AST, frozenset[str]] = {}
        # (module, call, qualified name, tainted arguments, functions on the way)
        self.reached: list[tuple[ModuleModel, ast.Call, str, list[ast.expr], tuple[str, ...]]] = []

    @classmethod
    def of(cls, ctx) -> "RequestFlow | None":
        def compute():
            model = SemanticModel.of(ctx)
            predict = model.score.functions.get("predict")
            arguments = (predict.args.posonlyargs + predict.args.args) if predict else []
            if not arguments:
                return None
            flow = cls(model)
            flow.run(model.score, predict, frozenset({arguments[0].arg}), ())
            return flow
        return ctx.cached("score.request_flow", compute)

    def run(self, module: ModuleModel, function: FunctionNode, tainted: frozenset[str], via: tuple[str, ...]) -> None:
        key = (id(function), tainted)
        if key in self.done or len(via) > MAX_VIA:
            return
        self.done.add(key)
        names = set(tainted)

        is_dead, typed, names_of = module.is_dead, module.own_types(function).get, self._names

        def live(kind: type) -> list[ast.AST]:
            return [node for node in typed(kind, ()) if not is_dead(node)]

        flows = [(names_of(module, target), names_of(module, value))
                 for kind in ASSIGNING if typed(kind) for node in live(kind) for target, value in _assignments(node)]
        changed = True
        while changed:  # propagate through assignments until nothing new is tainted
            changed = False
            for targets, sources in flows:
                if sources & names and not targets <= names:
                    names |= targets
                    changed = True

        def tainted(expression: ast.AST) -> bool:
            if expression.__class__ is ast.Name:  # most arguments: no names to gather
                return expression.id in names
            return bool(names_of(module, expression) & names)

        for node in live(ast.Call):
            hit = [argument for argument in _arguments(node) if tainted(argument)]
            if not hit:
                continue  # nothing tainted goes in: neither a finding nor a function to follow
            self.reached.append((module, node, call_name(module.imports, node), hit, via))
            target = self.model.resolve(module, node)
            if target is not None:
                params = _parameters_receiving(target[1], node, tainted)
                if params:
                    self.run(target[0], target[1], frozenset(params), via + (target[1].name,))

    def _names(self, module: ModuleModel, expression: ast.AST) -> frozenset[str]:
        """The names an expression reads or binds, computed once per expression."""
        known = self._names_in.get(expression)
        if known is None:
            kind = expression.__class__  # a name or a constant holds no other name: no need to ask the index
            if kind is ast.Name:
                known = frozenset((expression.id,))
            elif kind is ast.Constant:
                known = NO_NAMES
            else:
                known = frozenset(n.id for n in module.nodes_within(expression))
            self._names_in[expression] = known
        return known


def _assignments(node: ast.AST):
    if isinstance(node, ast.Assign):
        return [(target, node.value) for target in node.targets]
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
        return [(node.target, node.value)]
    if isinstance(node, ast.NamedExpr):
        return [(node.target, node.value)]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [(node.target, node.iter)]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [(item.optional_vars, item.context_expr) for item in node.items if item.optional_vars is not None]
    return []


def _arguments(call: ast.Call) -> list[ast.expr]:
    """The call's argument expressions (its own list when it has no keywords: read it, do not change it)."""
    return [*call.args, *[k.value for k in call.keywords]] if call.keywords else call.args


def _parameters_receiving(function: FunctionNode, call: ast.Call, tainted) -> set[str]:
    """Parameters of `function` that get a tainted argument in `call`."""
    positional = [a.arg for a in function.args.posonlyargs + function.args.args]
    receiving = {positional[i] for i, argument in enumerate(call.args) if i < len(positional) and tainted(argument)}
    known = set(positional) | {a.arg for a in function.args.kwonlyargs}
    receiving |= {k.arg for k in call.keywords if k.arg in known and tainted(k.value)}
    return receiving


def _through(via: tuple[str, ...]) -> str:
    return f" (through {' -> '.join(via)})" if via else ""


class UnsafeRequestDeserialization(ScoreRule):
    """Request data reaches pickle, cloudpickle, joblib, np.load(allow_pickle=True), torch.load or yaml.load.

    ## What it does
    Follows predict's `data` parameter through assignments and the functions score.py and its
    helper modules define (such as a `deserialize(data)` helper) and reports when it reaches a
    loader that can run code: `pickle.loads`, `cloudpickle.loads`, `joblib.load`,
    `pandas.read_pickle`, `np.load(..., allow_pickle=True)`, `torch.load` without
    `weights_only=True`, and `yaml.load` without a safe loader.

    ## Why it matters
    Anyone who can call the endpoint can send a pickle that runs any command on the server.
    ADS before 2.15 generated score.py files that did exactly this for numpy and cloudpickle
    payloads.

    ## Example
    `return model.predict(pickle.loads(base64.b64decode(data)))`

    ## Fix
    Accept JSON (lists, dicts, `DataFrame.to_json()`), or `.npy` bytes with `allow_pickle=False`.
    """

    code, name, severity = "SCR402", "unsafe-request-deserialization", Severity.ERROR
    valid = [Case(artifact()),
             Case(artifact({"score.py": SCORE_PY.replace("import json", "import io\nimport json\nimport numpy as np").replace(
                 "json.loads(data)", "np.load(io.BytesIO(data), allow_pickle=False)")}))]
    invalid = [
        Case(artifact({"score.py": SCORE_PY.replace("import json", "import base64\nimport json\nimport pickle").replace(
            "    payload = json.loads(data) if isinstance(data, (bytes, str)) else data",
            "    payload = deserialize(data)") + "\n\ndef deserialize(blob):\n    raw = base64.b64decode(blob)\n"
                                                 "    return pickle.loads(raw)\n"}), expect=[(25, 12)]),
        Case(artifact({"score.py": SCORE_PY.replace("import json", "import io\nimport json\nimport numpy as np").replace(
            "json.loads(data)", "np.load(io.BytesIO(data), allow_pickle=True)")}), expect=[(19, 15)]),
        Case(artifact({"score.py": SCORE_PY.replace("import json", "import json\nfrom codec import decode").replace(
            "json.loads(data)", "decode(data)"),
            "codec.py": "import pickle\n\n\ndef decode(blob):\n    return pickle.loads(blob)\n"}),
            expect=[("codec.py", 5, 12)], note="a helper module's own file and line"),
    ]

    def check_score(self, ctx, document, tree):
        flow = RequestFlow.of(ctx)
        for module, call, name, _, via in flow.reached if flow else []:
            if self._is_sink(module, name, call):
                yield self.diagnostic(module.path, module.document.span(call),
                                      f"request data reaches {name}(){_through(via)}: anyone who can call the endpoint "
                                      f"can run code on the server; accept JSON or .npy with allow_pickle=False")

    @staticmethod
    def _is_sink(module: ModuleModel, name: str, call: ast.Call) -> bool:
        if name in PICKLE_SINKS:
            return True
        keywords = {k.arg: k.value for k in call.keywords}
        if name == "numpy.load":
            flag = keywords.get("allow_pickle")
            return isinstance(flag, ast.Constant) and flag.value is True
        if name == "torch.load":
            flag = keywords.get("weights_only")
            return not (isinstance(flag, ast.Constant) and flag.value is True)
        if name == "yaml.load":
            loader = keywords.get("Loader") or (call.args[1] if len(call.args) > 1 else None)
            loader_name = module.imports.qualified(loader) if loader is not None else None
            return not (loader_name or "").endswith(SAFE_YAML_LOADERS)
        return False


class RequestChoosesCode(ScoreRule):
    """Request data chooses what gets imported, executed or opened on the server.

    ## What it does
    Follows predict's `data` parameter as SCR402 does and reports when it reaches import
    machinery or code execution (`importlib.import_module`, `__import__`, `exec`, `eval`,
    `compile`, `runpy`), an attribute lookup on a module (`getattr(module, name)`), or a file
    path that is opened, listed or deleted.

    ## Why it matters
    Whoever can call the endpoint then picks the module, the code or the file: `eval(data)` runs
    any expression, `import_module(data["model"])` imports any installed module, and
    `open(data["path"])` reads any file the server can, credentials included.

    ## Example
    `handler = importlib.import_module(data["handler"])`

    ## Fix
    Map the request to a fixed set of choices (`HANDLERS = {"a": handle_a}`), and never build a
    path, a module name or code from request data.
    """

    code, name, severity = "SCR405", "request-chooses-code", Severity.ERROR
    valid = [
        Case(artifact()),
        Case(artifact({"score.py": SCORE_PY.replace("import json", "import importlib\nimport json").replace(
            "    payload = json.loads(data)", "    codec = importlib.import_module('json')\n    payload = codec.loads(data)")})),
    ]
    invalid = [
        Case(artifact({"score.py": SCORE_PY.replace("import json", "import importlib\nimport json").replace(
            "    payload = json.loads(data)", "    codec = importlib.import_module(data['codec'])\n"
                                              "    payload = codec.loads(data)")}), expect=[(18, 13)]),
        Case(artifact({"score.py": SCORE_PY.replace(
            "    payload = json.loads(data)", "    payload = eval(data)")}), expect=[(17, 15)]),
        Case(artifact({"score.py": SCORE_PY.replace(
            "    payload = json.loads(data) if isinstance(data, (bytes, str)) else data",
            "    transform = getattr(json, data['transform'])\n    payload = transform(data['rows'])")}),
             expect=[(17, 17)]),
        Case(artifact({"score.py": SCORE_PY.replace(
            "    payload = json.loads(data) if isinstance(data, (bytes, str)) else data",
            "    payload = read_rows(data['file'])") + "\n\ndef read_rows(name):\n    with open(name) as handle:\n"
                                                     "        return json.load(handle)\n"}),
             expect=[(22, 10)]),
    ]

    def check_score(self, ctx, document, tree):
        flow = RequestFlow.of(ctx)
        for module, call, name, hit, via in flow.reached if flow else []:
            what = self._what(module, name, call, hit)
            if what:
                yield self.diagnostic(module.path, module.document.span(call),
                                      f"request data decides {what}, through {name}(){_through(via)}: whoever calls the "
                                      f"endpoint chooses it; map the request to a fixed set of choices instead")

    def _what(self, module: ModuleModel, name: str, call: ast.Call, hit: list[ast.expr]) -> str | None:
        first = call.args[0] if call.args else None
        if name in CODE_SINKS and first is not None and any(first is argument for argument in hit):
            if name in OPEN or name.startswith(("os.", "shutil.")):
                return "which file is used"
            return "what is imported" if "import" in name or name == "pydoc.locate" else "what code runs"
        if name == "getattr" and len(call.args) >= 2 and any(call.args[1] is argument for argument in hit):
            owner = call.args[0]
            while isinstance(owner, ast.Attribute):
                owner = owner.value
            imported = {alias.asname or alias.name.split(".")[0] for node in module.nodes(ast.Import) for alias in node.names}
            if isinstance(owner, ast.Name) and owner.id in imported:
                return f"which attribute of module {module.imports.names.get(owner.id, owner.id)} is used"
        return None
