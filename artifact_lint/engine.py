"""discover -> load once -> run rules -> suppress -> sort -> result.

Every selected rule runs on every artifact: nothing stops at the first
failure. A rule that crashes becomes a tool error for that artifact and the
other rules still run.
"""

from __future__ import annotations

import fnmatch
import gc
from contextlib import contextmanager
from pathlib import Path

from artifact_lint.artifact import Artifact
from artifact_lint.config import Config, ConfigError, ConfigLoader
from artifact_lint.diagnostics import Diagnostic, Severity
from artifact_lint.discovery import discover
from artifact_lint.documents import Documents
from artifact_lint.registry import all_rules, expand_selector, iter_rules, resolve_selection
from artifact_lint.suppressions import Suppression, apply_suppressions, parse_suppressions


class LintContext:
    """What a rule sees: the artifact, its parsed documents and the resolved config."""

    def __init__(self, artifact: Artifact, config: Config, documents: Documents, selected: set[str]):
        self.artifact = artifact
        self.config = config
        self.documents = documents
        self.selected = selected
        self.suppressions: list[Suppression] = []
        self.verification = None  # a verifier.VerifyOutcome when running with --verify
        self.verify_options = None
        self._memo: dict = {}

    @property
    def conda(self) -> bool:
        """Conda deployment rules apply: declared so, or not declared and the artifact does not look containerised."""
        if self.config.runtime != "conda":
            return False
        return self.config.runtime_declared or self.container_evidence is None

    @property
    def container_evidence(self):
        """Why the artifact looks like a bring-your-own-container one (a Dockerfile, a Triton repository), or None."""
        from artifact_lint.rules._container import container_evidence

        return self.cached("container.evidence", lambda: container_evidence(self.artifact))

    def cached(self, key: str, compute):
        """A fact derived from the artifact, computed once however many rules ask for it."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def release(self) -> None:
        """Drop the derived facts once the artifact is done.

        Some facts hold reference cycles (the semantic model's per-scope truths, call sites and control
        facts point back at it); releasing them here frees a whole score.py model by reference counting
        instead of leaving ~1,400 objects per artifact for the cyclic collector, which lint_artifact
        keeps paused (_collector_paused).
        """
        for fact in self._memo.values():
            release = getattr(fact, "release", None)
            if callable(release):
                release()
        self._memo.clear()


class ArtifactResult:
    """What linting one artifact produced: its findings, tool errors and exit threshold."""

    def __init__(self, artifact: str, kind: str, diagnostics: list[Diagnostic], tool_errors: list[str],
                 fail_on: Severity, sources: dict[str, list[str]] | None = None, verification: dict | None = None,
                 contract: dict | None = None):
        self.artifact = artifact
        self.kind = kind
        self.diagnostics = diagnostics
        self.tool_errors = tool_errors
        self.fail_on = fail_on
        self.sources = sources if sources is not None else {}  # path -> lines, for the files findings cite
        self.verification = verification  # timings, isolation and output tails of a verify run
        self.contract = contract  # which contract the artifact follows and why (rules/_kind.py)

    def count(self, severity: Severity) -> int:
        return sum(1 for diagnostic in self.diagnostics if diagnostic.severity == severity)

    @property
    def failed(self) -> bool:
        return any(diagnostic.severity >= self.fail_on for diagnostic in self.diagnostics)


class LintRun:
    """Every artifact's result from one invocation, plus the artifacts that could not be linted."""

    def __init__(self, tool_errors: list[tuple[str, str]] | None = None):
        self.results: list[ArtifactResult] = []
        self.tool_errors = tool_errors if tool_errors is not None else []  # (artifact, message)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [diagnostic for result in self.results for diagnostic in result.diagnostics]

    def all_tool_errors(self) -> list[tuple[str, str]]:
        return self.tool_errors + [(r.artifact, message) for r in self.results for message in r.tool_errors]

    def exit_code(self, exit_zero: bool = False) -> int:
        if self.all_tool_errors():
            return 2
        if exit_zero:
            return 0
        return 1 if any(result.failed for result in self.results) else 0


def _per_file_ignored(diagnostic: Diagnostic, config: Config) -> bool:
    for pattern, tokens in config.per_file_ignores.items():
        if fnmatch.fnmatchcase(diagnostic.path, pattern) or fnmatch.fnmatchcase(diagnostic.path.rsplit("/", 1)[-1], pattern):
            if any(diagnostic.code in expand_selector(token) for token in tokens):
                return True
    return False


def _run_phase(ctx: LintContext, phase: str, errors: list[str]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    conda = None  # asked once per phase, not once per conda-only rule
    for rule in iter_rules(ctx.selected, phase):
        if rule.conda_only:
            conda = ctx.conda if conda is None else conda
            if not conda:
                continue
        try:
            found.extend(rule.check(ctx))
        except Exception as error:  # a broken rule must not hide the other rules' findings
            errors.append(f"rule {rule.code} ({rule.name}) failed on this artifact: {type(error).__name__}: {error}")
    return found


def lint_artifact(artifact: Artifact, config: Config, verify=None, use_cache: bool = True) -> ArtifactResult:
    """Lint one artifact; with `verify` (verifier options) also run it and add the VRF findings."""
    with _collector_paused():
        return _lint_artifact(artifact, config, verify, use_cache)


@contextmanager
def _collector_paused():
    """No cyclic garbage collection while one artifact is analysed.

    Parsing allocates thousands of AST nodes that stay alive until the artifact is done, so the
    collector's passes find nothing yet cost a bulk run ~15% of its time. The per-artifact facts hold
    no cycles once released (LintContext.release; tests/test_engine_memory.py keeps it so), and the
    collector runs again after each artifact, so nothing accumulates across artifacts.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _lint_artifact(artifact: Artifact, config: Config, verify, use_cache: bool) -> ArtifactResult:
    selected = resolve_selection(
        list(config.select) if config.select is not None else None, list(config.ignore), list(config.extend_select)
    )
    if getattr(artifact, "problem", None):
        selected = {"ART008"}  # nothing else can be said of a zip that cannot be opened, and that must be said
        verify = None
    if verify is not None:
        from artifact_lint.verifier.environments import with_pack_versions

        config = with_pack_versions(artifact, config, verify)
    ctx = LintContext(artifact, config, Documents(artifact), selected)
    errors: list[str] = []
    environment = None
    found = _run_phase(ctx, "main", errors)
    if config.online:
        found += _run_phase(ctx, "online", errors)
    if verify is not None:
        from artifact_lint.rules._kind import artifact_kind
        from artifact_lint.verifier import VerifyError, build_options, verify_artifact
        from artifact_lint.verifier.environments import EnvironmentUnavailable, split_settings, target_environment

        try:
            table, verify, wanted = split_settings(config.verify, verify)
            environment = target_environment(ctx, wanted)
            if environment is not None:
                verify = {**verify, "python": environment.python}
            ctx.verify_options = build_options(artifact, table, verify, artifact_kind(ctx).kind)
            ctx.verification = verify_artifact(artifact, ctx.verify_options, use_cache=use_cache)
            found += _run_phase(ctx, "verify", errors)
        except (VerifyError, EnvironmentUnavailable) as error:
            errors.append(str(error))
    # Ignored findings first, so that an ignored precise finding does not hide the one it supersedes.
    diagnostics = drop_superseded([d for d in found if not _per_file_ignored(d, config)])
    for document in ctx.documents.text_documents():
        ctx.suppressions.extend(parse_suppressions(document))
    diagnostics = apply_suppressions(diagnostics, ctx.suppressions)
    diagnostics.extend(d for d in _run_phase(ctx, "post", errors) if not _per_file_ignored(d, config))
    severities = config.severity
    diagnostics = [d._replace(artifact=artifact.display, severity=severities.get(d.code, d.severity)) for d in diagnostics]
    diagnostics.sort(key=Diagnostic.sort_key)
    cited = {diagnostic.path for diagnostic in diagnostics}
    sources = {document.path: document.lines for document in ctx.documents.loaded_documents() if document.path in cited}
    summary = ctx.verification.summary(ctx.verify_options) if ctx.verification is not None else None
    if summary is not None and environment is not None:
        summary["environment"] = environment.summary()
    result = ArtifactResult(artifact.display, artifact.kind, diagnostics, errors, config.fail_on, sources, summary,
                            _contract(ctx, errors))
    ctx.release()
    return result


def _contract(ctx: LintContext, errors: list[str]) -> dict | None:
    if getattr(ctx.artifact, "problem", None):
        return None
    from artifact_lint.rules._kind import artifact_kind

    try:
        return artifact_kind(ctx).to_json()
    except Exception as error:  # as for a rule: say so, never lose the findings
        errors.append(f"could not tell the artifact's kind: {type(error).__name__}: {error}")
        return None


def drop_superseded(found: list[Diagnostic]) -> list[Diagnostic]:
    """One cause, one finding: drop a finding when a more precise rule reported the same cause.

    A rule's `yields_to` names the codes that supersede it; its `yields_on` says where they must be:
    "artifact" (anywhere in the artifact) or "line" (the same file and line).
    """
    rules = all_rules()
    codes = {diagnostic.code for diagnostic in found}
    lines = {(d.code, d.path, d.span.start.line) for d in found if d.span is not None}
    kept = []
    for diagnostic in found:
        rule = rules.get(diagnostic.code)
        yields_to = getattr(rule, "yields_to", ())
        if yields_to and getattr(rule, "yields_on", "artifact") == "line":
            line = diagnostic.span.start.line if diagnostic.span else None
            if any((code, diagnostic.path, line) in lines for code in yields_to):
                continue
        elif yields_to and codes & set(yields_to):
            continue
        kept.append(diagnostic)
    return kept


def _lint_one(artifact: Artifact, loader: ConfigLoader, overrides: dict | None, buffers, verify, use_cache: bool):
    """(result, None) or (None, (artifact, error message)) for one artifact; always closes it."""
    try:
        config = loader.for_directory(artifact.location).with_overrides(**(overrides or {}))
        if buffers:
            artifact.set_overlay({artifact.member(path): data for path, data in buffers.items()})
        return lint_artifact(artifact, config, verify, use_cache), None
    except ConfigError as error:
        return None, (artifact.display, str(error))
    finally:
        artifact.close()


_WORKER: dict = {}


def _worker_start(loader: ConfigLoader, overrides: dict | None, verify, use_cache: bool) -> None:
    # What the worker starts with (the parent's modules, when forked) lives as long as the worker: keep the
    # collector's full passes off it, and off the pages shared with the parent.
    gc.freeze()
    _WORKER.update(loader=loader, overrides=overrides, verify=verify, use_cache=use_cache)


def _worker_lint(job: tuple[str, str, str]):
    """Lint one artifact in a pool process (artifacts travel as (kind, display, path), not open files)."""
    from artifact_lint.artifact import DirectoryArtifact, ReadError
    from artifact_lint.discovery import _open_zip

    kind, display, path = job
    try:
        artifact = (_open_zip if kind == "zip" else DirectoryArtifact)(display, Path(path))
    except ReadError as error:
        return None, (display, str(error))
    return _lint_one(artifact, _WORKER["loader"], _WORKER["overrides"], None, _WORKER["verify"], _WORKER["use_cache"])


def lint_paths(
    paths: list[str],
    loader: ConfigLoader,
    overrides: dict | None = None,
    buffers: dict[str, bytes] | None = None,
    verify=None,
    use_cache: bool = True,
    jobs: int = 1,
    progress=None,
    skip_outside: bool = False,
) -> LintRun:
    """Lint every artifact found in `paths`; `overrides` are command-line config options.

    With jobs > 1 and enough artifacts, artifacts are linted in a process pool (results keep the
    discovery order); `progress(done, total)` is called as they finish. `skip_outside` passes over
    files that belong to no artifact (see discovery.discover). With `buffers` (an editor's
    unsaved files, relative path -> content) `paths` is the one artifact folder they belong to.
    """
    run = LintRun()
    if buffers is not None:  # an editor's buffer: its folder is the artifact, even before score.py is saved
        from artifact_lint.artifact import DirectoryArtifact
        from artifact_lint.discovery import Discovery

        found = Discovery([DirectoryArtifact(paths[0], Path(paths[0]))])
    else:
        found = discover(paths, skip_outside)
    run.tool_errors.extend(found.errors)
    total = len(found.artifacts)
    if jobs > 1 and total >= PARALLEL_THRESHOLD and buffers is None:
        for location in {artifact.location for artifact in found.artifacts}:
            try:  # read each config here too, so its warnings are reported by this process
                loader.for_directory(location)
            except ConfigError:
                pass  # the worker reports it for each artifact
        jobs_list = [(a.kind, a.display, str(a.path)) for a in found.artifacts]
        for artifact in found.artifacts:
            artifact.close()
        outcomes = _parallel(jobs_list, jobs, (loader, overrides, verify, use_cache), progress)
    else:
        outcomes = []
        for done, artifact in enumerate(found.artifacts, start=1):
            outcomes.append(_lint_one(artifact, loader, overrides, buffers, verify, use_cache))
            if progress:
                progress(done, total)
    for result, error in outcomes:
        if result is not None:
            run.results.append(result)
        if error is not None:
            run.tool_errors.append(error)
    return run


PARALLEL_THRESHOLD = 16


def _parallel(jobs_list, jobs: int, setup: tuple, progress) -> list:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    fork = "fork" in multiprocessing.get_all_start_methods()
    if fork:
        all_rules()  # import the rule modules once, here: forked workers inherit them instead of each importing them
    context = multiprocessing.get_context("fork" if fork else "spawn")
    # Small chunks, so that no worker sits idle at the end while the other finishes a long one.
    chunk = max(1, min(8, len(jobs_list) // (jobs * 16)))
    outcomes = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_start, initargs=setup) as pool:
        for done, outcome in enumerate(pool.map(_worker_lint, jobs_list, chunksize=chunk), start=1):
            outcomes.append(outcome)
            if progress:
                progress(done, len(jobs_list))
    return outcomes
