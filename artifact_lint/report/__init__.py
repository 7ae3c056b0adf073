"""Renderers: one diagnostic model, many output formats."""

from __future__ import annotations

from typing import TextIO

from artifact_lint.engine import LintRun

FORMATS = ("text", "json")


def render(run: LintRun, fmt: str, stream: TextIO, *, color: bool | None = None) -> None:
    if fmt == "json":
        from artifact_lint.report.json_report import write_json

        write_json(run, stream)
    else:
        from artifact_lint.report.text import write_text

        write_text(run, stream, color=color)
