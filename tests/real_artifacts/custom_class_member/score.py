"""One member of a custom-logic model group, also deployable alone: a cloudpickled SquareRoot object."""
import os
from functools import lru_cache

import cloudpickle

PICKLE_NAME = "model.pickle"


@lru_cache(maxsize=1)
def load_model(model_file_name=PICKLE_NAME):
    here = os.path.dirname(os.path.realpath(__file__))
    if model_file_name not in os.listdir(here):
        raise FileNotFoundError(f"{model_file_name} is not in {here}")
    with open(os.path.join(here, model_file_name), "rb") as handle:
        return cloudpickle.load(handle)


def predict(data, model=load_model()):
    try:
        result = model.predict(data)
    except (TypeError, ValueError) as error:
        return {"error": str(error)}
    return {"prediction": result}
