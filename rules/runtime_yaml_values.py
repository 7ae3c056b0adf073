"""RTY1xx: the values in runtime.yaml: the conda pack path, its type and slug, the Python version."""

from __future__ import annotations

from artifact_lint.conda_pack import SERVICE_BUCKET, PackPath, pythons_named_by
from artifact_lint.diagnostics import Applicability, Fix, Severity
from artifact_lint.documents import node_span
from artifact_lint.registry import Case
from artifact_lint.rules._runtime import (
    ENV_PATH,
    ENV_SLUG,
    ENV_TYPE,
    ENV_TYPES,
    PYTHON_VERSION,
    VERSION_TEXT,
    EnvRule,
    Found,
    RuntimeRule,
    anchor_span,
    describe,
    env_key_path,
    find_env_key,
    has_explicit_tag,
    insert_env_key,
    is_placeholder,
    loads_as,
    python_minor,
    replace_value,
    runtime_tree,
)
from artifact_lint.rules._samples import RUNTIME_YAML, SERVICE_PACK_PATH, artifact, runtime_yaml
from artifact_lint.service_packs import knowledge
from artifact_lint.parsers.yaml_nodes import FLOAT, is_blank, is_number

PUBLISHED_PATH = "oci://my-bucket@mynamespace/conda_environments/cpu/churn/1.0/churn_v1_0"
PUBLISHED = artifact({"runtime.yaml": runtime_yaml(path=PUBLISHED_PATH, slug="''", env_type="published")})


def _without(key: str) -> str:
    """The sample runtime.yaml without the line of `key`."""
    return "".join(line for line in RUNTIME_YAML.splitlines(keepends=True) if f"{key}:" not in line)


class _RequiredEnvKey(EnvRule):
    """A key of INFERENCE_CONDA_ENV that must be present and not empty."""

    key = ""
    wanted = ""

    def check_env(self, ctx, document, root):
        found = find_env_key(root, self.key)
        if found is None:
            yield self.diagnostic(document.path, anchor_span(root), f"{self.key} is missing; set it to {self.wanted}")
        elif is_blank(found.value):
            yield self.diagnostic(document.path, node_span(found.key), f"{self.key} is empty; set it to {self.wanted}")
        else:
            yield from self.check_value(document, found)

    def check_value(self, document, found: Found):
        return ()


class EnvPathMissing(_RequiredEnvKey):
    """INFERENCE_ENV_PATH is missing or empty.

    ## What it does
    Checks that INFERENCE_CONDA_ENV names the conda pack to install in INFERENCE_ENV_PATH.

    ## Why it matters
    The service installs this pack before importing score.py; without it the deployment cannot
    start. ADS introspection key `runtime_env_path`.

    ## Example
    `INFERENCE_ENV_PATH: ''`

    ## Fix
    Set it to the pack's `oci://bucket@namespace/path` (service packs: the path shown in the
    console's Environment Explorer; published packs: the path you published to).
    """

    code, name, severity = "RTY103", "env-path-missing", Severity.ERROR
    ads_test = "runtime_env_path"
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"runtime.yaml": runtime_yaml(path="''")}), expect=[(4, 5)]),
        Case(artifact({"runtime.yaml": _without(ENV_PATH)}), expect=[(3, 3)]),
    ]

    key, wanted = ENV_PATH, "the oci:// path of the inference conda pack"


class EnvPathFormat(EnvRule):
    """INFERENCE_ENV_PATH is not of the form oci://bucket@namespace/path.

    ## What it does
    Checks the shape of the conda pack path: `oci://`, a bucket, `@`, a namespace, `/`, and the
    object path. Placeholders are RTY105's.

    ## Why it matters
    The service downloads the pack from Object Storage with this path; a local path, an
    `https://` URL or a slug alone cannot be downloaded and the deployment fails. ADS
    introspection only checks that the value is not empty, so it does not catch this.

    ## Example
    `INFERENCE_ENV_PATH: generalml_p311_cpu_x86_64_v1` (a slug, not a path)

    ## Fix
    Use the full `oci://` path of the pack.
    """

    code, name, severity = "RTY104", "env-path-format", Severity.ERROR
    valid = [Case(artifact()), Case(artifact({"runtime.yaml": runtime_yaml(
        path="oci://my-bucket@mynamespace/conda envs/my pack_v1", slug="''", env_type="published")}))]
    invalid = [
        Case(artifact({"runtime.yaml": runtime_yaml(path="generalml_p311_cpu_x86_64_v1")}), expect=[(4, 25)]),
        Case(artifact({"runtime.yaml": runtime_yaml(path="oci://service-conda-packs/service_pack/x")}), expect=[(4, 25)]),
    ]

    def check_env(self, ctx, document, root):
        found = find_env_key(root, ENV_PATH)
        if found is None or is_blank(found.value) or is_placeholder(found.text):
            return
        if found.text is None:
            yield self.diagnostic(document.path, node_span(found.value),
                                  f"{ENV_PATH} is {describe(found.value)}; it must be an oci:// path")
        elif PackPath.parse(found.text) is None:
            yield self.diagnostic(document.path, node_span(found.value),
                                  f"{ENV_PATH} {found.text!r} is not of the form oci://<bucket>@<namespace>/<path>")


class PythonVersionInvalid(_RequiredEnvKey):
    """INFERENCE_PYTHON_VERSION is missing, empty, or not 3.N[.P].

    ## What it does
    Checks that the Python version of the inference pack is written as `3.N` or `3.N.P`.

    ## Why it matters
    The service and ADS use it to pick the interpreter; ADS introspection
    (`runtime_env_python`) fails without it. A value written as a YAML number is RTY107's.

    ## Example
    `INFERENCE_PYTHON_VERSION: python3.11`

    ## Fix
    `INFERENCE_PYTHON_VERSION: '3.11'`, matching the conda pack.
    """

    code, name, severity = "RTY106", "python-version-invalid", Severity.ERROR
    ads_test = "runtime_env_python"
    valid = [Case(artifact()), Case(artifact({"runtime.yaml": runtime_yaml(python="3.11.9")})),
             Case(artifact({"runtime.yaml": runtime_yaml(python="<INSERT_INFERENCE_PYTHON_VERSION>")}),
                  note="the placeholder is the cause: RTY105 reports it, once")]
    invalid = [
        Case(artifact({"runtime.yaml": runtime_yaml(python="python3.11")}), expect=[(7, 31)]),
        Case(artifact({"runtime.yaml": runtime_yaml(python="''")}), expect=[(7, 5)]),
        Case(artifact({"runtime.yaml": _without(PYTHON_VERSION)}), expect=[(3, 3)]),
    ]

    key, wanted = PYTHON_VERSION, "the pack's Python version, e.g. '3.11'"

    def check_value(self, document, found: Found):
        if found.text is None or not VERSION_TEXT.match(found.text.strip()):
            yield self.diagnostic(document.path, node_span(found.value),
                                  f"{PYTHON_VERSION} is {describe(found.value)}; write it as 3.N or 3.N.P, e.g. '3.11'")


VERSION_KEYS = (PYTHON_VERSION, "TRAINING_PYTHON_VERSION")


def _as_yaml_reads_it(node) -> str:
    """The text of the number a YAML loader builds from a plain scalar (3.10 -> '3.1')."""
    cleaned = node.value.replace("_", "")
    try:
        return repr(float(cleaned)) if node.tag == FLOAT else str(int(cleaned, 0))
    except ValueError:
        return node.value


class VersionAsNumber(RuntimeRule):
    """A version is written as a YAML number instead of a string.

    ## What it does
    Finds INFERENCE_PYTHON_VERSION and TRAINING_PYTHON_VERSION written without quotes, which
    YAML reads as numbers. (An unquoted `MODEL_ARTIFACT_VERSION: 3.0`, which fails ADS
    introspection's string comparison, is reported by RTY101 with the same fix.)

    ## Why it matters
    `3.10` is the float 3.1 to every YAML reader: the service and ADS see Python 3.1
    (error). A number that survives, like `3.12`, works but ADS's reader expects strings
    (warning; Oracle's own samples write it so).

    ## Example
    `INFERENCE_PYTHON_VERSION: 3.10`

    ## Fix
    Safe fix: quote the text as written, `INFERENCE_PYTHON_VERSION: '3.10'`.
    """

    code, name, severity = "RTY107", "version-written-as-number", Severity.ERROR
    fix_kind = "S"
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"runtime.yaml": runtime_yaml(
            python="3.10", path=SERVICE_PACK_PATH.replace("3.11", "3.10").replace("p311", "p310"),
            slug="generalml_p310_cpu_x86_64_v1")}), expect=[(7, 31)], fixed={"runtime.yaml": runtime_yaml(
                python="'3.10'", path=SERVICE_PACK_PATH.replace("3.11", "3.10").replace("p311", "p310"),
                slug="generalml_p310_cpu_x86_64_v1")}),
        Case(artifact({"runtime.yaml": runtime_yaml(python="3.11")}), expect=[(7, 31)]),
    ]

    def check_runtime(self, ctx, document, root):
        for path, _, value in runtime_tree(root).pairs:
            if path[-1] not in VERSION_KEYS or not is_number(value) or not VERSION_TEXT.match(value.value):
                continue  # a version that is wrong even as text is RTY106's
            written, read = value.value, _as_yaml_reads_it(value)
            fix = None if has_explicit_tag(document, value) else Fix(
                "Quote the version", Applicability.SAFE, (replace_value(document, value, f"'{written}'"),),
                expect=loads_as(document, path, written))
            if read != written:
                yield self.diagnostic(
                    document.path, node_span(value),
                    f"{path[-1]} is the YAML number {read} (written {written}); quote it: '{written}'", fix=fix,
                    ads_test="runtime_env_python" if path[-1] == PYTHON_VERSION else None)
            else:
                yield self.diagnostic(
                    document.path, node_span(value),
                    f"{path[-1]} is the YAML number {read}; it reads back unchanged, but ADS's reader expects a "
                    f"string: quote it: '{written}'", severity=Severity.WARNING, fix=fix)


class PythonVersionRange(EnvRule):
    """INFERENCE_PYTHON_VERSION is outside the supported range.

    ## What it does
    Compares the declared Python version with the range ADS 2.16 introspection accepts, 3.6 to
    3.14. Set `python-versions = "3.8-3.11"` in the config to match what your service
    region offers.

    ## Why it matters
    ADS refuses to save a model whose inference Python it does not know, and no service conda
    pack exists for versions outside the range.

    ## Example
    `INFERENCE_PYTHON_VERSION: '3.5'`

    ## Fix
    Use a conda pack built for a supported Python and declare its version.
    """

    code, name, severity = "RTY108", "python-version-range", Severity.WARNING
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"runtime.yaml": runtime_yaml(python="'3.5'", slug="''", env_type="published",
                                                     path="oci://b@ns/envs/old")}), expect=[(7, 31)]),
        Case(artifact(), config={"python-versions": "3.8-3.10"}, expect=[(7, 31)]),
    ]

    def check_env(self, ctx, document, root):
        found = find_env_key(root, PYTHON_VERSION)
        minor = python_minor(found.text) if found else None
        if minor is None:
            return
        low, high = ctx.config.python_versions
        if not low <= (3, minor) <= high:
            yield self.diagnostic(
                document.path, node_span(found.value),
                f"Python 3.{minor} is outside {low[0]}.{low[1]}-{high[0]}.{high[1]}, the range accepted "
                f"(ADS 2.16 introspection: 3.6-3.14; set python-versions in the config to change it)")


def _pack(root) -> PackPath | None:
    found = find_env_key(root, ENV_PATH)
    return PackPath.parse(found.text) if found and found.text else None


class EnvType(EnvRule):
    """INFERENCE_ENV_TYPE is absent or not data_science / published.

    ## What it does
    Checks the pack type: `data_science` for Oracle's service packs, `published` for packs you
    published to your own bucket.

    ## Why it matters
    ADS and the console use the type to decide where the pack comes from; any other value is
    rejected (error). Oracle's older samples omit the key, newer docs call it required (info).

    ## Example
    `INFERENCE_ENV_TYPE: service`

    ## Fix
    Unsafe fix: set it to the type the path implies (service-conda-packs/service_pack/... is
    data_science, anything else published).
    """

    code, name, severity = "RTY109", "env-type", Severity.ERROR
    fix_kind = "U"
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"runtime.yaml": runtime_yaml(env_type="service")}), expect=[(6, 25)]),
        Case(artifact({"runtime.yaml": _without(ENV_TYPE)}), expect=[(3, 3)], fixed={"runtime.yaml": RUNTIME_YAML.replace(
            "    INFERENCE_ENV_SLUG: generalml_p311_cpu_x86_64_v1\n    INFERENCE_ENV_TYPE: data_science\n",
            "    INFERENCE_ENV_TYPE: data_science\n    INFERENCE_ENV_SLUG: generalml_p311_cpu_x86_64_v1\n")}),
    ]

    def check_env(self, ctx, document, root):
        found = find_env_key(root, ENV_TYPE)
        pack = _pack(root)
        if found is None:
            edit = insert_env_key(document, root, ENV_TYPE, pack.env_type) if pack else None
            fix = Fix(f"Add {ENV_TYPE}: {pack.env_type}", Applicability.UNSAFE, (edit,),
                      expect=loads_as(document, env_key_path(None, ENV_TYPE), pack.env_type)) if edit else None
            yield self.diagnostic(document.path, anchor_span(root),
                                  f"{ENV_TYPE} is absent; newer OCI docs require it (data_science or published)",
                                  severity=Severity.INFO, fix=fix)
        elif is_blank(found.value) and pack is None:
            return  # the whole pack is unset; RTY103 reports the path, the root of it
        elif found.text is None or found.text.strip() not in ENV_TYPES:
            fix = None
            if pack:
                fix = Fix(f"Set {ENV_TYPE} to {pack.env_type}", Applicability.UNSAFE,
                          (replace_value(document, found.value, pack.env_type),),
                          expect=loads_as(document, env_key_path(found, ENV_TYPE), pack.env_type))
            span = node_span(found.key if is_blank(found.value) else found.value)
            yield self.diagnostic(document.path, span,
                                  f"{ENV_TYPE} is {describe(found.value)}; it must be data_science (a service pack) "
                                  f"or published (your own pack)", fix=fix)


class EnvTypeMismatch(EnvRule):
    """INFERENCE_ENV_TYPE disagrees with INFERENCE_ENV_PATH.

    ## What it does
    A path in bucket `service-conda-packs` under `service_pack/` is a service pack
    (`data_science`); any other path is a published pack (`published`).

    ## Why it matters
    ADS decides from the type whether to look for the pack among service packs or in your
    bucket; a mismatch sends it to the wrong place.

    ## Example
    A service pack path with `INFERENCE_ENV_TYPE: published`.

    ## Fix
    Safe fix when the path is a service pack: set `data_science`. When it is not, the type may be
    right and the path wrong: a path under `service_pack/` in a bucket other than
    `service-conda-packs` (`service_conda_packs`) gets no fix, the bucket is the likely mistake;
    any other path gets an unsafe fix to `published`.
    """

    code, name, severity = "RTY110", "env-type-mismatch", Severity.WARNING
    fix_kind = "S"
    valid = [Case(artifact()), Case(PUBLISHED)]
    invalid = [
        Case(artifact({"runtime.yaml": runtime_yaml(env_type="published")}), expect=[(6, 25)],
             fixed={"runtime.yaml": RUNTIME_YAML}),
        Case(artifact({"runtime.yaml": runtime_yaml(path=PUBLISHED_PATH, slug="''")}), expect=[(6, 25)],
             fixed={"runtime.yaml": runtime_yaml(path=PUBLISHED_PATH, slug="''", env_type="published")}),
        Case(artifact({"runtime.yaml": runtime_yaml(path=SERVICE_PACK_PATH.replace("service-conda-packs",
                                                                                   "team-packs"))}),
             expect=[(6, 25)], note="a service-pack layout in another bucket: no fix guesses which is wrong "
                                    "(a misspelt service bucket is RTY117's; tests/test_artifact_kinds.py checks both)"),
    ]

    def check_env(self, ctx, document, root):
        found = find_env_key(root, ENV_TYPE)
        pack = _pack(root)
        if found is None or pack is None or found.text is None:
            return
        if pack.misspelt_service_bucket or pack.misspelt_service_prefix:
            return  # the path is what is wrong (RTY117), not the type
        declared = found.text.strip()
        if declared not in ENV_TYPES or declared == pack.env_type:
            return
        span = node_span(found.value)
        if pack.is_service_pack:
            fix = Fix(f"Set {ENV_TYPE} to {pack.env_type}", Applicability.SAFE,
                      (replace_value(document, found.value, pack.env_type),),
                      expect=loads_as(document, env_key_path(found, ENV_TYPE), pack.env_type))
            yield self.diagnostic(document.path, span, f"{ENV_TYPE} is {declared} but the path is a service pack: "
                                                       f"expected {pack.env_type}", fix=fix)
        elif pack.object.startswith("service_pack/"):  # a service pack path in the wrong bucket: fix the path
            yield self.diagnostic(document.path, span,
                                  f"{ENV_TYPE} is {declared} and the path is laid out as a service pack "
                                  f"(service_pack/...), but its bucket is {pack.bucket!r}, not {SERVICE_BUCKET!r}: "
                                  f"correct the bucket in {ENV_PATH} (or, for your own pack, set published)")
        else:
            fix = Fix(f"Set {ENV_TYPE} to {pack.env_type}", Applicability.UNSAFE,
                      (replace_value(document, found.value, pack.env_type),),
                      expect=loads_as(document, env_key_path(found, ENV_TYPE), pack.env_type))
            yield self.diagnostic(document.path, span,
                                  f"{ENV_TYPE} is {declared} but the path is not a service pack (service packs live "
                                  f"in {SERVICE_BUCKET}/service_pack/): expected {pack.env_type}, unless the path "
                                  f"itself is wrong", fix=fix)


class SlugMismatch(EnvRule):
    """INFERENCE_ENV_SLUG disagrees with the service pack path.

    ## What it does
    For service packs, the slug is the last segment of the path. A different slug is a warning,
    an absent one an info. Published packs may leave the slug empty, as ADS writes them.

    ## Why it matters
    The slug is what the console and ADS show and look packs up by; a slug copied from another
    pack usually means the path or the slug was edited alone, and one of them is wrong.

    ## Example
    The path ends in `generalml_p311_cpu_x86_64_v1` and the slug says `generalml_p38_cpu_v1`.

    ## Fix
    Safe fix: set the slug to the path's last segment (check that the path is the pack you want).
    """

    code, name, severity = "RTY111", "slug-mismatch", Severity.WARNING
    fix_kind = "S"
    valid = [Case(artifact()), Case(PUBLISHED)]
    invalid = [
        Case(artifact({"runtime.yaml": runtime_yaml(slug="generalml_p311_cpu_x86_64_v2")}), expect=[(5, 25)]),
        Case(artifact({"runtime.yaml": _without(ENV_SLUG)}), expect=[(3, 3)], fixed={"runtime.yaml": RUNTIME_YAML}),
    ]

    def check_env(self, ctx, document, root):
        pack = _pack(root)
        if pack is None or not pack.is_service_pack:
            return
        found = find_env_key(root, ENV_SLUG)
        expected = pack.last_segment
        if found is None:
            edit = insert_env_key(document, root, ENV_SLUG, expected)
            yield self.diagnostic(document.path, anchor_span(root), f"{ENV_SLUG} is absent; for this pack it is {expected}",
                                  severity=Severity.INFO,
                                  fix=Fix(f"Add {ENV_SLUG}: {expected}", Applicability.SAFE, (edit,),
                                          expect=loads_as(document, env_key_path(None, ENV_SLUG), expected))
                                  if edit else None)
        elif found.text is not None and found.text.strip() != expected:
            fix = Fix(f"Set {ENV_SLUG} to {expected}", Applicability.SAFE, (replace_value(document, found.value, expected),),
                      expect=loads_as(document, env_key_path(found, ENV_SLUG), expected))
            span = node_span(found.key if is_blank(found.value) else found.value)
            yield self.diagnostic(document.path, span,
                                  f"{ENV_SLUG} is {describe(found.value)} but the service pack path ends in {expected}",
                                  fix=fix)


class PythonMismatch(EnvRule):
    """INFERENCE_PYTHON_VERSION disagrees with the Python the conda pack is built for.

    ## What it does
    Service pack slugs spell their Python (`_p311_` is 3.11) and their paths often do
    (`Python_3.11`); the declared version must name the same minor version. Where neither does
    but the path names a service pack artifact-lint knows, the pack's own Python counts.

    ## Why it matters
    The pack's interpreter is what runs score.py. A mismatch means the declared version is wrong
    (so checks based on it are too), or the pack is not the one intended; pickles written for
    the declared Python may not load.

    ## Example
    `INFERENCE_PYTHON_VERSION: '3.8'` with `generalml_p311_cpu_x86_64_v1`.

    ## Fix
    Declare the pack's version, or pick the pack built for the Python you trained with.
    """

    code, name, severity = "RTY112", "python-mismatch", Severity.ERROR
    ads_test = None
    valid = [Case(artifact())]
    invalid = [Case(artifact({"runtime.yaml": runtime_yaml(python="'3.8'")}), expect=[(7, 31)]),
               Case(artifact({"runtime.yaml": runtime_yaml(
                   python="'3.8'", slug="''", path="oci://service-conda-packs@id19sfcrra6z/service_pack/cpu/generalml/"
                                                    "1.0/generalml_p311_cpu_x86_64_v1")}), expect=[(7, 31)],
                    note="neither slug nor path spells the Python; the known pack's Python is 3.11")]

    def check_env(self, ctx, document, root):
        version = find_env_key(root, PYTHON_VERSION)
        minor = python_minor(version.text) if version else None
        if minor is None:
            return
        slug = find_env_key(root, ENV_SLUG)
        path = find_env_key(root, ENV_PATH)
        named = pythons_named_by(_text(slug), _text(path))
        pack = knowledge().pack(_text(slug), _text(path))
        if pack is not None and not named:  # a known pack whose slug and path do not spell its Python here
            named = [(f"service pack {pack.slug} (built for Python {pack.python})", pack.python_minor)]
        clashes = [(where, other) for where, other in named if other != minor]
        if clashes:
            said = " and ".join(f"the {where} says 3.{other}" if where in ("slug", "path") else f"the {where}"
                                for where, other in clashes)
            yield self.diagnostic(document.path, node_span(version.value),
                                  f"{PYTHON_VERSION} is 3.{minor} but {said}; declare the pack's Python version")


def _text(found: Found | None) -> str | None:
    return found.text if found else None


class CondaPackNotFound(EnvRule):
    """The conda pack at INFERENCE_ENV_PATH does not exist (checked online, with --online).

    ## What it does
    Asks Object Storage (HEAD object, with the OCI SDK, a 5 s connect timeout and no retries)
    whether the pack exists. Without the SDK, credentials or network, says so in an info instead
    of waiting (ADS's own check retries for about 100 s). ADS introspection key
    `runtime_path_exist`.

    ## Why it matters
    A pack path with a typo, or a published pack deleted or in another region's bucket, fails
    the deployment while it installs the pack, after many minutes.

    ## Example
    `oci://my-bucket@ns/conda_environments/cpu/churn/1.0/churn_v1_0` after the pack was removed.

    ## Fix
    Publish the pack again (`odsc conda publish`) or point to the right path.
    """

    code, name, severity = "RTY115", "conda-pack-not-found", Severity.ERROR
    ads_test, phase = "runtime_path_exist", "online"
    valid = [Case(artifact())]
    invalid = [Case(artifact(), config={"online": True}, expect=[(4, 25)],
                    note="offline and without credentials: an info says it was not checked")]

    def check_env(self, ctx, document, root):
        from artifact_lint.online import check_pack

        found = find_env_key(root, ENV_PATH)
        if found is None or found.text is None or PackPath.parse(found.text) is None or is_placeholder(found.text):
            return
        result = check_pack(found.text.strip())
        if result.exists is False:
            yield self.diagnostic(document.path, node_span(found.value),
                                  f"the conda pack {found.text.strip()} does not exist: {result.detail}")
        elif result.exists is None:
            yield self.diagnostic(document.path, node_span(found.value),
                                  f"the conda pack was not checked online: {result.detail}", severity=Severity.INFO)
