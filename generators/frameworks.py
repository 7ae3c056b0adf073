"""Which framework a model file belongs to, read from its content (never loaded), and what it expects."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from artifact_lint.parsers.model_formats import ModelFormat, identify_bytes, zip_model_kind
from artifact_lint.parsers.pickles import scan_pickle

FRAMEWORKS = ("sklearn", "xgboost", "lightgbm", "pytorch", "tensorflow", "onnx", "spark", "generic")
ML_PICKLE_MODULES = ("sklearn", "xgboost", "lightgbm", "catboost", "imblearn")
COMPOSITE = ("sklearn.pipeline", "sklearn.compose")  # their n_features_in_ is not the input width
LIGHTGBM_FEATURES = re.compile(rb"(?m)^max_feature_idx=(\d+)")


class ModelFileError(ValueError):
    """The model file cannot be used to build an artifact; the message says why."""


@dataclass(frozen=True)
class DetectedModel:
    framework: str
    variant: str  # "pickle", "booster", "torchscript", "state_dict", "keras", "onnx", "spark"
    label: str  # how the model was recognised, for messages
    n_features: int | None = None  # columns the model takes, when the file says
    classes: tuple[tuple[str, str], ...] = ()  # (module, name) of the classes a pickle refers to


def _from_pickle(path: Path, label: str) -> DetectedModel:
    with open(path, "rb") as handle:
        scan = scan_pickle(handle)
    if scan.error:
        raise ModelFileError(f"{path} is damaged: {scan.error}")
    modules = {module for module, _ in scan.globals}
    known = any(module.split(".")[0] in ML_PICKLE_MODULES for module in modules)
    composite = any(module.startswith(COMPOSITE) for module in modules)
    return DetectedModel("sklearn" if known else "generic", "pickle", label, None if composite else scan.n_features,
                         classes=tuple(sorted(set(scan.globals))))


def _xgboost_features(path: Path) -> int | None:
    if path.stat().st_size > 64 * 1024 * 1024:
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return int(document["learner"]["learner_model_param"]["num_feature"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _lightgbm_features(path: Path) -> int | None:
    with open(path, "rb") as handle:
        match = LIGHTGBM_FEATURES.search(handle.read(64 * 1024))
    return int(match.group(1)) + 1 if match else None


def _is_spark_folder(path: Path) -> bool:
    return (path / "metadata").is_dir() and ((path / "stages").is_dir() or (path / "data").is_dir())


def detect(path: Path) -> DetectedModel:
    """The framework of a model file or folder, from its content."""
    if path.is_dir():
        if _is_spark_folder(path):
            return DetectedModel("spark", "spark", "a Spark ML PipelineModel folder")
        raise ModelFileError(f"{path} is a folder but not a Spark ML model (metadata/ and stages/)")
    if not path.is_file():
        raise ModelFileError(f"{path} does not exist")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    kind = identify_bytes(path.name, head)
    if kind.kind == "unknown" and head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(path)
    label = kind.label
    if kind.kind in ("pickle", "joblib-compressed"):
        return _from_pickle(path, label)
    if kind.kind in ("xgboost-json", "xgboost-ubj", "xgboost-binary"):
        return DetectedModel("xgboost", "booster", label, _xgboost_features(path) if kind.kind == "xgboost-json" else None)
    if kind.kind == "lightgbm-text":
        return DetectedModel("lightgbm", "booster", label, _lightgbm_features(path))
    if kind.kind == "onnx":
        return DetectedModel("onnx", "onnx", label)
    if kind.kind == "torchscript":
        return DetectedModel("pytorch", "torchscript", label)
    if kind.kind == "pytorch":
        return _torch_checkpoint(path, label)
    if kind.kind in ("keras-h5", "keras-v3"):
        return DetectedModel("tensorflow", "keras", label)
    raise ModelFileError(f"{path} is not a model format artifact-lint recognises (pickle/joblib, XGBoost JSON/UBJ, "
                         f"LightGBM text, ONNX, PyTorch, Keras, Spark); pass --framework to choose the template")


TORCH_CHECKPOINT_MODULES = ("collections", "torch", "torch._utils", "builtins", "numpy", "numpy.core.multiarray",
                            "numpy._core.multiarray")


def _torch_checkpoint(path: Path, label: str) -> DetectedModel:
    """A torch.save zip: a state_dict (tensors only) or a whole pickled nn.Module (which names its classes)."""
    try:
        with zipfile.ZipFile(path) as archive:
            name = next((n for n in archive.namelist() if n.endswith("data.pkl")), None)
            if name is None:
                return DetectedModel("pytorch", "state_dict", label)
            with archive.open(name) as handle:
                scan = scan_pickle(handle)
    except (zipfile.BadZipFile, OSError) as error:
        raise ModelFileError(f"{path} is damaged: {error}") from None
    if scan.error:
        raise ModelFileError(f"{path} is damaged: {scan.error}")
    modules = {module for module, _ in scan.globals}
    if not any(module.startswith("torch.nn") for module in modules) and modules <= set(TORCH_CHECKPOINT_MODULES):
        return DetectedModel("pytorch", "state_dict", "a PyTorch state_dict")
    own = tuple(sorted((module, name) for module, name in scan.globals
                       if module not in TORCH_CHECKPOINT_MODULES and not module.startswith("torch")))
    return DetectedModel("pytorch", "module", "a pickled PyTorch module", classes=own)


def _zip_kind(path: Path) -> ModelFormat:
    try:
        with zipfile.ZipFile(path) as archive:
            return zip_model_kind(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return ModelFormat("unknown", "broken zip")


def variant_for(framework: str, detected: DetectedModel | None) -> str:
    """The loading variant when --framework overrides detection."""
    if detected is not None and detected.framework == framework:
        return detected.variant
    defaults = {"sklearn": "pickle", "generic": "pickle", "xgboost": "booster", "lightgbm": "booster",
                "pytorch": "torchscript", "tensorflow": "keras", "onnx": "onnx", "spark": "spark"}
    return defaults[framework]
