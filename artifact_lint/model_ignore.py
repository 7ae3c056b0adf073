"""ADS's `.model-ignore`, reproduced exactly as oracle-ads 2.16 applies it when it zips an artifact.

ADS (ads.common.utils.get_files) reads the file in text mode through fsspec (so universal
newlines: CRLF and CR become LF, measured with fsspec 2026.9), splits `.strip().split("\\n")`,
skips lines that start with `#` (not indented ones) or are blank, turns a trailing `/` into `*`,
and drops every file *and folder* whose absolute path `re.search`es
`fnmatch.translate("/" + pattern.strip())`. The consequences are not gitignore's: `*` crosses
folders, `lib/` drops `libsvm.txt`, a pattern can match a folder above the artifact and drop
everything, `.venv` drops the folder entry but not its files, and `!`, `**` and a leading `/`
are literal. Reproducing it exactly is what lets a lint say which files will really be uploaded;
tests pin the odd cases, and a differential run against ADS 2.16's own function agreed.
"""

from __future__ import annotations

import fnmatch
import os
import re
from typing import NamedTuple

IGNORE_FILE = ".model-ignore"


class IgnorePattern(NamedTuple):
    """One line of .model-ignore, compiled the way ADS matches it."""

    line: int  # 1-based line in .model-ignore
    written: str  # the line as ADS sees it
    regex: re.Pattern

    @property
    def text(self) -> str:
        return self.written.strip()

    @property
    def folder_pattern(self) -> bool:
        """Written with a trailing slash, which ADS turns into `*`."""
        return self.written.endswith("/")


def read_patterns(text: str) -> list[IgnorePattern]:
    """The patterns ADS applies, in order, with the line each comes from."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # what a text-mode read hands ADS
    skipped_lines = text[: len(text) - len(text.lstrip())].count("\n")
    patterns = []
    for index, line in enumerate(text.strip().split("\n")):
        if line.startswith("#") or line.strip() == "":
            continue
        effective = line[:-1] + "*" if line.endswith("/") else line
        regex = re.compile(fnmatch.translate("/%s" % effective.strip()))
        patterns.append(IgnorePattern(index + 1 + skipped_lines, line, regex))
    return patterns


def dropped_paths(patterns: list[IgnorePattern], absolute_root: str, relative_paths: list[str]) -> dict[str, IgnorePattern]:
    """Relative path -> the pattern that drops it, for every file or folder ADS leaves out."""
    root = os.path.abspath(absolute_root).rstrip("/")
    remaining = {path: f"{root}/{path}" for path in relative_paths}
    dropped: dict[str, IgnorePattern] = {}
    for pattern in patterns:
        for path, absolute in list(remaining.items()):
            if pattern.regex.search(absolute):
                dropped[path] = pattern
                del remaining[path]
    return dropped


def matches_ancestor(pattern: IgnorePattern, absolute_root: str) -> str | None:
    """The part of the artifact folder's own path that `pattern` matches (then every file goes)."""
    root = os.path.abspath(absolute_root).rstrip("/")
    probe = f"{root}/score.py"
    match = pattern.regex.search(probe)
    if match is None:
        return None
    # A match that starts inside the artifact folder is about its files, not its ancestors.
    return root[match.start():] if match.start() < len(root) else None
