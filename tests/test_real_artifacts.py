"""Artifacts in the shapes real users build (tests/real_artifacts): every error and warning expected, none more."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from artifact_lint.diagnostics import Severity
from artifact_lint.report.json_report import build_report
from tests.helpers import lint

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "real_artifacts"
EXPECTED = {name: case for name, case in json.loads((CORPUS / "expected.json").read_text()).items()
            if not name.startswith("_")}


def materialise(name: str, tmp_path: Path) -> Path:
    """The case copied out of the repository (so no config above it applies), with its shared files ("with");
    `.zip` cases zipped with one top folder, as Oracle's samples zip model groups."""
    folder_name = name.removesuffix(".zip")
    folder = tmp_path / folder_name
    shutil.copytree(CORPUS / folder_name, folder)
    for target, source in EXPECTED[name].get("with", {}).items():
        (folder / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / source, folder / target)
    if not name.endswith(".zip"):
        return folder
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, f"{folder_name}/{file.relative_to(folder).as_posix()}")
    return path


def findings(run) -> list[str]:
    """Errors and warnings as "CODE path:line" (zip members keep their top folder)."""
    return sorted(f"{d.code} {d.path}" + (f":{d.span.start.line}" if d.span else "")
                  for d in run.diagnostics if d.severity >= Severity.WARNING)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_artifact_gets_exactly_the_expected_errors_and_warnings(tmp_path, name):
    case = EXPECTED[name]
    run = lint(materialise(name, tmp_path))
    assert not run.all_tool_errors()
    assert findings(run) == sorted(case["findings"]), [d.message for d in run.diagnostics]
    codes = {d.code for d in run.diagnostics}
    assert set(case.get("infos", [])) <= codes
    unfixable = [d for d in run.diagnostics if d.code in case.get("unfixable", [])]
    assert all(d.fix is None for d in unfixable)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_artifact_is_linted_as_its_kind_and_the_report_says_why(tmp_path, name):
    case = EXPECTED[name]
    contract = build_report(lint(materialise(name, tmp_path)))["artifacts"][0]["contract"]
    assert contract["kind"] == case["kind"]
    assert contract["source"] == case.get("source", "detected")
    assert contract["reason"]


def test_precision_on_the_real_artifacts_is_total(tmp_path):
    """Precision = expected errors and warnings found / all errors and warnings reported, over the corpus."""
    reported = correct = 0
    for index, name in enumerate(sorted(EXPECTED)):
        folder = tmp_path / str(index)
        folder.mkdir()
        got = findings(lint(materialise(name, folder)))
        reported += len(got)
        correct += len(set(got) & set(EXPECTED[name]["findings"]))
    assert reported == correct == sum(len(case["findings"]) for case in EXPECTED.values())
