"""ModelStore: a stale reference is resolved once for all the requests waiting on it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stage5_api.errors import ModelNotFound, RegistryUnavailable
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
    assert all(m is first for m in models)  # answered at once with the cached model
    await store.wait_refreshed()
    assert registry.resolves == 2 and registry.loads == 1


async def test_unknown_reference_fails_every_waiter_and_is_retried_later() -> None:
    registry = CountingRegistry()
    store = ModelStore(registry)
    results = await asyncio.gather(*(store.get("nope") for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, ModelNotFound) for r in results)
    assert registry.resolves == 1
    with pytest.raises(ModelNotFound):
        await store.get("nope")
    assert registry.resolves == 2


class MovingRegistry:
    """``champion`` names whatever ``self.champion`` says; ``self.down`` makes every call fail."""

    def __init__(self) -> None:
        self.champion: str | None = "1"
        self.down = False

    def resolve(self, ref: str) -> str:
        if self.down:
            raise RegistryUnavailable(ref, "connection refused")
        if ref != "champion" or self.champion is None:
            raise ModelNotFound(ref)
        return self.champion

    def load(self, version: str) -> Any:
        return object()


async def test_the_default_reference_follows_the_alias() -> None:
    registry = MovingRegistry()
    store = ModelStore(registry, refresh_s=3600)
    assert (await store.get(None)).version == "1" and store.default is not None
    registry.champion = "2"
    store._refs["champion"] = ("1", 0.0)  # the refresh window is over
    assert (await store.get(None)).version == "1"  # stale-while-revalidate
    await store.wait_refreshed()
    assert (await store.get(None)).version == "2"
    assert store.default is not None and store.default.version == "2"


async def test_an_unreachable_registry_keeps_the_cached_model_serving() -> None:
    registry = MovingRegistry()
    store = ModelStore(registry, refresh_s=3600)
    await store.get(None)
    registry.down = True
    store._refs["champion"] = ("1", 0.0)
    assert (await store.get(None)).version == "1"
    await store.wait_refreshed()
    assert (await store.get(None)).version == "1"
    with pytest.raises(RegistryUnavailable, match="retry later"):
        await store.get("3")  # nothing cached for it: a 503, not a 404


async def test_a_deleted_alias_stops_being_served() -> None:
    registry = MovingRegistry()
    store = ModelStore(registry, refresh_s=3600)
    await store.get(None)
    registry.champion = None
    store._refs["champion"] = ("1", 0.0)
    await store.get(None)  # the last answer from the cache, and the refresh learns it is gone
    await store.wait_refreshed()
    assert store.default is None
    with pytest.raises(ModelNotFound):
        await store.get(None)
