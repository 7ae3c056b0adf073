"""ART: the artifact's layout: the two files the service needs, where it needs them."""

from __future__ import annotations

from artifact_lint.artifact import RUNTIME_YAML, SCORE_PY
from artifact_lint.diagnostics import Applicability, Edit, Fix, Severity
from artifact_lint.registry import Case, Rule
from artifact_lint.rules._kind import is_group
from artifact_lint.rules._samples import RUNTIME_YAML as GOOD_RUNTIME
from artifact_lint.rules._samples import SCORE_PY as GOOD_SCORE
from artifact_lint.rules._samples import artifact


def _misplaced(ctx, name: str) -> list[str]:
    """Copies of `name` below the root when there is none at the root."""
    if ctx.documents.locate(name) == ctx.artifact.member(name):
        return []
    return ctx.artifact.locate(name)


class ScoreMissing(Rule):
    """score.py is missing at the artifact root.

    ## What it does
    Checks that the artifact root holds `score.py`.

    ## Why it matters
    The model deployment service imports `score.py` from the root of the artifact and calls its
    `load_model()` and `predict()`. Without it the deployment fails after it has been created,
    and ADS refuses to save the model (introspection key `score_py`).

    ## Example
    An artifact holding only `runtime.yaml` and `model.joblib`.

    ## Fix
    Add a `score.py` at the root (`artifact-lint init` can generate one for your framework).
    When the file exists in a subfolder, ART003 reports that instead.
    """

    code, name, severity = "ART001", "score-py-missing", Severity.ERROR
    fix_kind, ads_test = "G", "score_py"
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"score.py": None}), expect=[("score.py", None)]),
        Case({"runtime.yaml": GOOD_RUNTIME}, expect=[("score.py", None)], container="zip"),
    ]

    def check(self, ctx):
        if ctx.documents.locate(SCORE_PY) or _misplaced(ctx, SCORE_PY):
            return
        if not ctx.conda and ctx.container_evidence:
            return  # its own container serves it (ART009 says why it is taken so)
        fix = generated_score_fix(ctx)
        hint = "; `artifact-lint fix --unsafe-fixes` can write one for the model here" if fix else \
            "; `artifact-lint init` can write one for your model"
        yield self.diagnostic(
            ctx.artifact.member(SCORE_PY), None,
            f"score.py is missing at the artifact root; the service imports it to serve the model{hint}", fix=fix,
        )


def generated_score_fix(ctx) -> Fix | None:
    """A score.py generated for the one model file in a folder artifact (unsafe: review it before deploying)."""
    from artifact_lint.artifact import DirectoryArtifact
    from artifact_lint.parsers.model_formats import model_candidates

    if not isinstance(ctx.artifact, DirectoryArtifact):
        return None
    models = [path for path, kind in model_candidates(ctx.artifact).items() if kind.kind != "unknown" and path != "."]
    if len(models) != 1:
        return None
    from artifact_lint.generators.artifact import LABELS
    from artifact_lint.generators.frameworks import ModelFileError, detect
    from artifact_lint.generators.score_py import TemplateError, render_score_py

    try:
        detected = detect(ctx.artifact.path.joinpath(*models[0].split("/")))
        with_schema = ctx.artifact.is_file(ctx.artifact.member("input_schema.json"))
        text = render_score_py(detected.framework, detected.variant, models[0], LABELS[detected.framework], with_schema)
    except (ModelFileError, OSError, TemplateError):  # a state_dict needs its class named: `init --model-class`
        return None
    return Fix(f"Write a score.py for {models[0]} ({detected.framework})", Applicability.UNSAFE,
               (Edit(ctx.artifact.member(SCORE_PY), None, text),))


class RuntimeYamlMissing(Rule):
    """runtime.yaml is missing (needed for conda deployments).

    ## What it does
    Checks that the artifact root holds `runtime.yaml` when the model is deployed with a conda
    pack (the default; `--runtime container` turns the rule off).

    ## Why it matters
    `runtime.yaml` names the conda pack and Python version the service installs before it
    imports score.py. Without it a conda deployment cannot start and ADS refuses to save the
    model (introspection key `runtime_yaml`). A bring-your-own-container deployment does not
    need it.

    ## Example
    An artifact with `score.py` and a model but no `runtime.yaml`.

    ## Fix
    Add a runtime.yaml naming the inference conda pack (`artifact-lint init` can write one), or
    set `runtime = "container"` when you deploy your own container.
    """

    code, name, severity = "ART002", "runtime-yaml-missing", Severity.ERROR
    fix_kind, ads_test, conda_only = "G", "runtime_yaml", True
    valid = [Case(artifact()), Case(artifact({"runtime.yaml": None}), runtime="container")]
    invalid = [Case(artifact({"runtime.yaml": None}), expect=[("runtime.yaml", None)])]

    def check(self, ctx):
        if ctx.documents.locate(RUNTIME_YAML) or _misplaced(ctx, RUNTIME_YAML):
            return
        yield self.diagnostic(
            ctx.artifact.member(RUNTIME_YAML), None,
            "runtime.yaml is missing; a conda deployment needs it to know which conda pack to install "
            "(use --runtime container if you bring your own container)",
        )


class FilesNotAtRoot(Rule):
    """score.py or runtime.yaml sits in a subfolder, or the two are split across folders.

    ## What it does
    Looks for `score.py` and `runtime.yaml` below the artifact root when they are not at the
    root, and for zips whose files all sit inside one top folder.

    ## Why it matters
    The service reads both files from the root of the artifact. A zip made from the parent
    folder (`zip -r model.zip my-model/`) nests everything one level down; ADS introspection
    tolerates one top folder, the deployment does not find score.py. Files split across folders
    fail both.

    ## Example
    `runtime.yaml` at the root and `score.py` in `src/`.

    ## Fix
    Move the files to the root, or zip the folder's contents (`cd my-model && zip -r ../model.zip .`).
    """

    code, name, severity = "ART003", "files-not-at-root", Severity.ERROR
    valid = [Case(artifact()), Case(artifact(), container="zip")]
    invalid = [
        Case(artifact({"score.py": None, "src/score.py": GOOD_SCORE}), expect=[("src/score.py", None)]),
        Case(
            {"my-model/score.py": GOOD_SCORE, "my-model/runtime.yaml": GOOD_RUNTIME},
            expect=[("my-model/score.py", None)],
            container="zip",
        ),
    ]

    def check(self, ctx):
        artifact = ctx.artifact
        if artifact.root and not is_group(ctx):  # Oracle's model-group zips have one top folder, and deploy
            yield self.diagnostic(
                artifact.member(SCORE_PY), None,
                f"every file of this zip is inside the folder {artifact.root}/; the service looks for "
                f"score.py and runtime.yaml at the zip's root: zip the folder's contents, not the folder",
            )
        for name in (SCORE_PY, RUNTIME_YAML):
            if name == RUNTIME_YAML and not ctx.conda:
                continue
            copies = _misplaced(ctx, name)
            if copies:
                where = ", ".join(copies[:3]) + (" ..." if len(copies) > 3 else "")
                yield self.diagnostic(
                    copies[0], None,
                    f"{name} is not at the artifact root but at {where}; the service only reads it from the root",
                    ads_test="score_py" if name == SCORE_PY else "runtime_yaml",
                )


class ContainerArtifact(Rule):
    """The artifact looks served by its own container, so its runtime.yaml is not used.

    ## What it does
    When no runtime is declared, looks for a container build file (`Dockerfile`,
    `Containerfile`) or a Triton model configuration (`config.pbtxt`) in the artifact. When one is
    there, the conda checks (runtime.yaml's pack, score.py's presence) are not run and this one
    info says why.

    ## Why it matters
    A bring-your-own-container deployment (Triton, a custom server) does not install a conda pack
    or import score.py; errors about runtime.yaml's empty conda section would all be noise.

    ## Example
    A folder with a `Dockerfile`, a `model_repository/` and an empty runtime.yaml.

    ## Fix
    Say what the deployment is: `--runtime container` (or `runtime = "container"` in config)
    for your own container, `runtime = "conda"` to have the conda checks run anyway.
    """

    code, name, severity = "ART009", "container-artifact", Severity.INFO
    default_path = "."
    valid = [Case(artifact()), Case(artifact({"Dockerfile": "FROM python:3.11\n"}), runtime="container"),
             Case(artifact({"Dockerfile": "FROM python:3.11\n"}), config={"runtime": "conda"})]
    invalid = [Case({"Dockerfile": "FROM python:3.11\n", "runtime.yaml": "MODEL_ARTIFACT_VERSION: '3.0'\n"},
                    expect=[("Dockerfile", None)])]

    def check(self, ctx):
        evidence = ctx.container_evidence
        if ctx.config.runtime_declared or evidence is None:
            return
        yield self.diagnostic(evidence.path, None,
                              f"{evidence}, so this looks like a bring-your-own-container artifact and the conda "
                              f"checks were skipped; say so with --runtime container (or runtime = \"container\" "
                              f"in config), or runtime = \"conda\" to check runtime.yaml anyway")


class UnreadableZip(Rule):
    """The artifact is a .zip that cannot be read.

    ## What it does
    Opens the zip's central directory; a file that is not a zip, or a damaged one, is reported
    instead of being linted.

    ## Why it matters
    The model catalog and ADS reject it, and nothing inside can be checked.

    ## Example
    A download that stopped halfway, or an HTML error page saved as `model.zip`.

    ## Fix
    Zip the artifact folder again (`cd artifact && zip -r ../model.zip .`).
    """

    code, name, severity = "ART008", "unreadable-zip", Severity.ERROR
    default_path = "."
    valid = [Case(artifact(), container="zip")]
    invalid = [Case({"model.zip": b"PK\x03\x04 cut short"}, container="broken-zip", expect=[(".", None)])]

    def check(self, ctx):
        problem = getattr(ctx.artifact, "problem", None)
        if problem:
            yield self.diagnostic(".", None, f"{problem}; zip the artifact folder again")
