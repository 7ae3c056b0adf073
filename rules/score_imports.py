"""SCR202/SCR203: modules score.py imports that the deployment may not have."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from artifact_lint.diagnostics import Severity
from artifact_lint.registry import Case
from artifact_lint.rules._python_facts import (
    PROVIDED_BY_SERVICE_PACKS,
    STDLIB_REMOVED,
    distribution_of,
    is_stdlib,
)
from artifact_lint.rules._runtime import declared_python_minor
from artifact_lint.rules._samples import SCORE_PY, artifact, runtime_yaml, with_helper
from artifact_lint.rules._score import ScoreRule
from artifact_lint.rules._semantic import ImportedModule, ModuleModel, SemanticModel

HELPER_IMPORT = SCORE_PY.replace("import joblib\n", "import joblib\nfrom helpers import prepare\n")


def _beside_artifact(ctx, top: str) -> Path | None:
    """A module file next to the artifact on disk: written for it, but left out of it (looked up once per lint)."""
    location = getattr(ctx.artifact, "path", None)
    if location is None:
        return None
    return ctx.cached(f"score.beside.{top}", lambda: _module_file(str(location.parent), top))


def _module_file(folder: str, top: str) -> Path | None:
    """`top`.py or `top`/__init__.py in `folder` (strings and os.path: most imports find neither, cheaply)."""
    for candidate in (os.path.join(folder, f"{top}.py"), os.path.join(folder, top, "__init__.py")):
        if os.path.isfile(candidate):
            return Path(candidate)
    return None


def _imports(model: SemanticModel) -> list[tuple[ModuleModel, ImportedModule]]:
    """Every import of score.py and its helper modules, score.py's first, each in source order."""
    return [(module, item) for module in model.modules.values() for item in module.imported_modules()]


class LocalModuleMissing(ScoreRule):
    """score.py imports a local module that is not in the artifact where imports can find it.

    ## What it does
    Resolves each import against the artifact: modules next to score.py (files and packages,
    submodules included) and folders score.py adds to `sys.path` relative to its own file.
    Reports imports of modules that sit beside the artifact folder instead of inside it, or deeper
    in the artifact than imports look, and relative imports (score.py is a top-level module).

    ## Why it matters
    A helper module that lives in your project but not in the artifact imports fine in the
    notebook and fails the deployment with ModuleNotFoundError.

    ## Example
    `from helpers import prepare` with `helpers.py` in the parent folder of the artifact.

    ## Fix
    Copy the module into the artifact next to score.py (or add its folder to `sys.path`
    relative to `__file__`); use absolute imports.
    """

    code, name, severity = "SCR202", "local-module-missing", Severity.ERROR
    valid = [
        Case(artifact({"score.py": HELPER_IMPORT, "helpers.py": "def prepare(x):\n    return x\n"})),
        Case(artifact({"score.py": HELPER_IMPORT.replace(
            "from helpers import prepare\n",
            "import sys\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))\nfrom helpers import prepare\n"),
            "lib/helpers.py": "def prepare(x):\n    return x\n"})),
    ]
    invalid = [
        Case(artifact({"score.py": HELPER_IMPORT, "src/helpers.py": "def prepare(x):\n    return x\n"}), expect=[(5, 1)]),
        Case(artifact({"score.py": HELPER_IMPORT.replace("from helpers import prepare", "from .helpers import prepare"),
                       "helpers.py": ""}), expect=[(5, 1)]),
        Case(artifact({"score.py": HELPER_IMPORT.replace("from helpers import", "from tools.helpers import"),
                       "tools/__init__.py": ""}), expect=[(5, 1)]),
        Case({**with_helper("from cleaning import tidy\n\n\ndef prepare(rows):\n    return tidy(rows)\n"),
              "src/cleaning.py": "def tidy(rows):\n    return rows\n"}, expect=[("helpers.py", 1, 1)],
             note="helper modules' imports resolve as score.py's do"),
    ]

    def check_score(self, ctx, document, tree):
        model = self.model(ctx)
        for module in model.modules.values():
            if module.package:
                continue  # inside a package, relative imports resolve
            who = "score.py" if module is model.score else module.path
            for node in module.nodes(ast.ImportFrom):
                if node.level:
                    yield self.diagnostic(module.path, module.document.span(node),
                                          f"relative import in {who}: the server imports {who} as a top-level module, "
                                          f"so `from .x import y` fails; use `from x import y`")
        index = model.index
        minor = declared_python_minor(ctx)
        reported: set[str] = set()
        for module, item in _imports(model):
            document = module.document
            who = "score.py" if module is model.score else module.path
            top = item.module.split(".")[0]
            if top in reported or is_stdlib(top, minor) and top not in STDLIB_REMOVED:
                continue
            if index.find(top):
                if "." in item.module and not index.find(item.module):
                    reported.add(top)
                    yield self.diagnostic(document.path, document.span(item.node),
                                          f"{item.module} is not in the artifact: {top} is, but has no "
                                          f"{item.module.split('.', 1)[1].replace('.', '/')} module")
                continue
            misplaced = index.elsewhere(top)
            beside = None if misplaced else _beside_artifact(ctx, top)
            if misplaced:
                reported.add(top)
                yield self.diagnostic(document.path, document.span(item.node),
                                      f"{top} is at {misplaced} in the artifact, where imports do not look (only "
                                      f"score.py's folder is on sys.path); move it next to score.py or add its folder "
                                      f"to sys.path relative to __file__")
            elif beside is not None:
                reported.add(top)
                yield self.diagnostic(document.path, document.span(item.node),
                                      f"{top} is {beside.name} beside the artifact folder, not inside it, so the "
                                      f"deployment cannot import it; copy it into the artifact next to score.py")


class ThirdPartyImport(ScoreRule):
    """score.py imports a package that the service conda packs may not provide.

    ## What it does
    Lists imports that are neither standard library (for the declared Python) nor in the
    artifact nor shipped by Oracle's general machine learning conda packs, with the pip
    distribution name to install (`cv2` is `opencv-python`, `PIL` is `pillow`, `yaml` is
    `pyyaml`, ...). Imports inside `try/except ImportError` are optional and not listed. A
    standard-library module removed in the declared Python (`distutils` in 3.12) is a warning.

    ## Why it matters
    The deployment runs in the conda pack named in runtime.yaml; a package missing from it
    fails the import with ModuleNotFoundError after the deployment has been created.

    ## Example
    `import cv2` with a general ML service pack.

    ## Fix
    Publish a custom conda pack that has the distribution, or ship the code in the artifact.
    """

    code, name, severity = "SCR203", "third-party-import", Severity.INFO
    valid = [Case(artifact()),
             Case(artifact({"score.py": SCORE_PY.replace("import joblib", "try:\n    import cv2\nexcept ImportError:\n"
                                                                           "    cv2 = None\nimport joblib")}))]
    invalid = [
        Case(artifact({"score.py": SCORE_PY.replace("import joblib", "import joblib\nimport cv2")}), expect=[(5, 1)]),
        Case(artifact({"score.py": SCORE_PY.replace("import joblib", "import joblib\nfrom distutils import util"),
                       "runtime.yaml": runtime_yaml(python="'3.12'", slug="''", env_type="published",
                                                    path="oci://bucket@ns/packs/py312")}), expect=[(5, 1)]),
        Case(with_helper("import cv2\n\n\ndef prepare(image):\n    return cv2.resize(image, (64, 64))\n"),
             expect=[("helpers.py", 1, 1)]),
    ]

    def check_score(self, ctx, document, tree):
        model = self.model(ctx)
        index = model.index
        minor = declared_python_minor(ctx)
        seen: set[str] = set()
        for module, item in _imports(model):
            document = module.document
            who = "score.py" if module is model.score else module.path
            top = item.module.split(".")[0]
            removed = STDLIB_REMOVED.get(top)
            if removed is None and (is_stdlib(top, minor) or top in PROVIDED_BY_SERVICE_PACKS):
                continue  # nothing to say wherever it comes from: no need to look for it
            if top in seen or item.guarded or index.find(top) or index.elsewhere(top) or _beside_artifact(ctx, top):
                continue
            seen.add(top)
            if removed is not None and minor is not None and minor >= removed:
                yield self.diagnostic(document.path, document.span(item.node),
                                      f"{top} was removed from the standard library in Python 3.{removed} and "
                                      f"runtime.yaml declares 3.{minor}: it imports only if a package provides it",
                                      severity=Severity.WARNING)
                continue
            distribution = distribution_of(top)
            if is_stdlib(top, minor) or top in PROVIDED_BY_SERVICE_PACKS or (distribution and _pack_lists(ctx)):
                continue  # a known pack's own list decides (RTY118)
            if distribution:
                message = (f"{who} imports {top} (pip: {distribution}), which Oracle's general ML conda packs do "
                           f"not ship; make sure the inference conda pack has it")
            else:
                message = (f"{who} imports {top}, which is neither standard library nor in the artifact; if it is "
                           f"a package, make sure the inference conda pack has it; if it is your module, add "
                           f"{top}.py to the artifact next to score.py")
            yield self.diagnostic(document.path, document.span(item.node), message)


def _pack_lists(ctx) -> bool:
    """runtime.yaml names a service pack whose full package list is known."""
    from artifact_lint.rules.service_packs import known_pack

    pack = known_pack(ctx)
    return pack is not None and pack.ships is not None


def local_module_files(ctx) -> list[str]:
    """Artifact paths of the local modules score.py imports (files, or a package's __init__.py)."""
    model = SemanticModel.of(ctx)
    if model is None:
        return []
    index = model.index
    found = [index.find(item.module) or index.find(item.module.split(".")[0]) for item in model.score.imported_modules()]
    found += [helper.path for helper in model.helpers()]
    return sorted({path for path in found if path})
