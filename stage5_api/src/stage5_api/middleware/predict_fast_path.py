"""Answer well-formed ``POST /predict`` requests in plain ASGI, skipping FastAPI's machinery.

Measured with py-spy under wrk: FastAPI's routing, dependency solving, exit stacks and body
parsing cost more CPU per request than the model call batching saves, so the hot path is
handled here and everything else (bad JSON, 422s, unknown versions) is replayed to the
FastAPI route, which stays the single source of truth for errors and the OpenAPI docs. Both
build their answers with ``api/predict_answers.py``. ``STAGE5_PREDICT_FAST_PATH=false`` leaves
it out, so the plain route answers everything (``bench/fast_path.py`` measures the two).
"""

from __future__ import annotations

import time

from pydantic import ValidationError
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stage5_api.api.predict_answers import OVERLOADED_BODY, overloaded_headers, prediction_body
from stage5_api.errors import FeatureCountError, ModelNotFound, Overloaded, RegistryUnavailable
from stage5_api.models import PredictionRequest
from stage5_api.services.runtime import ServiceState

__all__ = ["PredictFastPath"]


class PredictFastPath:
    """The happy path of ``/predict`` without FastAPI; anything unusual goes to the route."""

    def __init__(self, app: ASGIApp, *, service: ServiceState, route: BaseRoute) -> None:
        self.app = app
        self.service = service
        self.route = route  # set in the scope so the metrics label stays "/predict"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/predict" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
            return
        body, first_messages = await _read_body(receive)
        if body is None:  # client went away while sending
            await self.app(scope, _replay(first_messages, receive), send)
            return
        started = time.perf_counter()
        try:
            request = PredictionRequest.model_validate_json(body)
            model = await self.service.models.get(request.model_version)
            model.check_width(len(request.features))
        except (ValidationError, ModelNotFound, FeatureCountError, RegistryUnavailable):
            # the FastAPI route produces the documented 422/404/503 answers and counts them
            await self.app(scope, _replay(first_messages, receive), send)
            return
        scope["route"] = self.route
        try:
            result = await self.service.batcher.submit(model, request.features)
        except Overloaded as exc:
            self.service.metrics.errors.labels("overloaded").inc()
            extra = [(k.lower().encode(), v.encode()) for k, v in overloaded_headers(exc).items()]
            await _send_json(send, 503, OVERLOADED_BODY, extra)
            return
        await _send_json(send, 200, prediction_body(result, model.version, started), [])


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.split(b";", 1)[0].strip().lower() == b"application/json")
    return False


async def _read_body(receive: Receive) -> tuple[bytes | None, list[Message]]:
    """The whole body, and the messages read (to replay them to the fallback)."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        if not message.get("more_body", False):
            break
    if len(messages) == 1:
        return bytes(messages[0].get("body", b"")), messages
    return b"".join(m.get("body", b"") for m in messages), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replaying_receive() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replaying_receive


async def _send_json(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
