"""Suppression comments in score.py and runtime.yaml, and the findings about them."""

from __future__ import annotations

from rules._samples import RUNTIME_YAML, SCORE_PY, artifact
from tests.helpers import lint, make_artifact

BAD_PREDICT = SCORE_PY.replace("def predict(data, model=load_model()):", "def predict(payload, model=load_model()):").replace(
    "json.loads(data) if isinstance(data, (bytes, str)) else data",
    "json.loads(payload) if isinstance(payload, (bytes, str)) else payload")


def codes(tmp_path, files) -> list[str]:
    return [d.code for d in lint(make_artifact(tmp_path, files)).diagnostics]


def test_trailing_comment_covers_its_line(tmp_path):
    text = BAD_PREDICT.replace("model=load_model()):", "model=load_model()):  # artifact-lint: ignore[SCR103]")
    assert codes(tmp_path, artifact({"score.py": text})) == []


def test_comment_alone_covers_the_next_line(tmp_path):
    text = BAD_PREDICT.replace("def predict(payload", "# artifact-lint: ignore[SCR103]\ndef predict(payload")
    assert codes(tmp_path, artifact({"score.py": text})) == []


def test_blanket_ignore_and_other_codes_are_not_covered(tmp_path):
    text = BAD_PREDICT.replace("model=load_model()):", "model=load_model()):  # artifact-lint: ignore[SCR104]")
    assert sorted(codes(tmp_path, artifact({"score.py": text}))) == ["ALX001", "SCR103"]


def test_file_ignore_in_runtime_yaml(tmp_path):
    text = "# artifact-lint: file-ignore[RTY107, RTY002]\n" + RUNTIME_YAML.replace("'3.11'", "3.10")
    found = codes(tmp_path, artifact({"runtime.yaml": text}))
    assert "RTY107" not in found
    assert "ALX001" in found  # RTY002 matched nothing


def test_directive_inside_a_string_is_not_a_comment(tmp_path):
    text = BAD_PREDICT.replace("model=load_model()):", "model='# artifact-lint: ignore[SCR103]'):")
    assert "SCR103" in codes(tmp_path, artifact({"score.py": text}))


def test_unknown_code_in_a_suppression(tmp_path):
    text = SCORE_PY.replace("import json", "import json  # artifact-lint: ignore[SCR9X9]")
    assert codes(tmp_path, artifact({"score.py": text})) == ["ALX002"]


def test_comment_before_a_multi_line_statement_covers_all_of_it(tmp_path):
    text = SCORE_PY.replace('    with open(os.path.join(model_dir, model_file_name), "rb") as handle:',
                            '    # artifact-lint: ignore[SCR302]\n    with open(\n        model_file_name,\n'
                            '        "rb",\n    ) as handle:')
    assert codes(tmp_path, artifact({"score.py": text})) == []
