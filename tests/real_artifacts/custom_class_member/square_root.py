"""One member's logic, kept next to the shared score.py so every member can import it."""
import json


class SquareRoot:
    def predict(self, data):
        if isinstance(data, str):
            data = json.loads(data)
        return abs(data.get("number", 0)) ** 0.5
