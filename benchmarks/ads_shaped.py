"""An ADS-shaped scikit-learn score.py for the benchmark: the shape most uploaded artifacts have."""

ADS_SHAPED_SCORE = '''\
# score.py generated for a scikit-learn model
import json
import os
import sys
from functools import lru_cache

import numpy as np
import pandas as pd
from joblib import load

model_name = "model.joblib"
SCHEMA_FILE = "input_schema.json"


@lru_cache(maxsize=10)
def load_model(model_file_name=model_name):
    """Load the estimator saved next to this file, once per process."""
    model_dir = os.path.dirname(os.path.realpath(__file__))
    if model_dir not in sys.path:
        sys.path.insert(0, model_dir)
    contents = os.listdir(model_dir)
    if model_file_name in contents:
        print(f"Loading {model_file_name} from {model_dir}")
        with open(os.path.join(model_dir, model_file_name), "rb") as handle:
            estimator = load(handle)
        print("Model loaded.")
        return estimator
    raise FileNotFoundError(f"{model_file_name} is not in {model_dir}: {contents}")


@lru_cache(maxsize=1)
def column_types(schema_path=os.path.join(os.path.dirname(os.path.realpath(__file__)), SCHEMA_FILE)):
    """Column name -> dtype from the input schema, when the artifact has one."""
    types = {}
    if os.path.exists(schema_path):
        with open(schema_path) as handle:
            schema = json.load(handle)
        for column in schema["schema"]:
            types[column["name"]] = column["dtype"]
    else:
        print("No input schema: column types may change through JSON.")
    return types


def deserialize(data, schema_path):
    """Rebuild the frame the model was trained on from the request's JSON."""
    if isinstance(data, bytes):
        data = json.loads(data)
    kind = data.get("data_type", "") if isinstance(data, dict) else ""
    payload = data.get("data", data) if isinstance(data, dict) else data
    if "pandas.core.series.Series" in kind:
        return pd.Series(payload)
    if "pandas.core.frame.DataFrame" in kind or isinstance(payload, str):
        return pd.read_json(payload, dtype=column_types(schema_path))
    if isinstance(payload, dict):
        return pd.DataFrame.from_dict(payload)
    return payload


def pre_inference(data, schema_path):
    """Hook run on the request before predict."""
    frame = deserialize(data, schema_path)
    if isinstance(frame, list):
        frame = np.asarray(frame)
    return frame


def post_inference(yhat):
    """Hook run on the model output: make it JSON."""
    if isinstance(yhat, pd.DataFrame):
        yhat = yhat.values
    if isinstance(yhat, (pd.Series, np.ndarray)):
        yhat = yhat.tolist()
    return yhat


def predict(data, model=load_model(),
            schema_path=os.path.join(os.path.dirname(os.path.realpath(__file__)), SCHEMA_FILE)):
    """Score the request with the estimator."""
    features = pre_inference(data, schema_path)
    yhat = post_inference(model.predict(features))
    return {"prediction": yhat}
'''
