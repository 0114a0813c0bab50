"""Stage 5: a FastAPI prediction service with micro-batching, a Redis cache, metrics and deploy.

The app lives in ``stage5_api.main`` (``uvicorn stage5_api.main:app``); its parts are in
``stage5_api.services``; its grader is the separate ``stage5_grading`` package (``stage5_api/grading/``).
"""

__all__ = ["__version__"]

__version__ = "1.0.0"
