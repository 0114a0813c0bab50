"""ModelStore: a stale reference is resolved once for all the requests waiting on it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stage5_api.errors import ModelNotFound
from stage5_api.services.model_store import ModelStore


class CountingRegistry:
    """Answers ``latest`` with version 1 and counts the calls (a thread, as in production)."""

    def __init__(self) -> None:
        self.resolves = 0
        self.loads = 0

    def resolve(self, ref: str) -> str:
        self.resolves += 1
        if ref != "latest":
            raise ModelNotFound(ref, known="latest")
        return "1"

    def load(self, version: str) -> Any:
        self.loads += 1
        return object()


async def test_many_requests_on_a_stale_reference_share_one_resolution() -> None:
    registry = CountingRegistry()
    store = ModelStore(registry, refresh_s=3600)
    first = await store.get("latest")
    store._refs["latest"] = ("1", 0.0)  # expired
    models = await asyncio.gather(*(store.get("latest") for _ in range(300)))
    assert registry.resolves == 2 and registry.loads == 1
    assert all(m is first for m in models)


async def test_unknown_reference_fails_every_waiter_and_is_retried_later() -> None:
    registry = CountingRegistry()
    store = ModelStore(registry)
    results = await asyncio.gather(*(store.get("nope") for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, ModelNotFound) for r in results)
    assert registry.resolves == 1
    with pytest.raises(ModelNotFound):
        await store.get("nope")
    assert registry.resolves == 2
