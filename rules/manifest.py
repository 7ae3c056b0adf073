"""PKG1xx: model_artifact_manifest.json, which ADS >= 2.15 adds to the zips it builds."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from artifact_lint.artifact import ReadError
from artifact_lint.diagnostics import Applicability, Edit, Fix, Severity
from artifact_lint.registry import Case, Rule, lazy_cases
from artifact_lint.rules._samples import artifact
from artifact_lint.rules._upload import upload_of

if TYPE_CHECKING:  # the JSON parser loads only when an artifact has JSON files
    from artifact_lint.parsers.jsondoc import JsonNode

MANIFEST = "model_artifact_manifest.json"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20


def _sha256(data: bytes = b""):
    """A sha256 hash object; hashlib (3-4 ms to import) loads only for a manifest or its rule cases."""
    import hashlib

    return hashlib.sha256(data)


def manifest_for(files: dict) -> str:
    """The manifest ADS would write for `files` (name -> content), for rule cases."""
    entries = {}
    for name, content in sorted(files.items()):
        data = content.encode() if isinstance(content, str) else content
        entries[name] = {"sha256": _sha256(data).hexdigest(), "size": len(data)}
    return json.dumps({"files": entries, "generated_at": "2026-05-01T12:00:00+00:00", "generated_by": "oracle-ads",
                       "version": 1}, indent=1) + "\n"


def render_manifest(hashes: dict[str, tuple[str, int]], epoch: str | None = None) -> str:
    """The manifest artifact-lint writes; SOURCE_DATE_EPOCH (reproducible builds) fixes its timestamp."""
    epoch = epoch or os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc).replace(microsecond=0)
    files = {name: {"sha256": sha, "size": size} for name, (sha, size) in sorted(hashes.items())}
    return json.dumps({"files": files, "generated_at": moment.isoformat(), "generated_by": "artifact-lint", "version": 1},
                      indent=2) + "\n"


def _regenerated(files: dict) -> str:
    """What the fix writes for an artifact holding `files` (for rule cases)."""
    data = {name: content.encode() if isinstance(content, str) else content for name, content in files.items()
            if name != MANIFEST}
    return render_manifest({name: (_sha256(blob).hexdigest(), len(blob)) for name, blob in data.items()}, epoch="0")


GOOD = artifact()


def _with_manifest() -> dict:
    """GOOD with its manifest, for rule cases (built lazily: the manifest needs hashlib)."""
    return {**GOOD, MANIFEST: manifest_for(GOOD)}


class _ManifestRule(Rule):
    default_path = MANIFEST

    def check(self, ctx):
        path = ctx.artifact.member(MANIFEST)
        if path not in ctx.artifact.entries:
            return
        document = ctx.documents.json(path)
        if document is not None:
            yield from self.check_manifest(ctx, document)

    def check_manifest(self, ctx, document):
        raise NotImplementedError


def _entries(root: JsonNode | None) -> list[tuple[JsonNode, JsonNode]]:
    files = root.get("files") if root is not None and root.kind == "object" else None
    return list(files.value) if files is not None and files.kind == "object" else []


def _valid_entry(value: JsonNode) -> bool:
    sha, size = value.get("sha256"), value.get("size")
    return (value.kind == "object" and sha is not None and sha.kind == "string" and bool(SHA256.match(sha.value))
            and size is not None and size.kind == "number" and isinstance(size.value, int) and size.value >= 0)


def _bad_name(name: str) -> str | None:
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "is absolute"
    if "\\" in name:
        return "uses backslashes"
    if ".." in PurePosixPath(name).parts:
        return "climbs out with .."
    return None


class ManifestMalformed(_ManifestRule):
    """model_artifact_manifest.json is malformed.

    ## What it does
    Checks the manifest's shape: valid JSON, a `files` object mapping POSIX relative paths to
    `{"sha256": <64 lowercase hex>, "size": <bytes>}`, and `version` 1.

    ## Why it matters
    ADS's extractor and ADS-generated load_model() read it to verify the model file; a malformed
    manifest makes both fail.

    ## Example
    `"files": {"./model.joblib": {"sha256": "ABC", "size": "1311"}}`

    ## Fix
    Delete it and let ADS build it again, or regenerate it (`artifact-lint fix`).
    """

    code, name, severity = "PKG101", "manifest-malformed", Severity.ERROR
    valid = lazy_cases(lambda: [Case(_with_manifest())])
    invalid = lazy_cases(lambda: [
        Case({**_with_manifest(), MANIFEST: '{"files": [], "version": 1}'}, expect=[(1, 11)]),
        Case({**_with_manifest(), MANIFEST: manifest_for(GOOD).replace('"size": 5\n', '"size": "5"\n')}, expect=[(3, 3)]),
        Case({**_with_manifest(), MANIFEST: "{"}, expect=[(1, 2)]),
    ])

    def check_manifest(self, ctx, document):
        if document.problem is not None:
            yield self.diagnostic(document.path, document.problem.span,
                                  f"{MANIFEST} is not valid JSON: {document.problem.message}")
            return
        root = document.root
        files = root.get("files") if root.kind == "object" else None
        if files is None or files.kind != "object":
            yield self.diagnostic(document.path, (files or root).span, f'{MANIFEST} needs a "files" object of path -> '
                                                                      f'{{"sha256", "size"}}')
            return
        for key, value in files.value:
            problem = _bad_name(key.value)
            if problem:
                yield self.diagnostic(document.path, key.span, f"manifest entry {key.value!r} {problem}; keys are POSIX "
                                                               f"paths relative to the artifact")
            elif not _valid_entry(value):
                yield self.diagnostic(document.path, key.span, f"manifest entry {key.value!r} needs a 64-character "
                                                               f"lowercase hex sha256 and an integer size")
        version = root.get("version")
        if version is not None and version.value != 1:
            yield self.diagnostic(document.path, version.span, f"manifest version {json.dumps(version.to_python())} is "
                                                               f"not 1, the only version ADS writes")


class ManifestFileSet(_ManifestRule):
    """The manifest lists other files than the artifact holds.

    ## What it does
    Compares the manifest's keys with the files that will be uploaded (after .model-ignore),
    the manifest itself excepted.

    ## Why it matters
    ADS's extractor requires the two sets to be equal: a file added after the manifest was
    written (or deleted since) makes ADS refuse the artifact.

    ## Example
    A helper module copied into an unzipped ADS artifact.

    ## Fix
    Safe fix: regenerate the manifest.
    """

    code, name, severity = "PKG102", "manifest-file-set", Severity.ERROR
    fix_kind = "S"
    valid = lazy_cases(lambda: [Case(_with_manifest()), Case(_with_manifest(), container="zip")])
    invalid = lazy_cases(lambda: [Case({**_with_manifest(), "helpers.py": "X = 1\n"}, expect=[(2, 2)],
                                       fixed={MANIFEST: _regenerated({**GOOD, "helpers.py": "X = 1\n"})})])

    def check_manifest(self, ctx, document):
        if document.root is None or document.root.get("files") is None:
            return
        listed = {key.value for key, _ in _entries(document.root)}
        actual = _uploaded_files(ctx)
        missing, extra = sorted(actual - listed), sorted(listed - actual)
        if missing or extra:
            parts = ([f"not listed: {', '.join(missing[:5])}"] if missing else []) + \
                ([f"listed but absent: {', '.join(extra[:5])}"] if extra else [])
            files_key = next(key for key, _ in document.root.value if key.value == "files")
            yield self.diagnostic(document.path, files_key.span,
                                  f"{MANIFEST} does not match the artifact's files ({'; '.join(parts)}); ADS refuses "
                                  f"such an artifact", fix=regenerate_fix(ctx, document))


def _uploaded_files(ctx) -> set[str]:
    upload = upload_of(ctx)
    artifact = ctx.artifact
    prefix = f"{artifact.root}/" if artifact.root else ""
    return {path[len(prefix):] for path, entry in artifact.entries.items()
            if entry.kind != "dir" and path.startswith(prefix) and upload.kept(path) and path != artifact.member(MANIFEST)}


# Above this, a lint does not hash the whole artifact just to offer a regenerated manifest.
REGENERATE_LIMIT = 1024 * 1024 * 1024


def _hash(ctx, relative: str) -> str | None:
    """sha256 of one artifact file, streamed, each file at most once per lint."""
    hashes = ctx.cached("manifest.hashes", dict)
    if relative not in hashes:
        try:
            hashes[relative] = sha256_of(ctx.artifact, ctx.artifact.member(relative))
        except (ReadError, OSError):
            hashes[relative] = None
    return hashes[relative]


def regenerate_fix(ctx, document) -> Fix | None:
    """Replace the manifest with one that matches the artifact as it is (not offered for huge artifacts)."""
    files = sorted(_uploaded_files(ctx))
    sizes = {name: ctx.artifact.entries[ctx.artifact.member(name)].size for name in files}
    if sum(sizes.values()) > REGENERATE_LIMIT:
        return None
    hashes = {name: (_hash(ctx, name), sizes[name]) for name in files}
    content = render_manifest({name: value for name, value in hashes.items() if value[0] is not None})
    return Fix("Regenerate the manifest from the artifact's files", Applicability.SAFE,
               (Edit(document.path, document.whole_span(), content),))


def sha256_of(artifact, path: str) -> str:
    digest = _sha256()
    with artifact.open_binary(path) as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ManifestMismatch(_ManifestRule):
    """A file's size or sha256 differs from the manifest.

    ## What it does
    For every listed file, compares the size, then (when sizes agree) the sha256, hashing in
    streamed chunks.

    ## Why it matters
    ADS-generated load_model() verifies the model against the manifest and raises on a
    mismatch: a model edited or re-exported after the artifact was downloaded breaks the
    deployment at start-up.

    ## Example
    `model.joblib` retrained and copied into an artifact downloaded from the catalog.

    ## Fix
    Safe fix: regenerate the manifest.
    """

    code, name, severity = "PKG103", "manifest-mismatch", Severity.ERROR
    fix_kind = "S"
    valid = lazy_cases(lambda: [Case(_with_manifest())])
    invalid = lazy_cases(lambda: [Case({**_with_manifest(), "model.joblib": b"\x80\x04K\x02."}, expect=[(3, 3)],
                                       fixed={MANIFEST: _regenerated({**GOOD, "model.joblib": b"\x80\x04K\x02."})})])

    def check_manifest(self, ctx, document):
        artifact = ctx.artifact
        for key, value in _entries(document.root):
            path = artifact.member(key.value)
            entry = artifact.entries.get(path)
            if entry is None or entry.kind == "dir" or not _valid_entry(value) or _bad_name(key.value):
                continue
            expected_size, expected_sha = value.get("size").value, value.get("sha256").value
            if entry.size != expected_size:
                yield self.diagnostic(document.path, key.span, f"{key.value} is {entry.size} bytes, the manifest says "
                                                               f"{expected_size}; ADS's load_model() will refuse it",
                                      fix=regenerate_fix(ctx, document))
                continue
            actual = _hash(ctx, key.value)
            if actual is not None and actual != expected_sha:
                yield self.diagnostic(document.path, key.span, f"{key.value}'s sha256 differs from the manifest's; the "
                                                               f"file changed after the manifest was written",
                                      fix=regenerate_fix(ctx, document))
