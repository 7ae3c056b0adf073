"""Plan and write a complete artifact from a model file: score.py, runtime.yaml, schemas, .model-ignore.

Everything is computed and checked before the first byte is written; then each file is written
atomically, and if any write fails the files this run created are removed again, so a failed
`init` leaves no partial artifact behind.
"""

from __future__ import annotations

import ast
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

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
                  sample: Path | None = None, target_sample: Path | None = None, model_class: str | None = None) -> Plan:
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
    one_output = False
    if target_sample is not None:
        outputs = _sample(target_sample)
        one_output = len(outputs.columns) == 1
        plan.files["output_schema.json"] = render_schema(outputs).encode()
    label = LABELS[chosen] + (f" ({detected.label})" if detected is not None else "")
    constructor, modules = _local_code(plan, variant, model_class)
    plan.files["score.py"] = render_score_py(chosen, variant, model.name, label, sample is not None,
                                             one_output=one_output, model_class=constructor,
                                             local_modules=modules).encode()
    return plan


def _local_code(plan: Plan, variant: str, model_class: str | None) -> tuple[tuple[str, str] | None, tuple[str, ...]]:
    """The class a state_dict is loaded into, and the modules a pickled torch module needs, each shipped
    in the artifact; or InitError saying what to give."""
    detected = plan.detected
    if model_class is not None and variant != "state_dict":
        what = detected.label if detected is not None else f"a {variant} model"
        raise InitError(f"--model-class is for PyTorch state_dicts, and {plan.model_name} is {what}")
    if variant == "state_dict":
        if model_class is None:
            raise InitError(f"{plan.model_name} is a PyTorch state_dict: weights without the network that uses "
                            f"them, so score.py must build that torch.nn.Module first. Pass --model-class "
                            f"module:Class (e.g. network:Net, with network.py in {plan.target} or beside the "
                            f"model), or save the model with torch.jit.script(model).save(...) instead")
        module, _, name = model_class.partition(":")
        if not module or not name.isidentifier() or not all(part.isidentifier() for part in module.split(".")):
            raise InitError(f"--model-class {model_class!r} must look like module:Class, e.g. network:Net")
        source = _ship_module(plan, module)
        if source is None:
            raise InitError(f"--model-class {model_class}: {module.replace('.', '/')}.py is neither in {plan.target} nor "
                            f"beside {plan.model_source}; the server imports it from the artifact, so put it there")
        _check_constructor(source, module, name)
        return (module, name), ()
    if detected is None or not detected.classes:
        return None, ()
    if any(module == "__main__" for module, _ in detected.classes):
        names = ", ".join(sorted({name for module, name in detected.classes if module == "__main__"}))
        raise InitError(f"{plan.model_name} was pickled with classes from __main__ ({names}), the notebook or script "
                        f"that saved it, which the server cannot import: move them into a module, import them from "
                        f"there and save the model again")
    # the model's own modules found beside it ship in the artifact; installed libraries come with the conda pack
    shipped = [module for module in sorted({module for module, _ in detected.classes})
               if not _installed(module) and _ship_module(plan, module) is not None]
    return None, tuple(shipped)


def _installed(module: str) -> bool:
    """Whether the top-level package is installed here (found, not imported)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module.split(".")[0]) is not None
    except (ImportError, ValueError):
        return False


def _ship_module(plan: Plan, module: str) -> str | None:
    """The source of `module`, from DIRECTORY or from beside the model (then copied into the artifact)."""
    relative = PurePosixPath(*module.split("."))
    for base in dict.fromkeys((plan.target, plan.model_source.parent)):
        for candidate in (relative.with_suffix(".py"), relative / "__init__.py"):
            source = base.joinpath(*candidate.parts)
            if source.is_file():
                data = source.read_bytes()
                if base != plan.target:
                    plan.files[candidate.as_posix()] = data
                return data.decode("utf-8", "replace")
    return None


def _check_constructor(source: str, module: str, name: str) -> None:
    """The class exists at the module's top level and can be built without arguments (read, never run)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise InitError(f"{module} does not parse: {error.msg} (line {error.lineno})") from None
    found = next((node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == name), None)
    if found is None:
        raise InitError(f"{module} defines no top-level class {name}")
    init = next((node for node in found.body if isinstance(node, ast.FunctionDef) and node.name == "__init__"), None)
    if init is None:
        return
    positional = init.args.posonlyargs + init.args.args
    required = [arg.arg for arg in positional[1:len(positional) - len(init.args.defaults)]]
    required += [arg.arg for arg, default in zip(init.args.kwonlyargs, init.args.kw_defaults, strict=True) if default is None]
    if required:
        raise InitError(f"{name}() needs arguments ({', '.join(required)}) and score.py builds it with none: give them "
                        f"defaults (the values the model was trained with) in {module}")


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
