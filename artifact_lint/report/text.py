"""Human output: findings grouped by artifact, each with a source excerpt, then a summary.

Each output line is a tuple of (text, style) pieces, never markup strings, so a message that holds
square brackets prints as written. Colour only on a terminal, never with NO_COLOR. Coloured output
goes through rich; plain output, what every pipe and CI log gets, is written directly, as rich
would write it, so a lint does not pay for importing rich.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from artifact_lint.diagnostics import Diagnostic, Severity
from artifact_lint.engine import ArtifactResult, LintRun
from artifact_lint.report.paths import location
from artifact_lint.report.statistics import counts_sentence, fix_hint, plural, statistics_rows
from artifact_lint.terminal import escapes_allowed

Line = tuple[tuple[str, str], ...]  # (text, style) pieces; style "" is none

STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
MAX_EXCERPT = 110


def excerpt(lines: list[str], diagnostic: Diagnostic) -> list[Line]:
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
    carets = "^" * max(1, min(end, offset + len(source) + 1) - start)
    return [((gutter, "dim"), (source, "")),
            ((" " * 6 + " │ " + " " * (start - offset), ""), (carets, STYLES[diagnostic.severity]))]


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


def _contract_lines(result: ArtifactResult) -> list[Line]:
    """Say which contract the artifact was checked against, when it is not the usual single model."""
    contract = result.contract
    if contract and contract["kind"] != "model":
        return [((f"  linted as {contract['kind']} ({contract['source']}: {contract['reason']})", "dim"),)]
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


def write_text(run: LintRun, stream: TextIO, *, color: bool | None = None, statistics: bool = False) -> None:
    plain = color is False or (color is None and not escapes_allowed(stream))
    lines = list(report_lines(run, statistics))
    if plain and not any("\t" in text for line in lines for text, _ in line):
        stream.write("".join("".join(text for text, _ in line).translate(_STRIPPED) + "\n" for line in lines))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=stream, highlight=False, soft_wrap=True, emoji=False,
        force_terminal=True if color else None, **({"color_system": None} if plain else {}),
    )
    for line in lines:
        if not line:
            console.print()
            continue
        # The first piece's style is the whole line's base style, as when the line is built by adding Texts.
        (text, style), *rest = line
        rendered = Text(text, style=style)
        for text, style in rest:
            rendered.append(text, style=style or None)
        console.print(rendered)


# What rich's Text drops from any string it holds (rich.control.strip_control_codes): bell, backspace,
# vertical tab, form feed, carriage return. Tabs rich expands to its tab stops, so a tab goes through rich.
_STRIPPED = dict.fromkeys((7, 8, 11, 12, 13))


def report_lines(run: LintRun, statistics: bool) -> Iterator[Line]:
    """The report, line by line: per artifact its findings with excerpts, then tool errors and the summary."""
    for result in run.results:
        header = (result.artifact, "bold")
        clean = not result.diagnostics and not result.tool_errors
        yield (header, ("  no findings", "green")) if clean else (header,)
        yield from _contract_lines(result)
        if result.verification is not None:
            for text in [verification_line(result.verification), *environment_lines(result.verification)]:
                yield (("  " + text, "dim"),)
        if clean:
            continue
        for diagnostic in result.diagnostics:
            line = [("  ", ""), (location(result, diagnostic), "bold"), (" ", ""),
                    (diagnostic.code, STYLES[diagnostic.severity]),
                    (f" {diagnostic.severity.label}: {diagnostic.message}", "")]
            if diagnostic.fix is not None:
                line.append((f" [{diagnostic.fix.applicability.value} fix]", "dim"))
            yield tuple(line)
            yield from excerpt(result.sources.get(diagnostic.path, []), diagnostic)
        yield ()
    for artifact, message in run.all_tool_errors():
        where = message if message.startswith(artifact) else f"{artifact}: {message}"
        yield ("error: ", "bold red"), (where, "")
    if statistics:
        for row in statistics_rows(run):
            yield ((row, ""),)
    yield summary_line(run)


def summary_line(run: LintRun) -> Line:
    artifacts = plural(len(run.results), "artifact")
    failures = len(run.all_tool_errors())
    if not run.diagnostics and failures:
        return ((f"No findings in {artifacts}, but {plural(failures, 'input')} could not be linted.", "bold red"),)
    if not run.diagnostics:
        line = ((f"All checks passed ({artifacts} linted).", "green"),)
    else:
        line = ((counts_sentence(run), "bold"),)
        hint = fix_hint(run)
        if hint:
            line += ((f" {hint}", ""),)
    if failures:
        line += ((f" {plural(failures, 'input')} could not be linted.", "bold red"),)
    return line
