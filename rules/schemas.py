"""SCH: input_schema.json / output_schema.json as ADS writes, validates and loads them."""

from __future__ import annotations

import ast
import json
from typing import TYPE_CHECKING

from artifact_lint.artifact import format_size
from artifact_lint.diagnostics import Applicability, Edit, Fix, Position, Severity, Span
from artifact_lint.registry import Case, Rule, lazy_cases
from artifact_lint.rules._samples import SCORE_PY, artifact
from artifact_lint.rules._schema import (
    CONSTRAINT_KEYS,
    DOMAIN_KEYS,
    ITEM_KEYS,
    KNOWN_VERSIONS,
    LOADER_KEYS,
    NUMPY_DTYPES,
    PANDAS_DTYPES,
    REQUIRED_ITEM_KEYS,
    SCHEMA_FILES,
    SchemaRule,
    feature_type_for,
    is_pandas_dtype,
    item_name,
    iter_nodes,
    schema_items,
)

if TYPE_CHECKING:  # the JSON parser loads only when an artifact has JSON files
    from artifact_lint.parsers.jsondoc import JsonNode

METADATA_LIMIT = 32000


def column(name, dtype="float64", order=0, **changes) -> dict:
    """One schema item as ADS writes it."""
    feature_type = feature_type_for(dtype)
    item = {"dtype": dtype, "feature_type": feature_type, "name": name,
            "domain": {"values": feature_type, "stats": {"count": 5.0}, "constraints": []},
            "required": True, "description": str(name), "order": order}
    item.update(changes)
    return {key: value for key, value in item.items() if value is not ...}


def schema(*items, version="1.1") -> str:
    """A schema file with one item per line, so findings have easy positions (item N is on line N + 1)."""
    body = ",\n".join(json.dumps(item) for item in items)
    tail = "" if version is ... else f', "version": "{version}"'
    return '{"schema": [\n' + body + "\n]" + tail + "}\n"


GOOD = schema(column("sepal length (cm)", order=0), column("petal width (cm)", order=1))


def with_schema(text: str, name: str = "input_schema.json") -> dict:
    return artifact({name: text})


class SchemaNotJson(Rule):
    """A schema file is not valid JSON.

    ## What it does
    Parses input_schema.json and output_schema.json as strict JSON and reports the first error
    with its line and column; an empty file too (ADS leaves one when writing the schema crashes,
    e.g. on a datetime64 column).

    ## Why it matters
    ADS's loaders and the catalog's metadata upload fail on it, and a score.py that reads the
    schema to cast request columns fails at import.

    ## Example
    A trailing comma after the last column: `{"schema": [{...},]}`.

    ## Fix
    Correct the JSON at the position given, or regenerate the schema from sample data
    (`artifact-lint init ... --sample`).
    """

    code, name, severity = "SCH001", "schema-not-json", Severity.ERROR
    default_path = "input_schema.json"
    valid = [Case(with_schema(GOOD))]
    invalid = [Case(with_schema(GOOD.replace("]", ",]", 1)), expect=[(2, 157)]),
               Case(with_schema(""), expect=[(1, 1)])]

    def check(self, ctx):
        for name in SCHEMA_FILES:
            path = ctx.artifact.member(name)
            document = ctx.documents.json(path) if path in ctx.artifact.entries else None
            if document is not None and document.problem is not None:
                yield self.diagnostic(path, document.problem.span, f"{name} is not valid JSON: {document.problem.message}")


class NonStandardNumber(SchemaRule):
    """A schema holds bare NaN or Infinity, which is not JSON.

    ## What it does
    Finds the tokens NaN, Infinity and -Infinity that Python's json.dumps writes for float
    statistics (a one-row sample gives a NaN standard deviation).

    ## Why it matters
    Python reads them; strict JSON parsers (the console, Java and JavaScript clients, jq) do
    not, so the schema cannot be shown or processed outside Python.

    ## Example
    `"standard deviation": NaN`

    ## Fix
    Safe fix: replace them with null.
    """

    code, name, severity = "SCH002", "non-standard-number", Severity.WARNING
    fix_kind = "S"
    valid = [Case(with_schema(GOOD))]
    invalid = [Case(with_schema(GOOD.replace('{"count": 5.0}', '{"count": 1.0, "skew": NaN}', 1)), expect=[(2, 148)],
                    fixed={"input_schema.json": GOOD.replace('{"count": 5.0}', '{"count": 1.0, "skew": null}', 1)})]

    def check_schema(self, ctx, document, root):
        for node in iter_nodes(root):
            if node.kind == "constant":
                fix = Fix("Replace with null", Applicability.SAFE, (Edit(document.path, node.span, "null"),))
                yield self.diagnostic(document.path, node.span,
                                      f"{node.value} is not JSON (Python writes it, strict parsers reject it); use null",
                                      fix=fix)


class SchemaLayout(SchemaRule):
    """The schema's top level is not `{"schema": [...], "version": ...}`.

    ## What it does
    Checks that the top level is an object whose key `schema` (exactly) holds the list of
    columns, and that `version` is "1.0" or "1.1" (missing means "1.0": an info).

    ## Why it matters
    ADS-generated score.py reads `schema['schema']`; ADS's loader rejects unknown versions.

    ## Example
    A bare list of columns, or `{"Schema": [...]}`.

    ## Fix
    Unsafe fix for a bare list: wrap it as `{"schema": [...], "version": "1.1"}`.
    """

    code, name, severity = "SCH003", "schema-layout", Severity.ERROR
    fix_kind = "U"
    valid = [Case(with_schema(GOOD))]
    invalid = [
        Case(with_schema(GOOD.replace('{"schema"', '{"Schema"')), expect=[(1, 1)]),
        Case(with_schema(GOOD.replace('"version": "1.1"', '"version": "2.0"')), expect=[(4, 15)]),
        Case(with_schema(schema(column("a"), version=...)), expect=[(1, 1)]),
        Case(with_schema("[" + json.dumps(column("a")) + "]\n"), expect=[(1, 1)],
             fixed={"input_schema.json": '{"schema": [' + json.dumps(column("a")) + '], "version": "1.1"}\n'}),
    ]

    def check_schema(self, ctx, document, root):
        if root.kind == "array":
            fix = Fix('Wrap the list as {"schema": [...], "version": "1.1"}', Applicability.UNSAFE, (
                Edit(document.path, Span(root.span.start, root.span.start), '{"schema": '),
                Edit(document.path, Span(root.span.end, root.span.end), ', "version": "1.1"}'),
            ))
            yield self.diagnostic(document.path, root.span, 'the schema is a bare list; ADS expects '
                                  '{"schema": [...], "version": "1.1"}', fix=fix)
            return
        if root.kind != "object":
            yield self.diagnostic(document.path, root.span, 'the schema must be an object {"schema": [...], "version": "1.1"}')
            return
        columns = root.get("schema")
        if columns is None:
            import difflib  # only when a name is unknown: the near miss to suggest
            near = difflib.get_close_matches("schema", root.keys(), n=1, cutoff=0.6)
            hint = f" (found {near[0]!r}: the key is case-sensitive)" if near else ""
            yield self.diagnostic(document.path, _first_line(root), f'the schema has no "schema" key{hint}; '
                                  f"ADS-generated score.py reads schema['schema']")
        elif columns.kind != "array":
            yield self.diagnostic(document.path, columns.span, '"schema" must be a list of columns')
        version = root.get("version")
        if version is None:
            yield self.diagnostic(document.path, _first_line(root), 'the schema has no "version"; ADS reads it as "1.0" '
                                  '(it writes "1.1")', severity=Severity.INFO)
        elif version.kind != "string" or version.value not in KNOWN_VERSIONS:
            yield self.diagnostic(document.path, version.span,
                                  f'"version" is {json.dumps(version.to_python())}; ADS knows "1.0" and "1.1"')


def _first_line(node: JsonNode) -> Span:
    start = node.span.start
    return Span(start, Position(start.line, start.column + 1))


def _kinds(allowed: tuple[str, ...]) -> str:
    names = {"string": "a string", "number": "a number", "true": "true/false", "false": "true/false", "null": "null",
             "object": "an object", "array": "a list"}
    return " or ".join(dict.fromkeys(names[kind] for kind in allowed))


def _check_keys(rule, document, node: JsonNode, layout: dict, where: str):
    for key, value in node.value:
        allowed = layout.get(key.value)
        if allowed is None:
            import difflib
            close = difflib.get_close_matches(key.value, list(layout), n=1, cutoff=0.7)
            hint = f"; did you mean {close[0]!r}?" if close else f"; ADS accepts {', '.join(layout)}"
            yield rule.diagnostic(document.path, key.span, f"unknown key {key.value!r} in {where} (ADS rejects it){hint}")
        elif value.kind not in allowed or (key.value == "order" and not isinstance(value.value, (int, type(None)))):
            yield rule.diagnostic(document.path, value.span, f"{key.value!r} in {where} must be {_kinds(allowed)}")


class SchemaItemInvalid(SchemaRule):
    """A schema column fails ADS's item validation.

    ## What it does
    Checks each column against ADS's item schema: `dtype` (string), `name` (string or number)
    and `required` (boolean) are required; `feature_type`, `description` (string or null),
    `order` (integer or null) and `domain` (`values`, `stats`, `constraints` of
    `{"expression", "language"}`) are typed; unknown keys are rejected, with a suggestion.

    ## Why it matters
    ADS refuses to load or save the model's schema (`save()` fails, and the model catalog shows
    no schema).

    ## Example
    `{"dtype": "float64", "name": "age", "requried": true}`

    ## Fix
    Use the keys and types ADS writes.
    """

    code, name, severity = "SCH004", "schema-item-invalid", Severity.ERROR
    valid = [Case(with_schema(GOOD)), Case(with_schema(schema(column(3, dtype="int64"))))]
    invalid = [
        Case(with_schema(schema(column("a", required=..., requried=True))), expect=[(2, 1), (2, 177)]),
        Case(with_schema(schema(column("a", order="0"))), expect=[(2, 192)]),
    ]

    def check_schema(self, ctx, document, root):
        for index, item in enumerate(schema_items(root)):
            where = f"column {index}" + (f" ({item_name(item)!r})" if item_name(item) is not None else "")
            if item.kind != "object":
                yield self.diagnostic(document.path, item.span, f"{where} must be an object")
                continue
            missing = [key for key in REQUIRED_ITEM_KEYS if item.get(key) is None]
            if missing:
                yield self.diagnostic(document.path, _first_line(item), f"{where} lacks {', '.join(missing)}; ADS requires them")
            yield from _check_keys(self, document, item, ITEM_KEYS, where)
            domain = item.get("domain")
            if domain is not None and domain.kind == "object":
                yield from _check_keys(self, document, domain, DOMAIN_KEYS, f"{where}'s domain")
                constraints = domain.get("constraints")
                for constraint in constraints.value if constraints is not None and constraints.kind == "array" else []:
                    if constraint.kind != "object":
                        yield self.diagnostic(document.path, constraint.span, f"a constraint of {where} must be an object")
                    else:
                        yield from _check_keys(self, document, constraint, CONSTRAINT_KEYS, f"a constraint of {where}")


def _insert_before_close(document, node: JsonNode, member: str) -> Edit:
    """An edit adding `"key": value` as the last member of object `node`."""
    end = node.span.end
    close = Position(end.line, end.column - 1)
    separator = ", " if node.value else ""
    return Edit(document.path, Span(close, close), f"{separator}{member}")


class SchemaLoaderKeys(SchemaRule):
    """A schema column lacks keys ADS's loader needs (feature_type, description, domain, constraints).

    ## What it does
    Beyond the validator's required keys, ADS's `Schema.from_dict` reads `feature_type`,
    `description`, `domain` and `domain.constraints` of every column.

    ## Why it matters
    A hand-written schema that passes validation still raises KeyError when ADS loads it
    (`GenericModel.from_model_artifact`, model catalog metadata).

    ## Example
    `{"dtype": "int64", "name": "age", "required": true}`

    ## Fix
    Safe fix: add them (feature type from the dtype, description from the name, an empty domain).
    """

    code, name, severity = "SCH005", "schema-loader-keys", Severity.WARNING
    fix_kind = "S"
    valid = [Case(with_schema(GOOD))]
    invalid = [Case(with_schema(schema({"dtype": "int64", "name": "age", "required": True})), expect=[(2, 1)],
                    fixed={"input_schema.json": schema({"dtype": "int64", "name": "age", "required": True,
                                                        "feature_type": "Integer", "description": "age", "domain": {
                                                            "values": "Integer", "stats": {}, "constraints": []}})})]

    def check_schema(self, ctx, document, root):
        for item in schema_items(root):
            if item.kind != "object":
                continue
            dtype = item.get("dtype")
            feature_type = feature_type_for(dtype.value if dtype is not None and dtype.kind == "string" else "")
            missing = [key for key in LOADER_KEYS if item.get(key) is None]
            members = {
                "feature_type": f'"feature_type": "{feature_type}"',
                "description": f'"description": {json.dumps(item_name(item) or "")}',
                "domain": f'"domain": {{"values": "{feature_type}", "stats": {{}}, "constraints": []}}',
            }
            edits = [_insert_before_close(document, item, ", ".join(members[key] for key in missing))] if missing else []
            domain = item.get("domain")
            if domain is not None and domain.kind == "object" and domain.get("constraints") is None:
                missing.append("domain.constraints")
                edits.append(_insert_before_close(document, domain, '"constraints": []'))
            if missing:
                fix = Fix("Add the keys ADS's loader reads", Applicability.SAFE, tuple(edits))
                yield self.diagnostic(document.path, _first_line(item),
                                      f"column {item_name(item)!r} lacks {', '.join(missing)}, which ADS's loader reads",
                                      fix=fix)


class DuplicateColumns(SchemaRule):
    """Two schema columns have the same name, or `order` is not 0..n-1.

    ## What it does
    Reports repeated column names (error) and `order` values that are not exactly 0 to n-1
    (info).

    ## Why it matters
    ADS's loader fails on duplicate names; gaps or repeats in `order` mean the schema was edited
    by hand and the column order a client should send is unclear.

    ## Example
    Two columns named `age`.

    ## Fix
    Rename or remove the duplicate; number `order` from 0.
    """

    code, name, severity = "SCH006", "duplicate-columns", Severity.ERROR
    valid = [Case(with_schema(GOOD))]
    invalid = [
        Case(with_schema(schema(column("a", order=0), column("a", order=1))), expect=[(3, 60)]),
        Case(with_schema(schema(column("a", order=0), column("b", order=2))), expect=[(3, 1)]),
    ]

    def check_schema(self, ctx, document, root):
        items = [item for item in schema_items(root) if item.kind == "object"]
        seen: dict[str, JsonNode] = {}
        for item in items:
            name_node = item.get("name")
            name = item_name(item)
            if name is None:
                continue
            if name in seen:
                yield self.diagnostic(document.path, name_node.span,
                                      f"column name {name!r} appears twice (first on line {seen[name].span.start.line}); "
                                      f"ADS's loader rejects duplicate names")
            else:
                seen[name] = item
        orders = [item.get("order") for item in items]
        values = [node.value for node in orders if node is not None and node.kind == "number"]
        if len(values) == len(items) and sorted(values) != list(range(len(items))):
            wrong = next(item for item, node in zip(items, orders, strict=True) if node.value not in range(len(items))
                         or values.count(node.value) > 1)
            yield self.diagnostic(document.path, _first_line(wrong), f"column orders are {sorted(values)}, not 0 to "
                                  f"{len(items) - 1}", severity=Severity.INFO)


class UnknownDtype(SchemaRule):
    """A schema column's dtype is not a pandas dtype name.

    ## What it does
    Checks `dtype` against pandas' dtype vocabulary (numpy names, `category`, `string`,
    nullable `Int64`/`boolean`/`Float64`, `datetime64[ns]` with units and time zones,
    `period[...]`, `interval[...]`, `Sparse[...]`, `...[pyarrow]`) and suggests the closest.

    ## Why it matters
    ADS-generated score.py casts request columns with the schema's dtypes; an unknown name fails
    every request (`TypeError: data type 'flaot64' not understood`).

    ## Example
    `"dtype": "flaot64"`

    ## Fix
    Unsafe fix: replace it with the closest pandas dtype name.
    """

    code, name, severity = "SCH007", "unknown-dtype", Severity.ERROR
    fix_kind = "U"
    valid = [Case(with_schema(schema(*(column(str(i), dtype=d, order=i) for i, d in enumerate(
        ["int64", "Int64", "float32", "bool", "boolean", "category", "object", "string", "datetime64[ns]",
         "datetime64[ns, UTC]", "timedelta64[ns]", "UInt8", "Float64"])))))]
    invalid = [Case(with_schema(schema(column("a", dtype="flaot64"))), expect=[(2, 11)],
                    fixed={"input_schema.json": schema(column("a", dtype="flaot64")).replace("flaot64", "float64")})]

    def check_schema(self, ctx, document, root):
        for item in schema_items(root):
            dtype = item.get("dtype") if item.kind == "object" else None
            if dtype is None or dtype.kind != "string" or is_pandas_dtype(dtype.value):
                continue
            import difflib
            close = difflib.get_close_matches(dtype.value, sorted(NUMPY_DTYPES | PANDAS_DTYPES), n=1, cutoff=0.6)
            fix = Fix(f"Use {close[0]}", Applicability.UNSAFE, (Edit(document.path, dtype.span, json.dumps(close[0])),)) \
                if close else None
            hint = f"; did you mean {close[0]!r}?" if close else ""
            yield self.diagnostic(document.path, dtype.span, f"dtype {dtype.value!r} is not a pandas dtype name{hint}",
                                  fix=fix)


class SchemaTooLarge(Rule):
    """A schema is larger than the model catalog's metadata limit.

    ## What it does
    Measures each schema as ADS does before storing it as catalog metadata (its YAML rendering),
    against the 32000-byte limit.

    ## Why it matters
    ADS then does not store the schema with the model (it warns and goes on), so the catalog
    shows no schema and tools that read it from the catalog get nothing.

    ## Example
    A schema of 600 columns with full statistics.

    ## Fix
    Drop the statistics (`domain.stats`) or keep the schema only as a file in the artifact.
    """

    code, name, severity = "SCH008", "schema-too-large", Severity.WARNING
    default_path = "input_schema.json"
    # Lazy: a 300-column schema and two deep nestings take longer to build than the rest of the rule set.
    valid = lazy_cases(lambda: [Case(with_schema(GOOD)), Case(artifact({"input_schema.json": "[" * 10_000 + "]" * 10_000}))])
    invalid = lazy_cases(lambda: [
        Case(with_schema(schema(*(column(f"feature_{i}", order=i) for i in range(300)))), expect=[("input_schema.json", None)]),
        Case(artifact({"input_schema.json": "[" * 200_000 + "]" * 200_000}), expect=[("input_schema.json", None)],
             note="nested deeper than PyYAML can render"),
    ])

    def check(self, ctx):
        for name in SCHEMA_FILES:
            path = ctx.artifact.member(name)
            entry = ctx.artifact.entries.get(path)
            if entry is None or entry.kind == "dir":
                continue
            size = _metadata_size(ctx.documents.json(path), entry.size)
            if size is not None and size > METADATA_LIMIT:
                yield self.diagnostic(path, None, f"{name} takes {format_size(size)} as catalog metadata, over ADS's "
                                                  f"{METADATA_LIMIT}-byte limit: ADS will not store it with the model")


def _metadata_size(document, file_size: int) -> int | None:
    """The size of the YAML rendering ADS measures; large files are over the limit whatever their shape."""
    if document is None or document.root is None:
        return file_size if file_size > 4 * METADATA_LIMIT else None
    if document.size < METADATA_LIMIT // 4:
        return document.size
    if document.size > 4 * 1024 * 1024:
        return document.size
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    try:
        return len(yaml.dump(document.root.to_python(), Dumper=dumper).encode("utf-8"))
    except RecursionError:
        # Nested deeper than PyYAML can render (so ADS cannot store it either); every level of
        # nesting costs YAML at least the characters it costs JSON, so the file's size is a floor.
        return document.size


class DataLeak(SchemaRule):
    """A schema's constraints list the raw values of categorical columns.

    ## What it does
    Finds constraints such as `$x in ['gold', 'silver', ...]` that ADS writes for categorical
    and boolean columns.

    ## Why it matters
    The schema is stored in the model catalog: the distinct values of a column (customer
    segments, product names, sometimes personal data) are readable by anyone who can read the
    model.

    ## Example
    `"constraints": [{"expression": "$x in ['alice@example.com', ...]", "language": "python"}]`

    ## Fix
    Remove the constraints for sensitive columns before saving the model.
    """

    code, name, severity = "SCH009", "data-leak", Severity.INFO
    valid = [Case(with_schema(GOOD))]
    invalid = [Case(with_schema(schema(column("color", dtype="category", domain={
        "values": "Category", "stats": {"count": 3}, "constraints": [
            {"expression": "$x in ['green', 'blue']", "language": "python"}]}))), expect=[(2, 155)])]

    def check_schema(self, ctx, document, root):
        leaking = []
        for item in schema_items(root):
            domain = item.get("domain") if item.kind == "object" else None
            constraints = domain.get("constraints") if domain is not None and domain.kind == "object" else None
            for constraint in constraints.value if constraints is not None and constraints.kind == "array" else []:
                expression = constraint.get("expression") if constraint.kind == "object" else None
                if expression is not None and expression.kind == "string" and " in [" in expression.value:
                    leaking.append((item_name(item), expression))
        if leaking:
            names = ", ".join(repr(name) for name, _ in leaking[:5]) + (" ..." if len(leaking) > 5 else "")
            yield self.diagnostic(document.path, leaking[0][1].span,
                                  f"constraints list the raw values of {len(leaking)} column(s) ({names}); they are stored "
                                  f"in the model catalog")


SCHEMA_IF_PRESENT = SCORE_PY + """

def column_types(path=os.path.join(os.path.dirname(os.path.realpath(__file__)), "input_schema.json")):
    if os.path.exists(path):
        with open(path) as handle:
            return json.load(handle)
    return {}
"""


class InputSchemaMissing(Rule):
    """score.py reads input_schema.json but the artifact has none.

    ## What it does
    Finds `input_schema.json` named in score.py (ADS-generated score.py casts request columns
    with it) when the file is not in the artifact.

    ## Why it matters
    Without it the request columns keep JSON's types, so a model trained on int columns may get
    floats or strings and predict wrongly or fail.

    ## Example
    An ADS-prepared artifact whose schema was deleted.

    ## Fix
    Generate the schema from sample data: `artifact-lint init ... --sample data.csv`.
    """

    code, name, severity = "SCH101", "input-schema-missing", Severity.WARNING
    fix_kind, default_path = "G", "score.py"
    valid = [Case(artifact()), Case(artifact({"score.py": SCORE_PY + "\nSCHEMA = 'input_schema.json'\n",
                                              "input_schema.json": GOOD}))]
    invalid = [Case(artifact({"score.py": SCORE_PY + "\nSCHEMA = 'input_schema.json'\n"}), expect=[(20, 10)]),
               Case(artifact({"score.py": SCHEMA_IF_PRESENT}), expect=[(21, 81)],
                    note="read only if it exists: an info, as ADS-generated score.py files do")]

    def check(self, ctx):
        from artifact_lint.rules._kind import is_group
        from artifact_lint.rules._semantic import SemanticModel

        model = SemanticModel.of(ctx)
        if model is None or ctx.artifact.member("input_schema.json") in ctx.artifact.entries:
            return
        if is_group(ctx):
            return  # a model group's shared artifact has no schema; the members' schemas are in the catalog
        for module in model.modules.values():
            for node in module.nodes(ast.Constant):
                if not (isinstance(node.value, str) and node.value.endswith("input_schema.json")) or module.is_dead(node):
                    continue
                if module.is_guarded(node) or _reads_only_if_present(ctx, "input_schema.json"):
                    yield self.diagnostic(module.path, module.document.span(node),
                                          "score.py reads input_schema.json only if it exists, and the artifact has "
                                          "none: request columns keep JSON's types; generate it from sample data",
                                          severity=Severity.INFO)
                else:
                    yield self.diagnostic(module.path, module.document.span(node),
                                          "score.py reads input_schema.json, which is not in the artifact; generate it "
                                          "from sample data")
                return


def _reads_only_if_present(ctx, name: str) -> bool:
    """score.py opens `name`, and only behind `if os.path.exists(...)` or `except FileNotFoundError`."""
    from artifact_lint.rules._files import file_accesses

    reads = [access for access in file_accesses(ctx) if not access.writes and access.path.text.endswith(name)]
    return bool(reads) and all(access.site.guarded for access in reads)
