"""Written in a notebook session, where the working directory was the artifact folder."""
import joblib
import pandas as pd


def load_model():
    return joblib.load("model.joblib")


def predict(data, model=load_model()):
    return {"prediction": model.predict(pd.DataFrame(data)).tolist()}
