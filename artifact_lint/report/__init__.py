"""Renderers: one diagnostic model, many output formats."""

from __future__ import annotations

from typing import TextIO

from artifact_lint.engine import LintRun

FORMATS = ("text", "json", "sarif", "github", "ads")


def render(run: LintRun, fmt: str, stream: TextIO, *, color: bool | None = None, statistics: bool = False) -> None:
    """Write `run` in `fmt`; `statistics` adds the count per code (in the document for json and sarif,
    after the annotations and in the job summary for github, on stderr for ads, whose shape is ADS's)."""
    if fmt == "json":
        from artifact_lint.report.json_report import write_json

        write_json(run, stream, statistics=statistics)
    elif fmt == "sarif":
        from artifact_lint.report.sarif import write_sarif

        write_sarif(run, stream, statistics=statistics)
    elif fmt == "github":
        from artifact_lint.report.github import write_github

        write_github(run, stream, statistics=statistics)
    elif fmt == "ads":
        import sys

        from artifact_lint.report.ads import write_ads
        from artifact_lint.report.statistics import statistics_rows

        write_ads(run, stream)
        if statistics:
            sys.stderr.write("".join(row + "\n" for row in statistics_rows(run)))
    else:
        from artifact_lint.report.text import write_text

        write_text(run, stream, color=color, statistics=statistics)
