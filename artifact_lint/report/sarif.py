"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Paths are made relative to the repository root (the nearest folder with .git above the working
directory, else the working directory) and anchored at %SRCROOT%; every result carries a full
region and a partial fingerprint, so re-uploads update alerts instead of duplicating them.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TextIO

from artifact_lint import __version__
from artifact_lint.diagnostics import Diagnostic, Severity
from artifact_lint.engine import ArtifactResult, LintRun
from artifact_lint.report.paths import file_on_disk, is_zip, location
from artifact_lint.registry import all_rules

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
INFORMATION_URI = "https://github.com/artifact-lint/artifact-lint/blob/main/docs/rules.md"


def repository_root(start: Path | None = None) -> Path:
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def _uri(result: ArtifactResult, diagnostic: Diagnostic, root: Path) -> str:
    full = Path(file_on_disk(result, diagnostic))
    try:
        return Path(os.path.relpath(full.resolve(), root)).as_posix()
    except ValueError:
        return full.resolve().as_posix()


def _region(result: ArtifactResult, diagnostic: Diagnostic) -> dict:
    if diagnostic.span is None or is_zip(result):  # a member's lines are not lines of the zip file
        return {"startLine": 1}
    span = diagnostic.span
    return {"startLine": span.start.line, "startColumn": span.start.column, "endLine": span.end.line,
            "endColumn": max(span.end.column, 1)}


def _fingerprint(diagnostic: Diagnostic, uri: str, lines: list[str], seen: dict) -> str:
    line = lines[diagnostic.line - 1].strip() if diagnostic.span and 0 < diagnostic.line <= len(lines) else ""
    base = hashlib.sha256(f"{diagnostic.code}\0{uri}\0{line}\0{diagnostic.message}".encode()).hexdigest()[:32]
    seen[base] = seen.get(base, 0) + 1
    return f"{base}:{seen[base]}"


def build_sarif(run: LintRun, root: Path | None = None, statistics: bool = False) -> dict:
    root = root or repository_root()
    rules = all_rules()
    used = sorted({d.code for d in run.diagnostics})
    index = {code: position for position, code in enumerate(used)}
    descriptors = [{
        "id": code, "name": rules[code].name,
        "shortDescription": {"text": rules[code].summary()},
        "fullDescription": {"text": rules[code].documentation().split("\n", 1)[-1].strip()},
        "help": {"text": rules[code].documentation(), "markdown": rules[code].documentation()},
        "helpUri": f"{INFORMATION_URI}#{code.lower()}",
        "defaultConfiguration": {"level": LEVELS[rules[code].severity]},
        "properties": {"tags": [code[:3]], "fix": rules[code].fix_kind},
    } for code in used]
    results, seen = [], {}
    for result, diagnostic in ((owner, diagnostic) for owner in run.results for diagnostic in owner.diagnostics):
        uri = _uri(result, diagnostic, root)
        message = f"{location(result, diagnostic)}: {diagnostic.message}" if is_zip(result) else diagnostic.message
        results.append({
            "ruleId": diagnostic.code, "ruleIndex": index[diagnostic.code], "level": LEVELS[diagnostic.severity],
            "message": {"text": message},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                                "region": _region(result, diagnostic)}}],
            "partialFingerprints": {"primaryLocationLineHash": _fingerprint(
                diagnostic, uri, result.sources.get(diagnostic.path, []), seen)},
        })
    notifications = [{"level": "error", "message": {"text": f"{artifact}: {message}"}}
                     for artifact, message in run.all_tool_errors()]
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "artifact-lint", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI, "rules": descriptors}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
            "results": results,
            "invocations": [{"executionSuccessful": not run.all_tool_errors(),
                             "toolExecutionNotifications": notifications}],
        }],
    }
    if statistics:
        from artifact_lint.report.statistics import statistics as per_code

        document["runs"][0]["properties"] = {"statistics": per_code(run)}
    return document


def write_sarif(run: LintRun, stream: TextIO, statistics: bool = False) -> None:
    json.dump(build_sarif(run, statistics=statistics), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
