"""SCR301-SCR304: files score.py reads and writes, found by folding its path expressions."""

from __future__ import annotations

import ast
import posixpath

from artifact_lint.diagnostics import Applicability, Edit, Fix, Position, Severity, Span
from artifact_lint.registry import Case
from artifact_lint.rules._files import file_accesses
from artifact_lint.rules._fold import Folded, fold
from artifact_lint.rules._kind import GROUP, MODEL_LESS, TEMPLATE, artifact_kind, is_group
from artifact_lint.rules._samples import SCORE_PY, artifact, with_helper
from artifact_lint.rules._score import ScoreRule
from artifact_lint.rules._semantic import ModuleModel, SemanticModel

MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle", ".pt", ".pth", ".h5", ".hdf5", ".keras", ".onnx", ".ubj", ".cbm",
                  ".sav", ".safetensors", ".model", ".mojo", ".pmml")
WRITABLE = "/home/datascience"
ARTIFACT_DIR = "os.path.dirname(os.path.realpath(__file__))"

CWD_SCORE = SCORE_PY.replace(
    '    model_dir = os.path.dirname(os.path.realpath(__file__))\n'
    '    with open(os.path.join(model_dir, model_file_name), "rb") as handle:',
    '    with open(model_file_name, "rb") as handle:')


CALIBRATED_SCORE = SCORE_PY.replace("import joblib\n", "import joblib\nimport helpers\n").replace(
    "        return joblib.load(handle)", "        model = joblib.load(handle)\n    helpers.calibrate(model)\n    return model")
CALIBRATION_HELPER = """\
import os

HERE = os.path.dirname(os.path.realpath(__file__))


def calibrate(model):
    with open(os.path.join(HERE, "calibration.json")) as handle:
        return handle.read()
"""
GUARDED_READ = SCORE_PY.replace("        return joblib.load(handle)", """\
        model = joblib.load(handle)
    calibration = os.path.join(model_dir, "calibration.pkl")
    if os.path.exists(calibration):
        model.calibrator = joblib.load(calibration)
    return model""")
DEAD_READ = SCORE_PY.replace("import joblib\n", "import joblib\n\nDEBUG = False\n").replace(
    "        return joblib.load(handle)", """\
        model = joblib.load(handle)
    if DEBUG:
        model = joblib.load(os.path.join(model_dir, "debug_model.joblib"))
    return model""")


def _model_like(path: str) -> bool:
    return path.lower().endswith(MODEL_SUFFIXES)




class ModelFileMissing(ScoreRule):
    """A model file that score.py names is not in the artifact.

    ## What it does
    Folds the constants and path expressions score.py uses (`model_name = "model.joblib"`,
    load_model's defaults, `os.path.join(os.path.dirname(os.path.realpath(__file__)), name)`,
    f-strings, `Path(__file__).parent / name`) and checks that the model files it names, and
    the files it reads from the artifact folder at start-up, exist in the artifact.

    ## Why it matters
    A model file renamed or re-exported under another name (model.pkl vs model.joblib) passes
    every other check and fails the deployment when load_model() runs.

    ## Example
    `model_name = "model.pkl"` in an artifact that holds `model.joblib`.

    ## Fix
    Point score.py at the file the artifact holds, or add the file.
    """

    code, name, severity = "SCR301", "model-file-missing", Severity.ERROR
    valid = [Case(artifact()), Case(artifact({"score.py": DEAD_READ}), note="a read in a branch that cannot run")]
    invalid = [
        Case(artifact({"model.joblib": None, "model.pkl": b"\x80\x04K\x01."}), expect=[(6, 14)]),
        Case(artifact({"score.py": SCORE_PY.replace("os.path.join(model_dir, model_file_name)",
                                                    "f'{model_dir}/weights/{model_file_name}'")}), expect=[(12, 15)]),
        Case(with_helper(CALIBRATION_HELPER, CALIBRATED_SCORE), expect=[("helpers.py", 7, 15)],
             note="a start-up read in a helper module, at the helper's line"),
        Case(artifact({"score.py": GUARDED_READ}), expect=[(16, 40)],
             note="a guarded read of a missing file is an info, not an error"),
    ]

    def check_score(self, ctx, document, tree):
        kind = artifact_kind(ctx).kind
        if kind == GROUP:
            return  # members' models are in their own folders; SCR305 checks the group's paths
        # A template or a model built in code names a model file it does not need yet: say so, quietly.
        severity = Severity.INFO if kind in (TEMPLATE, MODEL_LESS) else None
        model = self.model(ctx)
        references = list(self._references(ctx, model))
        # A file read only where its absence is expected (`if os.path.exists(p):`, `except FileNotFoundError:`)
        # is worth a note, not an error: report each file once, at its most severe use.
        guarded_only = {posixpath.normpath(path.text) for _, _, path, _, guarded in references if guarded} - \
            {posixpath.normpath(path.text) for _, _, path, _, guarded in references if not guarded}
        reported: set[str] = set()
        for module, node, path, origin, guarded in references:
            who = "score.py" if module is model.score else module.path
            relative = posixpath.normpath(path.text)
            if relative in reported or self._exists(ctx, relative) or (guarded and relative not in guarded_only):
                continue
            reported.add(relative)
            present = [p for p, e in ctx.artifact.entries.items() if e.kind != "dir" and _model_like(p)]
            instead = f"; model files here: {', '.join(sorted(present)[:5])}" if present else \
                "; the artifact holds no model file"
            if guarded:
                yield self.diagnostic(module.path, module.document.span(node),
                                      f"{who} reads {relative} only if it exists ({origin}), and the artifact "
                                      f"does not have it, so that code never runs{instead}", severity=Severity.INFO)
                continue
            yield self.diagnostic(module.path, module.document.span(node),
                                  f"{who} expects {relative} in the artifact ({origin}), but it is not "
                                  f"there{instead}", severity=severity)

    def _references(self, ctx, model: SemanticModel):
        """(module, node, folded path, where it comes from, guarded) for every artifact file read at start-up."""
        score = model.score
        for name, value in score.module_env.module.items():
            folded = fold(value, score.module_env)
            if folded is not None and folded.base in (None, "artifact") and _model_like(folded.text) \
                    and "/" not in folded.text.lstrip("./") and not score.is_dead(value):
                yield score, value, Folded(folded.text, "artifact"), f"{name} on line {value.lineno}", False
        start_up = {id(site.call) for site in model.startup_calls()}
        for access in file_accesses(ctx):
            if access.path.base == "artifact" and not access.writes and id(access.site.call) in start_up:
                yield (access.site.module, access.argument, access.path, f"read by {access.operation}() at start-up",
                       access.site.guarded)

    @staticmethod
    def _exists(ctx, relative: str) -> bool:
        member = ctx.artifact.member(relative) if relative not in (".", "") else ctx.artifact.root
        return member == "" or member in ctx.artifact.entries


class RelativeToWorkingDirectory(ScoreRule):
    """score.py opens a file relative to the working directory instead of its own folder.

    ## What it does
    Finds file reads (open, joblib.load, torch.load, pandas readers, onnxruntime sessions,
    Keras loaders, ...) whose path is relative (`"model.joblib"`) or built on `os.getcwd()`.

    ## Why it matters
    The server's working directory is not the artifact folder, so `open("model.joblib")` works
    in your notebook and fails in the deployment.

    ## Example
    `joblib.load("model.joblib")`

    ## Fix
    Safe fix: resolve it against score.py's folder,
    `os.path.join(os.path.dirname(os.path.realpath(__file__)), "model.joblib")`.
    """

    code, name, severity = "SCR302", "relative-to-working-directory", Severity.ERROR
    fix_kind = "S"
    valid = [Case(artifact()), Case(artifact({"score.py": SCORE_PY + "\n\nif __name__ == '__main__':\n"
                                              "    print(predict(open('sample.json').read()))\n"}),
                                    note="the server imports score.py: its __main__ block never runs")]
    invalid = [
        Case(artifact({"score.py": CWD_SCORE}), expect=[(11, 15)], fixed={"score.py": CWD_SCORE.replace(
            'open(model_file_name, "rb")', f'open(os.path.join({ARTIFACT_DIR}, model_file_name), "rb")')}),
        Case(artifact({"score.py": SCORE_PY.replace("import joblib", "import joblib\nimport pandas as pd\n"
                                                    "LABELS = pd.read_csv(os.getcwd() + '/labels.csv')")}),
             expect=[(6, 22)]),
        Case(with_helper("LABELS = open('labels.txt').read().split()\n"), expect=[("helpers.py", 1, 15)]),
    ]

    def check_score(self, ctx, document, tree):
        # In a model group the file is in the member's folder, not score.py's: resolving it there would be a guess.
        group = is_group(ctx)
        anchor = "load_model's model folder parameter" if group else ARTIFACT_DIR
        for access in file_accesses(ctx):
            if access.path.base != "cwd" or access.writes:
                continue
            module = access.site.module
            yield self.diagnostic(
                module.path, module.document.span(access.argument),
                f"{access.operation}() reads {access.path.text or '.'} relative to the working directory, which is "
                f"not the artifact folder on the server; resolve it against {anchor}",
                fix=None if group else self._fix(module, access.argument))

    @staticmethod
    def _fix(module: ModuleModel, argument: ast.expr) -> Fix | None:
        if not isinstance(argument, (ast.Constant, ast.Name)):
            return None
        document = module.document
        span = document.span(argument)
        edits = [Edit(document.path, span, f"os.path.join({ARTIFACT_DIR}, {document.source(span)})")]
        if module.imports.names.get("os") != "os":
            line = _line_after_preamble(module.tree)
            edits.insert(0, Edit(document.path, Span(Position(line, 1), Position(line, 1)), "import os\n"))
        return Fix("Resolve the path against score.py's folder", Applicability.SAFE, tuple(edits))


def _line_after_preamble(tree: ast.Module) -> int:
    """The first line after the module docstring and `from __future__` imports."""
    line = 1
    for statement in tree.body:
        docstring = isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
            and isinstance(statement.value.value, str)
        future = isinstance(statement, ast.ImportFrom) and statement.module == "__future__"
        if not (docstring or future):
            break
        line = (statement.end_lineno or statement.lineno) + 1
    return line


class AbsolutePath(ScoreRule):
    """score.py reads a file by an absolute path.

    ## What it does
    Finds file reads whose path folds to an absolute path (`/home/...`, `/Users/...`, `C:\\`).

    ## Why it matters
    The path exists on the machine the model was trained on, not in the deployment, where the
    artifact is unpacked in a folder of the service's choosing.

    ## Example
    `joblib.load("/home/datascience/churn/model.joblib")`

    ## Fix
    Ship the file in the artifact and resolve it against
    `os.path.dirname(os.path.realpath(__file__))`.
    """

    code, name, severity = "SCR303", "absolute-path", Severity.WARNING
    valid = [Case(artifact())]
    invalid = [Case(artifact({"score.py": SCORE_PY.replace("os.path.join(model_dir, model_file_name)",
                                                           "'/home/datascience/churn/model.joblib'")}),
                    expect=[(12, 15)]),
               Case(with_helper("import joblib\n\n\ndef load():\n    return joblib.load('/home/me/model.joblib')\n"),
                    expect=[("helpers.py", 5, 24)])]

    def check_score(self, ctx, document, tree):
        for access in file_accesses(ctx):
            if access.path.base == "absolute" and not access.writes:
                module = access.site.module
                yield self.diagnostic(module.path, module.document.span(access.argument),
                                      f"{access.operation}() reads the absolute path {access.path.text}, which exists "
                                      f"where the model was built, not in the deployment; ship the file in the artifact")


class WritesOutsideWritableArea(ScoreRule):
    """score.py writes outside /home/datascience, or into the artifact folder.

    ## What it does
    Finds file writes (open for writing, joblib.dump, to_csv, os.makedirs, shutil copies,
    log files, ...) whose path folds to the artifact folder, the working directory, or an
    absolute path outside /home/datascience.

    ## Why it matters
    In a model deployment `/home/datascience` is the writable location; writes elsewhere can
    fail with a permission error, and files written into the artifact folder are not kept.

    ## Example
    `logging.FileHandler("predictions.log")`

    ## Fix
    Write under `/home/datascience` (for example a cache folder), or log to stdout.
    """

    code, name, severity = "SCR304", "writes-outside-writable-area", Severity.WARNING
    valid = [Case(artifact()), Case(artifact({"score.py": SCORE_PY + "\nimport logging\n"
                                              "handler = logging.FileHandler('/home/datascience/predict.log')\n"}))]
    invalid = [Case(artifact({"score.py": SCORE_PY + "\nimport logging\nhandler = logging.FileHandler('predict.log')\n"}),
                    expect=[(21, 31)]),
               Case(with_helper("import logging\n\nHANDLER = logging.FileHandler('predict.log')\n"),
                    expect=[("helpers.py", 3, 31)])]

    def check_score(self, ctx, document, tree):
        for access in file_accesses(ctx):
            if not access.writes:
                continue
            module = access.site.module
            path = access.path
            if path.base == "artifact":
                where = "into the artifact folder"
            elif path.base == "cwd":
                where = f"to {path.text or '.'} relative to the working directory"
            elif not (path.text == WRITABLE or path.text.startswith(WRITABLE + "/")):
                where = f"to {path.text}"
            else:
                continue
            yield self.diagnostic(module.path, module.document.span(access.argument),
                                  f"{access.operation}() writes {where}; in a deployment only {WRITABLE} is writable")
