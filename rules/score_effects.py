"""SCR401, SCR402, SCR404: what score.py does besides predicting: network and processes at
start-up, request data fed to deserializers that run code, and training or GPU calls at import."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from artifact_lint.diagnostics import Severity
from artifact_lint.registry import Case
from artifact_lint.rules._flow import FunctionNode, ScoreFacts
from artifact_lint.rules._fold import fold
from artifact_lint.rules._imports import call_name
from artifact_lint.rules._samples import SCORE_PY, artifact
from artifact_lint.rules._score import ScoreRule, own_nodes

NETWORK_CALLS = {
    "urllib.request.urlopen", "urllib.request.urlretrieve", "http.client.HTTPConnection", "http.client.HTTPSConnection",
    "socket.socket", "socket.create_connection", "os.system", "os.popen", "huggingface_hub.hf_hub_download",
    "huggingface_hub.snapshot_download", "torch.hub.load", "torch.hub.download_url_to_file",
    "torch.hub.load_state_dict_from_url", "tensorflow.keras.utils.get_file", "keras.utils.get_file", "nltk.download",
    "gdown.download", "wget.download", "boto3.client", "boto3.resource", "tensorflow_hub.load", "tensorflow_hub.KerasLayer",
    "pip.main", "urllib3.PoolManager", "httpx.get", "httpx.post", "httpx.Client",
}
NETWORK_PREFIXES = ("requests.", "subprocess.", "os.exec", "os.spawn")
# Loaders whose model argument may be a hub id: the first positional argument, or this keyword.
HUB_LOADERS = {"from_pretrained": (0, "pretrained_model_name_or_path"), "SentenceTransformer": (0, "model_name_or_path"),
               "pipeline": (None, "model")}
PROCESS_PREFIXES = ("subprocess.", "os.system", "os.popen", "os.exec", "os.spawn", "pip.")
# Handlers that make a process call a deliberate probe (e.g. `nvidia-smi` to detect a GPU).
PROBE_HANDLERS = {"FileNotFoundError", "OSError", "Exception", "SubprocessError", "CalledProcessError"}
TRAINING_METHODS = {"fit", "fit_transform", "partial_fit"}
TRAINING_CALLS = {"xgboost.train", "lightgbm.train", "catboost.train"}

PICKLE_SINKS = {
    "pickle.loads", "pickle.load", "_pickle.loads", "cloudpickle.loads", "cloudpickle.load", "dill.loads", "dill.load",
    "joblib.load", "pandas.read_pickle", "marshal.loads", "yaml.unsafe_load", "yaml.full_load", "jsonpickle.decode",
}
SAFE_YAML_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")


def _describe_outreach(name: str, call: ast.Call, env, probes: set[int]) -> str | None:
    """What the call reaches out to, or None when it stays local."""
    if name.startswith(PROCESS_PREFIXES):
        if id(call) in probes:
            return None
        return (f"starts a process ({name}); the deployment's container may not have the program, and a process must "
                f"not install into or change the conda pack")
    if name in NETWORK_CALLS or name.startswith(NETWORK_PREFIXES):
        return f"uses the network ({name}); deployments often have no internet egress"
    method = name.rsplit(".", 1)[-1]
    if method in HUB_LOADERS:
        position, keyword = HUB_LOADERS[method]
        argument = next((k.value for k in call.keywords if k.arg == keyword), None)
        if argument is None and position is not None and len(call.args) > position:
            argument = call.args[position]
        source = fold(argument, env) if argument is not None else None
        if source is not None and source.base is None and not source.text.startswith((".", "/", "~")):
            return f"downloads {source.text!r} from a model hub ({method}); deployments often have no internet egress"
    return None


def _probe_calls(tree: ast.Module) -> set[int]:
    """ids of calls inside `try:` blocks whose handlers expect the program to be missing."""
    probes: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(_is_probe_handler(h) for h in node.handlers):
            probes.update(id(child) for statement in node.body for child in ast.walk(statement) if isinstance(child, ast.Call))
    return probes


def _is_probe_handler(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    names = {kind.attr if isinstance(kind, ast.Attribute) else getattr(kind, "id", "") for kind in kinds}
    return bool(names & PROBE_HANDLERS)


class NetworkAtStartup(ScoreRule):
    """score.py uses the network or starts processes when it is imported or loads the model.

    ## What it does
    Follows what runs at start-up (module-level code, default arguments such as
    `model=load_model()`, load_model and the score.py functions they call) and finds HTTP
    clients, sockets, subprocesses, `os.system`, and model-hub downloads
    (`from_pretrained("org/name")`, `pipeline(task)` without a local model, `hf_hub_download`,
    `torch.hub.load`, `nltk.download`). A process started inside `try/except FileNotFoundError`
    (a probe such as `nvidia-smi`) is not reported.

    ## Why it matters
    Model deployments often have no internet egress; a download at start-up then hangs or
    fails, and when it works the deployment depends on a third party being up. Processes
    started at import (pip installs) are not allowed to change the conda pack.

    ## Example
    `AutoModel.from_pretrained("bert-base-uncased")` in load_model.

    ## Fix
    Save the model files into the artifact (`save_pretrained(artifact_dir)`) and load them from
    `os.path.dirname(os.path.realpath(__file__))`; put dependencies in the conda pack.
    """

    code, name, severity = "SCR401", "network-at-startup", Severity.WARNING
    valid = [
        Case(artifact()),
        Case(artifact({"score.py": SCORE_PY + "\n\ndef later(url):\n    import requests\n    return requests.get(url)\n"})),
        Case(artifact({"score.py": "import os\nfrom transformers import pipeline\n\n\ndef load_model():\n"
                                   "    here = os.path.dirname(os.path.realpath(__file__))\n"
                                   "    return pipeline('text-classification', model=here)\n\n\n"
                                   "def predict(data, model=load_model()):\n    return {'prediction': model(data)}\n"})),
    ]
    invalid = [
        Case(artifact({"score.py": SCORE_PY.replace("    model_dir = ", "    import subprocess\n"
                                                    "    subprocess.run(['pip', 'install', 'lightgbm'])\n    model_dir = ")}),
             expect=[(12, 5)]),
        Case(artifact({"score.py": "from transformers import AutoModel\n\n\ndef load_model():\n"
                                   "    return AutoModel.from_pretrained('bert-base-uncased')\n\n\n"
                                   "def predict(data, model=load_model()):\n    return {'prediction': str(model)}\n"}),
             expect=[(5, 12)]),
    ]

    def check_score(self, ctx, document, tree):
        facts = ScoreFacts.of(ctx, tree)
        probes = _probe_calls(tree)
        for site in facts.import_time_calls():
            what = _describe_outreach(call_name(facts.imports, site.call), site.call, site.env, probes)
            if what:
                where = "when score.py is imported" if site.function is None else f"at start-up (in {site.function.name})"
                yield self.diagnostic(document.path, document.span(site.call),
                                      f"score.py {what}; this runs {where}: ship what you need in the artifact or the "
                                      f"conda pack")


class HeavyWorkAtImport(ScoreRule):
    """score.py trains a model or calls GPU-only APIs at start-up.

    ## What it does
    Finds `.fit()`, `.fit_transform()`, `xgboost.train()`, `.cuda()`, `.to("cuda")` and
    `torch.device("cuda")` among the calls that run at import or in load_model.

    ## Why it matters
    Training at start-up makes every deployment slow to start (and the model differ between
    instances); CUDA calls fail on CPU shapes, which most deployments use.

    ## Example
    `model = LogisticRegression().fit(X, y)` at module level.

    ## Fix
    Train before you build the artifact and ship the fitted model; choose the device with
    `"cuda" if torch.cuda.is_available() else "cpu"`.
    """

    code, name, severity = "SCR404", "heavy-work-at-import", Severity.INFO
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"score.py": SCORE_PY.replace("        return joblib.load(handle)",
                                                    "        return joblib.load(handle).cuda()")}), expect=[(13, 16)]),
        Case(artifact({"score.py": SCORE_PY + "\nfrom sklearn.linear_model import LogisticRegression\n"
                                              "fallback = LogisticRegression().fit([[0], [1]], [0, 1])\n"}), expect=[(21, 12)]),
    ]

    def check_score(self, ctx, document, tree):
        facts = ScoreFacts.of(ctx, tree)
        for site in facts.import_time_calls():
            name = call_name(facts.imports, site.call)
            method = name.rsplit(".", 1)[-1]
            if method in TRAINING_METHODS or name in TRAINING_CALLS:
                message = f"score.py trains ({method}) at start-up; ship a fitted model instead"
            elif method == "cuda" or (name in ("torch.device", ".to") or method == "to") and _names_cuda(site.call, site.env):
                message = "score.py moves work to CUDA at start-up; most deployment shapes have no GPU: pick the " \
                          "device with torch.cuda.is_available()"
            else:
                continue
            yield self.diagnostic(document.path, document.span(site.call), message)


def _names_cuda(call: ast.Call, env) -> bool:
    values = [fold(argument, env) for argument in [*call.args, *(k.value for k in call.keywords)]]
    return any(value is not None and value.base is None and value.text.startswith("cuda") for value in values)


@dataclass
class Taint:
    """Names holding request data in one function, and the sinks they reach."""

    names: set[str]
    findings: list[tuple[ast.Call, str, tuple[str, ...]]] = field(default_factory=list)


class RequestDeserialization:
    """Follows predict's `data` through assignments and score.py's own functions to unsafe loaders."""

    def __init__(self, facts: ScoreFacts):
        self.facts = facts
        self.done: set[tuple[str, frozenset[str]]] = set()
        self.findings: list[tuple[ast.Call, str, tuple[str, ...]]] = []

    def run(self, function: FunctionNode, tainted: frozenset[str], via: tuple[str, ...]) -> None:
        key = (function.name, tainted)
        if key in self.done or len(via) > 8:
            return
        self.done.add(key)
        names = set(tainted)
        nodes = list(own_nodes(function))
        changed = True
        while changed:  # propagate through assignments until nothing new is tainted
            changed = False
            for node in nodes:
                for target, value in _assignments(node):
                    if self._tainted(value, names):
                        new = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)} - names
                        if new:
                            names |= new
                            changed = True
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            name = call_name(self.facts.imports, node)
            if self._is_sink(name, node) and any(self._tainted(a, names) for a in _arguments(node)):
                self.findings.append((node, name, via))
            callee = self.facts.functions.get(node.func.id) if isinstance(node.func, ast.Name) else None
            if callee is not None:
                params = _parameters_receiving(callee, node, lambda a: self._tainted(a, names))
                if params:
                    self.run(callee, frozenset(params), via + (callee.name,))

    @staticmethod
    def _tainted(expression: ast.AST, names: set[str]) -> bool:
        return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(expression))

    def _is_sink(self, name: str, call: ast.Call) -> bool:
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
            loader_name = self.facts.imports.qualified(loader) if loader is not None else None
            return not (loader_name or "").endswith(SAFE_YAML_LOADERS)
        return False


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
    return [*call.args, *(k.value for k in call.keywords)]


def _parameters_receiving(function: FunctionNode, call: ast.Call, tainted) -> set[str]:
    """Parameters of `function` that get a tainted argument in `call`."""
    positional = [a.arg for a in function.args.posonlyargs + function.args.args]
    receiving = {positional[i] for i, argument in enumerate(call.args) if i < len(positional) and tainted(argument)}
    known = set(positional) | {a.arg for a in function.args.kwonlyargs}
    receiving |= {k.arg for k in call.keywords if k.arg in known and tainted(k.value)}
    return receiving


class UnsafeRequestDeserialization(ScoreRule):
    """Request data reaches pickle, cloudpickle, joblib, np.load(allow_pickle=True), torch.load or yaml.load.

    ## What it does
    Follows predict's `data` parameter through assignments and the functions score.py defines
    (such as a `deserialize(data)` helper) and reports when it reaches a loader that can run
    code: `pickle.loads`, `cloudpickle.loads`, `joblib.load`, `pandas.read_pickle`,
    `np.load(..., allow_pickle=True)`, `torch.load` without `weights_only=True`, and `yaml.load`
    without a safe loader.

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
    ]

    def check_score(self, ctx, document, tree):
        facts = ScoreFacts.of(ctx, tree)
        predict = facts.functions.get("predict")
        arguments = (predict.args.posonlyargs + predict.args.args) if predict else []
        if not arguments:
            return
        analysis = RequestDeserialization(facts)
        analysis.run(predict, frozenset({arguments[0].arg}), ())
        for call, name, via in analysis.findings:
            path = f" (through {' -> '.join(via)})" if via else ""
            yield self.diagnostic(document.path, document.span(call),
                                  f"request data reaches {name}(){path}: anyone who can call the endpoint can run code "
                                  f"on the server; accept JSON or .npy with allow_pickle=False")
