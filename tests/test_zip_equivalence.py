"""Linting a zip gives the same findings as linting the same files as a folder."""

from __future__ import annotations

import pickle

from rules._samples import RUNTIME_YAML, SCORE_PY, artifact
from rules.manifest import MANIFEST, manifest_for
from tests.helpers import lint, make_artifact

# Only what cannot exist in a zip differs: .model-ignore is applied when ADS zips a folder (an
# existing zip is uploaded as it is), and fixes that edit .model-ignore need the folder.
FOLDER_ONLY = {"PKG001", "PKG002"}


def _many_problems() -> dict:
    files = artifact({
        "runtime.yaml": RUNTIME_YAML.replace("'3.11'", "3.10").replace("  USER_OCID: ''\n", ""),
        "score.py": SCORE_PY.replace("import joblib", "import joblib\nimport cv2\nfrom helpers import prep")
        .replace(".tolist()", "") + "\nLOG = open('predictions.log', 'w')\n",
        "input_schema.json": '{"schema": [{"dtype": "flaot64", "name": "a", "required": true, "std": NaN}]}',
        "model.pkl": b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x01T\x94\x93\x94.",
        "extra.joblib": pickle.dumps(list(range(100)), protocol=5)[:-30],
        "__pycache__/score.cpython-311.pyc": b"\0",
        ".env": "API_TOKEN=abcdef123456\n",
    })
    files[MANIFEST] = manifest_for({k: v for k, v in files.items() if k != "extra.joblib"})
    return files


def _comparable(run) -> list[tuple]:
    return [(d.code, d.path, d.span, d.severity, d.message, d.ads_test) for d in run.diagnostics
            if d.code not in FOLDER_ONLY]


def test_zip_and_folder_findings_are_identical(tmp_path):
    files = _many_problems()
    (tmp_path / "dir").mkdir()
    (tmp_path / "zip").mkdir()
    folder = lint(make_artifact(tmp_path / "dir", files))
    zipped = lint(make_artifact(tmp_path / "zip", files, container="zip"))
    assert not folder.all_tool_errors() and not zipped.all_tool_errors()
    codes = {d.code for d in folder.diagnostics}
    assert {"RTY107", "RTY114", "SCR203", "SCR403", "SCR304", "SCH004", "SCH007", "SCH002", "MDL002", "MDL005",
            "ART007", "SEC001", "PKG102"} <= codes, codes
    assert _comparable(folder) == _comparable(zipped)
