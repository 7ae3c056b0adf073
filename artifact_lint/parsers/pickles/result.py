"""What a pickle scan found: the record the stack machine fills in and the model rules read."""

from __future__ import annotations

from artifact_lint.parsers.pickles.calls import Call
from artifact_lint.parsers.pickles.values import Function


class PickleScan:
    """What walking the opcodes taught us; `error` is set only when the stream is certainly broken.

    A plain class, filled in as the machine walks: one is made per pickle, and a dataclass would
    compile its methods on every start for that.
    """

    def __init__(self) -> None:
        self.protocol: int | None = None
        self.globals: list[tuple[str, str]] = []
        self.versions: dict[str, str] = {}
        self.n_features: int | None = None  # the last-built estimator's n_features_in_ (the top-level one, built last)
        self.complete = False
        self.error: str | None = None
        self.compression: str | None = None
        self.opcodes = 0
        self.stopped_early: str | None = None
        self.end: int | None = None  # offset just past STOP, from where the scan started (another pickle may follow)
        self.calls: list[Call] = []  # every distinct call the load would make, in stream order
        self.functions: list[Function] = []  # functions stored by value (cloudpickle, dill)
        self.imported: list[str] = []  # modules imported by call (__import__, subimport, ...)
        self.nested: list = []  # bytes (or Big placeholders) of files an allowed helper loads
        self.unjudged: list[str] = []  # parts of what the load does that were not walked, and why
