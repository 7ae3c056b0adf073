"""Every rule's own valid and invalid example artifacts, run as tests (see registry.Case)."""

from __future__ import annotations

import pytest

from artifact_lint.registry import all_rules
from tests.helpers import lint, make_artifact


def _cases(kind: str):
    for code, rule in all_rules().items():
        for index, case in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, case, id=f"{code}-{kind}-{index}")


def _lint_case(tmp_path, rule, case):
    path = make_artifact(tmp_path, case.files, case.container, case.config)
    # The default runtime is left undeclared, as a user who passes no --runtime leaves it.
    run = lint(path, verify=rule.phase == "verify", **({"runtime": case.runtime} if case.runtime != "conda" else {}))
    assert not run.all_tool_errors(), run.all_tool_errors()
    return run.diagnostics


def _position(rule, diagnostic) -> tuple:
    where = (diagnostic.span.start.line, diagnostic.span.start.column) if diagnostic.span else (None,)
    if diagnostic.path == rule.default_path and diagnostic.span is not None:
        return where
    return (diagnostic.path, *where)


@pytest.mark.parametrize(("rule", "case"), list(_cases("valid")))
def test_valid_case_has_no_finding_of_the_rule(tmp_path, rule, case):
    found = [d for d in _lint_case(tmp_path, rule, case) if d.code == rule.code]
    assert found == [], [d.message for d in found]


@pytest.mark.parametrize(("rule", "case"), list(_cases("invalid")))
def test_invalid_case_is_found_at_the_expected_places(tmp_path, rule, case):
    found = [d for d in _lint_case(tmp_path, rule, case) if d.code == rule.code]
    assert sorted((_position(rule, d) for d in found), key=str) == sorted(case.expect, key=str), [d.message for d in found]
    for diagnostic in found:
        assert diagnostic.message and diagnostic.name == rule.name
