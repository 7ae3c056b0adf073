"""Facts about models inside a pickle: numpy dtypes and joblib's array layout, library versions, widths.

The stack machine calls these at BUILD: joblib writes raw array bytes right after each
`NumpyArrayWrapper`'s state, whose size follows from the pickled dtype and shape; scikit-learn writes
its version and `n_features_in_` into estimator state.
"""

from __future__ import annotations

import re
from typing import Any

from artifact_lint.parsers.pickles.errors import Stop
from artifact_lint.parsers.pickles.values import Global, Opaque

NUMPY_ARRAY_WRAPPER = "NumpyArrayWrapper"
_VERSION_KEYS = {"_sklearn_version": "scikit-learn"}
# numpy dtype kinds whose type string gives the item size in bytes ("f8", "i4", "M8", ...).
_SIZED_KINDS = frozenset("biufcmMSaV")
_NPY_ITEM_HASOBJECT = 0x01


def is_joblib_array(origin: Global | None) -> bool:
    return origin is not None and origin.name == NUMPY_ARRAY_WRAPPER and origin.module.endswith("joblib.numpy_pickle")


def state_facts(state: Any) -> tuple[dict[str, str], int | None]:
    """(library -> version, n_features_in_) written into an object's state by the library that pickled it."""
    versions: dict[str, str] = {}
    features = None
    parts = state if isinstance(state, tuple) and len(state) == 2 else (state,)
    for part in parts:
        if not isinstance(part, dict):
            continue
        for key, library in _VERSION_KEYS.items():
            version = part.get(key)
            if isinstance(version, str) and len(version) < 100:
                versions.setdefault(library, version)
        width = part.get("n_features_in_")
        if isinstance(width, int) and not isinstance(width, bool):
            features = width
    return versions, features


def dtype_layout(dtype: Any) -> tuple[int, bool]:
    """(item size, holds Python objects) of a pickled numpy dtype; Stop when not understood."""
    origin = dtype.origin if isinstance(dtype, Opaque) else None
    if origin is None or origin.name != "dtype" or not origin.module.startswith("numpy"):
        raise Stop("a joblib array's dtype is not a numpy dtype the scanner understands")
    args, state = dtype.args, dtype.state
    typestr = args[0] if isinstance(args, tuple) and args and isinstance(args[0], str) else ""
    match = re.fullmatch(r"([a-zA-Z?])(\d*)", typestr)
    if not match:
        raise Stop(f"a joblib array has a numpy dtype the scanner does not understand ({typestr!r})")
    kind, digits = match.group(1), match.group(2)
    elsize = state[5] if isinstance(state, tuple) and len(state) > 7 and type(state[5]) is int else -1
    flags = state[7] if isinstance(state, tuple) and len(state) > 7 and type(state[7]) is int else None
    hasobject = kind == "O" or (flags is not None and bool(flags & _NPY_ITEM_HASOBJECT))
    if elsize > 0:
        return elsize, hasobject
    if kind == "O":
        return int(digits or 8), True
    if kind == "U" and digits:
        return int(digits) * 4, hasobject
    if kind in _SIZED_KINDS and digits:
        return int(digits), hasobject
    raise Stop(f"the item size of a joblib array's numpy dtype {typestr!r} is not known")


def array_bytes(state: dict, itemsize: int) -> int:
    shape = state.get("shape")
    if not isinstance(shape, tuple) or not all(type(size) is int and size >= 0 for size in shape):
        raise Stop("a joblib array's shape is not a tuple of sizes")
    count = 1
    for size in shape:
        count *= size
    return count * itemsize
