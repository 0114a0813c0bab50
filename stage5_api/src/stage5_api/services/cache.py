"""Redis cache of predictions that degrades to no cache when Redis is down (and says so)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from stage5_api.services.metrics import ServiceMetrics

__all__ = ["PredictionCache", "cache_key"]


def cache_key(prefix: str, version: str, row: Sequence[float]) -> str:
    """A short, stable key for one feature row of one model version."""
    digest = hashlib.blake2b(orjson.dumps(list(row)), digest_size=16).hexdigest()
    return f"{prefix}{version}:{digest}"


class PredictionCache:
    """``get_many``/``set_many`` in one round trip each; a failure opens a short circuit.

    While Redis is down the cache is skipped for ``retry_s`` seconds instead of making every
    batch wait for a connection timeout; ``status`` and the ``stage5_redis_up`` gauge report it.
    """

    def __init__(
        self,
        url: str | None,
        metrics: ServiceMetrics,
        *,
        ttl_s: int = 300,
        timeout_s: float = 0.2,
        retry_s: float = 2.0,
    ) -> None:
        self.metrics = metrics
        self.ttl_s = ttl_s
        self.retry_s = retry_s
        self._down_until = 0.0
        self._client: Redis | None = (
            Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
            if url
            else None
        )
        self._ok = self._client is not None

    @property
    def status(self) -> str:
        """``ok``, ``down`` or ``disabled``."""
        if self._client is None:
            return "disabled"
        return "ok" if self._ok else "down"

    def _usable(self) -> bool:
        return self._client is not None and time.monotonic() >= self._down_until

    def _failed(self) -> None:
        self._ok = False
        self._down_until = time.monotonic() + self.retry_s
        self.metrics.cache_errors.inc()
        self.metrics.redis_up.set(0)

    def _succeeded(self) -> None:
        if not self._ok:
            self._ok = True
        self.metrics.redis_up.set(1)

    async def ping(self) -> bool:
        """Ask Redis now (readiness); updates ``status``."""
        if self._client is None:
            return False
        try:
            await self._client.ping()
        except (RedisError, OSError):
            self._failed()
            return False
        self._succeeded()
        self._down_until = 0.0
        return True

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        """Cached values for ``keys`` (all ``None`` when Redis is disabled or down)."""
        if not keys or not self._usable():
            return [None] * len(keys)
        assert self._client is not None
        try:
            values: list[bytes | None] = await self._client.mget(keys)  # type: ignore[assignment,unused-ignore]  # needed with redis 8 types, not 6
        except (RedisError, OSError):
            self._failed()
            return [None] * len(keys)
        self._succeeded()
        hits = sum(v is not None for v in values)
        self.metrics.cache_hits.inc(hits)
        self.metrics.cache_misses.inc(len(keys) - hits)
        return values

    async def set_many(self, items: dict[str, bytes]) -> None:
        """Store values with the TTL in one pipelined round trip; failures only count."""
        if not items or not self._usable():
            return
        assert self._client is not None
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(key, value, ex=self.ttl_s)
                await pipe.execute()
        except (RedisError, OSError):
            self._failed()

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
