"""MDL: serialized model files, read by content and never loaded."""

from __future__ import annotations

import pickle
import posixpath

from artifact_lint.diagnostics import Severity
from artifact_lint.registry import Case, Rule
from artifact_lint.rules._models import ADVICE, LOADERS, loader_calls, model_files, recorded_versions, ships_module
from artifact_lint.rules._python_facts import DISTRIBUTIONS, PROVIDED_BY_SERVICE_PACKS, is_stdlib
from artifact_lint.rules._runtime import declared_python_minor
from artifact_lint.rules._samples import artifact, runtime_yaml

# The oldest Python 3 that reads each pickle protocol.
PROTOCOL_NEEDS = {5: 8, 4: 4}
# Modules pickles name that are not importable packages of their own (TorchScript's __torch__ lives in the file).
INTERNAL_MODULES = {"__builtin__", "copy_reg", "_codecs", "__torch__"}


def _pickle_of(module: str, name: str, protocol: int = 4) -> bytes:
    """A pickle that references `module.name` (built by hand: the class need not exist here)."""
    if protocol >= 4:
        body = (b"\x8c" + bytes([len(module)]) + module.encode() + b"\x94\x8c" + bytes([len(name)]) + name.encode()
                + b"\x94\x93\x94)\x81\x94.")
        return b"\x80" + bytes([protocol]) + body
    return b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n)\x81."


def _declaring(minor: int) -> dict:
    return {"runtime.yaml": runtime_yaml(python=f"'3.{minor}'", slug="''", env_type="published",
                                         path=f"oci://bucket@ns/packs/py3{minor}")}


class PickleProtocolTooNew(Rule):
    """A pickle was written with a protocol the declared Python cannot read.

    ## What it does
    Reads the protocol byte of every pickle and joblib file: protocol 5 needs Python 3.8,
    protocol 4 needs 3.4.

    ## Why it matters
    The deployment unpickles with the conda pack's Python; an older one fails with
    `ValueError: unsupported pickle protocol: 5`.

    ## Example
    A model dumped on Python 3.11 (protocol 5 by default for joblib) deployed with a 3.7 pack.

    ## Fix
    Dump with `protocol=4`, or deploy with a conda pack of the Python you trained with.
    """

    code, name, severity = "MDL001", "pickle-protocol-too-new", Severity.ERROR
    default_path = "model.joblib"
    valid = [Case(artifact({"model.joblib": pickle.dumps({"a": 1}, protocol=5)}))]
    invalid = [Case(artifact({"model.joblib": pickle.dumps({"a": 1}, protocol=5), **_declaring(7)}),
                    expect=[("model.joblib", None)])]

    def check(self, ctx):
        minor = declared_python_minor(ctx)
        if minor is None:
            return
        for model in model_files(ctx):
            for _, scan in model.scans:
                needs = PROTOCOL_NEEDS.get(scan.protocol or 0)
                if needs is not None and minor < needs:
                    yield self.diagnostic(model.path, None,
                                          f"{model.path} is pickle protocol {scan.protocol}, which Python 3.{needs} and newer "
                                          f"read; runtime.yaml declares Python 3.{minor}")
                    break


class MainModuleReference(Rule):
    """A pickle references classes or functions defined in `__main__` (a notebook or script).

    ## What it does
    Lists the globals a pickle would import and reports those from `__main__`: classes and
    functions defined in the notebook or script that trained the model.

    ## Why it matters
    The server's `__main__` is its own entry point, not your notebook, so unpickling fails with
    `AttributeError: Can't get attribute 'MyTransformer' on <module '__main__'>`.

    ## Example
    A scikit-learn Pipeline holding a custom transformer class written in a notebook cell.

    ## Fix
    Move the class into a module (e.g. `transformers.py`), ship it in the artifact, import it
    in score.py and in training, and dump the model again.
    """

    code, name, severity = "MDL002", "main-module-reference", Severity.ERROR
    default_path = "model.pkl"
    valid = [Case(artifact())]
    invalid = [Case(artifact({"model.pkl": _pickle_of("__main__", "MyTransformer")}), expect=[("model.pkl", None)])]

    def check(self, ctx):
        for model in model_files(ctx):
            names = sorted({name for _, scan in model.scans for module, name in scan.globals
                            if module in ("__main__", "__mp_main__")})
            if names:
                yield self.diagnostic(model.path, None,
                                      f"{model.path} references {', '.join(names[:5])} from __main__ (the notebook or script "
                                      f"that saved it); the server cannot unpickle it: move them into a module shipped in "
                                      f"the artifact and save the model again")


class UnknownPickleModule(Rule):
    """A pickle references a module that is neither a known package nor shipped in the artifact.

    ## What it does
    Checks every module a pickle would import against the standard library, the packages Oracle's
    general ML conda packs provide, well-known distributions, and the modules in the artifact.

    ## Why it matters
    Unpickling imports these modules; one the conda pack lacks fails load_model with
    ModuleNotFoundError. Usually it is your own training code, which must ship with the model.

    ## Example
    A model referencing `features.encoders.TargetEncoder` with no `features/` in the artifact.

    ## Fix
    Ship the module in the artifact next to score.py, or install the package in the conda pack.
    """

    code, name, severity = "MDL003", "unknown-pickle-module", Severity.WARNING
    default_path = "model.pkl"
    valid = [Case(artifact({"model.pkl": _pickle_of("features.encoders", "TargetEncoder"),
                            "features/__init__.py": "", "features/encoders.py": "class TargetEncoder: pass\n"}))]
    invalid = [Case(artifact({"model.pkl": _pickle_of("features.encoders", "TargetEncoder")}), expect=[("model.pkl", None)])]

    def check(self, ctx):
        minor = declared_python_minor(ctx)
        for model in model_files(ctx):
            unknown = sorted({module for _, scan in model.scans for module, _ in scan.globals
                              if not self._known(ctx, module, minor)})
            if unknown:
                yield self.diagnostic(model.path, None,
                                      f"{model.path} needs module(s) {', '.join(unknown[:5])}, which are not in the artifact "
                                      f"and not a known package; unpickling will fail unless the conda pack has them")

    @staticmethod
    def _known(ctx, module: str, minor: int | None) -> bool:
        top = module.split(".")[0]
        if module in ("__main__", "__mp_main__") or top in INTERNAL_MODULES:
            return True  # MDL002 reports __main__
        if is_stdlib(top, minor) or top in DISTRIBUTIONS or top in PROVIDED_BY_SERVICE_PACKS:
            return True
        return ships_module(ctx, module)


class LoaderMismatch(Rule):
    """score.py loads a model file with a loader that cannot read its format.

    ## What it does
    Matches each loader call in score.py (`joblib.load`, `pickle.load`, `torch.load`,
    `torch.jit.load`, `onnxruntime.InferenceSession`, `xgboost.Booster`, `lightgbm.Booster`,
    Keras `load_model`, through `with open(...) as f` too) with the format of the file it reads,
    identified by content.

    ## Why it matters
    An XGBoost model saved with `save_model("model.json")` and loaded with `joblib.load`, or a
    TorchScript file read with `torch.load`, fails at start-up.

    ## Example
    `joblib.load(os.path.join(model_dir, "model.json"))` on an XGBoost JSON model.

    ## Fix
    Use the loader the message names, or save the model in the format the loader reads.
    """

    code, name, severity = "MDL004", "loader-mismatch", Severity.WARNING
    default_path = "score.py"
    valid = [Case(artifact())]
    invalid = [Case(artifact({"model.joblib": b'{"learner": {"attributes": {}}, "version": [2, 0, 3]}'}), expect=[(13, 16)])]

    def check(self, ctx):
        formats = {model.path: model.format for model in model_files(ctx)}
        document = ctx.documents.score
        for call in loader_calls(ctx):
            path = ctx.artifact.member(posixpath.normpath(call.path.text))
            kind = formats.get(path)
            expected = LOADERS.get(call.loader) or (
                {"xgboost-json", "xgboost-ubj", "xgboost-binary", "keras-h5", "keras-v3"}
                if call.loader.endswith("load_model") else set())
            if kind is None or kind.kind == "unknown" or not expected or kind.kind in expected:
                continue
            yield self.diagnostic(document.path, document.span(call.node),
                                  f"{call.loader}() reads {path}, which is {kind.label}; load it with "
                                  f"{ADVICE.get(kind.kind, 'its own loader')}")


class DamagedModel(Rule):
    """A model file is truncated or corrupt.

    ## What it does
    Walks pickles and joblib files to their STOP opcode (through compression), opens PyTorch and
    Keras zips, and checks the signature of HDF5 and ONNX files, all without loading anything.

    ## Why it matters
    An interrupted copy or upload, a Git LFS pointer committed instead of the file, or a text
    file saved under a model's name fails load_model() in the deployment.

    ## Example
    `model.joblib` of 4 KB where the real one is 40 MB: the copy stopped early.

    ## Fix
    Save or copy the model again, and check its size.
    """

    code, name, severity = "MDL005", "damaged-model", Severity.ERROR
    default_path = "model.joblib"
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"model.joblib": pickle.dumps(list(range(50)), protocol=4)[:-20]}), expect=[("model.joblib", None)]),
        Case(artifact({"model.onnx": b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\n"}),
             expect=[("model.onnx", None)]),
    ]

    def check(self, ctx):
        for model in model_files(ctx):
            problems = [f"{where.split(':', 1)[-1] if ':' in where else ''} {scan.error}".strip()
                        for where, scan in model.scans if scan.error]
            if model.format.kind == "unknown" and model.format.detail in ("broken zip", "not an ONNX protobuf"):
                problems.append(f"it is not a valid {'zip' if 'zip' in model.format.detail else 'ONNX file'}")
            if model.head.startswith(b"version https://git-lfs"):
                problems = ["it is a Git LFS pointer, not the model (run git lfs pull)"]
            if model.path.lower().endswith((".h5", ".hdf5")) and not model.head.startswith(b"\x89HDF\r\n\x1a\n"):
                problems.append("it lacks the HDF5 signature")
            if problems:
                yield self.diagnostic(model.path, None, f"{model.path} is damaged: {problems[0]}")


class RecordedVersions(Rule):
    """A model records the library version that wrote it (compared with pins when configured).

    ## What it does
    Reads versions recorded inside model files: scikit-learn's `_sklearn_version`, XGBoost's
    JSON `version`, the LightGBM text format version, numpy 2's `numpy._core` module. With
    `library-versions = {scikit-learn = "1.3.2"}` in the config (the conda pack's versions),
    a difference is a warning; otherwise an info.

    ## Why it matters
    Unpickling with another version of the library may fail or silently change predictions; a
    numpy 2 pickle cannot be read by numpy 1.x.

    ## Example
    A model saved with scikit-learn 1.5 served by a pack with scikit-learn 1.3.

    ## Fix
    Train with the conda pack's versions, or publish a conda pack with yours.
    """

    code, name, severity = "MDL006", "recorded-versions", Severity.INFO
    default_path = "model.json"
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"model.json": b'{"learner": {}, "version": [2, 0, 3]}'}), expect=[("model.json", None)]),
        Case(artifact({"model.json": b'{"learner": {}, "version": [2, 0, 3]}'}),
             config={"library-versions": {"xgboost": "1.7.6"}}, expect=[("model.json", None)]),
    ]

    def check(self, ctx):
        pins = ctx.config.library_versions
        for model in model_files(ctx):
            for library, version in sorted(recorded_versions(model).items()):
                pinned = pins.get(library)
                if pinned is not None and pinned != version:
                    yield self.diagnostic(model.path, None,
                                          f"{model.path} was written with {library} {version}; the configured version is "
                                          f"{pinned}: loading across versions may fail or change predictions",
                                          severity=Severity.WARNING)
                elif pinned is None:
                    yield self.diagnostic(model.path, None, f"{model.path} was written with {library} {version}; the "
                                                            f"conda pack must load it (pin it with library-versions)")

