"""--statistics: findings counted per code, one table for every output format."""

from __future__ import annotations

from artifact_lint.diagnostics import Applicability
from artifact_lint.engine import LintRun


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def statistics(run: LintRun) -> list[dict]:
    """One entry per code, most frequent first: code, name, count, and how many have a fix."""
    counts: dict[str, dict] = {}
    for diagnostic in run.diagnostics:
        entry = counts.setdefault(diagnostic.code, {"code": diagnostic.code, "name": diagnostic.name, "count": 0,
                                                    "fixable": 0})
        entry["count"] += 1
        entry["fixable"] += diagnostic.fix is not None
    return sorted(counts.values(), key=lambda entry: (-entry["count"], entry["code"]))


def statistics_rows(run: LintRun) -> list[str]:
    """The table as plain lines: `    3  RTY107  version-written-as-number  (3 fixable)`."""
    return [f"{entry['count']:>5}  {entry['code']}  {entry['name']}"
            + (f"  ({entry['fixable']} fixable)" if entry["fixable"] else "") for entry in statistics(run)]


def statistics_markdown(run: LintRun) -> str:
    """The table in Markdown, for a GitHub job summary."""
    rows = "".join(f"| {entry['code']} | {entry['name']} | {entry['count']} | {entry['fixable']} |\n"
                   for entry in statistics(run))
    return "### artifact-lint\n\n" + (f"| Code | Name | Findings | Fixable |\n|---|---|---|---|\n{rows}" if rows
                                      else "No findings.\n") + f"\n{counts_sentence(run)}\n"


def counts_sentence(run: LintRun) -> str:
    """`Found 1 error, 2 warnings and 0 infos in 1 artifact.`"""
    diagnostics = run.diagnostics
    counts = {label: sum(1 for d in diagnostics if d.severity.label == label) for label in ("error", "warning", "info")}
    return (f"Found {plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')} and "
            f"{plural(counts['info'], 'info')} in {plural(len(run.results), 'artifact')}.")


def fix_hint(run: LintRun) -> str:
    """What `artifact-lint fix` can do about the findings, or "" when it can do nothing."""
    fixes = [d.fix for d in run.diagnostics if d.fix is not None]
    safe = sum(1 for fix in fixes if fix.applicability is Applicability.SAFE)
    unsafe = len(fixes) - safe
    if safe and unsafe:
        return (f"{safe} can be fixed with `artifact-lint fix`, {unsafe} more with `artifact-lint fix --unsafe-fixes` "
                f"(review those changes).")
    if safe:
        return f"{safe} can be fixed with `artifact-lint fix`."
    if unsafe:
        return f"{unsafe} can be fixed with `artifact-lint fix --unsafe-fixes` (review the changes)."
    return ""
