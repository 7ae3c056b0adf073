"""SEC002 reads only the central directory: odd names, repeats, links and bombs."""

from __future__ import annotations

import warnings
import zipfile

from rules._samples import artifact
from tests.helpers import lint


def _zip(tmp_path, extra) -> str:
    path = tmp_path / "model.zip"
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate we write on purpose
        for name, content in artifact().items():
            archive.writestr(name, content)
        for info, content in extra:
            archive.writestr(info, content)
    return path


def _sec002(tmp_path, extra) -> list[tuple[str, str]]:
    run = lint(_zip(tmp_path, extra))
    return [(d.path, d.message) for d in run.diagnostics if d.code == "SEC002"]


def test_absolute_backslash_and_parent_names(tmp_path):
    found = _sec002(tmp_path, [("/etc/cron.d/job", "x"), ("..\\up.txt", "x"), ("a/../../b.txt", "x")])
    assert sorted(path for path, _ in found) == ["..\\up.txt", "/etc/cron.d/job", "a/../../b.txt"]
    assert any("absolute" in message for _, message in found)


def test_repeated_member_and_symlink(tmp_path):
    link = zipfile.ZipInfo("link")
    link.external_attr = 0o120777 << 16
    found = dict(_sec002(tmp_path, [("score.py", "print(1)\n"), (link, "/etc/passwd")]))
    assert "more than once" in found["score.py"]
    assert "symlink" in found["link"]


def test_a_bomb_is_recognised_without_extracting(tmp_path):
    big = zipfile.ZipInfo("weights.bin")
    big.compress_type = zipfile.ZIP_DEFLATED
    found = dict(_sec002(tmp_path, [(big, bytes(150 * 1024 * 1024))]))
    assert "zip bomb" in found["weights.bin"]
