"""Rebuild the model and schemas of examples/clean (needs scikit-learn, pandas and joblib).

    python examples/make_models.py

The model is a LogisticRegression trained on iris with named columns, so the
example's score.py can pass it a DataFrame; the schemas follow the layout ADS
writes (oci-model-artifact.md, section 4).
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

CLEAN = Path(__file__).resolve().parent / "clean"


def column_schema(name: str, values, order: int) -> dict:
    numeric = values.dtype.kind in "if"
    stats = {
        "count": float(values.count()), "mean": float(values.mean()), "standard deviation": float(values.std()),
        "sample minimum": float(values.min()), "lower quartile": float(values.quantile(0.25)),
        "median": float(values.median()), "upper quartile": float(values.quantile(0.75)),
        "sample maximum": float(values.max()), "skew": float(values.skew()),
    } if numeric else {"count": float(values.count())}
    feature_type = "Continuous" if values.dtype.kind == "f" else "Integer"
    return {
        "dtype": str(values.dtype), "feature_type": feature_type, "name": name,
        "domain": {"values": feature_type, "stats": stats, "constraints": []},
        "required": True, "description": name, "order": order,
    }


def main() -> None:
    frame = load_iris(as_frame=True).frame
    features = frame.drop(columns="target")
    model = LogisticRegression(max_iter=500).fit(features, frame["target"])
    joblib.dump(model, CLEAN / "model.joblib")
    inputs = [column_schema(name, features[name], index) for index, name in enumerate(features.columns)]
    prediction = frame["target"].rename("prediction")
    outputs = [column_schema("prediction", prediction, 0)]
    for name, items in (("input_schema.json", inputs), ("output_schema.json", outputs)):
        (CLEAN / name).write_text(json.dumps({"schema": items, "version": "1.1"}, indent=2) + "\n")
    print("wrote", ", ".join(sorted(p.name for p in CLEAN.iterdir())))


if __name__ == "__main__":
    main()
