"""Shared scoring script of a homogeneous model group: every member is a scikit-learn pipeline.

The service calls load_model(model_folder) once per member model, with that member's own
artifact folder, and predict(data, model) with the model the request's model-key selects.
"""
import json
import os
from functools import lru_cache

import joblib
import pandas as pd

MEMBER_MODEL_FILE = "model.joblib"
SCHEMA_FILE = os.path.join(os.path.dirname(os.path.realpath(__file__)), "input_schema.json")


@lru_cache(maxsize=16)
def load_model(model_folder):
    """Load one member's pipeline from the folder the service unpacked it in."""
    path = os.path.join(model_folder, MEMBER_MODEL_FILE)
    if not os.path.exists(path):
        raise FileNotFoundError(f"member model {path} not found")
    return joblib.load(path)


def column_types(schema_path=SCHEMA_FILE):
    """Column dtypes from an input schema, when the group artifact ships one."""
    if not os.path.exists(schema_path):
        return {}
    with open(schema_path) as handle:
        return {column["name"]: column["dtype"] for column in json.load(handle)["schema"]}


def to_frame(data):
    if isinstance(data, (bytes, str)):
        data = json.loads(data)
    payload = data.get("data", data) if isinstance(data, dict) else data
    if isinstance(payload, str):
        return pd.read_json(payload, dtype=column_types())
    return pd.DataFrame(payload)


def predict(data, model):
    """Score one request with the member model the service routed it to."""
    return {"prediction": model.predict(to_frame(data)).tolist()}
