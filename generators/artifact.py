"""Plan and write a complete artifact from a model file: score.py, runtime.yaml, schemas, .model-ignore.

Everything is computed and checked before the first byte is written; then each file is written
atomically, and if any write fails the files this run created are removed again, so a failed
`init` leaves no partial artifact behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from artifact_lint.transaction import write_atomically
from artifact_lint.generators.frameworks import FRAMEWORKS, DetectedModel, ModelFileError, detect, variant_for
from artifact_lint.generators.runtime_yaml import CondaEnvError, render_runtime_yaml, resolve_conda_env
from artifact_lint.generators.schema import SampleError, read_sample, render_schema
from artifact_lint.generators.score_py import render_score_py

MODEL_IGNORE = """\
# Left out when ADS zips this artifact. ADS matches each line against absolute paths and turns
# a trailing / into *, so keep patterns specific (run `artifact-lint rule PKG002`).
__pycache__/
*.pyc
.ipynb_checkpoints/
.DS_Store
test_json_output.json
*.log
*.artifact-lint
"""
LABELS = {
    "sklearn": "a scikit-learn model", "generic": "a pickled Python model", "xgboost": "an XGBoost model",
    "lightgbm": "a LightGBM model", "onnx": "an ONNX model", "pytorch": "a PyTorch model",
    "tensorflow": "a TensorFlow/Keras model", "spark": "a Spark ML pipeline",
}


class InitError(Exception):
    """init cannot build the artifact; nothing was written. The message says why and what to do."""


@dataclass
class Plan:
    target: Path
    files: dict[str, bytes] = field(default_factory=dict)  # relative path -> content
    model_source: Path | None = None
    model_name: str = ""
    detected: DetectedModel | None = None


def plan_artifact(target: Path, model: Path, *, framework: str, conda_env: str, python: str,
                  sample: Path | None = None, target_sample: Path | None = None) -> Plan:
    """Every file the artifact needs, in memory, or InitError."""
    try:
        detected = detect(model)
    except ModelFileError as error:
        if framework == "auto":
            raise InitError(str(error)) from None
        detected = None
    chosen = detected.framework if framework == "auto" else framework
    if chosen not in FRAMEWORKS:
        raise InitError(f"unknown framework {framework!r}; choose one of auto, {', '.join(FRAMEWORKS)}")
    variant = variant_for(chosen, detected)
    try:
        path, slug, env_type = resolve_conda_env(conda_env)
        runtime = render_runtime_yaml(path, slug, env_type, python, str(target.resolve()))
    except CondaEnvError as error:
        raise InitError(str(error)) from None
    plan = Plan(target, model_source=model, model_name=model.name, detected=detected)
    plan.files["runtime.yaml"] = runtime.encode()
    plan.files[".model-ignore"] = MODEL_IGNORE.encode()
    if sample is not None:
        frame = _sample(sample)
        expected = detected.n_features if detected is not None else None
        if expected is not None and len(frame.columns) != expected:
            raise InitError(f"the sample {sample} has {len(frame.columns)} columns but the model takes {expected}: "
                            f"give a sample of the model's input columns")
        plan.files["input_schema.json"] = render_schema(frame).encode()
    if target_sample is not None:
        plan.files["output_schema.json"] = render_schema(_sample(target_sample)).encode()
    label = LABELS[chosen] + (f" ({detected.label})" if detected is not None else "")
    plan.files["score.py"] = render_score_py(chosen, variant, model.name, label, sample is not None).encode()
    return plan


def _sample(path: Path):
    try:
        return read_sample(path)
    except SampleError as error:
        raise InitError(str(error)) from None


def conflicts(plan: Plan) -> list[str]:
    """Files init would overwrite (it refuses without --force)."""
    names = list(plan.files) + ([plan.model_name] if not _model_inside(plan) else [])
    return [name for name in names if (plan.target / name).exists()]


def _model_inside(plan: Plan) -> bool:
    source = plan.model_source.resolve()
    return source.parent == plan.target.resolve()


def write_plan(plan: Plan) -> list[str]:
    """Write the artifact; on any failure remove what this run created and raise InitError."""
    created: list[Path] = []
    made_target = not plan.target.exists()
    try:
        plan.target.mkdir(parents=True, exist_ok=True)
        if not _model_inside(plan):
            destination = plan.target / plan.model_name
            existed = destination.exists()
            _copy_model(plan.model_source, destination)
            if not existed:
                created.append(destination)
        for name, data in sorted(plan.files.items()):
            destination = plan.target / name
            existed = destination.exists()
            write_atomically(destination, data)
            if not existed:
                created.append(destination)
    except OSError as error:
        for path in reversed(created):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        if made_target and plan.target.exists() and not any(plan.target.iterdir()):
            plan.target.rmdir()
        raise InitError(f"cannot write the artifact to {plan.target}: {error.strerror or error}; nothing was left "
                        f"behind") from None
    return sorted(([plan.model_name] if not _model_inside(plan) else []) + list(plan.files))


def _copy_model(source: Path, destination: Path) -> None:
    """Copy through a temporary name so an interrupted copy never looks like the model."""
    temporary = Path(tempfile.mkdtemp(dir=destination.parent, prefix=".artifact-lint-")) / destination.name
    try:
        if source.is_dir():
            shutil.copytree(source, temporary)
        else:
            shutil.copy2(source, temporary)
        if destination.is_dir():
            shutil.rmtree(destination)
        os.replace(temporary, destination)
    finally:
        shutil.rmtree(temporary.parent, ignore_errors=True)
