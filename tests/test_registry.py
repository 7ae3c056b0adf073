"""The rule registry: unique codes, documentation, examples, and agreement with the shared catalog."""

from __future__ import annotations

import re

import pytest

from artifact_lint.registry import FIX_KINDS, Case, RegistryError, Rule, all_rules, expand_selector
from tests.helpers import REPO

CATALOG = REPO.parent / "shared" / "spec" / "rule-catalog.md"
SECTIONS = ("## What it does", "## Why it matters", "## Example", "## Fix")
FOUNDATION_CODES = (
    ["ART001", "ART002", "ART003", "RTY001", "RTY002", "SCR001", "ALX001", "ALX002"]
    + [f"RTY1{n:02d}" for n in range(1, 15)]
    + [f"SCR1{n:02d}" for n in range(1, 9)]
)
ADS_KEYS = {
    "score_py", "runtime_yaml", "score_syntax", "score_load_model", "score_predict", "score_predict_data",
    "score_predict_arg", "runtime_version", "runtime_env_python", "runtime_env_path", "runtime_path_exist",
}
RULES = all_rules()


def test_foundation_rules_are_all_implemented():
    assert set(FOUNDATION_CODES) <= set(RULES)


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_is_documented_and_has_examples(code):
    rule = RULES[code]
    documentation = rule.documentation()
    for section in SECTIONS:
        assert section in documentation, f"{code} docstring lacks {section}"
    assert rule.summary() and not rule.summary().startswith("#")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.valid and rule.invalid, f"{code} needs valid and invalid cases"
    assert all(case.expect for case in rule.invalid), f"{code}: an invalid case must expect findings"
    assert rule.fix_kind in FIX_KINDS
    assert rule.ads_test in ADS_KEYS | {None}


def test_names_are_unique():
    names = [rule.name for rule in RULES.values()]
    assert len(names) == len(set(names))


def test_a_repeated_code_is_refused():
    with pytest.raises(RegistryError, match="RTY107"):
        type("Impostor", (Rule,), {"code": "RTY107", "name": "impostor", "check": lambda self, ctx: []})


def test_a_malformed_code_is_refused():
    with pytest.raises(RegistryError):
        type("Malformed", (Rule,), {"code": "R1", "name": "malformed"})


def test_selectors_expand_codes_prefixes_and_names():
    assert expand_selector("RTY107") == {"RTY107"}
    assert expand_selector("version-written-as-number") == {"RTY107"}
    assert expand_selector("rty10") == {f"RTY10{n}" for n in range(1, 10)}
    assert {"SCR001", "SCR101"} <= expand_selector("SCR")


def _catalog_rows() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in CATALOG.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"[A-Z]{3}\d{3}", cells[0]):
            rows[cells[0]] = (cells[2], cells[3] if len(cells) > 3 else "-")
    return rows


@pytest.mark.skipif(not CATALOG.exists(), reason="../shared/spec/rule-catalog.md is not beside this checkout")
@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_agrees_with_the_catalog(code):
    rows = _catalog_rows()
    if code not in rows:
        pytest.skip(f"{code} is an addition to the catalog")
    severities, fix = rows[code]
    rule = RULES[code]
    allowed = set(re.findall(r"\b[EWI]\b", severities))
    assert rule.severity.name[0] in allowed, f"{code}: default severity {rule.severity.label} vs {severities}"
    assert rule.fix_kind == fix.split()[0], f"{code}: fix kind {rule.fix_kind} vs catalog {fix}"


def test_case_is_hashable_data():
    case = Case({"score.py": ""}, expect=[("score.py", None)])
    assert case.runtime == "conda" and case.container == "directory"


def test_docs_rules_md_is_current():
    from artifact_lint.rule_docs import rules_markdown

    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(), "regenerate: artifact-lint rules --format markdown > docs/rules.md"
