"""Echo service used to test a deployment's plumbing: the "model" is a constant."""


def load_model():
    return "echo"


def predict(data, model=load_model()):
    return {"model": model, "received": data}
