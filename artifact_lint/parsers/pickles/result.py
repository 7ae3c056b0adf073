"""What a pickle scan found: the record the stack machine fills in and the model rules read."""

from __future__ import annotations

from dataclasses import dataclass, field

from artifact_lint.parsers.pickles.calls import Call
from artifact_lint.parsers.pickles.values import Function


@dataclass
class PickleScan:
    """What walking the opcodes taught us; `error` is set only when the stream is certainly broken."""

    protocol: int | None = None
    globals: list[tuple[str, str]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    n_features: int | None = None  # the last-built estimator's n_features_in_ (the top-level one, built last)
    complete: bool = False
    error: str | None = None
    compression: str | None = None
    opcodes: int = 0
    stopped_early: str | None = None
    end: int | None = None  # offset just past STOP, from where the scan started (another pickle may follow)
    calls: list[Call] = field(default_factory=list)  # every distinct call the load would make, in stream order
    functions: list[Function] = field(default_factory=list)  # functions stored by value (cloudpickle, dill)
    imported: list[str] = field(default_factory=list)  # modules imported by call (__import__, subimport, ...)
    nested: list = field(default_factory=list)  # bytes (or Big placeholders) of files an allowed helper loads
    unjudged: list[str] = field(default_factory=list)  # parts of what the load does that were not walked, and why
