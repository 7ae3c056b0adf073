"""Calls in score.py that read or write files, and the path argument of each."""

from __future__ import annotations

import ast
from typing import NamedTuple

from artifact_lint.rules._fold import Folded, fold
from artifact_lint.rules._imports import ALIASES, call_name
from artifact_lint.rules._semantic import CallSite

# qualified call name (".name" = a method on any object) -> the path argument: position, keyword, or "self"
READS = {
    "open": (0, "file"), "io.open": (0, "file"), "builtins.open": (0, "file"), "joblib.load": (0, "filename"),
    "torch.load": (0, "f"), "torch.jit.load": (0, "f"), "numpy.load": (0, "file"), "pandas.read_csv": (0, None),
    "pandas.read_parquet": (0, "path"), "pandas.read_pickle": (0, None), "pandas.read_excel": (0, None),
    "pandas.read_feather": (0, "path"), "onnxruntime.InferenceSession": (0, "path_or_bytes"),
    "tensorflow.keras.models.load_model": (0, "filepath"), "keras.models.load_model": (0, "filepath"),
    "keras.saving.load_model": (0, "filepath"), "tensorflow.saved_model.load": (0, "export_dir"),
    "lightgbm.Booster": (None, "model_file"), "xgboost.Booster": (None, "model_file"), "os.listdir": (0, "path"),
    "pyspark.ml.PipelineModel.load": (0, None), "catboost.CatBoost.load_model": (0, "fname"),
    ".load_model": (0, "fname"), ".read_text": ("self", None), ".read_bytes": ("self", None),
}
WRITES = {
    "joblib.dump": (1, "filename"), "torch.save": (1, "f"), "numpy.save": (0, "file"), "numpy.savez": (0, "file"),
    "os.makedirs": (0, "name"), "os.mkdir": (0, "path"), "shutil.copy": (1, "dst"), "shutil.copyfile": (1, "dst"),
    "shutil.copytree": (1, "dst"), "shutil.move": (1, "dst"), "logging.FileHandler": (0, "filename"),
    ".to_csv": (0, "path_or_buf"), ".to_parquet": (0, "path"), ".to_pickle": (0, "path"),
    ".write_text": ("self", None), ".write_bytes": ("self", None), ".save_model": (0, "fname"),
}
OPEN = {"open", "io.open", "builtins.open"}
WRITE_MODES = set("wax+")


class FileAccess(NamedTuple):
    """A call in score.py that opens or reads a file, with the path it was folded to."""

    site: CallSite
    argument: ast.expr
    path: Folded
    writes: bool
    operation: str


def file_argument(call: ast.Call, position, keyword) -> ast.expr | None:
    """The argument at `position` (\"self\": the object the method is called on) or passed as `keyword`."""
    if position == "self":
        return call.func.value if isinstance(call.func, ast.Attribute) else None
    if isinstance(position, int) and len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return next((k.value for k in call.keywords if keyword and k.arg == keyword), None)


def _opens_for_writing(call: ast.Call, site: CallSite) -> bool:
    mode = file_argument(call, 1, "mode")
    folded = fold(mode, site.env) if mode is not None else None
    return folded is not None and bool(WRITE_MODES & set(folded.text))


# name -> (position, keyword, writes); writes None: open's mode decides. READS' argument wins over WRITES'.
_ACCESS = {**{name: (*spec, True) for name, spec in WRITES.items()},
           **{name: (*spec, True if name in WRITES else None if name in OPEN else False) for name, spec in READS.items()}}
# The last part of every name above: a method call named otherwise is neither, whatever it is called on.
_LAST_PARTS = frozenset(name.rsplit(".", 1)[-1] for name in _ACCESS)


def file_access(site: CallSite) -> FileAccess | None:
    """The file this call reads or writes, when its path folds to something certain."""
    call = site.call
    func = call.func
    # Most calls are neither: tell without qualifying the name. `x.attr(...)` is named `....attr` or `.attr`;
    # a bare name that no import or alias renames is called as written.
    if func.__class__ is ast.Attribute:
        if func.attr not in _LAST_PARTS:
            return None
    elif func.__class__ is ast.Name and func.id not in _ACCESS and func.id not in ALIASES \
            and func.id not in site.env.imports.names:
        return None
    name = call_name(site.env.imports, call)
    spec = _ACCESS.get(name)
    if spec is None and "." in name:
        spec = _ACCESS.get("." + name.rsplit(".", 1)[-1])
    if spec is None:
        return None
    position, keyword, writes = spec
    if writes is None:
        writes = _opens_for_writing(call, site)
    argument = file_argument(call, position, keyword)
    folded = fold(argument, site.env) if argument is not None else None
    if folded is None:
        return None
    return FileAccess(site, argument, folded.as_path(), writes, name)


def file_accesses(ctx) -> list[FileAccess]:
    """File reads and writes in score.py and its helper modules that can run (statically dead code cannot)."""
    from artifact_lint.rules._semantic import SemanticModel

    def compute():
        model = SemanticModel.of(ctx)
        # the cheap test first: few calls touch files, and those few are then asked whether they can run
        return [access for site in model.all_calls() if (access := file_access(site)) is not None and not site.dead]
    return ctx.cached("score.file_access", compute)
