"""How a pickle walk ends early: the file's fault (truncated, corrupt) or the scanner's limits (stop)."""

from __future__ import annotations

TRUNCATED = "the file ends before the pickle's STOP (truncated?)"


class Truncated(Exception):
    """The stream ended in the middle of the pickle."""


class Corrupt(Exception):
    """The stream cannot be a valid pickle; the message says where and why."""


class Stop(Exception):
    """The scan gives up without blaming the file (budget, unsupported format)."""
