"""Pickle-family files read without loading: the stream, opcode decoding, the stack machine, calls and model facts."""

from artifact_lint.parsers.pickles.errors import TRUNCATED
from artifact_lint.parsers.pickles.scan import PickleScan, looks_like_pickle, scan_pickle

__all__ = ["TRUNCATED", "PickleScan", "looks_like_pickle", "scan_pickle"]
