"""SCR401, SCR404: what score.py and its helper modules do at start-up besides loading the model:
network and processes, training or GPU calls."""

from __future__ import annotations

import ast

from artifact_lint.diagnostics import Severity
from artifact_lint.registry import Case
from artifact_lint.rules._control import catches
from artifact_lint.rules._fold import fold
from artifact_lint.rules._imports import call_name
from artifact_lint.rules._samples import SCORE_PY, artifact, with_helper
from artifact_lint.rules._score import ScoreRule
from artifact_lint.rules._semantic import CallSite

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

def _describe_outreach(name: str, site: CallSite) -> str | None:
    """What the call reaches out to, or None when it stays local."""
    call, env = site.call, site.env
    if name.startswith(PROCESS_PREFIXES):
        if any(_is_probe_handler(handler) for handler in site.module.try_handlers(call)):
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


def _is_probe_handler(handler: ast.ExceptHandler) -> bool:
    return catches(handler, PROBE_HANDLERS, bare=True)


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
        Case(artifact({"score.py": SCORE_PY + "\n\nif __name__ == '__main__':\n    import requests\n"
                                              "    print(predict(requests.get('https://example.com/sample').text))\n"}),
             note="the server imports score.py: its __main__ block never runs"),
    ]
    invalid = [
        Case(artifact({"score.py": SCORE_PY.replace("    model_dir = ", "    import subprocess\n"
                                                    "    subprocess.run(['pip', 'install', 'lightgbm'])\n    model_dir = ")}),
             expect=[(12, 5)]),
        Case(artifact({"score.py": "from transformers import AutoModel\n\n\ndef load_model():\n"
                                   "    return AutoModel.from_pretrained('bert-base-uncased')\n\n\n"
                                   "def predict(data, model=load_model()):\n    return {'prediction': str(model)}\n"}),
             expect=[(5, 12)]),
        Case(with_helper("import subprocess\n\nsubprocess.run(['pip', 'install', 'lightgbm'])\n"),
             expect=[("helpers.py", 3, 1)], note="a helper module's top level runs when score.py imports it"),
    ]

    def check_score(self, ctx, document, tree):
        model = self.model(ctx)
        for site in model.startup_calls():
            what = _describe_outreach(call_name(site.module.imports, site.call), site)
            if what:
                module = site.module
                who = "score.py" if module is model.score else module.path
                where = f"when {who} is imported" if site.function is None else f"at start-up (in {site.function.name})"
                yield self.diagnostic(module.path, module.document.span(site.call),
                                      f"{who} {what}; this runs {where}: ship what you need in the artifact or the "
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
        Case(with_helper("from sklearn.linear_model import LogisticRegression\n"
                         "FALLBACK = LogisticRegression().fit([[0], [1]], [0, 1])\n"), expect=[("helpers.py", 2, 12)]),
    ]

    def check_score(self, ctx, document, tree):
        model = self.model(ctx)
        for site in model.startup_calls():
            name = call_name(site.module.imports, site.call)
            method = name.rsplit(".", 1)[-1]
            if method in TRAINING_METHODS or name in TRAINING_CALLS:
                message = f"{'score.py' if site.module is model.score else site.module.path} trains ({method}) at " \
                          f"start-up; ship a fitted model instead"
            elif method == "cuda" or (name in ("torch.device", ".to") or method == "to") and _names_cuda(site.call, site.env):
                message = "score.py moves work to CUDA at start-up; most deployment shapes have no GPU: pick the " \
                          "device with torch.cuda.is_available()"
            else:
                continue
            yield self.diagnostic(site.module.path, site.module.document.span(site.call), message)


def _names_cuda(call: ast.Call, env) -> bool:
    values = [fold(argument, env) for argument in [*call.args, *(k.value for k in call.keywords)]]
    return any(value is not None and value.base is None and value.text.startswith("cuda") for value in values)
