"""Stage 5 exercise: the roadmap's prediction API skeleton. Fill in every TODO.

Run it:    uv run --frozen uvicorn main:app --app-dir workspace/stage5
Grade it:  make check-stage5 IMPL=workspace/stage5
           (one criterion: GRADE_OPTS="--only cicd"; shorter load tests:
            GRADE_OPTS="--opt latency_duration=10 --opt duration=10 --opt avail_requests=20000")

What the grader relies on (the fixed shapes; README.md in this folder has the whole layout):
- `app` in main.py; the grader starts it with your Dockerfile's CMD (uvicorn or gunicorn),
  from this folder, on a port of its choosing (it replaces --host/--port/--bind).
- POST /predict with {"features": [10 floats]} answers 200 and a JSON object with a numeric
  "prediction" (and "confidence"): the roadmap's PredictionResponse. The same features must
  always get the same answer, whichever worker or replica answers (train with a fixed seed, or
  load one saved model): the grader compares answers under load with answers sent alone.
- GET /health (and GET /ready, 503 until the model is loaded) for the load balancer.
- GET /metrics: Prometheus text (prometheus_client) or JSON that counts the /predict requests
  and records their latency, summed over all workers (the grader sets
  PROMETHEUS_MULTIPROC_DIR: use prometheus_client's multiprocess mode).
- A dashboard: GET /dashboard (an HTML page whose script polls /metrics with a relative URL)
  and/or a Grafana dashboard JSON in grafana/.
- REDIS_URL names the Redis to use (the grader stops it for 5 s: keep answering).
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
    #  - load the model once (lifespan), not per request; never block the event loop
    #    (a slow call in an `async def` route stops every request of that worker)
    #  - 422 when len(request.features) is wrong for the model
    #  - cache repeated inputs in Redis (REDIS_URL) with a TTL; keep answering when Redis is down
    pass


@app.get("/health")
async def health_check():
    # TODO: health-check endpoint (and GET /ready: 503 until the model is loaded)
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
