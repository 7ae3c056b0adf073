"""ADS's .model-ignore, pinned case by case, and compared with ADS's own function when it is installed."""

from __future__ import annotations

import json
import os
import random
import subprocess

import pytest

from artifact_lint.model_ignore import dropped_paths, matches_ancestor, read_patterns


def kept(text: str, root: str, paths: list[str]) -> list[str]:
    dropped = dropped_paths(read_patterns(text), root, paths)
    return sorted(set(paths) - set(dropped))


def test_trailing_slash_is_a_prefix_wildcard_on_path_components():
    paths = ["lib", "lib/a.py", "libsvm.txt", "library.py", "mylib", "mylib/helper.py", "src/lib/b.py"]
    assert kept("lib/\n", "/srv/art", paths) == ["mylib", "mylib/helper.py"]


def test_star_crosses_folders_and_matches_at_any_depth():
    assert kept("*.log\n", "/srv/art", ["a.log", "logs/b.log", "x/y/z.log", "log.txt"]) == ["log.txt"]


def test_a_pattern_without_slash_drops_only_the_entry():
    assert kept(".venv\n", "/srv/art", [".venv", ".venv/bin/python", ".venvrc"]) == [".venv/bin/python", ".venvrc"]


def test_ancestor_match_drops_everything():
    patterns = read_patterns("var/\n")
    assert kept("var/\n", "/var/folders/ab/art", ["score.py", "model.joblib"]) == []
    assert matches_ancestor(patterns[0], "/var/folders/ab/art") == "/var/folders/ab/art"
    assert matches_ancestor(patterns[0], "/srv/art") is None


def test_windows_line_endings_are_read_as_plain_newlines():
    assert kept("logs/\r\n*.tmp\r\n", "/srv/art", ["logs/a.txt", "b.tmp", "c.txt"]) == ["c.txt"]


@pytest.mark.parametrize(
    ("text", "paths", "expected"),
    [
        ("!keep.txt\n", ["keep.txt", "!keep.txt"], ["keep.txt"]),  # no negation: ! is literal
        ("/build\n", ["build", "build/x"], ["build", "build/x"]),  # "//build" matches nothing
        ("**/data\n", ["data", "a/data", "data.csv"], ["data.csv"]),  # ** is just * * (the artifact path has folders)
        ("*.tmp\n  # indented\n", ["# indented", "x"], ["x"]),  # not a comment: the pattern "# indented"
        ("  # first line\n", ["# first line", "x"], ["# first line", "x"]),  # the file's strip() makes it one
        ("# comment\n\n", ["# comment", "x"], ["# comment", "x"]),
    ],
)
def test_syntax_ads_takes_literally(text, paths, expected):
    assert kept(text, "/srv/art", paths) == expected


def test_line_numbers_survive_leading_blank_lines():
    assert [p.line for p in read_patterns("\n\n# c\nlib/\n\n*.log\n")] == [4, 6]


ADS_PYTHON = os.environ.get("ARTIFACT_LINT_ADS_PYTHON")
ADS_PROBE = """
import json, sys
import ads.common.utils as utils
utils.authutil.default_signer = lambda *args, **kwargs: {}
print(json.dumps(sorted(utils.get_files(sys.argv[1]))))
"""


@pytest.mark.skipif(not ADS_PYTHON, reason="set ARTIFACT_LINT_ADS_PYTHON to a python with oracle-ads to compare with ADS")
def test_same_files_as_ads_get_files(tmp_path):
    rng = random.Random(7)
    names = ["lib", "library.py", "var", "variables", "env", ".env", ".venv", "build.txt", "logs", "x.log", "a.pyc",
             "__pycache__", "model.joblib", "mylib", "!keep.txt", "data"]
    patterns = ["lib/", "var/", "env/", ".env", ".venv", "build/", "logs/", "*.log", "*.py[cod]", "__pycache__/",
                "!keep.txt", "**/data", "/build", "  # indented", "mylib", "data/"]
    for trial in range(40):
        root = tmp_path / str(trial) / rng.choice(["art", "var/art", "lib/x/art", "envs/art"])
        root.mkdir(parents=True)
        for _ in range(10):
            path = root.joinpath(*(rng.choice(names) for _ in range(rng.randint(1, 3))))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.is_dir():
                    path.write_text("x")
            except (NotADirectoryError, FileExistsError, IsADirectoryError):
                pass
        eol = rng.choice(["\n", "\r\n"])
        text = eol.join(["# header", *rng.sample(patterns, rng.randint(1, 6))]) + eol
        (root / ".model-ignore").write_bytes(text.encode())
        result = subprocess.run([ADS_PYTHON, "-c", ADS_PROBE, str(root)], capture_output=True, text=True, timeout=120)
        ads_kept = json.loads(result.stdout.strip().splitlines()[-1])
        ours = [str(p.relative_to(root)) for p in root.rglob("*")]
        assert kept(text, str(root), ours) == ads_kept, text
