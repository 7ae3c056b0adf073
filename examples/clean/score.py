"""Serve the iris classifier saved next to this file as model.joblib."""

import json
import os

import joblib
import pandas as pd

MODEL_FILE = "model.joblib"
FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


def load_model(model_file_name=MODEL_FILE):
    """Load the model from the artifact folder, wherever the server's working directory is."""
    model_dir = os.path.dirname(os.path.realpath(__file__))
    path = os.path.join(model_dir, model_file_name)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{model_file_name} is not in the artifact folder {model_dir}")
    return joblib.load(path)


def _to_frame(data):
    """Accept a JSON body (dict of columns, list of rows) or raw JSON bytes."""
    if isinstance(data, (bytes, str)):
        data = json.loads(data)
    if isinstance(data, dict) and "data" in data:
        data = data["data"]
    if isinstance(data, dict):
        return pd.DataFrame(data)
    return pd.DataFrame(data, columns=FEATURES)


def predict(data, model=load_model()):
    frame = _to_frame(data)
    return {"prediction": model.predict(frame[FEATURES]).tolist()}
