"""Stage 5 exercise: the roadmap's prediction API skeleton. Fill in every TODO.

Run it:    uv run --frozen uvicorn main:app --app-dir workspace/stage5 --loop asyncio
Grade it:  make check-stage5 IMPL=workspace/stage5
           (shorter: GRADE_OPTS="--opt rate=500 --opt duration=10 --opt latency_duration=10
            --opt avail_requests=20000")

The grader posts {"features": [10 floats]} to /predict, so your model must take 10 features
(train one on sklearn.datasets.make_classification(n_features=10), or load one from MLflow).
It also reads /health, /metrics (Prometheus text; stage5_http_requests_total{route="/predict"}
and stage5_batch_size are checked) and /dashboard (an HTML page that shows the metrics live).
"""

from typing import List, Optional  # noqa: UP035 (kept as in the roadmap)

from fastapi import BackgroundTasks, FastAPI
from pydantic import BaseModel

# `aioredis` was merged into redis-py: use `import redis.asyncio as redis`
# import redis.asyncio as redis

app = FastAPI(title="ML Prediction API", version="1.0.0")


class PredictionRequest(BaseModel):
    features: List[float]  # noqa: UP006
    model_version: Optional[str] = "latest"  # noqa: UP045


class PredictionResponse(BaseModel):
    prediction: float
    confidence: float
    model_version: str
    processing_time_ms: float


@app.post("/predict", response_model=PredictionResponse)
async def predict(request: PredictionRequest, background_tasks: BackgroundTasks):
    # TODO: asynchronous prediction
    #  - load the model once (lifespan), not per request
    #  - 422 when len(request.features) is wrong for the model, 404 for an unknown version
    #  - batch concurrent requests into one model call (a queue + a 2 ms window)
    #  - answer 503 with Retry-After when the queue is too deep
    #  - cache repeated inputs in Redis with a TTL; keep answering when Redis is down
    pass


@app.get("/health")
async def health_check():
    # TODO: health-check endpoint (and a readiness endpoint that waits for the model)
    pass


# TODO: GET /metrics (prometheus_client) and GET /dashboard (a page that polls /metrics)


# background job
@app.post("/batch-predict")
async def batch_predict(file_path: str, background_tasks: BackgroundTasks):
    # TODO: require an API key; keep file_path inside a data directory (no ../, no symlinks)
    background_tasks.add_task(process_batch_predictions, file_path)
    return {"message": "Batch processing started"}


async def process_batch_predictions(file_path: str):
    # TODO: batch prediction (read CSV/Parquet, predict in chunks, write the output atomically)
    pass
