"""A pytest plugin the grader loads into the learner's test run: what did the tests exercise?

Loaded with ``-p stage5_grading.testprobe`` (through ``PYTEST_ADDOPTS``, so it reaches
pytest however the workflow starts it, ``make test`` included), it counts the tests' outcomes
and watches every HTTP request any Starlette/FastAPI app in the test process handles — FastAPI's
``TestClient`` and ``httpx.ASGITransport`` both go through it. At the end of the session it
appends one JSON line to the file named by ``STAGE5_TESTPROBE_OUT``: passed, failed, skipped,
and how many ``POST .../predict`` requests the tests sent and with which answers. Tests that
never send a prediction to the app do not test the service, however green they are.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

__all__ = ["pytest_configure", "pytest_runtest_logreport", "pytest_sessionfinish"]

_STATE: dict[str, Any] = {
    "passed": 0,
    "failed": 0,
    "errors": 0,
    "skipped": 0,
    "predict_requests": 0,
    "predict_statuses": {},
    "tests_with_predict": [],
}
_current: list[str] = [""]


def _watch_starlette() -> None:
    try:
        from starlette.applications import Starlette
    except ImportError:  # the tests use no Starlette app at all
        return
    if getattr(Starlette.__call__, "_stage5_probe", False):
        return
    original = Starlette.__call__

    async def call(self: Any, scope: Any, receive: Any, send: Any) -> None:
        path = str(scope.get("path", "")).rstrip("/")
        if (
            scope.get("type") != "http"
            or scope.get("method") != "POST"
            or not path.endswith("/predict")
            or scope.get("_stage5_probe_seen")
        ):
            await original(self, scope, receive, send)
            return
        scope["_stage5_probe_seen"] = True  # mounted sub-apps see the same request once
        _STATE["predict_requests"] += 1
        if _current[0] and _current[0] not in _STATE["tests_with_predict"]:
            _STATE["tests_with_predict"].append(_current[0])

        async def watched_send(message: Any) -> None:
            if message.get("type") == "http.response.start":
                key = str(message.get("status"))
                _STATE["predict_statuses"][key] = _STATE["predict_statuses"].get(key, 0) + 1
            await send(message)

        await original(self, scope, receive, watched_send)

    call._stage5_probe = True  # type: ignore[attr-defined]
    Starlette.__call__ = call  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    """Start watching the apps the tests will build."""
    _watch_starlette()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    """Remember which test is running (to name the tests that post predictions)."""
    _current[0] = nodeid


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count outcomes the way pytest's summary does."""
    if report.when == "call":
        if report.passed:
            _STATE["passed"] += 1
        elif report.failed:
            _STATE["failed"] += 1
        elif report.skipped:
            _STATE["skipped"] += 1
    elif report.failed:
        _STATE["errors"] += 1
    elif report.skipped and report.when == "setup":
        _STATE["skipped"] += 1


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A test file that does not even import is an error."""
    if report.failed:
        _STATE["errors"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Append this session's record to ``$STAGE5_TESTPROBE_OUT``."""
    out = os.environ.get("STAGE5_TESTPROBE_OUT")
    if not out:
        return
    record = {**_STATE, "exitstatus": int(exitstatus), "rootdir": str(session.config.rootpath)}
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
