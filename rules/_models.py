"""The artifact's model files, identified and (for pickles) scanned once, shared by the MDL rules."""

from __future__ import annotations

import ast
import posixpath
import re
from typing import NamedTuple

from artifact_lint.artifact import ReadError
from artifact_lint.lazy_errors import zip_errors
from artifact_lint.parsers.model_formats import ModelFormat, model_candidates, read_head
from artifact_lint.parsers.pickles import PickleScan
from artifact_lint.parsers.pickles.files import scan_streams
from artifact_lint.rules._files import OPEN, READS, file_argument
from artifact_lint.rules._fold import Folded, fold
from artifact_lint.rules._imports import call_name
from artifact_lint.rules._semantic import CallSite, SemanticModel

SCAN_SECONDS = 5.0
# Formats whose files hold pickle streams (the loader unpickles them).
PICKLED = ("pickle", "joblib-compressed", "pytorch", "pytorch-legacy", "torchscript", "numpy", "numpy-npz")
XGBOOST_VERSION = re.compile(rb'"version"\s*:\s*\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\]')
LIGHTGBM_VERSION = re.compile(rb"(?m)^version=(v\d+)")

# Loader -> the formats it can read.
LOADERS = {
    "joblib.load": {"pickle", "joblib-compressed"},
    "pickle.load": {"pickle"}, "pickle.loads": {"pickle"}, "cloudpickle.load": {"pickle"}, "dill.load": {"pickle"},
    "pandas.read_pickle": {"pickle", "joblib-compressed"},
    "torch.load": {"pytorch", "pytorch-legacy", "pickle"}, "torch.jit.load": {"torchscript"},
    "onnxruntime.InferenceSession": {"onnx"}, "onnx.load": {"onnx"},
    "xgboost.Booster": {"xgboost-json", "xgboost-ubj", "xgboost-binary"}, "lightgbm.Booster": {"lightgbm-text"},
    "tensorflow.keras.models.load_model": {"keras-h5", "keras-v3"}, "keras.models.load_model": {"keras-h5", "keras-v3"},
    "keras.saving.load_model": {"keras-v3", "keras-h5"},
}
ADVICE = {
    "pickle": "joblib.load or pickle.load", "joblib-compressed": "joblib.load", "xgboost-json": "xgboost.Booster().load_model",
    "xgboost-ubj": "xgboost.Booster().load_model", "xgboost-binary": "xgboost.Booster().load_model",
    "lightgbm-text": "lightgbm.Booster(model_file=...)",
    "onnx": "onnxruntime.InferenceSession", "pytorch": "torch.load", "pytorch-legacy": "torch.load",
    "torchscript": "torch.jit.load",
    "keras-h5": "tf.keras.models.load_model", "keras-v3": "keras.models.load_model",
}


class ModelFile(NamedTuple):
    """One model file of the artifact: its format, first and last bytes, and pickle scans."""

    path: str  # container path
    format: ModelFormat
    head: bytes
    tail: bytes  # the last bytes, where XGBoost writes its version
    scans: list[tuple[str, PickleScan]]  # (where: the file, or "file:member" inside a PyTorch zip), scan


def model_files(ctx) -> list[ModelFile]:
    return ctx.cached("models", lambda: _scan_all(ctx))


def _scan_all(ctx) -> list[ModelFile]:
    artifact = ctx.artifact
    found = []
    for relative, kind in model_candidates(artifact).items():
        path = artifact.member(relative) if relative != "." else artifact.root
        entry = artifact.entries.get(path)
        if entry is None or entry.kind == "dir":
            continue
        head = read_head(artifact, path) or b""
        found.append(ModelFile(path, kind, head, _tail(artifact, path, entry.size), _scans(artifact, path, kind)))
    return found


def _tail(artifact, path: str, size: int, count: int = 512) -> bytes:
    try:
        with artifact.open_binary(path) as stream:
            stream.seek(max(size - count, 0))
            return stream.read(count)
    except (ReadError, OSError, ValueError):
        return b""


def _scans(artifact, path: str, kind: ModelFormat) -> list[tuple[str, PickleScan]]:
    if kind.kind not in PICKLED:
        return []
    try:
        with artifact.open_binary(path) as stream:
            return [(f"{path}:{where}" if where else path, scan)
                    for where, scan in scan_streams(stream, kind.kind, SCAN_SECONDS)]
    except (ReadError, *zip_errors(), OSError, ValueError, EOFError, KeyError):
        return []


def ships_module(ctx, module: str) -> bool:
    """Whether the artifact ships `module` (its top-level package or file) next to score.py."""
    folder = posixpath.dirname(ctx.documents.locate("score.py") or ctx.artifact.member("score.py"))
    top = module.split(".")[0]
    base = posixpath.join(folder, top) if folder else top
    return any(candidate in ctx.artifact.entries for candidate in (base + ".py", base + "/__init__.py", base))


def recorded_versions(model: ModelFile) -> dict[str, str]:
    """Library versions a model file records about the code that wrote it."""
    versions: dict[str, str] = {}
    for _, scan in model.scans:
        versions.update(scan.versions)
        if any(module.startswith("numpy._core") for module, _ in scan.globals):
            versions.setdefault("numpy", ">= 2")
    if model.format.kind == "xgboost-json":
        match = XGBOOST_VERSION.search(model.head) or XGBOOST_VERSION.search(model.tail)
        if match:
            versions["xgboost"] = ".".join(part.decode() for part in match.groups())
    if model.format.kind == "lightgbm-text":
        match = LIGHTGBM_VERSION.search(model.head)
        if match:
            versions["lightgbm (format)"] = match.group(1).decode()
    return versions


class LoaderCall(NamedTuple):
    """A call in score.py that loads a model file, and the path it loads."""

    node: ast.AST
    loader: str
    path: Folded


def loader_calls(ctx) -> list[LoaderCall]:
    """Calls in score.py that load a file from the artifact, with the loader that reads it.

    Follows `with open(path, "rb") as handle: joblib.load(handle)` and `pickle.load(open(path, "rb"))`
    as well as loaders given the path directly.
    """
    model = SemanticModel.of(ctx)
    if model is None:
        return []

    def compute():
        calls = []
        for site in model.score.calls():
            loader = call_name(site.module.imports, site.call)
            if loader not in LOADERS and loader.rsplit(".", 1)[-1] != "load_model":
                continue
            position, keyword = READS.get(loader) or READS.get("." + loader.rsplit(".", 1)[-1]) or (0, None)
            path = _opened_path(site, file_argument(site.call, position, keyword))
            if path is not None and path.base == "artifact":
                calls.append(LoaderCall(site.call, loader, path))
        return calls

    return ctx.cached("models.loaders", compute)


def _opened_path(site: CallSite, argument) -> Folded | None:
    if argument is None:
        return None
    if isinstance(argument, ast.Call) and call_name(site.module.imports, argument) in OPEN:
        argument = argument.args[0] if argument.args else None
    elif isinstance(argument, ast.Name):
        opened = _with_handles(site).get(argument.id)
        if opened is not None:
            argument = opened
    folded = fold(argument, site.env) if argument is not None else None
    return folded.as_path() if folded is not None else None


def _with_handles(site: CallSite) -> dict[str, ast.expr]:
    """`with open(path) as handle` in the call's function (or module level): handle name -> the path expression."""
    handles = {}
    for node in site.module.own(site.function):
        kind = node.__class__  # parsed trees hold no subclasses of ast's node types
        if kind is ast.With or kind is ast.AsyncWith:
            for item in node.items:
                call = item.context_expr
                if (isinstance(call, ast.Call) and call_name(site.module.imports, call) in OPEN and call.args
                        and isinstance(item.optional_vars, ast.Name)):
                    handles[item.optional_vars.id] = call.args[0]
    return handles
