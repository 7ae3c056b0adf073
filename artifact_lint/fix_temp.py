"""The temporary files fix mode writes beside the files it replaces, and how to recognise them.

A fix run writes `.<name>.<pid>-<random>.artifact-lint` next to each file before renaming it into
place (and keeps the original under such a name until the run commits, to roll back). A run killed
with SIGKILL cannot remove them, so the next fix run removes those whose process is gone, and lint
reports any it sees (ART010): they are not part of the model and must never be uploaded. Names
from older versions (`.<name>.<8 random characters>.artifact-lint`, no pid) are recognised too.
"""

from __future__ import annotations

import os
import re

SUFFIX = ".artifact-lint"
_NAME = re.compile(r"^\.(?P<target>.+)\.(?:(?P<pid>\d+)-[0-9a-f]{8}|[A-Za-z0-9_]{8})" + re.escape(SUFFIX) + r"$")


def temp_name(target_name: str) -> str:
    """A fresh name for a temporary file beside `target_name`, owned by this process."""
    import secrets

    return f".{target_name}.{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"


def is_fix_temp(name: str) -> bool:
    """Whether a file name (not a path) is one of fix mode's temporary files."""
    return name.endswith(SUFFIX) and _NAME.match(name) is not None


def target_of(name: str) -> str:
    """The name of the file a temporary file was written for (`.score.py.12-ab12cd34.artifact-lint` -> score.py)."""
    match = _NAME.match(name)
    return match.group("target") if match else name


def is_stale(name: str) -> bool:
    """A temporary file whose fix run is no longer running (killed, or from an older version)."""
    match = _NAME.match(name)
    if match is None:
        return False
    pid = match.group("pid")
    if pid is None:
        return True
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, OverflowError):
        return True
    except PermissionError:
        return False  # a process we may not signal is alive
    return False
