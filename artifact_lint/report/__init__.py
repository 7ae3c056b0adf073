"""Renderers: one diagnostic model, many output formats."""

from __future__ import annotations

from typing import TextIO

from artifact_lint.engine import LintRun

FORMATS = ("text", "json", "sarif", "github", "ads")


def render(run: LintRun, fmt: str, stream: TextIO, *, color: bool | None = None, statistics: bool = False) -> None:
    if fmt == "json":
        from artifact_lint.report.json_report import write_json

        write_json(run, stream)
    elif fmt == "sarif":
        from artifact_lint.report.sarif import write_sarif

        write_sarif(run, stream)
    elif fmt == "github":
        from artifact_lint.report.github import write_github

        write_github(run, stream)
    elif fmt == "ads":
        from artifact_lint.report.ads import write_ads

        write_ads(run, stream)
    else:
        from artifact_lint.report.text import write_text

        write_text(run, stream, color=color, statistics=statistics)
