"""Whether a stream may get escape codes (colour, cursor moves): a terminal, without NO_COLOR or TERM=dumb
(FORCE_COLOR, as rich reads it, says yes off a terminal too)."""

from __future__ import annotations

import os


def escapes_allowed(stream) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False
