"""Iris classifier, written by hand following the model artifact documentation."""
import json
import os

import joblib
import pandas as pd

MODEL_FILE = "model.joblib"
FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


def load_model(model_file_name=MODEL_FILE):
    folder = os.path.dirname(os.path.realpath(__file__))
    return joblib.load(os.path.join(folder, model_file_name))


def predict(data, model=load_model()):
    rows = json.loads(data) if isinstance(data, (bytes, str)) else data
    frame = pd.DataFrame(rows, columns=FEATURES)
    return {"prediction": model.predict(frame).tolist()}
