"""`artifact-lint fix`: run fix mode over every artifact found, write (or diff), report what is left."""

from __future__ import annotations

import json
import sys
from collections import Counter

from artifact_lint.config import ConfigError, ConfigLoader
from artifact_lint.discovery import discover
from artifact_lint.engine import LintRun
from artifact_lint.fixing import FixError, FixOutcome, fix_artifact, unified_diff, write_changes
from artifact_lint.report.fix_report import changes_json
from artifact_lint.report.statistics import plural


def run_fix(paths: list[str], loader: ConfigLoader, overrides: dict, *, unsafe: bool, show_diff: bool, fmt: str,
            exit_zero: bool, skip_outside: bool = False) -> int:
    found = discover(paths, skip_outside)
    run = LintRun(tool_errors=list(found.errors))
    outcomes: list[FixOutcome] = []
    for artifact in found.artifacts:
        try:
            config = loader.for_directory(artifact.location).with_overrides(**overrides)
            outcome = fix_artifact(artifact, config, unsafe=unsafe)
            if not show_diff:
                write_changes(artifact, outcome.changes)
        except (ConfigError, FixError) as error:
            run.tool_errors.append((artifact.display, str(error)))
            continue
        except OSError as error:
            run.tool_errors.append((artifact.display, f"could not write the fixes: {error.strerror or error}; "
                                                      f"files are left as they were or fully fixed, never half-written"))
            continue
        finally:
            artifact.close()
        outcomes.append(outcome)
        run.results.append(outcome.result)
        run.tool_errors.extend((artifact.display, message) for message in outcome.rejected)
        if not outcome.converged:
            run.tool_errors.append((artifact.display, f"fixes did not converge in {10} rounds; please report it"))
    if show_diff and fmt == "json":  # the report, with each change as a diff and as edits; nothing written
        _report(run, outcomes, fmt)
        return 2 if run.all_tool_errors() else 1 if any(o.changes for o in outcomes) else 0
    if show_diff:
        diff = "".join(unified_diff(o.result.artifact, o.changes) for o in outcomes)
        sys.stdout.write(diff)
        if run.all_tool_errors():
            for artifact, message in run.all_tool_errors():
                print(f"artifact-lint: error: {artifact}: {message}", file=sys.stderr)
            return 2
        return 1 if diff else 0
    _report(run, outcomes, fmt)
    return run.exit_code(exit_zero)


def _summary(outcomes: list[FixOutcome]) -> dict:
    applied = sum((o.applied for o in outcomes), Counter())
    return {
        "applied": dict(sorted(applied.items())),
        "unsafe_held_back": sum(o.unsafe_held_back for o in outcomes),
        "files": sorted({f"{o.result.artifact}/{path}" for o in outcomes for path in o.changes}),
        "converged": all(o.converged for o in outcomes),
        "changes": [change for o in outcomes for change in changes_json(o.result.artifact, o.changes)],
    }


def _report(run: LintRun, outcomes: list[FixOutcome], fmt: str) -> None:
    summary = _summary(outcomes)
    if fmt == "json":
        from artifact_lint.report.json_report import build_report

        report = build_report(run)
        report["fixes"] = summary
        json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    from artifact_lint.report.text import write_text

    total = sum(summary["applied"].values())
    if total:
        per_code = ", ".join(f"{code} x{count}" for code, count in summary["applied"].items())
        print(f"Fixed {plural(total, 'problem')} ({per_code}) in {plural(len(summary['files']), 'file')}.")
    else:
        print("Nothing to fix automatically.")
    if summary["unsafe_held_back"]:
        print(f"{summary['unsafe_held_back']} more can be fixed with --unsafe-fixes.")
    print("Remaining findings:" if run.diagnostics else "No findings remain.")
    write_text(run, sys.stdout)
