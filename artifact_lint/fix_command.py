"""`artifact-lint fix`: run fix mode over every artifact found, write (or diff), report what is left.

Each artifact is one transaction (artifact_lint.transaction). The report is honest about the disk:
when a file could not be written or was skipped, the findings shown are re-read from disk, the fix
counts cover only what was written, and the run exits 2 naming the file and the reason.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
from collections import Counter

from artifact_lint.config import ConfigError, ConfigLoader
from artifact_lint.discovery import discover
from artifact_lint.engine import LintRun, lint_artifact
from artifact_lint.fixing import MAX_ROUNDS, FixError, FixOutcome, fix_artifact, unified_diff
from artifact_lint.report.fix_report import changes_json
from artifact_lint.report.statistics import plural
from artifact_lint.transaction import Refused, WriteFailed, remove_stale_temporaries, write_changes


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; raised where the run is, so the transaction cleans up first."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def run_fix(paths: list[str], loader: ConfigLoader, overrides: dict, *, unsafe: bool, show_diff: bool, fmt: str,
            exit_zero: bool, skip_outside: bool = False) -> int:
    try:
        with _signals_interrupt():
            return _run(paths, loader, overrides, unsafe=unsafe, show_diff=show_diff, fmt=fmt, exit_zero=exit_zero,
                        skip_outside=skip_outside)
    except (Interrupted, KeyboardInterrupt) as interruption:
        print("artifact-lint: interrupted; every file is as it was or fully fixed, and no temporary file is left",
              file=sys.stderr)
        return 128 + getattr(interruption, "signum", signal.SIGINT)


def _run(paths, loader, overrides, *, unsafe, show_diff, fmt, exit_zero, skip_outside) -> int:
    found = discover(paths, skip_outside)
    run = LintRun(tool_errors=list(found.errors))
    outcomes: list[FixOutcome] = []
    removed: list[str] = []
    for artifact in found.artifacts:
        try:
            config = loader.for_directory(artifact.location).with_overrides(**overrides)
            if not show_diff and artifact.kind == "directory":
                removed.extend(f"{artifact.display}/{path}" for path in remove_stale_temporaries(artifact))
            outcome = fix_artifact(artifact, config, unsafe=unsafe)
            if not show_diff and outcome.changes:
                _write(artifact, config, outcome, run)
        except (ConfigError, FixError) as error:
            run.tool_errors.append((artifact.display, str(error)))
            continue
        except OSError as error:  # the write itself reports WriteFailed; this is anything else on the way
            run.tool_errors.append((artifact.display, f"cannot fix: {error.strerror or error}; no file was changed"))
            continue
        finally:
            artifact.close()
        outcomes.append(outcome)
        run.results.append(outcome.result)
        run.tool_errors.extend((artifact.display, message) for message in outcome.rejected)
        if not outcome.converged:
            run.tool_errors.append((artifact.display, f"fixes did not converge in {MAX_ROUNDS} rounds; please report it"))
    if show_diff and fmt == "json":  # the report, with each change as a diff and as edits; nothing written
        _report(run, outcomes, removed, fmt)
        return 2 if run.all_tool_errors() else 1 if any(o.changes for o in outcomes) else 0
    if show_diff:
        diff = "".join(unified_diff(o.result.artifact, o.changes) for o in outcomes)
        sys.stdout.write(diff)
        if run.all_tool_errors():
            for artifact, message in run.all_tool_errors():
                print(f"artifact-lint: error: {artifact}: {message}", file=sys.stderr)
            return 2
        return 1 if diff else 0
    _report(run, outcomes, removed, fmt)
    return run.exit_code(exit_zero)


def _write(artifact, config, outcome: FixOutcome, run: LintRun) -> None:
    """Write one artifact's changes; on a failure or a skipped file, report from what is on disk."""
    try:
        written = write_changes(artifact, outcome.changes)
    except (WriteFailed, Refused) as error:
        run.tool_errors.append((artifact.display, str(error)))
        written_paths, problems = [], True
    else:
        run.tool_errors.extend((artifact.display, message) for message in written.skipped)
        written_paths, problems = written.written, bool(written.skipped)
    if problems:
        outcome.keep_only(written_paths)
        artifact.set_overlay({})
        outcome.result = lint_artifact(artifact, config)


@contextlib.contextmanager
def _signals_interrupt():
    """SIGINT and SIGTERM raise Interrupted (outside the main thread, signals stay as they are)."""
    def interrupt(signum, _frame):
        raise Interrupted(signum)

    previous = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, interrupt)
    except ValueError:
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _summary(outcomes: list[FixOutcome], removed: list[str]) -> dict:
    applied = sum((o.applied for o in outcomes), Counter())
    summary = {
        "applied": dict(sorted(applied.items())),
        "unsafe_held_back": sum(o.unsafe_held_back for o in outcomes),
        "files": sorted({f"{o.result.artifact}/{path}" for o in outcomes for path in o.changes}),
        "converged": all(o.converged for o in outcomes),
        "changes": [change for o in outcomes for change in changes_json(o.result.artifact, o.changes)],
    }
    if removed:
        summary["removed_temporary_files"] = sorted(removed)
    return summary


def _report(run: LintRun, outcomes: list[FixOutcome], removed: list[str], fmt: str) -> None:
    summary = _summary(outcomes, removed)
    if fmt == "json":
        from artifact_lint.report.json_report import build_report

        report = build_report(run)
        report["fixes"] = summary
        json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    from artifact_lint.report.text import write_text

    if removed:
        print(f"Removed {len(removed)} temporary file(s) an interrupted fix run left: {', '.join(sorted(removed))}.")
    total = sum(summary["applied"].values())
    if total:
        per_code = ", ".join(f"{code} x{count}" for code, count in summary["applied"].items())
        print(f"Fixed {plural(total, 'problem')} ({per_code}) in {plural(len(summary['files']), 'file')}.")
    else:
        print("Nothing to fix automatically." if not run.all_tool_errors() else "No fix was written.")
    if summary["unsafe_held_back"]:
        print(f"{summary['unsafe_held_back']} more can be fixed with --unsafe-fixes.")
    if run.diagnostics:
        print("Remaining findings:")
    elif not run.all_tool_errors():
        print("No findings remain.")
    write_text(run, sys.stdout)
