"""Fix mode: every fixable rule's fix gives exactly the expected text, removes its finding, and converges."""

from __future__ import annotations

import pytest

from artifact_lint.config import Config
from artifact_lint.discovery import discover
from artifact_lint.fixing import fix_artifact
from artifact_lint.registry import all_rules
from tests.helpers import make_artifact

FIXABLE = {code: rule for code, rule in all_rules().items() if rule.fix_kind in ("S", "U")}


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")


def _fix(tmp_path, case, config: Config):
    path = make_artifact(tmp_path, case.files, case.container, case.config)
    [artifact] = discover([str(path)]).artifacts
    return fix_artifact(artifact, config, unsafe=True)


def test_every_fixable_rule_has_a_case_with_the_fixed_text():
    missing = [code for code, rule in FIXABLE.items() if not any(case.fixed for case in rule.invalid)]
    assert missing == []


@pytest.mark.parametrize(
    ("rule", "case"),
    [pytest.param(rule, case, id=f"{code}-{index}") for code, rule in FIXABLE.items()
     for index, case in enumerate(rule.invalid) if case.fixed],
)
def test_fix_gives_the_expected_text_and_removes_the_finding(tmp_path, rule, case):
    outcome = _fix(tmp_path, case, Config(select=(rule.code,)))
    assert outcome.converged and outcome.applied[rule.code] >= 1
    assert {path: after.decode() for path, (_, after) in outcome.changes.items()} == case.fixed
    # What is left of the rule's findings (if anything) has no fix: the fixed one is gone.
    assert [d.message for d in outcome.result.diagnostics if d.fix is not None] == []
    assert len(outcome.result.diagnostics) < len(case.expect)


@pytest.mark.parametrize(
    ("rule", "case"),
    [pytest.param(rule, case, id=f"{code}-{index}") for code, rule in all_rules().items()
     for index, case in enumerate(rule.invalid) if case.container == "directory"],
)
def test_fixing_with_every_rule_converges(tmp_path, rule, case):
    outcome = _fix(tmp_path, case, Config())
    assert outcome.converged
    assert outcome.rejected == []
