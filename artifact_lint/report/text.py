"""Human output: findings grouped by artifact, each with a source excerpt, then a summary.

Built from rich Text objects (never markup strings), so a message that holds
square brackets prints as written. Colour only on a terminal, never with NO_COLOR.
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.text import Text

from artifact_lint.diagnostics import Diagnostic, Severity
from artifact_lint.engine import ArtifactResult, LintRun
from artifact_lint.report.paths import location
from artifact_lint.report.statistics import counts_sentence, fix_hint, plural, statistics_rows
from artifact_lint.terminal import escapes_allowed

STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
MAX_EXCERPT = 110


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
    line = Text(gutter, style="dim")
    line.append(source)
    return [line, marker]


def verification_line(summary: dict) -> str:
    """verify: import 0.41 s, load_model 0.10 s, predict p50 3.1 ms / p95 4.0 ms (5 runs); isolation ..."""
    timings = summary.get("timings") or {}
    parts = [f"{label} {timings[key]:.2f} s" for key, label in (("import", "import"), ("load", "load_model"))
             if key in timings]
    if "predict_p50" in timings:
        parts.append(f"predict p50 {timings['predict_p50'] * 1000:.1f} ms / p95 {timings['predict_p95'] * 1000:.1f} ms "
                     f"({plural(timings['predict_runs'], 'run')})")
    isolation = summary.get("isolation") or {}
    cached = " (cached result)" if isolation.get("cached") else ""
    return (f"verify: {', '.join(parts) or 'stopped at ' + str(summary.get('stage'))}; payload: {summary.get('payload')}; "
            f"network: {isolation.get('network')}, memory limit {isolation.get('memory_limit_mb')} MB{cached}")


def _contract_rows(result: ArtifactResult) -> list[Text]:
    """Say which contract the artifact was checked against, when it is not the usual single model."""
    contract = result.contract
    if contract and contract["kind"] != "model":
        return [Text(f"  linted as {contract['kind']} ({contract['source']}: {contract['reason']})", style="dim")]
    return []


def environment_lines(summary: dict) -> list[str]:
    """verify --env/--pack: the interpreter, and each installed distribution with where its version came from."""
    environment = summary.get("environment")
    if not environment:
        return []
    how = "reused" if environment.get("cached") else f"built in {environment.get('build_seconds', 0):.1f} s"
    lines = [f"environment: {environment.get('location')} ({how})"]
    lines += [f"  {item['name']} {item['version']}: {item['source']}" for item in environment.get("installed", [])]
    return lines


# Rows printed per console.print: rich's fixed cost per call (terminal checks, options, buffer
# flush) dwarfs rendering a row, and a bulk run prints five rows per artifact.
PRINT_BATCH = 256


def write_text(run: LintRun, stream: TextIO, *, color: bool | None = None, statistics: bool = False) -> None:
    plain = color is False or (color is None and not escapes_allowed(stream))
    console = Console(
        file=stream, highlight=False, soft_wrap=True, emoji=False,
        force_terminal=True if color else None, **({"color_system": None} if plain else {}),
    )
    rows: list[Text] = []
    for result in run.results:
        rows.extend(result_rows(result))
    for artifact, message in run.all_tool_errors():
        where = message if message.startswith(artifact) else f"{artifact}: {message}"
        rows.append(Text("error: ", style="bold red") + Text(where))
    if statistics:
        rows.extend(console.render_str(row) for row in statistics_rows(run))  # as print(str) renders it
    rows.append(summary_line(run))
    newline = Text("\n")
    for start in range(0, len(rows), PRINT_BATCH):
        batch = rows[start:start + PRINT_BATCH]
        # Without colour the styles print as nothing: hand rich the bare text, not thousands of spans.
        console.print(Text("\n".join(row.plain for row in batch)) if plain else newline.join(batch))


def result_rows(result: ArtifactResult) -> list[Text]:
    """One artifact's lines: its name, contract, verification, then each finding with its excerpt."""
    header = Text(result.artifact, style="bold")
    clean = not result.diagnostics and not result.tool_errors
    rows = [header + Text("  no findings", style="green") if clean else header, *_contract_rows(result)]
    if result.verification is not None:
        rows += [Text("  " + text, style="dim")
                 for text in [verification_line(result.verification), *environment_lines(result.verification)]]
    if clean:
        return rows
    for diagnostic in result.diagnostics:
        line = Text("  ")  # appended to in place: Text + Text copies both
        line.append(location(result, diagnostic), style="bold")
        line.append(" ")
        line.append(diagnostic.code, style=STYLES[diagnostic.severity])
        line.append(f" {diagnostic.severity.label}: {diagnostic.message}")
        if diagnostic.fix is not None:
            line.append(f" [{diagnostic.fix.applicability.value} fix]", style="dim")
        rows.append(line)
        rows.extend(excerpt(result.sources.get(diagnostic.path, []), diagnostic))
    rows.append(Text(""))
    return rows


def summary_line(run: LintRun) -> Text:
    artifacts = plural(len(run.results), "artifact")
    failures = len(run.all_tool_errors())
    if not run.diagnostics and failures:
        return Text(f"No findings in {artifacts}, but {plural(failures, 'input')} could not be linted.", style="bold red")
    if not run.diagnostics:
        text = Text(f"All checks passed ({artifacts} linted).", style="green")
    else:
        text = Text(counts_sentence(run), style="bold")
        hint = fix_hint(run)
        if hint:
            text += Text(f" {hint}")
    if failures:
        text += Text(f" {plural(failures, 'input')} could not be linted.", style="bold red")
    return text
