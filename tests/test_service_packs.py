"""The service-pack knowledge base and the rules that read it (RTY116-RTY118), on real shapes."""

from __future__ import annotations


from artifact_lint.rules._samples import SCORE_PY, SERVICE_PACK_PATH, artifact, runtime_yaml
from artifact_lint.service_packs import knowledge
from tests.helpers import lint, make_artifact


def _codes(tmp_path, files) -> dict[str, list]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    run = lint(make_artifact(tmp_path, files))
    assert not run.all_tool_errors(), run.all_tool_errors()
    found: dict[str, list] = {}
    for diagnostic in run.diagnostics:
        found.setdefault(diagnostic.code, []).append(diagnostic)
    return found


def test_every_fact_has_a_source_and_unknowns_are_null():
    packs = knowledge().packs
    assert {"generalml_p311_cpu_x86_64_v1", "python_p311_any_x86_64_v1", "onnx113_p39_cpu_v1"} <= set(packs)
    for pack in packs.values():
        assert pack.slug.split("_p3")[1].startswith(pack.python.replace("3.", "", 1)), pack.slug
        for fact in ("python", "release_date", "pack_path", "retired"):
            assert pack.sources.get(fact, {}).get("source"), (pack.slug, fact)
        assert pack.release_date is None or len(pack.release_date) == 10
    base = packs["python_p311_any_x86_64_v1"]
    assert base.release_date == "2024-08-23" and base.ships and {"oracle-ads", "oci", "scikit-learn"} <= base.ships
    assert "torch" not in base.ships and "opencv-python" not in base.ships
    assert packs["generalml_p311_cpu_x86_64_v1"].ships is None  # its list is published but not stored: unknown


def test_lookup_by_slug_or_by_the_service_pack_path():
    pack = knowledge().pack(None, SERVICE_PACK_PATH)
    assert pack is not None and pack.slug == "generalml_p311_cpu_x86_64_v1"
    assert pack.pack_path and SERVICE_PACK_PATH.endswith(pack.pack_path)
    assert knowledge().pack(None, "oci://my-bucket@ns/conda_environments/cpu/x/1.0/generalml_p311_cpu_x86_64_v1") is None
    assert knowledge().pack("no_such_pack_p311", None) is None


def test_misspelt_bucket_is_one_finding_not_a_guessed_env_type(tmp_path):
    path = SERVICE_PACK_PATH.replace("service-conda-packs", "service_conda_packs")
    found = _codes(tmp_path, artifact({"runtime.yaml": runtime_yaml(path=path)}))
    assert [d.message for d in found["RTY117"]] == [
        "the bucket 'service_conda_packs' is Oracle's service-pack bucket misspelt: write service-conda-packs"]
    assert "RTY110" not in found  # no "fix" that sets INFERENCE_ENV_TYPE: published


def test_service_pack_prefix_and_internal_namespace(tmp_path):
    prefix = _codes(tmp_path / "a", artifact({"runtime.yaml": runtime_yaml(
        path=SERVICE_PACK_PATH.replace("/service_pack/", "/service-pack/"))}))
    assert "service_pack" in prefix["RTY117"][0].message and "RTY110" not in prefix
    own_bucket = _codes(tmp_path / "b", artifact({"runtime.yaml": runtime_yaml(
        path="oci://service-conda-packs-copy@mytenancy/packs/churn_v1", slug="''", env_type="published")}))
    assert "RTY117" not in own_bucket  # a user's bucket that only resembles Oracle's is theirs


def test_retired_pack_warns_with_its_source(tmp_path, monkeypatch):
    pack = knowledge().packs["generalml_p311_cpu_x86_64_v1"]
    retired = pack._replace(retired=True, sources={**pack.sources, "retired": {"source": "a test notice"}})
    monkeypatch.setitem(knowledge().packs, pack.slug, retired)
    found = _codes(tmp_path, artifact())
    assert [(d.severity.label, d.message) for d in found["RTY116"]] == [
        ("warning", "generalml_p311_cpu_x86_64_v1 is retired (a test notice); choose a current service pack")]


def test_current_python_and_pack_are_not_retired(tmp_path):
    assert "RTY116" not in _codes(tmp_path, artifact())


def test_pack_list_replaces_the_general_third_party_info(tmp_path):
    base = runtime_yaml(path=SERVICE_PACK_PATH.rsplit("/", 1)[0] + "/python_p311_any_x86_64_v1",
                        slug="python_p311_any_x86_64_v1")
    score = SCORE_PY.replace("import joblib", "import joblib\nimport sklearn\nimport cv2\nimport mymystery")
    found = _codes(tmp_path, artifact({"runtime.yaml": base, "score.py": score}))
    assert [d.message.split(" (pip")[0] for d in found["RTY118"]] == ["score.py imports cv2"]
    # sklearn ships with ADS; the unknown module still gets SCR203's info; cv2 is not said twice
    assert [d.message.split(",")[0] for d in found["SCR203"]] == ["score.py imports mymystery"]


def test_unknown_pack_list_says_nothing(tmp_path):
    score = SCORE_PY.replace("import joblib", "import joblib\nimport torch")
    assert "RTY118" not in _codes(tmp_path, artifact({"score.py": score}))
