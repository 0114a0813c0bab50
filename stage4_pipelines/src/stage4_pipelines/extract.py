"""Extract one day from the upstream: every table, complete, or a clear transient error.

Three sources share one interface: :class:`HttpSource` talks to the upstream API (real network,
real timeouts), :class:`GeneratedSource` calls the generator in-process with the same fault
plan (the *fast mode* used by the 3000-day reliability simulation), and
:class:`~stage4_pipelines.source.olist.OlistSource` cuts days out of Olist's real CSVs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote, urlparse

import httpx
import orjson
import pandas as pd

from stage4_pipelines.config import PipelineSettings
from stage4_pipelines.errors import (
    ConfigError,
    TruncatedPayload,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from stage4_pipelines.source.faults import Fault, FaultConfig, FaultInjector
from stage4_pipelines.source.generator import TABLES, ExpectedDay, generate_day

__all__ = [
    "BoundedSource",
    "GeneratedSource",
    "HttpSource",
    "RawDay",
    "Source",
    "TruthSource",
    "check_source_days",
    "extract_day",
    "source_from_settings",
    "source_from_url",
]


@dataclass
class RawDay:
    """The day's tables exactly as the upstream served them."""

    day: date
    tables: dict[str, pd.DataFrame]


class Source(Protocol):
    """Anything that can hand over one table of one day."""

    def fetch_table(self, day: date, table: str) -> pd.DataFrame:
        """The table's rows; raises a TransientError subclass when the upstream misbehaves."""
        ...


@runtime_checkable
class BoundedSource(Protocol):
    """A source whose data covers a fixed span of days (a folder of files, not a live feed)."""

    def check_days(self, days: Sequence[date]) -> None:
        """Raise ConfigError naming the span when a day lies outside it."""
        ...


@runtime_checkable
class TruthSource(Protocol):
    """A source that knows what a correct pipeline loads for a day (for reconciliation)."""

    def expected_day(self, day: date) -> ExpectedDay:
        """Orders, order lines, revenue and the order-id checksum of ``day``, from the source."""
        ...


def check_source_days(source: Source, days: Sequence[date]) -> None:
    """Refuse, before any work, days a bounded source cannot have (live feeds have every day)."""
    if isinstance(source, BoundedSource):
        source.check_days(days)


@cache
def _client() -> httpx.Client:
    """One client for every request: ``httpx.get`` would build a TLS context (reading the CA
    bundle) and a connection pool for each call, which cost more than a small table itself."""
    return httpx.Client()


class HttpSource:
    """The upstream HTTP API (``GET /v1/days/{day}/{table}``)."""

    def __init__(self, base_url: str, *, timeout_seconds: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds

    def fetch_table(self, day: date, table: str) -> pd.DataFrame:
        url = f"{self.base_url}/v1/days/{day.isoformat()}/{table}"
        try:
            response = _client().get(url, timeout=self.timeout_seconds)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(f"GET {url} timed out after {self.timeout_seconds}s") from exc
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(f"GET {url} failed: {exc}") from exc
        if response.status_code >= 500:
            raise UpstreamUnavailable(f"GET {url} answered {response.status_code}")
        if response.status_code != 200:
            raise ConfigError(f"GET {url} answered {response.status_code}: check STAGE4_SOURCE_URL")
        try:
            records = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise TruncatedPayload(f"GET {url}: body is not complete JSON ({exc})") from exc
        announced = response.headers.get("X-Row-Count")
        if announced is not None and int(announced) != len(records):
            raise TruncatedPayload(
                f"GET {url}: {len(records)} rows, upstream announced {announced}"
            )
        return pd.DataFrame.from_records(records)


class GeneratedSource:
    """In-process source: the generator plus the same fault plan, without HTTP or sleeping."""

    def __init__(
        self, *, orders_per_day: int = 200, seed: int = 7, faults: FaultConfig | None = None
    ) -> None:
        self.orders_per_day = orders_per_day
        self.seed = seed
        self.injector = FaultInjector(faults)

    def fetch_table(self, day: date, table: str) -> pd.DataFrame:
        fault = self.injector.draw(day)
        where = f"generated day {day} table {table}"
        if fault in (Fault.HTTP_5XX, Fault.BROKEN_DAY):
            raise UpstreamUnavailable(f"{where}: injected {fault.value}")
        if fault is Fault.TIMEOUT:
            raise UpstreamTimeout(f"{where}: injected timeout")
        if fault is Fault.TRUNCATED:
            raise TruncatedPayload(f"{where}: injected truncated file")
        corrupt = self.injector.is_corrupt(day)
        return _generated_tables(day, self.orders_per_day, self.seed, corrupt)[table].copy()

    def expected_day(self, day: date) -> ExpectedDay:
        """The generator's truth for ``day`` (what it recorded before dirtying the feed)."""
        generated = generate_day(day, orders=self.orders_per_day, seed=self.seed)
        assert generated.expected is not None  # generate_day always records it
        return generated.expected


@lru_cache(maxsize=8)
def _generated_tables(day: date, orders: int, seed: int, corrupt: bool) -> dict[str, pd.DataFrame]:
    return generate_day(day, orders=orders, seed=seed, corrupt=corrupt).tables


def source_from_url(
    url: str,
    *,
    timeout_seconds: float = 30.0,
    timezone: str = "Asia/Seoul",
    source_timezone: str = "America/Sao_Paulo",
) -> Source:
    """``http(s)://...`` gives an HttpSource; ``generated://?orders=200&seed=7`` a GeneratedSource;
    ``olist:///abs/folder`` (or ``olist:relative/folder``, ``?encoding=latin-1``) an OlistSource
    whose days are ``timezone`` days of timestamps written in ``source_timezone``."""
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https"):
        return HttpSource(url, timeout_seconds=timeout_seconds)
    if parsed.scheme == "generated":
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        try:
            orders, seed = int(query.get("orders", "200")), int(query.get("seed", "7"))
        except ValueError as exc:
            raise ConfigError(
                f"source URL {url!r}: orders and seed must be integers, e.g. generated://?orders=200"
            ) from exc
        if orders < 1:
            raise ConfigError(f"source URL {url!r}: orders must be at least 1")
        return GeneratedSource(orders_per_day=orders, seed=seed)
    if parsed.scheme == "olist":
        from stage4_pipelines.source.olist import OlistSource

        folder = unquote(parsed.netloc + parsed.path)
        if not folder:
            raise ConfigError(
                f"source URL {url!r} names no folder: use olist:///abs/path/to/olist "
                "(the unzipped Kaggle download)"
            )
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        return OlistSource(
            Path(folder),
            timezone=timezone,
            source_timezone=source_timezone,
            encoding=query.get("encoding", "utf-8"),
        )
    raise ConfigError(
        f"source URL {url!r} is not supported: use http://host:port (the upstream API), "
        "generated://?orders=200 (in-process generator) or olist:///folder (Olist's CSVs)"
    )


def source_from_settings(settings: PipelineSettings) -> Source:
    """The source ``STAGE4_SOURCE_URL`` names, with the timeouts and timezones of the settings."""
    return source_from_url(
        settings.source_url,
        timeout_seconds=settings.request_timeout_seconds,
        timezone=settings.timezone,
        source_timezone=settings.source_timezone,
    )


def extract_day(source: Source, day: date) -> RawDay:
    """Fetch every table of ``day``; any table's failure fails the whole extract (no partial day)."""
    return RawDay(day=day, tables={table: source.fetch_table(day, table) for table in TABLES})
