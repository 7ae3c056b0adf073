"""Regressions found in review: each of these once went wrong."""

from __future__ import annotations

import json
import zipfile

from rules._samples import SCORE_PY, artifact
from tests.helpers import lint, make_artifact, run_cli, write_config


def test_an_unreadable_zip_cannot_be_selected_away(tmp_path):
    (tmp_path / "cut.zip").write_bytes(b"PK\x03\x04 cut short")
    result = run_cli("lint", "--select", "SCR", str(tmp_path / "cut.zip"))
    assert result.returncode == 1 and b"ART008" in result.stdout


def test_stdin_for_a_score_py_not_saved_yet(tmp_path):
    folder = tmp_path / "new-artifact"
    folder.mkdir()
    result = run_cli("lint", "--format", "json", "--select", "SCR1", "--stdin-filename", str(folder / "score.py"),
                     stdin=b"def predict(payload):\n    return payload\n")
    report = json.loads(result.stdout)
    assert sorted(d["code"] for d in report["diagnostics"]) == ["SCR101", "SCR103"]


def test_folder_search_finds_zips(tmp_path):
    (tmp_path / "dist").mkdir()
    with zipfile.ZipFile(tmp_path / "dist" / "model.zip", "w") as archive:
        for name, content in artifact().items():
            archive.writestr(name, content)
    result = run_cli("lint", "--format", "json", str(tmp_path / "dist"))
    assert json.loads(result.stdout)["artifacts"][0]["kind"] == "zip"


def test_per_file_ignores_cover_alx_findings(tmp_path):
    text = SCORE_PY.replace("import json", "import json  # artifact-lint: ignore[SCR9X9]")
    path = make_artifact(tmp_path, artifact({"score.py": text}))
    write_config(tmp_path, {"per-file-ignores": {"score.py": ["ALX002"]}})
    assert [d.code for d in lint(path).diagnostics] == []


def test_form_feeds_do_not_shift_excerpts(tmp_path):
    text = "import joblib\n\x0c\n" + SCORE_PY.split("import joblib\n", 1)[1].replace(
        "with open(os.path.join(model_dir, model_file_name), \"rb\")", "with open(model_file_name, \"rb\")")
    path = make_artifact(tmp_path, artifact({"score.py": "import json\nimport os\n" + text}))
    out = run_cli("lint", "--select", "SCR302", str(path)).stdout.decode()
    assert 'with open(model_file_name, "rb") as handle:' in out
