"""SEC: model files that run code when loaded, or reach outside the artifact; judged from their bytes, never loaded."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from artifact_lint.artifact import ReadError
from artifact_lint.diagnostics import Severity
from artifact_lint.lazy_errors import zip_errors
from artifact_lint.parsers.onnx_external import ProtobufError, leaves_folder, onnx_external_locations
from artifact_lint.parsers.pickles.policy import Verdict
from artifact_lint.parsers.pickles.verdicts import judge_scan
from artifact_lint.registry import Case, Rule
from artifact_lint.rules._models import model_files, ships_module
from artifact_lint.rules._samples import artifact

if TYPE_CHECKING:  # the Keras config reader loads only when an artifact has a Keras model
    from artifact_lint.parsers.keras_config import Payload

MAX_DENIED_PER_FILE = 5
MAX_UNKNOWN_SHOWN = 5
# Formats that may run code the rule cannot read. Data-only formats (XGBoost, LightGBM, ONNX, safetensors) need
# no judging; pickles and Keras configs are judged; TorchScript's code/ is TorchScript, compiled by torch itself
# into torch operators (it cannot call Python), and its pickles are judged.
NOT_JUDGED = {
    "spark": "a Spark ML folder is loaded by the JVM; its contents were not judged",
    "huggingface": "a Hugging Face folder may hold custom code (trust_remote_code) and weights not judged here",
    "unknown": "its format is not recognised",
}
# A hand-built protocol 0 pickle whose REDUCE calls os.system("true") (harmless if ever run).
_SYSTEM_PICKLE = b"cposix\nsystem\n(S'true'\ntR."
_BENIGN_PICKLE = (b"\x80\x04\x95+\x00\x00\x00\x00\x00\x00\x00\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94"
                  b"\x8c\x01a\x94K\x01s.")
_UNKNOWN_PICKLE = b"\x80\x02cacme.models\nScorer\nq\x00)\x81q\x01."


def _is_own(ctx):
    return lambda module: module in ("__main__", "__mp_main__") or ships_module(ctx, module)


class ModelRunsCodeWhenLoaded(Rule):
    """A model file makes its loader call code that no model needs: a shell, a process, exec, an import, a download.

    ## What it does
    Walks every pickle stream of every model file (pickle protocols 0-5, joblib plain and
    compressed, cloudpickle, dill, numpy object arrays, PyTorch zip and legacy files) without
    loading it, and lists every callable the load would invoke: REDUCE, BUILD, INST, OBJ and NEWOBJ
    targets, and globals reached through `getattr`, `operator.attrgetter`/`methodcaller`,
    `functools.partial` and `__import__`. Functions stored by value (cloudpickle, dill) and Keras
    Lambda layers are read as bytecode data and their names checked. Each callable is judged:
    denied (process, shell, code execution and code-object construction, import machinery,
    network, file removal, ctypes, nested pickle loads) is an error naming the call and its
    constant arguments; what is neither one of scikit-learn's, XGBoost's, LightGBM's, numpy's,
    pandas', scipy's, PyTorch's, joblib's, cloudpickle's or dill's own globals nor denied is a
    warning naming the global; a format the rule cannot judge gets an info saying so.

    ## Why it matters
    `joblib.load`, `pickle.load` and `torch.load` run whatever the file tells them to. A model
    downloaded from a catalog or a hub and deployed as is runs its author's code on the model
    deployment, with the deployment's resource principal.

    ## Example
    A `model.pkl` whose `__reduce__` returns `(os.system, ("curl ... | sh",))`.

    ## Fix
    Do not deploy the file: train and save the model yourself, or get it from a source you trust.
    For your own classes, ship their module in the artifact (then they are not reported).
    """

    code, name, severity = "SEC003", "model-runs-code-when-loaded", Severity.ERROR
    default_path = "model.pkl"
    valid = [Case(artifact({"model.pkl": _BENIGN_PICKLE})),
             Case(artifact({"model.pkl": _UNKNOWN_PICKLE, "acme/__init__.py": "", "acme/models.py": "class Scorer: pass\n"}),
                  note="the artifact's own classes are not reported")]
    invalid = [Case(artifact({"model.pkl": _SYSTEM_PICKLE}), expect=[("model.pkl", None)]),
               Case(artifact({"model.pkl": _UNKNOWN_PICKLE}), expect=[("model.pkl", None)])]

    def check(self, ctx):
        is_own = _is_own(ctx)
        for model in model_files(ctx):
            denied, unknown, unjudged = [], [], []
            for where, scan in model.scans:
                inside = where.split(":", 1)[1] if ":" in where else ""
                prefix = f" (in {inside})" if inside else ""
                for finding in judge_scan(scan, is_own):
                    if finding.verdict is Verdict.DENIED:
                        denied.append(f"{finding.text}{prefix}")
                    else:
                        unknown.append(finding.target)
                if scan.stopped_early:
                    unjudged.append(f"the scan{prefix} stopped early ({scan.stopped_early}); calls after that point "
                                    f"were not judged")
                unjudged.extend(f"{text}{prefix}" for text in scan.unjudged)
            for payload in self._payloads(ctx, model):
                (denied if payload.verdict is Verdict.DENIED else unknown if payload.verdict is Verdict.UNKNOWN
                 else unjudged).append(payload.text)
            reason = NOT_JUDGED.get(model.format.kind)
            if reason is not None:
                unjudged.append(reason)
            yield from self._report(model.path, denied, unknown, unjudged)

    def _report(self, path, denied, unknown, unjudged):
        for text in list(dict.fromkeys(denied))[:MAX_DENIED_PER_FILE]:
            yield self.diagnostic(path, None, f"{path} {text} when loaded: the file runs code its author chose; do not "
                                              f"deploy it unless you trust where it came from")
        unknown = list(dict.fromkeys(unknown))
        if unknown:
            shown = ", ".join(unknown[:MAX_UNKNOWN_SHOWN]) + (f" and {len(unknown) - MAX_UNKNOWN_SHOWN} more"
                                                             if len(unknown) > MAX_UNKNOWN_SHOWN else "")
            yield self.diagnostic(path, None, f"{path} makes its loader import or call {shown}, which is neither a known "
                                              f"framework's nor known to be dangerous: check that you trust its source",
                                  severity=Severity.WARNING)
        for text in list(dict.fromkeys(unjudged))[:2]:
            yield self.diagnostic(path, None, f"{path} could not be fully judged for code it runs when loaded: {text}",
                                  severity=Severity.INFO)

    @staticmethod
    def _payloads(ctx, model) -> list[Payload]:
        kind = model.format.kind
        if kind not in ("keras-v3", "keras-h5"):
            return []
        from artifact_lint.parsers.keras_config import Payload, keras_h5_config, keras_payloads, keras_v3_config

        try:
            with ctx.artifact.open_binary(model.path) as stream:
                config = keras_v3_config(stream) if kind == "keras-v3" else keras_h5_config(stream)
        except (ReadError, *zip_errors(), KeyError, OSError, ValueError, EOFError):
            config = None
        if config is None:
            return [Payload(None, "its Keras model config could not be read, so its layers were not judged")]
        return keras_payloads(config)


def _onnx_model(location: str) -> bytes:
    """A minimal ONNX ModelProto whose one initializer keeps its data in `location` (built by hand for the cases)."""

    def field(number: int, payload: bytes) -> bytes:
        return bytes([number << 3 | 2, len(payload)]) + payload

    entry = field(1, b"location") + field(2, location.encode())
    tensor = field(8, b"w") + field(13, entry) + bytes([14 << 3, 1])
    return b"\x08\x08" + field(7, field(5, tensor))


class ModelReadsOutsideArtifact(Rule):
    """An ONNX model keeps tensor data in a file outside the artifact (an absolute path or one climbing out with ..).

    ## What it does
    Walks the ONNX protobuf (graph initializers, node attributes, subgraphs and functions) without
    loading it, and reads the `location` of every tensor stored as external data.

    ## Why it matters
    onnxruntime opens that path on the deployment: a file outside the artifact is not there (the
    load fails), or it is a file of the server's that the model reads as weights.

    ## Example
    `model.onnx` saved with `location="/home/datascience/weights.bin"`.

    ## Fix
    Save the model with its external data next to it (`onnx.save_model(..., location="model.onnx.data")`)
    and ship that file in the artifact.
    """

    code, name, severity = "SEC004", "model-reads-outside-artifact", Severity.ERROR
    default_path = "model.onnx"
    valid = [Case(artifact({"model.onnx": _onnx_model("model.onnx.data"), "model.onnx.data": b"\0" * 16}))]
    invalid = [Case(artifact({"model.onnx": _onnx_model("../../etc/weights.bin")}), expect=[("model.onnx", None)]),
               Case(artifact({"model.onnx": _onnx_model("/opt/weights.bin")}), expect=[("model.onnx", None)])]

    def check(self, ctx):
        root = ctx.artifact.root
        for model in model_files(ctx):
            if model.format.kind != "onnx":
                continue
            entry = ctx.artifact.entries.get(model.path)
            try:
                with ctx.artifact.open_binary(model.path) as stream:
                    locations = onnx_external_locations(stream, entry.size)
            except (ReadError, ProtobufError, OSError, ValueError):
                continue  # not a readable protobuf: MDL005's business
            relative = model.path[len(root) + 1:] if root and model.path.startswith(root + "/") else model.path
            folder = posixpath.dirname(relative)
            for location in sorted(set(locations)):
                if leaves_folder(location, folder):
                    yield self.diagnostic(model.path, None,
                                          f"{model.path} reads tensor data from {location!r}, outside the artifact: the "
                                          f"deployment lacks it or reads a server file; save the external data next to the "
                                          f"model and ship it")
