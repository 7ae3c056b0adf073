"""Human output: findings grouped by artifact, each with a source excerpt, then a summary.

Built from rich Text objects (never markup strings), so a message that holds
square brackets prints as written. Colour only on a terminal, never with NO_COLOR.
"""

from __future__ import annotations

import os
from typing import TextIO

from rich.console import Console
from rich.text import Text

from artifact_lint.diagnostics import Diagnostic, Severity
from artifact_lint.engine import ArtifactResult, LintRun

STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
MAX_EXCERPT = 110


def display_path(result: ArtifactResult, diagnostic: Diagnostic) -> str:
    """A path a terminal or editor can open: joined to the artifact folder, or inside the zip."""
    if result.kind == "zip":
        return diagnostic.path  # the header names the zip; members cannot be opened directly
    return os.path.normpath(os.path.join(result.artifact, diagnostic.path)).replace(os.sep, "/")


def location(result: ArtifactResult, diagnostic: Diagnostic) -> str:
    path = display_path(result, diagnostic)
    if diagnostic.span is None:
        return path
    return f"{path}:{diagnostic.span.start.line}:{diagnostic.span.start.column}"


def excerpt(lines: list[str], diagnostic: Diagnostic) -> list[Text]:
    """The finding's first line with a gutter, and carets under the span."""
    span = diagnostic.span
    if span is None or not diagnostic.excerpt or not 0 < span.start.line <= len(lines):
        return []
    source = lines[span.start.line - 1].expandtabs(1)
    start = span.start.column - 1
    end = span.end.column - 1 if span.end.line == span.start.line else len(source)
    end = max(end, start + 1)
    offset = 0
    if len(source) > MAX_EXCERPT:  # keep the span in view on long lines
        offset = max(0, min(start - 20, len(source) - MAX_EXCERPT))
        source = source[offset: offset + MAX_EXCERPT]
    gutter = f"{span.start.line:>6} │ "
    marker = Text(" " * 6 + " │ " + " " * (start - offset))
    marker.append("^" * max(1, min(end, offset + len(source) + 1) - start), style=STYLES[diagnostic.severity])
    return [Text(gutter, style="dim") + Text(source), marker]


def verification_line(summary: dict) -> str:
    """verify: import 0.41 s, load_model 0.10 s, predict p50 3.1 ms / p95 4.0 ms (5 runs); isolation ..."""
    timings = summary.get("timings") or {}
    parts = [f"{label} {timings[key]:.2f} s" for key, label in (("import", "import"), ("load", "load_model"))
             if key in timings]
    if "predict_p50" in timings:
        parts.append(f"predict p50 {timings['predict_p50'] * 1000:.1f} ms / p95 {timings['predict_p95'] * 1000:.1f} ms "
                     f"({timings['predict_runs']} run{'s' if timings['predict_runs'] != 1 else ''})")
    isolation = summary.get("isolation") or {}
    cached = " (cached result)" if isolation.get("cached") else ""
    return (f"verify: {', '.join(parts) or 'stopped at ' + str(summary.get('stage'))}; payload: {summary.get('payload')}; "
            f"network: {isolation.get('network')}, memory limit {isolation.get('memory_limit_mb')} MB{cached}")


def environment_lines(summary: dict) -> list[str]:
    """verify --env/--pack: the interpreter, and each installed distribution with where its version came from."""
    environment = summary.get("environment")
    if not environment:
        return []
    how = "reused" if environment.get("cached") else f"built in {environment.get('build_seconds', 0):.1f} s"
    lines = [f"environment: {environment.get('location')} ({how})"]
    lines += [f"  {item['name']} {item['version']}: {item['source']}" for item in environment.get("installed", [])]
    return lines


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def write_text(run: LintRun, stream: TextIO, *, color: bool | None = None, statistics: bool = False) -> None:
    plain = color is False or bool(os.environ.get("NO_COLOR"))
    console = Console(
        file=stream, highlight=False, soft_wrap=True, emoji=False,
        force_terminal=True if color else None, **({"color_system": None} if plain else {}),
    )
    for result in run.results:
        header = Text(result.artifact, style="bold")
        if not result.diagnostics and not result.tool_errors:
            console.print(header + Text("  no findings", style="green"))
            if result.verification is not None:
                for text in [verification_line(result.verification), *environment_lines(result.verification)]:
                    console.print(Text("  " + text, style="dim"))
            continue
        console.print(header)
        if result.verification is not None:
            for text in [verification_line(result.verification), *environment_lines(result.verification)]:
                console.print(Text("  " + text, style="dim"))
        for diagnostic in result.diagnostics:
            line = Text("  ") + Text(location(result, diagnostic), style="bold") + Text(" ")
            line += Text(diagnostic.code, style=STYLES[diagnostic.severity])
            line += Text(f" {diagnostic.severity.label}: {diagnostic.message}")
            if diagnostic.fix is not None:
                line += Text(f" [{diagnostic.fix.applicability.value} fix]", style="dim")
            console.print(line)
            for row in excerpt(result.sources.get(diagnostic.path, []), diagnostic):
                console.print(row)
        console.print()
    for artifact, message in run.all_tool_errors():
        where = message if message.startswith(artifact) else f"{artifact}: {message}"
        console.print(Text("error: ", style="bold red") + Text(where))
    if statistics:
        for row in statistics_rows(run):
            console.print(row)
    console.print(summary_line(run))


def statistics_rows(run: LintRun) -> list[str]:
    """One line per code: how many findings, the rule's name, and how many can be fixed."""
    counts: dict[str, list] = {}
    for diagnostic in run.diagnostics:
        entry = counts.setdefault(diagnostic.code, [0, diagnostic.name, 0])
        entry[0] += 1
        entry[2] += diagnostic.fix is not None
    rows = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    return [f"{count:>5}  {code}  {name}" + (f"  ({fixable} fixable)" if fixable else "")
            for code, (count, name, fixable) in rows]


def summary_line(run: LintRun) -> Text:
    diagnostics = run.diagnostics
    counts = {severity: sum(1 for d in diagnostics if d.severity == severity) for severity in Severity}
    artifacts = _plural(len(run.results), "artifact")
    failures = len(run.all_tool_errors())
    if not diagnostics and failures:
        return Text(f"No findings in {artifacts}, but {_plural(failures, 'input')} could not be linted.", style="bold red")
    if not diagnostics:
        text = Text(f"All checks passed ({artifacts} linted).", style="green")
    else:
        text = Text(
            f"Found {_plural(counts[Severity.ERROR], 'error')}, {_plural(counts[Severity.WARNING], 'warning')} "
            f"and {_plural(counts[Severity.INFO], 'info')} in {artifacts}.",
            style="bold",
        )
        fixable = sum(1 for d in diagnostics if d.fix is not None)
        if fixable:
            text += Text(f" {fixable} with a fix (shown in the JSON report).")
    if failures:
        text += Text(f" {_plural(failures, 'input')} could not be linted.", style="bold red")
    return text
