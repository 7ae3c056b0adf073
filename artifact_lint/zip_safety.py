"""What makes a zip member unsafe to extract: shared by SEC002 (reported) and the verifier (refused)."""

from __future__ import annotations

import re
import stat
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from artifact_lint.artifact import format_size

if TYPE_CHECKING:
    import zipfile

BOMB_RATIO = 500
BOMB_MIN_SIZE = 100 * 1024 * 1024


def is_bomb(declared_size: int, compressed_size: int) -> bool:
    """More than 100 MiB at a compression ratio over 500: a bomb, not a model."""
    return declared_size > BOMB_MIN_SIZE and declared_size > BOMB_RATIO * max(compressed_size, 1)


def member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why extracting this member is unsafe (a phrase after "zip member NAME"), or None."""
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not name.strip("/"):
        return "has an empty name, which extractors skip or refuse"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "is an absolute path"
    if ".." in parts:
        return "climbs out of the extraction folder with .."
    if "\\" in name:
        return "uses backslashes, which extractors treat as part of the name or as folders, inconsistently"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symlink, which can point anywhere once extracted"
    if is_bomb(info.file_size, info.compress_size):
        return (f"expands from {format_size(info.compress_size)} to {format_size(info.file_size)}, a ratio "
                f"that suggests a zip bomb")
    return None
