"""input_schema.json / output_schema.json in ADS's format, from sample data read with pandas.

Statistics are written as ADS writes them, except that undefined ones (a one-row standard
deviation) become null instead of a bare NaN, and categorical values are not listed as
constraints: the schema lands in the model catalog, where raw values would leak (SCH009).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from artifact_lint.rules._schema import feature_type_for


class SampleError(ValueError):
    """The sample cannot become a schema; the message says why."""


def read_sample(path: Path):
    """A DataFrame from a CSV, Parquet or JSON file (records or columns)."""
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        _require_parquet_engine(path)
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif suffix in (".json", ".jsonl"):
            frame = _read_json(path)
        else:
            frame = pd.read_csv(path)
    except (OSError, ValueError, ImportError) as error:
        raise SampleError(f"cannot read the sample {path}: {error}") from None
    if frame.empty or len(frame.columns) == 0:
        raise SampleError(f"the sample {path} holds no rows")
    return frame


def _require_parquet_engine(path: Path) -> None:
    """pandas reads Parquet through pyarrow (or fastparquet), neither of which artifact-lint needs otherwise."""
    import importlib.util

    if importlib.util.find_spec("pyarrow") is None and importlib.util.find_spec("fastparquet") is None:
        raise SampleError(f"the sample {path} is Parquet, which needs pyarrow: pip install 'artifact-lint[parquet]' "
                          f"(or give a CSV or JSON sample)")


def _read_json(path: Path):
    import pandas as pd

    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".jsonl":
        return pd.read_json(path, lines=True)
    data = json.loads(text)
    if isinstance(data, dict) and "data" in data:  # ADS's request envelope
        data = data["data"]
    if isinstance(data, list) and data and not isinstance(data[0], (dict, list)):
        return pd.DataFrame({"value": data})
    return pd.DataFrame(data)


def _number(value) -> float | None:
    """A statistic as JSON allows it: undefined ones (NaN, pd.NA, infinities) become null."""
    import pandas as pd

    if value is None or pd.isna(value):
        return None
    value = float(value)
    return None if math.isinf(value) else round(value, 6)


def _stats(series) -> dict:
    count = float(series.count())
    if series.dtype.kind in "iuf":
        stats = {
            "count": count, "mean": _number(series.mean()), "standard deviation": _number(series.std()),
            "sample minimum": _number(series.min()), "lower quartile": _number(series.quantile(0.25)),
            "median": _number(series.median()), "upper quartile": _number(series.quantile(0.75)),
            "sample maximum": _number(series.max()),
        }
        if series.dtype.kind == "f":
            stats["skew"] = _number(series.skew()) if count > 2 else None
        missing = float(series.isna().sum())
        if missing:
            stats["missing"] = missing
        return stats
    if series.dtype.kind == "M":
        return {"count": count, "sample minimum": str(series.min()), "sample maximum": str(series.max())}
    return {"count": count, "unique": float(series.nunique())}


def _name(label):
    """Column labels stay numbers when they are numbers (as ADS writes int column names)."""
    if hasattr(label, "item"):
        label = label.item()
    return label if isinstance(label, (int, float, str)) and not isinstance(label, bool) else str(label)


def schema_of(frame) -> dict:
    items = []
    for order, label in enumerate(frame.columns):
        series = frame[label]
        dtype = str(series.dtype)
        feature_type = feature_type_for(dtype)
        items.append({
            "dtype": dtype, "feature_type": feature_type, "name": _name(label),
            "domain": {"values": feature_type, "stats": _stats(series), "constraints": []},
            "required": not bool(series.isna().any()), "description": str(label), "order": order,
        })
    return {"schema": items, "version": "1.1"}


def render_schema(frame) -> str:
    return json.dumps(schema_of(frame), indent=2, allow_nan=False) + "\n"
