"""The command line: `artifact-lint lint|rule|rules`.

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or tool
error. A crash is reported in one line and exits 2, never with a traceback
(set ARTIFACT_LINT_DEBUG=1 to see one).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
from pathlib import Path

import click

from artifact_lint import __version__
from artifact_lint.config import ARTIFACT_KINDS, RUNTIMES, ConfigError, ConfigLoader
from artifact_lint.diagnostics import Severity
from artifact_lint.terminal import escapes_allowed

SEVERITIES = ("error", "warning", "info")


def _selectors(ctx, param, values):
    """Validate --select/--ignore/--extend-select values early, so a typo is a usage error."""
    from artifact_lint.registry import SelectorError, expand_selector, split_selectors

    tokens = split_selectors(values)
    for token in tokens:
        try:
            expand_selector(token)
        except SelectorError as error:
            raise click.BadParameter(str(error)) from None
    return tokens or None


def _open_output(path: str | None):
    if path is None:
        return contextlib.nullcontext(sys.stdout)
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as error:
        raise click.UsageError(f"cannot write --output-file {path}: {error.strerror}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="artifact-lint")
def cli() -> None:
    """Check OCI Data Science model artifacts before you upload them.

    Every problem at once, with file, line and a fix, without running the artifact's code.
    Start with `artifact-lint lint PATH`; `artifact-lint rules` lists what is checked.
    """


def selection_options(command):
    """The options lint and fix share: what to check, how strictly, with which config."""
    options = [
        click.option("--select", multiple=True, callback=_selectors,
                     help="Rules to run instead of all: codes, prefixes (RTY) or names, comma-separated."),
        click.option("--ignore", multiple=True, callback=_selectors, help="Rules to skip (codes, prefixes or names)."),
        click.option("--extend-select", multiple=True, callback=_selectors, help="Rules to add to the selection."),
        click.option("--fail-on", type=click.Choice(SEVERITIES), default=None,
                     help="Lowest severity that makes the exit code 1 [default: error, or the config's fail-on]."),
        click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (tool errors still exit 2)."),
        click.option("--runtime", type=click.Choice(RUNTIMES), default=None,
                     help="conda (default): runtime.yaml is required; container: bring-your-own-container deployment."),
        click.option("--artifact-kind", "kind", type=click.Choice(ARTIFACT_KINDS), default=None,
                     help="What score.py serves: model (one model in the artifact), model-group (a homogeneous "
                          "group's shared artifact), model-less (built in code) [default: auto, read from the shape]."),
        click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
                     help="Use this config file instead of the nearest pyproject.toml / artifact-lint.toml."),
        click.option("--skip-non-artifact-files", "skip_outside", is_flag=True,
                     help="Pass over file PATHs that belong to no artifact without an error (for pre-commit, which "
                          "passes every changed file)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def verifier_options(command):
    """The options verify and lint --verify share: the interpreter, the payload, the limits."""
    options = [
        click.option("--python", "python_executable", type=click.Path(dir_okay=False),
                     help="The interpreter to run in (the conda pack's python) [default: the one running "
                          "artifact-lint]."),
        click.option("--input", "input_file", type=click.Path(exists=True, dir_okay=False),
                     help="JSON request body for predict(data) [default: rows synthesised from input_schema.json]."),
        click.option("--input-bytes", "input_bytes", type=click.Path(exists=True, dir_okay=False),
                     help="A file sent as raw bytes, as the service passes non-JSON bodies."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
                     help="Seconds per predict call [default: 60, as the service]."),
        click.option("--load-timeout", type=click.FloatRange(min=0, min_open=True),
                     help="Seconds for importing score.py and load_model() [default: 300]."),
        click.option("--memory", type=click.IntRange(min=1),
                     help="Memory limit in MB for the whole process tree (the deployment shape's) [default: 8192]."),
        click.option("--repeat", type=click.IntRange(min=1),
                     help="Call predict this many times, for p50/p95 timings [default: 1]."),
        click.option("--model-folder", "model_folder", type=click.Path(exists=True, file_okay=False),
                     help="For a model group's shared artifact: a member model's folder, passed to "
                          "load_model(model_folder) as the service does."),
        click.option("--require-sandbox", is_flag=True,
                     help="Refuse to run without the bubblewrap sandbox (for artifacts you did not write)."),
        click.option("--no-cache", is_flag=True,
                     help="Run again (and refresh the cached result) even when nothing changed."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _loader_and_overrides(config_file, select, ignore, extend_select, fail_on, runtime, kind=None):
    try:
        loader = ConfigLoader(Path(config_file) if config_file else None)
    except ConfigError as error:
        raise click.UsageError(str(error)) from None
    overrides = {
        "select": tuple(select) if select else None,
        "ignore": tuple(ignore) if ignore else None,
        "extend_select": tuple(extend_select) if extend_select else None,
        "fail_on": Severity.parse(fail_on) if fail_on else None,
        "runtime": runtime,
        "kind": kind,
    }
    return loader, overrides


def environment_options(command):
    """--env/--pack: verify in the environment the deployment will have (see verifier.environments)."""
    command = click.option("--pack", "pack_dir", type=click.Path(exists=True, file_okay=False),
                           help="An unpacked conda pack (as ~/conda/<slug>): verify with its python and check against "
                                "its conda-meta.")(command)
    return click.option("--env", "env_mode", type=click.Choice(["auto"]), default=None,
                        help="auto: build (once, cached) the environment runtime.yaml declares: its Python, the "
                             "libraries of the known service pack or those the artifact records.")(command)


def _environment(env_mode, pack_dir, python_executable=None) -> dict:
    if python_executable and (env_mode or pack_dir):
        raise click.UsageError("give --python, or --env/--pack, not both")
    return {"env": env_mode, "pack": _absolute(pack_dir)}


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github", "ads"]), default=None,
              help="Output format [default: text; github when GITHUB_ACTIONS is set].")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--statistics", is_flag=True, help="Add a count of findings per code (text format).")
@click.option("--stdin-filename", type=click.Path(dir_okay=False),
              help="Lint standard input as this file (an editor's unsaved buffer); the rest of its artifact is read "
                   "from disk.")
@click.option("--verify", "run_verify", is_flag=True,
              help="Also run load_model() and predict() in the sandbox (see `artifact-lint verify`; the verify "
                   "options below apply).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes to lint many artifacts with [default: the number of CPUs].")
@click.option("--online", is_flag=True, default=None,
              help="Check that the conda pack exists in Object Storage (needs `artifact-lint[oci]` and credentials).")
@environment_options
@selection_options
@verifier_options
def lint(paths, fmt, output_file, statistics, stdin_filename, run_verify, jobs, online, select, ignore, extend_select,
         fail_on, exit_zero, runtime, kind, config_file, skip_outside, env_mode, pack_dir, **verifier):
    """Lint artifact folders, artifact zips, folders holding artifacts, or catalog model OCIDs.

    A folder holding score.py or runtime.yaml is an artifact; any other folder is searched for
    artifacts and .zip files (skipping .git, virtualenvs, site-packages and node_modules). Any file
    inside an artifact lints its artifact. An ocid1.datasciencemodel... is downloaded and linted
    (needs `artifact-lint[oci]`).
    """
    from artifact_lint.engine import lint_paths
    from artifact_lint.report import render

    loader, overrides = _loader_and_overrides(config_file, select, ignore, extend_select, fail_on, runtime, kind)
    overrides["online"] = online
    given, use_cache = _verifier_settings(**verifier)
    given.update(_environment(env_mode, pack_dir, given["python"]))
    if not run_verify and any(value is not None for value in given.values()):
        raise click.UsageError("the verify options (--python, --env, --input, --timeout, ...) need --verify")
    buffers = None
    if stdin_filename:
        paths, buffers = _stdin_artifact(stdin_filename)
    elif not paths:
        raise click.UsageError("give at least one PATH (or --stdin-filename)")
    fmt = fmt or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    with _progress(enabled=fmt == "text" or sys.stdout.isatty()) as progress:
        run = lint_paths(list(paths), loader, overrides, buffers=buffers, verify=given if run_verify else None,
                         jobs=jobs or os.cpu_count() or 1, progress=progress, use_cache=use_cache,
                         skip_outside=skip_outside)
    with _open_output(output_file) as stream:
        render(run, fmt, stream, color=False if output_file else None, statistics=statistics)
    _warn_config(loader)
    sys.exit(run.exit_code(exit_zero))


@contextlib.contextmanager
def _progress(enabled: bool, minimum: int = 20):
    """A progress bar on stderr for runs of `minimum` artifacts or more; nothing is drawn (no cursor
    escapes either) for shorter runs, off a terminal, or with NO_COLOR or TERM=dumb."""
    if not enabled or not escapes_allowed(sys.stderr):
        yield None
        return
    bar, task = None, None

    def update(done: int, total: int) -> None:
        nonlocal bar, task
        if total < minimum:
            return
        if bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            bar = Progress("linting", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           console=Console(stderr=True), transient=True)
            bar.start()
            task = bar.add_task("lint", total=total)
        bar.update(task, completed=done)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()


def _stdin_artifact(stdin_filename: str) -> tuple[list[str], dict[str, bytes]]:
    """The artifact the unsaved file belongs to, and the file's content from standard input."""
    from artifact_lint.buffers import buffer_artifact

    path = Path(stdin_filename).absolute()
    owner = buffer_artifact(path) or path.parent
    return [str(owner)], {path.relative_to(owner).as_posix(): sys.stdin.buffer.read()}


def _warn_config(loader: ConfigLoader) -> None:
    for warning in loader.warnings():
        click.echo(f"artifact-lint: warning: {warning}", err=True)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes marked unsafe (they may change behaviour).")
@click.option("--diff", "show_diff", is_flag=True, help="Print the changes as a unified diff and write nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format of the report of what is left.")
@selection_options
def fix(paths, unsafe_fixes, show_diff, fmt, select, ignore, extend_select, fail_on, exit_zero, runtime, kind,
        config_file, skip_outside):
    """Fix what is mechanical, in place (atomically), and report what is left.

    Safe fixes are applied; unsafe ones with --unsafe-fixes. Fixes are applied in rounds until
    nothing changes. With --diff nothing is written and the exit code is 1 when something would
    change.
    """
    from artifact_lint.fix_command import run_fix

    loader, overrides = _loader_and_overrides(config_file, select, ignore, extend_select, fail_on, runtime, kind)
    sys.exit(run_fix(list(paths), loader, overrides, unsafe=unsafe_fixes, show_diff=show_diff, fmt=fmt,
                     exit_zero=exit_zero, skip_outside=skip_outside))


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@verifier_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="Use this config file instead of the nearest pyproject.toml / artifact-lint.toml.")
@environment_options
def verify(paths, fmt, config_file, env_mode, pack_dir, **verifier):
    """Run score.py like the service: import, load_model(), predict(data), in a sandbox.

    The sandbox is bubblewrap: a private read-only copy of the artifact at the service's path,
    a private /home/datascience and /tmp, the host read-only (only what the interpreter needs),
    no network, a cleared environment, memory and process limits for the whole process tree,
    and nothing outlives the run. Without bwrap the run is "process only" (a VRF011 warning;
    an error with --require-sandbox). Findings are VRF codes; the report shows the timings and
    exactly which isolation held. A run that did not complete never passes.
    """
    from artifact_lint.engine import lint_paths
    from artifact_lint.report import render

    loader, overrides = _loader_and_overrides(config_file, None, None, None, None, None)
    overrides["select"] = ("VRF",)
    given, use_cache = _verifier_settings(**verifier)
    given.update(_environment(env_mode, pack_dir, given["python"]))
    run = lint_paths(list(paths), loader, overrides, verify=given, use_cache=use_cache)
    render(run, fmt, sys.stdout)
    sys.exit(run.exit_code())


def _verifier_settings(python_executable, input_file, input_bytes, timeout, load_timeout, memory, repeat,
                       model_folder, require_sandbox, no_cache) -> tuple[dict, bool]:
    """The verify settings the command line gives (None: the config's or the default), checked before any run."""
    if input_file and input_bytes:
        raise click.UsageError("give --input or --input-bytes, not both")
    if python_executable:
        from artifact_lint.verifier import VerifyError, interpreter_for

        try:
            interpreter_for(python_executable)
        except VerifyError as error:
            raise click.UsageError(str(error)) from None
    given = {"python": python_executable, "timeout": timeout, "load-timeout": load_timeout, "memory": memory,
             "repeat": repeat, "input": _absolute(input_file), "input-bytes": _absolute(input_bytes),
             "model-folder": _absolute(model_folder), "require-sandbox": True if require_sandbox else None}
    return given, not no_cache


def _absolute(path: str | None) -> str | None:
    return str(Path(path).resolve()) if path else None


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--model", "model_path", required=True, type=click.Path(exists=True),
              help="The saved model: a file (pickle/joblib, XGBoost JSON, LightGBM text, ONNX, PyTorch, Keras) or a "
                   "Spark ML folder.")
@click.option("--framework", default="auto", show_default=True,
              type=click.Choice(["auto", "sklearn", "xgboost", "lightgbm", "pytorch", "tensorflow", "onnx", "spark",
                                 "generic"]),
              help="Which score.py to write; auto reads the model file's content.")
@click.option("--conda-env", required=True, help="The inference conda pack: its oci:// path, or a known service-pack slug.")
@click.option("--python", "python_version", required=True, help="The conda pack's Python version, e.g. 3.11.")
@click.option("--sample", type=click.Path(exists=True, dir_okay=False),
              help="Input sample (CSV, Parquet or JSON) for input_schema.json.")
@click.option("--target-sample", type=click.Path(exists=True, dir_okay=False),
              help="Prediction sample (CSV, Parquet or JSON) for output_schema.json.")
@click.option("--model-class", help="For a PyTorch state_dict: the torch.nn.Module class to load it into, as module:Class "
                                    "(module.py in DIRECTORY or beside the model; built with no arguments).")
@click.option("--force", is_flag=True, help="Overwrite files that already exist in DIRECTORY.")
def init(directory, model_path, framework, conda_env, python_version, sample, target_sample, model_class, force):
    """Build a deployable artifact in DIRECTORY from a model file: score.py, runtime.yaml, schemas.

    Nothing is loaded or run: the framework is read from the model file's content. Existing files
    are never overwritten without --force, and a failed run leaves nothing behind.
    """
    from artifact_lint.generators.artifact import InitError, conflicts, plan_artifact, write_plan

    try:
        plan = plan_artifact(Path(directory), Path(model_path), framework=framework, conda_env=conda_env,
                             python=python_version, sample=Path(sample) if sample else None,
                             target_sample=Path(target_sample) if target_sample else None, model_class=model_class)
        existing = conflicts(plan)
        if existing and not force:
            raise InitError(f"{directory} already has {', '.join(existing)}; pass --force to overwrite")
        written = write_plan(plan)
    except InitError as error:
        click.echo(f"artifact-lint: error: {error}", err=True)
        sys.exit(2)
    click.echo(f"Wrote {len(written)} files to {directory}: {', '.join(written)}")
    click.echo(f"Next: artifact-lint lint {directory}")


@cli.command()
@click.option("--debounce", type=click.FloatRange(min=0), default=50, show_default=True,
              help="Milliseconds of quiet typing before a changed file is linted again.")
def server(debounce):
    """Run the language server on stdio (for VS Code, Neovim, Helix and other LSP editors).

    Findings appear as you type in score.py, runtime.yaml, the schemas and helper modules, from the
    editor's unsaved text; fixes are code actions (labelled safe or unsafe); hovering a finding
    shows its rule's documentation.
    """
    from artifact_lint.server import serve

    serve(debounce / 1000)


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def list_rules(fmt):
    """List every rule: code, name, severity, and whether it can be fixed."""
    from artifact_lint.registry import FIX_KINDS, all_rules

    rules = all_rules().values()
    if fmt == "markdown":
        from artifact_lint.rule_docs import rules_markdown

        click.echo(rules_markdown(), nl=False)
        return
    if fmt == "json":
        click.echo(json.dumps([
            {"code": r.code, "name": r.name, "severity": r.severity.label, "fix": FIX_KINDS[r.fix_kind],
             "ads_test": r.ads_test, "summary": r.summary()} for r in rules
        ], indent=2))
        return
    width = max(len(rule.name) for rule in rules)
    for rule in rules:
        fix = FIX_KINDS[rule.fix_kind]
        click.echo(f"{rule.code}  {rule.name:<{width}}  {rule.severity.label:<7}  {fix:<11}  {rule.summary()}")


@cli.command("rule")
@click.argument("code")
def show_rule(code):
    """Show a rule's documentation (by code or name)."""
    from artifact_lint.registry import FIX_KINDS, rule_by_name_or_code

    rule = rule_by_name_or_code(code)
    if rule is None:
        raise click.UsageError(f"no rule {code!r}; `artifact-lint rules` lists them all")
    facts = [rule.severity.label, FIX_KINDS[rule.fix_kind]]
    if rule.ads_test:
        facts.append(f"ADS introspection key: {rule.ads_test}")
    click.echo(f"# {rule.code} {rule.name} ({'; '.join(facts)})\n")
    click.echo(rule.documentation())


def main() -> None:
    """Entry point: turn any unexpected exception into one line and exit 2."""
    try:
        cli.main(prog_name="artifact-lint", standalone_mode=True)
    except SystemExit:
        # The interpreter's last collection at exit walks every object the run made, about 5% of a
        # cold lint; the run is over, so exempt them (the process's memory goes back all the same).
        gc.freeze()
        raise
    except KeyboardInterrupt:
        click.echo("artifact-lint: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # the last line of defence: no traceback for users
        if os.environ.get("ARTIFACT_LINT_DEBUG"):
            raise
        click.echo(f"artifact-lint: internal error: {type(error).__name__}: {error} "
                   f"(set ARTIFACT_LINT_DEBUG=1 for a traceback, and please report it)", err=True)
        sys.exit(2)
