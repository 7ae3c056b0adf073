"""RTY116-RTY118: runtime.yaml against what is known of Oracle's service conda packs (offline).

The facts come from artifact_lint/data/service_packs.json, each with its source; where a fact is
unknown these rules say nothing.
"""

from __future__ import annotations

import datetime

from artifact_lint.conda_pack import PackPath
from artifact_lint.diagnostics import Severity
from artifact_lint.documents import node_span
from artifact_lint.registry import Case
from artifact_lint.rules._needs import imported_distributions
from artifact_lint.rules._runtime import ENV_PATH, ENV_SLUG, PYTHON_VERSION, EnvRule, find_env_key, python_minor
from artifact_lint.rules._samples import SCORE_PY, SERVICE_PACK_PATH, artifact, runtime_yaml
from artifact_lint.rules._score import ScoreRule
from artifact_lint.service_packs import knowledge

# the folders between cpu/ and the slug are illustrative: the rules read the slug
BASE_PATH = "oci://service-conda-packs@id19sfcrra6z/service_pack/cpu/Base_Python_3.11/1.0/python_p311_any_x86_64_v1"
BASE = artifact({"runtime.yaml": runtime_yaml(path=BASE_PATH, slug="python_p311_any_x86_64_v1")})


def known_pack(ctx):
    """The service pack runtime.yaml names, when artifact-lint knows it (None otherwise)."""

    def compute():
        document = ctx.documents.runtime
        if document is None or document.root is None:
            return None
        slug, path = find_env_key(document.root, ENV_SLUG), find_env_key(document.root, ENV_PATH)
        return knowledge().pack(slug.text if slug else None, path.text if path else None)

    return ctx.cached("service_packs.pack", compute)


def _declared_pack(python: str, slug: str) -> dict:
    return {"runtime.yaml": runtime_yaml(python=f"'{python}'", slug=slug,
                                         path=f"oci://service-conda-packs@id19sfcrra6z/service_pack/cpu/x/1.0/{slug}")}


class Retired(EnvRule):
    """The conda pack is retired, or the declared Python is past its end of life.

    ## What it does
    Looks the slug (or the service-pack path's last segment) up in artifact-lint's knowledge of
    Oracle's service packs and reports a pack marked retired there (a warning), with the source;
    and compares INFERENCE_PYTHON_VERSION with the end-of-life dates of the Python devguide (an
    info).

    ## Why it matters
    A retired pack can no longer be chosen for new deployments, or gets no fixes. A Python past
    its end of life gets no security fixes, and new library releases (so new packs) drop it:
    models trained on it are the ones that stop loading.

    ## Example
    `INFERENCE_PYTHON_VERSION: '3.7'` (end of life 2023-06-27) with `pyspark30_p37_cpu_v5`.

    ## Fix
    Choose a current service pack (the Environment Explorer lists them), re-save the model on
    its Python and test it there (`artifact-lint verify --env auto`).
    """

    code, name, severity = "RTY116", "retired-pack-or-python", Severity.WARNING
    valid = [Case(artifact())]
    invalid = [Case(_declared_pack("3.7", "pyspark30_p37_cpu_v5"), expect=[(7, 31)])]

    def check_env(self, ctx, document, root):
        pack = known_pack(ctx)
        if pack is not None and pack.retired is True:
            found = find_env_key(root, ENV_SLUG) or find_env_key(root, ENV_PATH)
            yield self.diagnostic(document.path, node_span(found.value) if found else None,
                                  f"{pack.slug} is retired ({pack.source('retired')}); choose a current service pack")
        found = find_env_key(root, PYTHON_VERSION)
        minor = python_minor(found.text) if found else None
        ended = knowledge().end_of_life(minor) if minor is not None else None
        if ended is not None and ended <= datetime.date.today().isoformat():
            yield self.diagnostic(document.path, node_span(found.value),
                                  f"Python 3.{minor} reached its end of life on {ended} ({knowledge().eol_source}); it "
                                  f"gets no security fixes and current libraries drop it", severity=Severity.INFO)


class ServicePackLocation(EnvRule):
    """The path names Oracle's service-pack bucket or prefix spelt wrong, or Oracle's internal namespace.

    ## What it does
    Reads the bucket, namespace and first folder of INFERENCE_ENV_PATH: `service_conda_packs`
    (or another spelling of `service-conda-packs`) and `service-pack/` for `service_pack/` are
    errors; a namespace known not to be a region's service-pack namespace (the one ADS reads its
    service-pack index from) is a warning.

    ## Why it matters
    The service installs the pack from exactly that bucket and namespace: a misspelt bucket does
    not exist, and ADS then treats the pack as a published one, so other checks (and fixes) go
    wrong too; ADS itself rewrites the index namespace to the user's region's before using a path.

    ## Example
    `oci://service_conda_packs@id19sfcrra6z/service_pack/cpu/...`.

    ## Fix
    Write `oci://service-conda-packs@<your region's service namespace>/service_pack/...`, as the
    Environment Explorer shows it.
    """

    code, name, severity = "RTY117", "service-pack-location", Severity.ERROR
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"runtime.yaml": runtime_yaml(path=SERVICE_PACK_PATH.replace("service-conda-packs",
                                                                                   "service_conda_packs"))}),
             expect=[(4, 25)]),
        Case(artifact({"runtime.yaml": runtime_yaml(path="oci://service-conda-packs@ociodscdev/service_pack/cpu/"
                                                         "General_Machine_Learning_for_CPUs_on_Python_3.11/1.0/"
                                                         "generalml_p311_cpu_x86_64_v1")}), expect=[(4, 25)]),
    ]

    def check_env(self, ctx, document, root):
        found = find_env_key(root, ENV_PATH)
        pack = PackPath.parse(found.text) if found is not None and found.text else None
        if pack is None:
            return
        if pack.misspelt_service_bucket:
            message = f"the bucket {pack.bucket!r} is Oracle's service-pack bucket misspelt: write service-conda-packs"
        elif pack.misspelt_service_prefix:
            message = (f"{pack.object.split('/', 1)[0]!r} should be service_pack (with an underscore): the service-pack "
                       f"objects live under service_pack/")
        elif pack.bucket == knowledge().service_bucket and (knowledge().namespaces.get(pack.namespace) or {}).get("internal"):
            yield self.diagnostic(document.path, node_span(found.value),
                                  f"{pack.namespace!r} is not a region's service-pack namespace: it is "
                                  f"{knowledge().namespaces[pack.namespace]['source']}; use the path the Environment "
                                  f"Explorer shows in your region", severity=Severity.WARNING)
            return
        else:
            return
        yield self.diagnostic(document.path, node_span(found.value), message)


class LibraryNotInPack(ScoreRule):
    """score.py or a helper module imports a library the declared service pack does not ship.

    ## What it does
    For a service pack whose full package list artifact-lint knows (the Base packs: Python, the
    OCI SDK and ADS with their requirements), reports each import of a known distribution that
    the pack lacks, in score.py and in the artifact's modules score.py imports. Imports inside
    `try/except ImportError` are optional and not reported.

    ## Why it matters
    The deployment imports score.py in that pack: a missing library fails it with
    ModuleNotFoundError after the deployment has been created.

    ## Example
    `import torch` with `python_p311_any_x86_64_v1`.

    ## Fix
    Pick a pack that has the library (PyTorch, TensorFlow, ... packs), or publish your own pack.
    """

    code, name, severity = "RTY118", "library-not-in-pack", Severity.WARNING
    default_path = "score.py"
    valid = [Case(artifact()), Case(BASE)]
    invalid = [
        Case({**BASE, "score.py": SCORE_PY.replace("import joblib", "import joblib\nimport torch")}, expect=[(5, 1)]),
        Case({**BASE, "score.py": SCORE_PY.replace("import joblib", "import joblib\nfrom helpers import prep"),
              "helpers.py": "import cv2\n\n\ndef prep(x):\n    return x\n"}, expect=[("helpers.py", 1, 1)]),
    ]

    def check_score(self, ctx, document, tree):
        pack = known_pack(ctx)
        if pack is None or pack.ships is None:
            return
        shipped = {name.lower().replace("_", "-") for name in pack.ships}
        for need in imported_distributions(ctx):
            if need.distribution.lower().replace("_", "-") not in shipped:
                yield self.diagnostic(need.path, need.span,
                                      f"{need.path} imports {need.module} (pip: {need.distribution}), which {pack.slug} "
                                      f"does not ship ({pack.source('ships')}); pick a pack that has it")
