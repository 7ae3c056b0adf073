"""Template score.py: save your model next to this file as model.pkl and fill in runtime.yaml."""
import os
import pickle

MODEL_FILE = "model.pkl"


def load_model(model_file_name=MODEL_FILE):
    folder = os.path.dirname(os.path.realpath(__file__))
    if model_file_name not in os.listdir(folder):
        raise FileNotFoundError(f"{model_file_name} is not in {folder}")
    with open(os.path.join(folder, model_file_name), "rb") as handle:
        return pickle.load(handle)


def predict(data, model=load_model()):
    from io import StringIO

    from pandas import DataFrame, read_json

    frame = read_json(StringIO(data)) if isinstance(data, str) else DataFrame.from_dict(data)
    return {"prediction": model.predict(frame).tolist()}
