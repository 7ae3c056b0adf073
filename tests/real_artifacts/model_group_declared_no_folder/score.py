"""Declared a model group in artifact-lint.toml, but written as a single-model score.py."""
import os

import joblib


def load_model():
    here = os.path.dirname(os.path.realpath(__file__))
    return joblib.load(os.path.join(here, "model.joblib"))


def predict(data):
    return {"prediction": load_model().predict(data).tolist()}
