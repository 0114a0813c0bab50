"""Problem 3: async API (30 minutes). 문제 3: 비동기 API (30분).

Build a simple prediction API with FastAPI (statement: diagnostics/problems/problem3.en.md).
- input:  {"data": [1, 2, 3, 4, 5]}  (a non-empty list of numbers; anything else -> 422)
- output: {"prediction": float, "timestamp": str}
  (prediction = the mean of data; timestamp = ISO-8601 with a UTC offset)
"""

from fastapi import FastAPI

app = FastAPI()

# TODO: implement a POST /predict endpoint
# - input:  {"data": [1, 2, 3, 4, 5]}
# - output: {"prediction": float, "timestamp": str}
