"""A business-rules "model": thresholds written in code, no serialized model to load."""
import json

THRESHOLDS = {"low": 300, "high": 700}


class CreditRules:
    def __init__(self, thresholds):
        self.thresholds = thresholds

    def score(self, applicant):
        value = applicant.get("credit_score", 0)
        if value >= self.thresholds["high"]:
            return "approve"
        if value <= self.thresholds["low"]:
            return "decline"
        return "review"


def load_model():
    return CreditRules(THRESHOLDS)


def predict(data, model=load_model()):
    rows = json.loads(data) if isinstance(data, (str, bytes)) else data
    if isinstance(rows, dict):
        rows = [rows]
    return {"prediction": [model.score(row) for row in rows]}
