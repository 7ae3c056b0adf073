"""GitHub Actions workflow commands: an annotation per finding, a group per artifact."""

from __future__ import annotations

import os
from typing import TextIO

from artifact_lint.diagnostics import Severity
from artifact_lint.engine import LintRun

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def write_github(run: LintRun, stream: TextIO) -> None:
    for result in run.results:
        stream.write(f"::group::{_data(result.artifact)}\n")
        for diagnostic in result.diagnostics:
            path = result.artifact if result.kind == "zip" else os.path.normpath(os.path.join(result.artifact,
                                                                                           diagnostic.path))
            properties = [f"file={_property(path)}"]
            if diagnostic.span is not None and result.kind != "zip":  # member lines are not lines of the zip
                span = diagnostic.span
                properties += [f"line={span.start.line}", f"col={span.start.column}", f"endLine={span.end.line}",
                               f"endColumn={span.end.column}"]
            properties.append(f"title={_property(f'{diagnostic.code} {diagnostic.name}')}")
            where = f":{diagnostic.line}" if diagnostic.span else ""
            message = diagnostic.message if result.kind != "zip" else f"{diagnostic.path}{where}: {diagnostic.message}"
            stream.write(f"::{COMMANDS[diagnostic.severity]} {','.join(properties)}::{_data(message)}\n")
        stream.write("::endgroup::\n")
    for artifact, message in run.all_tool_errors():
        stream.write(f"::error title=artifact-lint::{_data(f'{artifact}: {message}')}\n")
    diagnostics = run.diagnostics
    counts = {severity: sum(1 for d in diagnostics if d.severity == severity) for severity in Severity}
    stream.write(f"artifact-lint: {counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings, "
                 f"{counts[Severity.INFO]} infos in {len(run.results)} artifacts\n")
