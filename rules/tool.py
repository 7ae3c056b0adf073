"""ALX: findings about artifact-lint's own inputs: suppressions, config, files it could not check."""

from __future__ import annotations

import os
from pathlib import Path

from artifact_lint.diagnostics import Severity, Span
from artifact_lint.registry import Case, Rule, SparseFile, all_rules
from artifact_lint.rules._samples import RUNTIME_YAML, SCORE_PY, artifact

SUPPRESSED_PREDICT = SCORE_PY.replace(
    "def predict(data, model=load_model()):",
    "def predict(data, model=load_model()):  # artifact-lint: ignore[SCR303]",
)


class UnusedSuppression(Rule):
    """A suppression comment suppresses nothing.

    ## What it does
    Reports `# artifact-lint: ignore[...]` and `file-ignore[...]` comments (in score.py and
    runtime.yaml) whose codes matched no finding, for codes that are selected in this run.

    ## Why it matters
    A stale suppression hides the next real problem on that line; removing it keeps the
    suppressions honest.

    ## Example
    `def predict(data, model=load_model()):  # artifact-lint: ignore[SCR104]` on a predict whose
    parameters all have defaults.

    ## Fix
    Delete the comment, or the codes in it that match nothing.
    """

    code, name, severity = "ALX001", "unused-suppression", Severity.WARNING
    phase, default_path = "post", "score.py"
    valid = [
        Case(artifact({"runtime.yaml": RUNTIME_YAML.replace("'3.11'", "3.11  # artifact-lint: ignore[RTY107]")})),
    ]
    invalid = [
        Case(artifact({"score.py": SUPPRESSED_PREDICT.replace("SCR303", "SCR104")}), expect=[(16, 43)]),
        Case(artifact({"runtime.yaml": "# artifact-lint: file-ignore[RTY002]\n" + RUNTIME_YAML}),
             expect=[("runtime.yaml", 1, 3)]),
    ]

    def check(self, ctx):
        known = all_rules()
        for suppression in ctx.suppressions:
            if suppression.codes is None:
                if not suppression.used:
                    yield self.diagnostic(suppression.path, suppression.span, "this suppression suppresses nothing")
                continue
            unused = [code for code in suppression.codes
                      if code in known and code in ctx.selected and code not in suppression.used]
            if unused:
                yield self.diagnostic(suppression.path, suppression.span,
                                      f"suppression of {', '.join(unused)} suppresses nothing; remove it")


class UnknownRuleCode(Rule):
    """A suppression comment or the config names a rule code that does not exist.

    ## What it does
    Checks the codes in suppression comments and in `[tool.artifact-lint]` (select, ignore,
    extend-select, severity, per-file-ignores) against the rule registry.

    ## Why it matters
    A misspelled code silently suppresses or selects nothing. The run goes on, with this
    warning, so a typo in CI config is visible without breaking the build.

    ## Example
    `# artifact-lint: ignore[SCR3O3]` (a letter O instead of a zero)

    ## Fix
    Use a code from `artifact-lint rules`.
    """

    code, name, severity = "ALX002", "unknown-rule-code", Severity.WARNING
    phase, default_path = "post", "score.py"
    valid = [Case(artifact())]
    invalid = [
        Case(artifact({"score.py": SUPPRESSED_PREDICT.replace("SCR303", "SCR3O3")}), expect=[(16, 43)]),
        Case(artifact(), config={"ignore": ["RTY999"]}, expect=[("../artifact-lint.toml", 1, 12)]),
    ]

    def check(self, ctx):
        known = all_rules()
        for suppression in ctx.suppressions:
            unknown = [code for code in suppression.codes or () if code not in known]
            if unknown:
                yield self.diagnostic(suppression.path, suppression.span,
                                      f"unknown rule code {', '.join(unknown)} in suppression; see `artifact-lint rules`")
        source = ctx.config.source
        for unknown in ctx.config.unknown_codes:
            relative = Path(os.path.relpath(source, ctx.artifact.location)).as_posix() if source else "<config>"
            yield self.diagnostic(relative, _find_token(source, unknown.token),
                                  f"unknown rule code {unknown.token!r} in {unknown.key}; see `artifact-lint rules`")


def _find_token(source: Path | None, token: str) -> Span | None:
    """Where `token` is written in the config file (TOML parsers give no positions)."""
    if source is None:
        return None
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(lines, start=1):
        for quote in ('"', "'"):
            index = line.find(f"{quote}{token}{quote}")
            if index >= 0:
                return Span.of(number, index + 2, number, index + 2 + len(token))
    return None


class FileNotChecked(Rule):
    """score.py or runtime.yaml exists but could not be read, so it was not checked.

    ## What it does
    Reports a required file that cannot be opened (permissions, a FIFO or device in its place,
    a broken symlink) or that is larger than artifact-lint reads (16 MiB for score.py).

    ## Why it matters
    A file you cannot read will not upload either (error). A file too large to check is
    reported so that a clean result is never silent about what it skipped (warning).

    ## Example
    A score.py with mode 000.

    ## Fix
    Make the file a readable regular file (`chmod 644 score.py`).
    """

    code, name, severity = "ALX003", "file-not-checked", Severity.ERROR
    default_path = "score.py"
    valid = [Case(artifact())]
    invalid = [Case(artifact({"score.py": SparseFile(16 * 1024 * 1024 + 1)}), expect=[("score.py", None)])]

    def check(self, ctx):
        documents = ctx.documents
        documents.score, documents.runtime  # noqa: B018 - loading records read problems
        for path, problem in sorted(documents.read_problems.items()):
            if problem.kind == "too-large" and path.endswith("runtime.yaml"):
                continue  # RTY001 says why a huge runtime.yaml is wrong
            if problem.kind == "too-large":
                yield self.diagnostic(path, None, f"{problem.message}; it was not checked", severity=Severity.WARNING)
            else:
                yield self.diagnostic(path, None, f"{problem.message}; the upload will fail on it too, and it was not checked")
