"""Model group whose members are plain Python objects pickled with cloudpickle (custom business logic)."""
import os

import cloudpickle

PICKLE_NAME = "model.pickle"


def load_model(model_folder):
    model_path = model_folder + "/" + PICKLE_NAME
    if not os.path.exists(model_path):
        raise FileNotFoundError("no member model at " + model_path)
    with open(model_path, "rb") as handle:
        return cloudpickle.load(handle)


def predict(data, model):
    return {"prediction": model.predict(data)}
