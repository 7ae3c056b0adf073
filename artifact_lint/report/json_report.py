"""The JSON report, version 1 (shared/design/report-format.md); its schema ships in artifact_lint/schemas."""

from __future__ import annotations

import json
from typing import TextIO

from artifact_lint import __version__
from artifact_lint.diagnostics import Severity
from artifact_lint.engine import LintRun

REPORT_VERSION = 1


def build_report(run: LintRun, statistics: bool = False) -> dict:
    diagnostics = run.diagnostics
    report = {
        "version": REPORT_VERSION,
        "tool": {"name": "artifact-lint", "version": __version__},
        "artifacts": [
            {
                "path": result.artifact,
                "kind": result.kind,
                "errors": result.count(Severity.ERROR),
                "warnings": result.count(Severity.WARNING),
                "infos": result.count(Severity.INFO),
                **({"verification": result.verification} if result.verification is not None else {}),
                **({"contract": result.contract} if result.contract is not None else {}),
            }
            for result in run.results
        ],
        "diagnostics": [diagnostic.to_json() for diagnostic in diagnostics],
        "tool_errors": [{"artifact": artifact, "message": message} for artifact, message in run.all_tool_errors()],
        "summary": {
            "artifacts": len(run.results),
            "errors": sum(1 for d in diagnostics if d.severity == Severity.ERROR),
            "warnings": sum(1 for d in diagnostics if d.severity == Severity.WARNING),
            "infos": sum(1 for d in diagnostics if d.severity == Severity.INFO),
            "fixable": sum(1 for d in diagnostics if d.fix is not None),
        },
    }
    if statistics:
        from artifact_lint.report.statistics import statistics as per_code

        report["statistics"] = per_code(run)
    return report


def write_json(run: LintRun, stream: TextIO, statistics: bool = False) -> None:
    json.dump(build_report(run, statistics), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def report_schema() -> dict:
    """The JSON Schema of the report, as shipped inside the package (importlib.resources only when asked)."""
    from importlib import resources

    text = resources.files("artifact_lint").joinpath("schemas/report-v1.schema.json").read_text(encoding="utf-8")
    return json.loads(text)
