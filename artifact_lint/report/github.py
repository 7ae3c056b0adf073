"""GitHub Actions workflow commands: an annotation per finding, a group per artifact."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from artifact_lint.diagnostics import Severity
from artifact_lint.engine import LintRun
from artifact_lint.report.paths import file_on_disk, is_zip, location
from artifact_lint.report.statistics import counts_sentence, statistics_markdown, statistics_rows

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def write_github(run: LintRun, stream: TextIO, statistics: bool = False) -> None:
    for result in run.results:
        stream.write(f"::group::{_data(result.artifact)}\n")
        for diagnostic in result.diagnostics:
            properties = [f"file={_property(file_on_disk(result, diagnostic))}"]
            if diagnostic.span is not None and not is_zip(result):  # member lines are not lines of the zip
                span = diagnostic.span
                properties += [f"line={span.start.line}", f"col={span.start.column}", f"endLine={span.end.line}",
                               f"endColumn={span.end.column}"]
            properties.append(f"title={_property(f'{diagnostic.code} {diagnostic.name}')}")
            message = f"{location(result, diagnostic)}: {diagnostic.message}" if is_zip(result) else diagnostic.message
            stream.write(f"::{COMMANDS[diagnostic.severity]} {','.join(properties)}::{_data(message)}\n")
        stream.write("::endgroup::\n")
    for artifact, message in run.all_tool_errors():
        stream.write(f"::error title=artifact-lint::{_data(f'{artifact}: {message}')}\n")
    if statistics:
        stream.write("".join(row + "\n" for row in statistics_rows(run)))
        _job_summary(run)
    stream.write(f"artifact-lint: {counts_sentence(run)}\n")


def _job_summary(run: LintRun) -> None:
    """The statistics as Markdown on the run's summary page (GITHUB_STEP_SUMMARY names the file)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(statistics_markdown(run))
    except OSError as error:
        sys.stderr.write(f"artifact-lint: warning: cannot write the job summary to {target}: {error.strerror}\n")
