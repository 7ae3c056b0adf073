"""ART004-ART007, ART010: what the artifact holds: a model, nothing outside it, a sane size, no noise."""

from __future__ import annotations

import os

from artifact_lint.artifact import CATALOG_MAX_BYTES, SCORE_PY, DirectoryArtifact, format_size, path_name
from artifact_lint.documents import TextDocument
from artifact_lint.diagnostics import Applicability, Edit, Fix, Severity
from artifact_lint.fix_temp import is_fix_temp, target_of
from artifact_lint.parsers.model_formats import model_candidates
from artifact_lint.model_ignore import IGNORE_FILE
from artifact_lint.registry import Case, Rule, SparseFile
from artifact_lint.rules._kind import GROUP, MODEL_LESS, artifact_kind
from artifact_lint.rules._samples import RUNTIME_YAML as GOOD_RUNTIME
from artifact_lint.rules._samples import artifact
from artifact_lint.rules._upload import upload_of

MB = 1000 * 1000
GIB = 1024 ** 3
SIZE_LIMITS = (  # (bytes, severity, what happens)
    (CATALOG_MAX_BYTES, Severity.ERROR, "more than the 400 GB the model catalog accepts"),
    (2 * GIB, Severity.WARNING, "more than the 2 GiB ADS uploads directly: use an Object Storage bucket (bucket_uri)"),
    (100 * MB, Severity.INFO, "more than the 100 MB the console upload accepts: upload with ADS, the SDK or the CLI"),
)
# noise kind -> (how to recognise it from its path and kind, the .model-ignore line that drops it)
NOISE = {
    "__pycache__ folders": (lambda path, kind: kind == "dir" and path_name(path) == "__pycache__", "__pycache__/"),
    "notebook checkpoints": (lambda path, kind: kind == "dir" and path_name(path) == ".ipynb_checkpoints", ".ipynb_checkpoints/"),
    "ADS introspection output": (lambda path, kind: path_name(path) == "test_json_output.json", "test_json_output.json"),
    "macOS .DS_Store files": (lambda path, kind: path_name(path) == ".DS_Store", ".DS_Store"),
    "compiled .pyc files": (lambda path, kind: kind != "dir" and path.endswith(".pyc") and "__pycache__/" not in path, "*.pyc"),
}


class ModelMissing(Rule):
    """No serialized model file or folder is in the artifact.

    ## What it does
    Looks for a model by content and layout: pickle/joblib (compressed too), XGBoost JSON and
    UBJSON, LightGBM text, ONNX, PyTorch and TorchScript zips, Keras HDF5 and .keras, safetensors,
    Spark ML folders and Hugging Face `save_pretrained` folders.

    ## Why it matters
    An artifact without its model deploys and then fails in load_model(); usually the model was
    saved somewhere else, or dropped by .model-ignore.

    ## Example
    An artifact with score.py, runtime.yaml and schemas only.

    ## Fix
    Save the model into the artifact folder next to score.py.
    """

    code, name, severity = "ART004", "model-missing", Severity.WARNING
    default_path = "."
    yields_to = ("SCR301",)  # the model file score.py names, at its line, says the same thing precisely
    valid = [Case(artifact()), Case(artifact({"model.joblib": None, "model/metadata/part-00000": "{}",
                                               "model/stages/0_lr/metadata/part-00000": "{}"})),
             Case({"score.py": "def load_model(folder):\n    return folder\n\n\ndef predict(data, model):\n"
                               "    return data\n", "runtime.yaml": GOOD_RUNTIME}, note="a model group's artifact")]
    invalid = [Case(artifact({"model.joblib": None, "score.py": "import joblib\n\n\ndef load_model():\n"
                              "    return joblib.load(MODEL)\n\n\ndef predict(data, model=load_model()):\n"
                              "    return data\n"}), expect=[(".", None)]),
               Case(artifact({"model.joblib": None, "score.py": "def load_model():\n    return {'threshold': 0.5}"
                              "\n\n\ndef predict(data, model=load_model()):\n    return data\n"}),
                    expect=[(".", None)], note="a model built in code: an info")]

    def check(self, ctx):
        if model_candidates(ctx.artifact):
            return
        kind = artifact_kind(ctx)
        if kind.kind == GROUP:
            return  # a model group's shared artifact holds no model by design
        if not ctx.conda and ctx.container_evidence:
            return  # its own container serves it; the model may well be in the image
        if kind.kind == MODEL_LESS:
            yield self.diagnostic(".", None, "no serialized model file or folder is in the artifact; load_model() "
                                             "loads none (it builds the model in code), so this is fine if intended",
                                  severity=Severity.INFO)
            return
        yield self.diagnostic(".", None, "no serialized model file or folder is in the artifact; load_model() "
                                         "will have nothing to load")


class OutsideTheArtifact(Rule):
    """Files sit above score.py's level, or a symlink points outside the artifact.

    ## What it does
    Reports symlinks whose target lies outside the artifact folder (or nowhere), and, when
    score.py is in a subfolder, the files above it.

    ## Why it matters
    The service only sees score.py's folder and what is below it. A symlink is followed when ADS
    zips the folder (uploading whatever it points at, perhaps a whole dataset) or breaks it.

    ## Example
    `model.joblib -> /home/me/experiments/best.joblib`

    ## Fix
    Copy the file into the artifact instead of linking it; keep helpers next to score.py.
    """

    code, name, severity = "ART005", "outside-the-artifact", Severity.WARNING
    default_path = "."
    valid = [Case(artifact())]
    invalid = [Case(artifact({"score.py": None, "src/score.py": "def load_model():\n    return 1\n\n\n"
                                                                "def predict(data, model=load_model()):\n    return data\n"}),
                    expect=[("model.joblib", None)])]

    def check(self, ctx):
        artifact = ctx.artifact
        score = ctx.documents.locate(SCORE_PY)
        if score is not None and "/" in score[len(artifact.root) + 1 if artifact.root else 0:]:
            folder = score.rsplit("/", 1)[0] + "/"
            above = sorted(p for p, e in artifact.entries.items() if e.kind != "dir" and not p.startswith(folder))
            if above:
                yield self.diagnostic(above[0], None,
                                      f"{len(above)} file(s) sit above score.py's folder {folder} (like {above[0]}); the "
                                      f"service ignores them")
        if isinstance(artifact, DirectoryArtifact):
            root = os.path.realpath(artifact.path)
            for path, entry in artifact.entries.items():
                if entry.kind != "symlink":
                    continue
                target = os.path.realpath(os.path.join(artifact.path, path))
                if not os.path.exists(target):
                    yield self.diagnostic(path, None, f"{path} is a symlink to {target}, which does not exist")
                elif os.path.commonpath([root, target]) != root:
                    yield self.diagnostic(path, None, f"{path} is a symlink to {target}, outside the artifact: ADS "
                                                      f"uploads what it points at; copy the file in instead")


class ArtifactSize(Rule):
    """The artifact is larger than an upload path accepts.

    ## What it does
    Adds up the files that will be uploaded (after .model-ignore): over 100 MB is an info (the
    console upload refuses it), over 2 GiB a warning (ADS needs an Object Storage bucket to
    upload it), over 400 GB an error (the model catalog's limit).

    ## Why it matters
    A large artifact fails at upload time, after the model was built and the artifact prepared.

    ## Example
    A 3 GB Hugging Face model folder.

    ## Fix
    Upload large artifacts with `bucket_uri`; drop files the model does not need.
    """

    code, name, severity = "ART006", "artifact-size", Severity.INFO
    default_path = "."
    valid = [Case(artifact())]
    invalid = [Case(artifact({"weights.bin": SparseFile(100 * MB + 1)}), expect=[(".", None)])]

    def check(self, ctx):
        upload = upload_of(ctx)
        total = sum(e.size for p, e in ctx.artifact.entries.items() if e.kind in ("file", "symlink") and upload.kept(p))
        for limit, severity, consequence in SIZE_LIMITS:
            if total > limit:
                yield self.diagnostic(".", None, f"the artifact is {format_size(total)}, {consequence}", severity=severity)
                return


class NoiseFiles(Rule):
    """Files that only add noise will be uploaded (__pycache__, .ipynb_checkpoints, .pyc, ...).

    ## What it does
    Finds `__pycache__` and `.ipynb_checkpoints` folders, `.pyc` files, `.DS_Store` and ADS's
    `test_json_output.json` that .model-ignore does not drop.

    ## Why it matters
    They bloat the upload, can shadow modules with stale bytecode, and clutter the model catalog.

    ## Example
    `__pycache__/score.cpython-311.pyc` left after testing score.py locally.

    ## Fix
    Safe fix: add the patterns to .model-ignore (or create it).
    """

    code, name, severity = "ART007", "noise-files", Severity.INFO
    fix_kind, default_path = "S", "."
    valid = [Case(artifact()), Case(artifact({"__pycache__/score.cpython-311.pyc": b"x", ".model-ignore": "__pycache__/\n"}))]
    invalid = [Case(artifact({"__pycache__/score.cpython-311.pyc": b"x", "test_json_output.json": "{}"}),
                    expect=[("__pycache__", None), ("test_json_output.json", None)],
                    fixed={".model-ignore": "__pycache__/\ntest_json_output.json\n"}),
               Case(artifact({"helpers.pyc": b"x", ".model-ignore": "*.log"}), expect=[("helpers.pyc", None)],
                    fixed={".model-ignore": "*.log\n*.pyc\n"})]

    def check(self, ctx):
        upload = upload_of(ctx)
        for label, (matches, pattern) in NOISE.items():
            found = sorted(p for p, e in ctx.artifact.entries.items()
                           if upload.kept(p) and matches(p, e.kind)
                           and not any(parent in upload.dropped for parent in _parents(p)))
            if found:
                more = f" and {len(found) - 1} more" if len(found) > 1 else ""
                yield self.diagnostic(found[0], None, f"{label} will be uploaded ({found[0]}{more}); add `{pattern}` to "
                                                      f".model-ignore", fix=self._fix(ctx, upload, pattern))

    @staticmethod
    def _fix(ctx, upload, pattern: str) -> Fix | None:
        if not isinstance(ctx.artifact, DirectoryArtifact):
            return None  # a zip is already built: rebuild it from the folder instead
        if upload.ignore_path is None:
            edit = Edit(ctx.artifact.member(IGNORE_FILE), None, f"{pattern}\n")
        else:
            edit = TextDocument(upload.ignore_path, upload.ignore_text).append_edit(f"{pattern}\n")
        return Fix(f"Add {pattern} to .model-ignore", Applicability.SAFE, (edit,))


class FixLeftovers(Rule):
    """A temporary file of an interrupted `artifact-lint fix` run would be uploaded.

    ## What it does
    Finds the `.<name>.<id>.artifact-lint` files fix mode writes beside a file before renaming
    them into place, which a run killed at the wrong moment (SIGKILL, a power cut) cannot
    remove, and that .model-ignore does not drop.

    ## Why it matters
    Such a file is a copy of score.py, runtime.yaml or a schema, perhaps half-written. ADS
    uploads it with the model: clutter in the catalog at best, a stale copy of your code at worst.

    ## Example
    `.score.py.4242-0a1b2c3d.artifact-lint` next to score.py after a killed `artifact-lint fix`.

    ## Fix
    Delete it; the next `artifact-lint fix` run removes such leftovers itself. The file it was
    written for is intact: either as it was before the killed run or fully fixed.
    """

    code, name, severity = "ART010", "fix-leftovers", Severity.WARNING
    default_path = "."
    valid = [Case(artifact()),
             Case(artifact({".score.py.4242-0a1b2c3d.artifact-lint": "def load", ".model-ignore": ".*.artifact-lint\n"})),
             Case(artifact({"notes.artifact-lint": "mine"}))]
    invalid = [Case(artifact({".score.py.4242-0a1b2c3d.artifact-lint": "def load",
                              "src/.helpers.py.Ab3_x9Qz.artifact-lint": ""}),
                    expect=[(".score.py.4242-0a1b2c3d.artifact-lint", None),
                            ("src/.helpers.py.Ab3_x9Qz.artifact-lint", None)]),
               Case(artifact({".runtime.yaml.7-0a1b2c3d.artifact-lint": "MODEL"}), container="zip",
                    expect=[(".runtime.yaml.7-0a1b2c3d.artifact-lint", None)])]

    def check(self, ctx):
        upload = upload_of(ctx)
        where = "the zip holds it: build the zip again without it" if ctx.artifact.kind == "zip" else \
            "delete it (the next `artifact-lint fix` removes it)"
        for path, entry in sorted(ctx.artifact.entries.items()):
            if entry.kind == "file" and is_fix_temp(entry.name) and upload.kept(path):
                yield self.diagnostic(path, None, f"{path} is a temporary copy of {target_of(entry.name)} that an "
                                                  f"interrupted `artifact-lint fix` left, perhaps half-written; it would "
                                                  f"be uploaded with the model: {where}")


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]
