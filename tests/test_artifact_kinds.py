"""Contracts (model, model group, model-less, template), container artifacts, discovery, one cause one finding."""

from __future__ import annotations

import json
import zipfile

import jsonschema
import pytest

from artifact_lint.config import ConfigError, config_from_table
from artifact_lint.discovery import discover
from artifact_lint.report.json_report import build_report, report_schema
from rules._samples import RUNTIME_YAML, SCORE_PY, artifact
from rules.model_group import GROUP_SCORE, group
from tests.helpers import lint, make_artifact, run_cli, write_files

SINGLE_MODEL_ONLY = {"SCR104", "SCR106", "ART004", "SCR301", "ART003", "SCH101"}


def codes(run) -> list[str]:
    return sorted(d.code for d in run.diagnostics)


def contract(run) -> dict:
    return build_report(run)["artifacts"][0]["contract"]


def test_group_shape_is_detected_and_single_model_rules_step_aside(tmp_path):
    run = lint(make_artifact(tmp_path, group(GROUP_SCORE)))
    assert codes(run) == []
    assert contract(run)["kind"] == "model-group" and contract(run)["source"] == "detected"
    assert "load_model(model_folder)" in contract(run)["reason"]


def test_group_shape_with_a_model_file_is_a_single_model_artifact(tmp_path):
    """A model shipped in the artifact means the single-model contract, whose rules then apply."""
    run = lint(make_artifact(tmp_path, {**group(GROUP_SCORE), "model.joblib": b"\x80\x04K\x01."}))
    assert contract(run)["kind"] == "model"
    assert {"SCR104", "SCR106"} <= set(codes(run))


def test_declared_group_by_option_overrides_the_shape(tmp_path):
    files = {**group(GROUP_SCORE), "model.joblib": b"\x80\x04K\x01."}
    run = lint(make_artifact(tmp_path, files), kind="model-group")
    assert contract(run) == {"kind": "model-group", "source": "declared", "reason": contract(run)["reason"]}
    assert not SINGLE_MODEL_ONLY & set(codes(run))


def test_declared_single_model_keeps_single_model_rules(tmp_path):
    run = lint(make_artifact(tmp_path, group(GROUP_SCORE), config={"kind": "model"}))
    assert {"SCR104", "SCR106", "ART004"} <= set(codes(run))


def test_group_zip_with_one_top_folder_is_not_an_error(tmp_path):
    path = tmp_path / "group.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in group(GROUP_SCORE).items():
            archive.writestr(f"model_group/{name}", content)
    run = lint(path)
    assert codes(run) == [] and contract(run)["kind"] == "model-group"


def test_kind_config_and_option_are_validated(tmp_path):
    with pytest.raises(ConfigError, match="kind must be one of"):
        config_from_table({"kind": "ensemble"}, None)
    path = make_artifact(tmp_path, group(GROUP_SCORE))
    result = run_cli("lint", str(path), "--artifact-kind", "ensemble")
    assert result.returncode == 2 and b"--artifact-kind" in result.stderr
    result = run_cli("lint", str(path), "--artifact-kind", "model", "--format", "json")
    report = json.loads(result.stdout)
    jsonschema.validate(report, report_schema())
    assert report["artifacts"][0]["contract"]["source"] == "declared"
    assert result.returncode == 1  # SCR104/SCR106 as a single model


def test_fix_takes_the_artifact_kind_too(tmp_path):
    path = make_artifact(tmp_path, group(GROUP_SCORE))
    result = run_cli("fix", str(path), "--artifact-kind", "model-group", "--diff")
    assert result.returncode == 0, (result.stdout + result.stderr).decode()


def test_text_report_says_which_contract(tmp_path):
    result = run_cli("lint", str(make_artifact(tmp_path, group(GROUP_SCORE))))
    assert result.returncode == 0
    assert "linted as model-group (detected: load_model(model_folder)" in result.stdout.decode()


def test_model_built_in_code_gets_an_info_at_most(tmp_path):
    score = "def load_model():\n    return {'threshold': 0.5}\n\n\ndef predict(data, model=load_model()):\n    return data\n"
    run = lint(make_artifact(tmp_path, artifact({"score.py": score, "model.joblib": None})))
    assert contract(run)["kind"] == "model-less"
    assert [(d.code, d.severity.label) for d in run.diagnostics] == [("ART004", "info")]


def test_load_model_calling_a_helper_module_is_not_taken_for_model_less(tmp_path):
    score = "import helpers\n\n\ndef load_model():\n    return helpers.build()\n\n\ndef predict(data, model=load_model()):\n" \
            "    return data\n"
    files = artifact({"score.py": score, "helpers.py": "def build():\n    return 1\n", "model.joblib": None})
    run = lint(make_artifact(tmp_path, files))
    assert contract(run)["kind"] == "model" and "ART004" in codes(run)


def test_container_artifact_gets_one_info_instead_of_conda_errors(tmp_path):
    files = {"Dockerfile": "FROM python:3.11\n", "runtime.yaml": "MODEL_ARTIFACT_VERSION: '3.0'\n"}
    run = lint(make_artifact(tmp_path, files))
    assert [d.code for d in run.diagnostics if d.severity.label != "info"] == []
    assert [d.code for d in run.diagnostics].count("ART009") == 1


@pytest.mark.parametrize(("runtime", "expected"), [("container", []), ("conda", ["ART001", "ART004", "RTY102"])])
def test_declared_runtime_settles_a_container_artifact(tmp_path, runtime, expected):
    files = {"Dockerfile": "FROM python:3.11\n", "runtime.yaml": "MODEL_ARTIFACT_VERSION: '3.0'\n"}
    run = lint(make_artifact(tmp_path, files, config={"runtime": runtime}))
    assert sorted(d.code for d in run.diagnostics if d.severity.label != "info") == expected
    assert "ART009" not in codes(run)


def test_placeholder_line_gets_one_finding(tmp_path):
    runtime = RUNTIME_YAML.replace("'3.11'", "<INSERT_INFERENCE_PYTHON_VERSION>")
    run = lint(make_artifact(tmp_path, artifact({"runtime.yaml": runtime})))
    on_line_7 = [d.code for d in run.diagnostics if d.path == "runtime.yaml" and d.span and d.span.start.line == 7]
    assert on_line_7 == ["RTY105"]


def test_missing_model_is_one_finding_at_the_line_that_names_it(tmp_path):
    run = lint(make_artifact(tmp_path, artifact({"model.joblib": None})))
    assert codes(run) == ["SCR301"]
    (tmp_path / "x").mkdir()
    assert codes(lint(make_artifact(tmp_path / "x", artifact({"model.joblib": None})), ignore=("SCR301",))) == ["ART004"]


def test_search_skips_zips_that_are_not_artifacts_and_finds_artifact_zips(tmp_path):
    def make_zip(name: str, members: dict) -> None:
        with zipfile.ZipFile(tmp_path / name, "w") as archive:
            for member, content in members.items():
                archive.writestr(member, content)

    make_zip("job.zip", {"job.py": "print(1)\n", "requirements.txt": "pandas\n"})
    make_zip("terraform.zip", {"main.tf": "provider \"oci\" {}\n"})
    make_zip("images.zip", {"img/cat.png": b"\x89PNG"})
    make_zip("data.zip", {"train.csv": "a,b\n1,2\n"})
    make_zip("deep.zip", {"a/b/score.py": SCORE_PY})
    make_zip("model.zip", {"score.py": SCORE_PY, "runtime.yaml": RUNTIME_YAML})
    make_zip("group.zip", {"group/score.py": GROUP_SCORE, "group/runtime.yaml": RUNTIME_YAML})
    (tmp_path / "lfs.zip").write_text("version https://git-lfs.github.com/spec/v1\n")
    found = discover([str(tmp_path)])
    assert sorted(a.display.rsplit("/", 1)[-1] for a in found.artifacts) == ["group.zip", "model.zip"]
    assert found.errors == []
    assert len(discover([str(tmp_path / "lfs.zip")]).artifacts) == 1  # named: linted, so ART008 says what it is


def test_search_finds_artifacts_in_a_test_tree_below_an_artifact(tmp_path):
    write_files(tmp_path, {
        "repo/score.py": SCORE_PY, "repo/runtime.yaml": RUNTIME_YAML,
        "repo/tests/fixtures/good/score.py": SCORE_PY, "repo/tests/unitary/bad/runtime.yaml": RUNTIME_YAML,
        "repo/helpers/score.py": SCORE_PY,  # the artifact's own content, not another artifact
    })
    found = discover([str(tmp_path)])
    displays = sorted(a.display.replace(str(tmp_path), "") for a in found.artifacts)
    assert displays == ["/repo", "/repo/tests/fixtures/good", "/repo/tests/unitary/bad"]


def test_relative_read_in_a_group_is_reported_without_the_file_based_fix(tmp_path):
    score = GROUP_SCORE.replace('os.path.join(model_folder, "model.joblib")', '"model.joblib"')
    run = lint(make_artifact(tmp_path, group(score)))
    [finding] = [d for d in run.diagnostics if d.code == "SCR302"]
    assert finding.fix is None and "model folder parameter" in finding.message


def test_env_type_fix_does_not_guess_when_the_bucket_is_misspelt(tmp_path):
    from rules._samples import SERVICE_PACK_PATH, runtime_yaml

    misspelt = runtime_yaml(path=SERVICE_PACK_PATH.replace("service-conda-packs", "service_conda_packs"))
    found = lint(make_artifact(tmp_path, artifact({"runtime.yaml": misspelt}))).diagnostics
    assert "RTY110" not in [d.code for d in found]  # one cause, one finding: the bucket is what is wrong
    [finding] = [d for d in found if d.code == "RTY117"]
    assert finding.fix is None and "service_conda_packs" in finding.message
    (tmp_path / "other").mkdir()
    elsewhere = runtime_yaml(path=SERVICE_PACK_PATH.replace("service-conda-packs", "team-packs"))
    [finding] = [d for d in lint(make_artifact(tmp_path / "other", artifact({"runtime.yaml": elsewhere}))).diagnostics
                 if d.code == "RTY110"]
    assert finding.fix is None and "'team-packs', not 'service-conda-packs'" in finding.message
    (tmp_path / "own").mkdir()
    own = runtime_yaml(path="oci://my-packs@mytenancy/conda/churn_v1", slug="''")
    [finding] = [d for d in lint(make_artifact(tmp_path / "own", artifact({"runtime.yaml": own}))).diagnostics
                 if d.code == "RTY110"]
    assert finding.fix is not None and finding.fix.applicability.value == "unsafe"


def test_single_model_mistakes_are_not_taken_for_a_group(tmp_path):
    """load_model(model_path) opening its argument as the file, and an async predict: a broken single model."""
    score = "import pickle\n\n\ndef load_model(model_path):\n    with open(model_path, 'rb') as handle:\n" \
            "        return pickle.load(handle)\n\n\nasync def predict(payload, model):\n    return model.predict(payload)\n"
    run = lint(make_artifact(tmp_path, {"score.py": score, "runtime.yaml": RUNTIME_YAML}))
    assert contract(run)["kind"] == "model"
    assert {"SCR104", "SCR106"} <= set(codes(run))


def test_model_fetched_at_start_up_is_not_a_missing_model(tmp_path):
    score = "from transformers import pipeline\n\n\ndef load_model():\n    return pipeline('sentiment-analysis')\n\n\n" \
            "def predict(data, model=load_model()):\n    return model(data)\n"
    run = lint(make_artifact(tmp_path, artifact({"score.py": score, "model.joblib": None})))
    assert contract(run)["kind"] == "model-less" and "fetches" in contract(run)["reason"]
    assert [(d.code, d.severity.label) for d in run.diagnostics if d.code == "ART004"] == [("ART004", "info")]


def test_an_ignored_precise_finding_leaves_the_one_it_superseded(tmp_path):
    path = make_artifact(tmp_path, artifact({"model.joblib": None}), config={"per-file-ignores": {"score.py": ["SCR301"]}})
    assert codes(lint(path)) == ["ART004"]
