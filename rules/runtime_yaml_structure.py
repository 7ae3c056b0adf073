"""RTY0xx/RTY1xx: runtime.yaml's syntax and key layout (what ADS's reader and the service expect)."""

from __future__ import annotations

from artifact_lint.diagnostics import Applicability, Edit, Fix, Severity, Span
from artifact_lint.documents import node_span
from artifact_lint.registry import Case, Rule
from artifact_lint.rules._runtime import (
    ENV_KEYS,
    INFERENCE_CONDA_ENV,
    KNOWN_LAYOUT,
    MODEL_ARTIFACT_VERSION,
    MODEL_DEPLOYMENT,
    MODEL_PROVENANCE,
    RuntimeRule,
    describe,
    has_explicit_tag,
    indentation_of,
    insert_after,
    is_placeholder,
    loads_as,
    misplaced_env_keys,
    replace_value,
    runtime_tree,
)
from artifact_lint.rules._samples import PROVENANCE, RUNTIME_YAML, artifact, runtime_yaml
from artifact_lint.parsers.yaml_nodes import (
    NULL, MappingNode, Node, ScalarNode, get, is_mapping, is_number, is_scalar, key_name, walk_scalars,
)


class RuntimeYamlUnparseable(Rule):
    """runtime.yaml is not parseable YAML, or not a mapping.

    ## What it does
    Parses runtime.yaml the way ADS does (YAML 1.1, safe loader) and checks that the document
    is a mapping of keys. Tabs in indentation, unbalanced quotes, a list or a bare string at the
    top, an empty file or a file far too large to be a runtime.yaml are reported here.

    ## Why it matters
    Nothing else in the file can be read: the service cannot find the conda pack and ADS's
    introspection stops before any runtime check.

    ## Example
    ```yaml
    MODEL_ARTIFACT_VERSION: '3.0'
    MODEL_DEPLOYMENT:
    \tINFERENCE_CONDA_ENV:    # a tab: YAML forbids tabs in indentation
    ```

    ## Fix
    Indent with spaces and make the top level a mapping; the message gives the line and column.
    """

    code, name, severity = "RTY001", "runtime-yaml-unparseable", Severity.ERROR
    default_path = "runtime.yaml"
    valid = [Case(artifact()), Case(artifact({"runtime.yaml": ""}), runtime="container")]
    invalid = [
        Case(artifact({"runtime.yaml": "MODEL_ARTIFACT_VERSION: '3.0'\nMODEL_DEPLOYMENT:\n\tX: 1\n"}), expect=[(3, 1)]),
        Case(artifact({"runtime.yaml": "- MODEL_ARTIFACT_VERSION\n- '3.0'\n"}), expect=[(1, 1)]),
        Case(artifact({"runtime.yaml": "just a string\n"}), expect=[(1, 1)]),
        Case(artifact({"runtime.yaml": ""}), expect=[("runtime.yaml", None)]),
        Case(artifact({"runtime.yaml": b"MODEL_ARTIFACT_VERSION: '3.0'\n\xff\xfe\xfa\n"}), expect=[(2, 1)]),
    ]

    def check(self, ctx):
        document = ctx.documents.runtime
        if document is None:
            return
        if document.problem is not None:
            yield self.diagnostic(document.path, document.problem.span,
                                  f"runtime.yaml cannot be parsed: {document.problem.message}")
        elif document.root is None:
            if ctx.conda:
                yield self.diagnostic(document.path, None,
                                      "runtime.yaml is empty; a conda deployment needs MODEL_ARTIFACT_VERSION and "
                                      "MODEL_DEPLOYMENT.INFERENCE_CONDA_ENV (use --runtime container for your own container)")
        elif not is_mapping(document.root):
            yield self.diagnostic(document.path, node_span(document.root),
                                  f"runtime.yaml holds {describe(document.root)} at the top, not a mapping of keys")


class DuplicateKey(RuntimeRule):
    """A key appears twice in the same mapping of runtime.yaml.

    ## What it does
    Finds keys repeated within one mapping, at any depth.

    ## Why it matters
    PyYAML, which ADS and the service use, keeps the last value without a word, so the value you
    edited may not be the one that is read. Often a copy-paste leftover with an outdated pack path.

    ## Example
    ```yaml
        INFERENCE_ENV_PATH: oci://service-conda-packs@id19sfcrra6z/service_pack/cpu/.../v1
        INFERENCE_ENV_PATH: oci://my-bucket@ns/packs/old_env
    ```

    ## Fix
    Delete the copy you do not mean; the message names the line of the other one.
    """

    code, name, severity = "RTY002", "duplicate-key", Severity.ERROR
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"runtime.yaml": RUNTIME_YAML.replace(
            "    INFERENCE_PYTHON_VERSION: '3.11'\n",
            "    INFERENCE_PYTHON_VERSION: '3.11'\n    INFERENCE_ENV_SLUG: other\n")}), expect=[(8, 5)]),
        Case(artifact({"runtime.yaml": RUNTIME_YAML + "MODEL_ARTIFACT_VERSION: '3.0'\n"}), expect=[(23, 1)]),
    ]

    def check_runtime(self, ctx, document, root):
        for node in runtime_tree(root).nodes:
            if node.__class__ is not MappingNode or len(node.value) < 2:
                continue
            keys = [(key.tag, key.value) for key, _ in node.value if key.__class__ is ScalarNode]
            if len(set(keys)) == len(keys):
                continue  # the usual mapping: no key twice
            first_seen: dict = {}
            for key, _ in node.value:
                if not is_scalar(key):
                    continue
                identity = (key.tag, key.value)
                if identity in first_seen:
                    earlier = first_seen[identity].start_mark.line + 1
                    yield self.diagnostic(
                        document.path, node_span(key),
                        f"duplicate key {key.value} (first on line {earlier}); YAML readers keep only this last "
                        f"value and silently drop the other",
                    )
                else:
                    first_seen[identity] = key


class ArtifactVersion(RuntimeRule):
    """MODEL_ARTIFACT_VERSION is missing or not '3.0'.

    ## What it does
    Checks the top-level `MODEL_ARTIFACT_VERSION` key: it must be the string `'3.0'`, the only
    version any writer emits. An unquoted `3.0` is a YAML float, which fails ADS introspection's
    string comparison.

    ## Why it matters
    ADS introspection (`runtime_version`) fails on a missing or different version, and ADS's
    reader uses it to decide how to read the rest of the file.

    ## Example
    `MODEL_ARTIFACT_VERSION: '2.0'`

    ## Fix
    `MODEL_ARTIFACT_VERSION: '3.0'` and the layout of version 3 (MODEL_DEPLOYMENT,
    MODEL_PROVENANCE). Safe fix when the value is the number 3.0: quote it.
    """

    code, name, severity = "RTY101", "artifact-version", Severity.ERROR
    ads_test, fix_kind = "runtime_version", "S"
    valid = [Case(artifact()), Case(artifact({"runtime.yaml": runtime_yaml(version='"3.0"')}))]
    invalid = [
        Case(artifact({"runtime.yaml": runtime_yaml(version="3.0")}), expect=[(1, 25)], fixed={"runtime.yaml": RUNTIME_YAML}),
        Case(artifact({"runtime.yaml": runtime_yaml(version="'2.0'")}), expect=[(1, 25)]),
        Case(artifact({"runtime.yaml": RUNTIME_YAML.replace("MODEL_ARTIFACT_VERSION: '3.0'\n", "")}),
             expect=[("runtime.yaml", None)]),
    ]

    def check_runtime(self, ctx, document, root):
        pair = get(root, MODEL_ARTIFACT_VERSION)
        if pair is None:
            yield self.diagnostic(document.path, None, "MODEL_ARTIFACT_VERSION is missing; add MODEL_ARTIFACT_VERSION: '3.0'")
            return
        value = pair[1]
        if is_number(value) and value.value == "3.0":
            fix = None if has_explicit_tag(document, value) else Fix(
                "Quote the version", Applicability.SAFE, (replace_value(document, value, "'3.0'"),),
                expect=loads_as(document, (MODEL_ARTIFACT_VERSION,), "3.0"))
            yield self.diagnostic(
                document.path, node_span(value),
                f"{MODEL_ARTIFACT_VERSION} is the YAML number 3.0, not the string '3.0' that ADS introspection "
                f"compares with; quote it: '3.0'", fix=fix)
        elif not is_scalar(value) or value.value.strip() != "3.0":
            yield self.diagnostic(
                document.path, node_span(value),
                f"MODEL_ARTIFACT_VERSION is {describe(value)}; the only artifact version the service and ADS "
                f"know is '3.0'",
            )


class CondaEnvLayout(RuntimeRule):
    """INFERENCE_CONDA_ENV is missing or not a mapping, or its keys are placed elsewhere.

    ## What it does
    Checks that `MODEL_DEPLOYMENT.INFERENCE_CONDA_ENV` is a mapping and that the four
    `INFERENCE_*` keys sit directly inside it.

    ## Why it matters
    ADS's runtime.yaml reader and the service look for the conda pack exactly at
    `MODEL_DEPLOYMENT.INFERENCE_CONDA_ENV.INFERENCE_ENV_PATH`. ADS introspection searches the
    file recursively, so a misplaced key passes introspection and then fails the deployment.

    ## Example
    ```yaml
    MODEL_DEPLOYMENT:
      INFERENCE_ENV_PATH: oci://...      # one level too high
    ```

    ## Fix
    Nest the keys under `MODEL_DEPLOYMENT.INFERENCE_CONDA_ENV` (unsafe fix: moves them).
    """

    code, name, severity = "RTY102", "conda-env-layout", Severity.ERROR
    fix_kind, conda_only = "U", True
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"runtime.yaml": "MODEL_ARTIFACT_VERSION: '3.0'\n" + PROVENANCE}), expect=[("runtime.yaml", None)]),
        Case(artifact({"runtime.yaml": RUNTIME_YAML.replace("  INFERENCE_CONDA_ENV:\n", "").replace(
            "    INFERENCE_", "  INFERENCE_")}), expect=[(3, 3), (4, 3), (5, 3), (6, 3)], fixed={"runtime.yaml": RUNTIME_YAML}),
        Case(artifact({"runtime.yaml": "MODEL_ARTIFACT_VERSION: '3.0'\nMODEL_DEPLOYMENT:\n"
                                       "  INFERENCE_CONDA_ENV: generalml_p311_cpu_x86_64_v1\n" + PROVENANCE}), expect=[(3, 24)]),
    ]

    def check_runtime(self, ctx, document, root):
        misplaced = list(misplaced_env_keys(root))
        move = _move_keys_fix(document, root, misplaced) if misplaced else None
        for path, key, _ in misplaced:
            found_by_introspection = path[0] == MODEL_DEPLOYMENT
            note = ("ADS introspection finds it anyway, the deployment does not" if found_by_introspection
                    else "ADS introspection does not find it either")
            yield self.diagnostic(
                document.path, node_span(key),
                f"{key.value} is at {'.'.join(path)}; the service and ADS's reader only look at "
                f"{MODEL_DEPLOYMENT}.{INFERENCE_CONDA_ENV}.{key.value} ({note})",
                ads_test=None if found_by_introspection else INTROSPECTION_KEY.get(key.value),
                fix=move,
            )
        deployment = get(root, MODEL_DEPLOYMENT)
        if deployment is None:
            if not misplaced:
                yield self.diagnostic(
                    document.path, None,
                    f"{MODEL_DEPLOYMENT}.{INFERENCE_CONDA_ENV} is missing; it names the conda pack the service "
                    f"installs ({', '.join(ENV_KEYS)})", ads_test="runtime_env_path",
                )
            return
        if not is_mapping(deployment[1]):
            yield self.diagnostic(document.path, node_span(deployment[1]),
                                  f"{MODEL_DEPLOYMENT} is {describe(deployment[1])}; it must be a mapping holding "
                                  f"{INFERENCE_CONDA_ENV}", ads_test="runtime_env_path")
            return
        env = get(deployment[1], INFERENCE_CONDA_ENV)
        if env is None:
            if not misplaced:
                yield self.diagnostic(document.path, node_span(deployment[0]),
                                      f"{MODEL_DEPLOYMENT} has no {INFERENCE_CONDA_ENV} mapping naming the conda pack",
                                      ads_test="runtime_env_path")
        elif not is_mapping(env[1]):
            yield self.diagnostic(document.path, node_span(env[1]),
                                  f"{INFERENCE_CONDA_ENV} is {describe(env[1])}; it must be a mapping of "
                                  f"{', '.join(ENV_KEYS)}", ads_test="runtime_env_path")


def _move_keys_fix(document, root, misplaced) -> Fix | None:
    """Move misplaced INFERENCE_* keys into MODEL_DEPLOYMENT.INFERENCE_CONDA_ENV (one-line values only)."""
    moved = []
    for _, key, value in misplaced:
        if not is_scalar(value) or key.start_mark.line != value.end_mark.line:
            return None
        if document.line(key.start_mark.line + 1)[: key.start_mark.column].strip():
            return None  # something else shares the line (a flow mapping): leave it to the user
        moved.append((key, document.text[key.start_mark.index:value.end_mark.index]))
    edits = [Edit(document.path, document.line_span(key.start_mark.line + 1), "") for key, _ in moved]
    deployment = get(root, MODEL_DEPLOYMENT)
    env = get(deployment[1], INFERENCE_CONDA_ENV) if deployment and is_mapping(deployment[1]) else None
    if env is not None and is_mapping(env[1]):
        indent = indentation_of(env[1], env[0].start_mark.column + 2)
        lines = [f"{indent}{text}" for _, text in moved]
        target = env[1]
    elif deployment is not None and is_mapping(deployment[1]) and env is None:
        outer = indentation_of(deployment[1], deployment[0].start_mark.column + 2)
        lines = [f"{outer}{INFERENCE_CONDA_ENV}:"] + [f"{outer}  {text}" for _, text in moved]
        target = deployment[1]
    elif deployment is None:
        lines = [f"{MODEL_DEPLOYMENT}:", f"  {INFERENCE_CONDA_ENV}:"] + [f"    {text}" for _, text in moved]
        target = root
    else:
        return None
    insertion = insert_after(document, target, lines)
    if any(edit.span.start <= insertion.span.start < edit.span.end for edit in edits):
        insertion = Edit(document.path, Span(edits[-1].span.end, edits[-1].span.end), insertion.content)
    return Fix(f"Move {', '.join(key.value for key, _ in moved)} into {MODEL_DEPLOYMENT}.{INFERENCE_CONDA_ENV}",
               Applicability.UNSAFE, (*edits, insertion))


class PlaceholderValue(RuntimeRule):
    """A placeholder from a template is left in runtime.yaml.

    ## What it does
    Finds values that still hold template placeholders: anything in angle brackets such as
    `<INSERT_INFERENCE_ENV_PATH>` or `oci://<bucket-name>@<namespace>/<prefix>/<env>.tar.gz`, and the
    `NOT_FOUND` sentinel in the conda env section.

    ## Why it matters
    Such a value looks filled in (the legacy sample even starts with `oci://`) and passes a
    quick check, but names no real conda pack: the deployment fails while installing it.

    ## Example
    `INFERENCE_ENV_PATH: oci://<bucket-name>@<namespace>/<prefix>/<env>.tar.gz`

    ## Fix
    Put the real value in; for a service pack, its path is listed in the OCI console's
    Environment Explorer.
    """

    code, name, severity = "RTY105", "placeholder-value", Severity.ERROR
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"runtime.yaml": runtime_yaml(path="oci://<bucket-name>@<namespace>/<prefix>/<env>.tar.gz")}),
             expect=[(4, 25)]),
        Case(artifact({"runtime.yaml": runtime_yaml(slug="<INSERT_INFERENCE_ENV_SLUG>")}), expect=[(5, 25)]),
        Case(artifact({"runtime.yaml": runtime_yaml(slug="NOT_FOUND")}), expect=[(5, 25)]),
    ]

    def check_runtime(self, ctx, document, root):
        # `<` before the search: almost no value holds one. A NOT_FOUND counts only inside MODEL_DEPLOYMENT,
        # which is walked only when the file holds one at all.
        found = [node for node in runtime_tree(root).nodes if node.__class__ is ScalarNode and (
            "<" in node.value and is_placeholder(node.value) or node.value.strip() == "NOT_FOUND")]
        if not found:
            return
        sentinels = set()
        deployment = get(root, MODEL_DEPLOYMENT)
        if deployment is not None:
            sentinels = {id(node) for node in walk_scalars(deployment[1]) if node.value.strip() == "NOT_FOUND"}
        for node in found:
            if is_placeholder(node.value) or id(node) in sentinels:
                yield self.diagnostic(document.path, node_span(node),
                                      f"placeholder {node.value!r} left in runtime.yaml; replace it with the real value")


# Provenance keys ADS's reader requires to be strings, not null.
NON_NULLABLE = ("PROJECT_OCID", "TRAINING_COMPARTMENT_OCID")
# The introspection check that fails when it cannot find the key under MODEL_DEPLOYMENT.
INTROSPECTION_KEY = {"INFERENCE_ENV_PATH": "runtime_env_path", "INFERENCE_PYTHON_VERSION": "runtime_env_python"}
# Sections ADS's reader validates strictly (unknown keys raise); elsewhere they are dropped with a log line.
STRICT_SECTIONS = (INFERENCE_CONDA_ENV, MODEL_PROVENANCE, "TRAINING_CONDA_ENV")


def _layout_at(path: tuple) -> dict | None:
    layout = KNOWN_LAYOUT
    for part in path:
        layout = layout.get(part) if isinstance(layout, dict) else None
        if layout is None:
            return None
    return layout


class UnknownKey(RuntimeRule):
    """runtime.yaml holds a key that ADS's reader does not know.

    ## What it does
    Compares every key with the layout ADS's reader accepts (MODEL_ARTIFACT_VERSION,
    MODEL_DEPLOYMENT.INFERENCE_CONDA_ENV, MODEL_PROVENANCE and their keys) and suggests the
    closest known key. Misplaced INFERENCE_* keys are RTY102's.

    ## Why it matters
    ADS's reader rejects unknown keys inside INFERENCE_CONDA_ENV, MODEL_PROVENANCE and
    TRAINING_CONDA_ENV, and ignores them elsewhere. A misspelled key also means the real key is
    missing: a misspelled `INFERENCE_PYTHON_VERSON` leaves the service without a Python version
    (error inside INFERENCE_CONDA_ENV).

    ## Example
    `INFERENCE_ENV_SLUGS: generalml_p311_cpu_x86_64_v1`

    ## Fix
    Rename it to the suggested key (unsafe fix when exactly one key is close), or delete it.
    """

    code, name, severity = "RTY113", "unknown-key", Severity.WARNING
    fix_kind = "U"
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"runtime.yaml": RUNTIME_YAML.replace("INFERENCE_ENV_SLUG:", "INFERENCE_ENV_SLUGS:")}),
             expect=[(5, 5)], fixed={"runtime.yaml": RUNTIME_YAML}),
        Case(artifact({"runtime.yaml": RUNTIME_YAML + "EXTRA_SETTING: 1\n"}), expect=[(23, 1)]),
    ]

    def check_runtime(self, ctx, document, root):
        seen: set[int] = set()
        stack = [((), root, KNOWN_LAYOUT)]  # each entry with the layout known at its path (_layout_at)
        while stack:
            path, mapping, layout = stack.pop()
            if id(mapping) in seen or mapping.__class__ is not MappingNode:
                continue
            seen.add(id(mapping))
            for key, value in mapping.value:
                name = key_name(key)
                if name in layout:
                    if layout[name] is not None:  # a leaf holds no keys to check
                        stack.append((path + (name,), value, layout[name]))
                elif name is not None and name not in ENV_KEYS and name != "<<":
                    yield self._unknown(document, path, mapping, key, layout)

    def _unknown(self, document, path, mapping: MappingNode, key: Node, layout: dict):
        where = ".".join(path) or "the top level"
        import difflib  # only when a name is unknown: the near miss to suggest
        close = difflib.get_close_matches(key.value, list(layout), n=2, cutoff=0.75)
        hint = f"; did you mean {close[0]}?" if close else f"; known keys here: {', '.join(layout)}"
        fix = None
        if close and _clear_winner(key.value, close) and get(mapping, close[0]) is None:
            fix = Fix(f"Rename {key.value} to {close[0]}", Applicability.UNSAFE,
                      (replace_value(document, key, close[0]),))
        if path == (MODEL_DEPLOYMENT, INFERENCE_CONDA_ENV):
            severity, effect = Severity.ERROR, "ADS's reader rejects it"
        elif path and path[-1] in STRICT_SECTIONS:
            severity, effect = Severity.WARNING, "ADS's reader rejects it"
        else:
            severity, effect = Severity.WARNING, "ADS's reader ignores it"
        return self.diagnostic(document.path, node_span(key), f"unknown key {key.value} in {where} ({effect}){hint}",
                               severity=severity, fix=fix)


def _empty_lines(layout: dict, indent: str) -> list[str]:
    """YAML lines for the keys of `layout` with empty values, nested keys included."""
    lines = []
    for name, children in layout.items():
        if children is None:
            lines.append(f"{indent}{name}: ''")
        else:
            lines.append(f"{indent}{name}:")
            lines.extend(_empty_lines(children, indent + "  "))
    return lines


def _clear_winner(word: str, candidates: list[str]) -> bool:
    """The best match is clearly better than the next, so a rename is not a guess between two keys."""
    import difflib
    scores = [difflib.SequenceMatcher(None, word, candidate).ratio() for candidate in candidates]
    return len(scores) == 1 or scores[0] - scores[1] >= 0.1


class ProvenanceIncomplete(RuntimeRule):
    """MODEL_PROVENANCE is missing or lacks some of its keys.

    ## What it does
    Checks that MODEL_PROVENANCE exists with the nine keys ADS writes (values may be empty),
    that TRAINING_CODE and TRAINING_CONDA_ENV hold their keys, and that PROJECT_OCID and
    TRAINING_COMPARTMENT_OCID are strings rather than null.

    ## Why it matters
    The service does not need provenance, but ADS's runtime.yaml reader asserts the section and
    its keys, so `ads` tools fail to load the artifact (for example `GenericModel.from_model_artifact`).

    ## Example
    A runtime.yaml with only MODEL_ARTIFACT_VERSION and MODEL_DEPLOYMENT.

    ## Fix
    Safe fix: add the missing keys with empty values ('' for a null OCID).
    """

    code, name, severity = "RTY114", "provenance-incomplete", Severity.INFO
    fix_kind = "S"
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"runtime.yaml": RUNTIME_YAML.split(MODEL_PROVENANCE)[0]}), expect=[("runtime.yaml", None)]),
        Case(artifact({"runtime.yaml": RUNTIME_YAML.replace("  USER_OCID: ''\n", "")}), expect=[(8, 1)],
             fixed={"runtime.yaml": RUNTIME_YAML.replace("  USER_OCID: ''\n", "") + "  USER_OCID: ''\n"}),
        Case(artifact({"runtime.yaml": RUNTIME_YAML.replace("    TRAINING_ENV_SLUG: ''\n", "")}), expect=[(14, 3)]),
        Case(artifact({"runtime.yaml": RUNTIME_YAML.replace("  PROJECT_OCID: ''", "  PROJECT_OCID:")}), expect=[(9, 3)]),
    ]

    def check_runtime(self, ctx, document, root):
        pair = get(root, MODEL_PROVENANCE)
        if pair is None:
            lines = [f"{MODEL_PROVENANCE}:"] + _empty_lines(KNOWN_LAYOUT[MODEL_PROVENANCE], "  ")
            fix = Fix("Add an empty MODEL_PROVENANCE section", Applicability.SAFE, (insert_after(document, root, lines),))
            yield self.diagnostic(document.path, None,
                                  "MODEL_PROVENANCE is missing; ADS's reader requires it (empty values are fine)", fix=fix)
            return
        key, section = pair
        if not is_mapping(section):
            yield self.diagnostic(document.path, node_span(section),
                                  f"MODEL_PROVENANCE is {describe(section)}; it must be a mapping")
            return
        yield from self._missing_keys(document, (MODEL_PROVENANCE,), key, section)
        for name in ("TRAINING_CODE", "TRAINING_CONDA_ENV"):
            nested = get(section, name)
            if nested is not None and is_mapping(nested[1]):
                yield from self._missing_keys(document, (MODEL_PROVENANCE, name), nested[0], nested[1])
        for name in NON_NULLABLE:
            value = get(section, name)
            if value is not None and is_scalar(value[1]) and value[1].tag == NULL:
                written = value[1].end_mark.index > value[1].start_mark.index  # `null` or `~`, not nothing
                edit = replace_value(document, value[1], "''" if written else " ''")
                fix = Fix(f"Set {name} to ''", Applicability.SAFE, (edit,))
                yield self.diagnostic(document.path, node_span(value[0]),
                                      f"{name} is null; ADS's reader requires a string here ('' is fine)", fix=fix)

    def _missing_keys(self, document, path: tuple, key, section):
        layout = _layout_at(path)
        missing = [name for name in layout if get(section, name) is None]
        if not missing:
            return
        # A key that is only misspelled is RTY113's to rename; adding it too would make a duplicate.
        present = [key_name(k) for k, _ in section.value if key_name(k) not in layout]
        import difflib
        misspelled = {name for name in missing if difflib.get_close_matches(name, present, n=1, cutoff=0.75)}
        indent = indentation_of(section, key.start_mark.column + 2)
        addable = {name: layout[name] for name in missing if name not in misspelled}
        where = ".".join(path)
        fix = Fix(f"Add the missing {where} keys", Applicability.SAFE,
                  (insert_after(document, section, _empty_lines(addable, indent)),)) if addable else None
        note = f" ({', '.join(sorted(misspelled))} looks misspelled: see RTY113)" if misspelled else ""
        yield self.diagnostic(document.path, node_span(key),
                              f"{where} lacks {', '.join(missing)}; ADS's reader requires every key "
                              f"(empty values are fine){note}", fix=fix)

