"""Generate realistic access logs fast, with a ground-truth file to grade an analyser against.

The log is built with NumPy (who, when, what status) and Polars (string assembly, in Rust), an
hour of traffic at a time, so it writes well over 100 MB/s. The truth is counted from the same
arrays *before* the text exists, so it is independent of any parser:

* per minute (UTC): requests and 2xx/3xx/4xx/5xx counts, bytes, distinct client IPs;
* labelled incidents: ``error_spike``, ``traffic_surge``, ``traffic_drop``, ``client_burst``
  (scheduled at random after a warm-up, or at the minutes ``incident_plan`` gives);
* malformed lines (an unclosed quote in the user agent, as seen in real logs), which an
  analyser must count as rejected and never as requests.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from pydantic import BaseModel, Field

from stage2_log_analysis.errors import AnalysisConfigError

__all__ = [
    "DailyStep",
    "GeneratorConfig",
    "GroundTruth",
    "Incident",
    "IncidentKind",
    "PlannedIncident",
    "generate_log",
    "parse_size",
    "span_days",
    "truth_path_for",
]

IncidentKind = str  # one of INCIDENT_KINDS
INCIDENT_KINDS = ("error_spike", "traffic_surge", "client_burst", "traffic_drop")
_AVG_LINE_BYTES = 170  # measured on this generator's combined output; sizes the traffic rate

_PATHS = [
    "/",
    "/index.html",
    "/login",
    "/logout",
    "/search",
    "/cart",
    "/checkout",
    "/api/v1/items",
    "/api/v1/orders",
    "/api/v1/users/me",
    "/static/app.js",
    "/static/app.css",
    "/static/logo.png",
    "/favicon.ico",
    "/robots.txt",
    "/health",
] + [f"/products/{i}" for i in range(200)]
_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "curl/8.8.0",
    "python-requests/2.32.3",
    'Mozilla/5.0 (compatible; \\"QuotedBot\\"/1.0)',
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
]
_REFERERS = ["-", "https://www.example.com/", "https://search.example.org/?q=shoes", "-"]
_METHODS = ["GET"] * 8 + ["POST", "HEAD"]
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``"10GB"`` → bytes (decimal units: 1GB = 10**9 bytes; ``GiB`` is binary)."""
    m = _SIZE_RE.match(text)
    if not m:
        raise AnalysisConfigError(f"size {text!r} is not a size; write e.g. 500MB, 1GB, 10GB")
    number, unit = float(m.group(1)), (m.group(2) or "B").upper()
    scale = {"": 1, "B": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9}
    scale |= {"T": 1e12, "TB": 1e12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
    if unit not in scale:
        raise AnalysisConfigError(f"size {text!r}: unknown unit {unit!r}; use KB, MB, GB or GiB")
    return int(number * scale[unit])


class DailyStep(BaseModel):
    """A normal daily pattern: traffic × ``factor`` for ``minutes`` from ``hour`` every day."""

    hour: int = Field(ge=0, le=23)  # hour of day in the time zone of ``start``
    minutes: int = Field(default=60, ge=1, le=1440)
    factor: float = Field(default=3.0, gt=0)


class PlannedIncident(BaseModel):
    """An incident at a chosen place: ``kind`` from minute ``start`` (after the log's start)."""

    kind: str = Field(pattern="^(error_spike|traffic_surge|client_burst|traffic_drop)$")
    start: int = Field(ge=0)
    minutes: int = Field(default=10, ge=1)


class GeneratorConfig(BaseModel):
    """What to generate. The traffic rate follows from ``size_bytes`` and ``days``."""

    size_bytes: int = Field(gt=0)
    seed: int = 42
    days: float = Field(default=1.0, gt=0)
    start: datetime = datetime.fromisoformat("2026-03-02T00:00:00+09:00")
    fmt: str = Field(default="combined", pattern="^(combined|common|json)$")
    request_time: bool = True
    malformed_rate: float = Field(default=2e-5, ge=0, lt=0.5)
    n_clients: int = Field(default=2000, ge=10)
    incidents: bool = True
    warmup_minutes: int = Field(default=120, ge=30)
    daily_step: DailyStep | None = None
    incident_plan: list[PlannedIncident] | None = None  # replaces the random schedule


class Incident(BaseModel):
    """One injected anomaly: ``[start, end)`` in UTC, whole minutes."""

    kind: str
    start: datetime
    end: datetime
    client: str | None = None


class GroundTruth(BaseModel):
    """What the generated log contains, counted before it was written."""

    seed: int
    fmt: str
    size_bytes: int
    lines: int
    malformed_lines: int
    minutes: dict[str, list[int]]  # minute epoch seconds (UTC) and per-minute counts
    incidents: list[Incident]

    def minutes_frame(self) -> pl.DataFrame:
        """The per-minute truth as a table (``minute`` is tz-aware UTC)."""
        df = pl.DataFrame(self.minutes)
        return df.with_columns(
            pl.from_epoch("minute", time_unit="s").dt.replace_time_zone("UTC").alias("minute")
        )


def span_days(size_bytes: int, max_days: float, min_rpm: float = 150.0) -> float:
    """The longest span up to ``max_days`` that keeps at least ``min_rpm`` requests a minute."""
    days = size_bytes / (_AVG_LINE_BYTES * min_rpm * 1440)
    return max(min(days, max_days), 0.11)


def truth_path_for(log_path: str | Path) -> Path:
    """Where the ground truth of ``log_path`` lives: ``<log>.truth.json``."""
    return Path(f"{log_path}.truth.json")


def _schedule_incidents(
    rng: np.random.Generator, total_minutes: int, warmup: int
) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    t = warmup
    i = 0
    while True:
        start = t + int(rng.integers(0, 60))
        duration = int(rng.integers(5, 16))
        if start + duration + 10 > total_minutes:
            return out
        out.append((INCIDENT_KINDS[i % len(INCIDENT_KINDS)], start, start + duration))
        i += 1
        t = start + duration + int(rng.integers(70, 150))


def generate_log(
    path: str | Path,
    config: GeneratorConfig,
    progress: Callable[[int], None] | None = None,
) -> GroundTruth:
    """Write the log to ``path`` (atomically) and its truth to ``<path>.truth.json``."""
    rng = np.random.default_rng(config.seed)
    total_minutes = max(int(config.days * 1440), config.warmup_minutes + 30)
    base_rpm = config.size_bytes / (_AVG_LINE_BYTES * total_minutes)
    if config.daily_step is not None:  # keep the span: the step adds traffic every day
        step = config.daily_step
        base_rpm /= 1 + (step.factor - 1) * min(step.minutes, 1440) / 1440
    if base_rpm < 20:
        raise AnalysisConfigError(
            f"size {config.size_bytes} B over {config.days} days is under 20 requests a minute; "
            "raise the size or lower --days"
        )
    if config.incident_plan is not None:
        schedule = [(p.kind, p.start, p.start + p.minutes) for p in config.incident_plan]
    elif config.incidents:
        schedule = _schedule_incidents(rng, total_minutes, config.warmup_minutes)
    else:
        schedule = []
    clients = _client_pool(rng, config.n_clients)
    weights = 1.0 / (np.arange(config.n_clients) + 5.0) ** 1.2
    cdf = np.cumsum(weights / weights.sum())
    burst_clients = {
        s: clients[int(rng.integers(config.n_clients // 2, config.n_clients))]
        for (k, s, _) in schedule
        if k == "client_burst"
    }
    tables = _Tables(clients)
    start_epoch = int(config.start.timestamp()) // 60 * 60
    tz = config.start.utcoffset() or timedelta(0)
    truth_cols: dict[str, list[int]] = {
        k: []
        for k in (
            "minute",
            "requests",
            "status_2xx",
            "status_3xx",
            "status_4xx",
            "status_5xx",
            "bytes",
            "distinct_ips",
        )
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    written = lines = malformed = 0
    minute0 = 0
    with tmp.open("wb") as fh:
        while written < config.size_bytes:
            block = _block(
                rng,
                config,
                minute0,
                60,
                base_rpm,
                total_minutes,
                schedule,
                cdf,
                burst_clients,
                clients,
            )
            text, n_bad = _render(block, tables, config, start_epoch, tz)
            fh.write(text)
            written += len(text)
            lines += len(block["minute"])
            malformed += n_bad
            _count_truth(block, truth_cols, start_epoch)
            minute0 += 60
            if progress:
                progress(len(text))
    os.replace(tmp, target)
    last_minute = minute0
    incidents = [
        Incident(
            kind=k,
            start=_utc(start_epoch + 60 * s),
            end=_utc(start_epoch + 60 * e),
            client=burst_clients.get(s) if k == "client_burst" else None,
        )
        for (k, s, e) in schedule
        if e <= last_minute
    ]
    truth = GroundTruth(
        seed=config.seed,
        fmt=config.fmt,
        size_bytes=written,
        lines=lines,
        malformed_lines=malformed,
        minutes=truth_cols,
        incidents=incidents,
    )
    tpath = truth_path_for(target)
    ttmp = tpath.with_name(f".{tpath.name}.tmp")
    ttmp.write_text(truth.model_dump_json(), encoding="utf-8")
    os.replace(ttmp, tpath)
    return truth


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _client_pool(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct client addresses; one in twenty is IPv6."""
    numbers = np.unique(rng.integers(1 << 24, 223 << 24, size=2 * n))[:n]
    rng.shuffle(numbers)
    pool = [f"{x >> 24}.{(x >> 16) & 255}.{(x >> 8) & 255}.{x & 255}" for x in numbers.tolist()]
    for i in range(0, n, 20):
        pool[i] = f"2001:db8:{i:x}::{i + 1:x}"
    return pool


class _Tables:
    """Polars Series to gather strings from by index (fast string assembly)."""

    def __init__(self, clients: list[str]) -> None:
        self.clients = pl.Series(clients)
        self.paths = pl.Series(_PATHS)
        self.agents = pl.Series(_AGENTS)
        self.referers = pl.Series(_REFERERS)
        self.methods = pl.Series(_METHODS)


def _block(
    rng: np.random.Generator,
    config: GeneratorConfig,
    minute0: int,
    n_minutes: int,
    base_rpm: float,
    total_minutes: int,
    schedule: list[tuple[str, int, int]],
    cdf: np.ndarray,
    burst_clients: dict[int, str],
    clients: list[str],
) -> dict[str, np.ndarray]:
    minutes = np.arange(minute0, minute0 + n_minutes)
    hour_of_day = (minutes % 1440) / 60.0
    rate = base_rpm * (1.0 + 0.5 * np.sin(2 * np.pi * (hour_of_day - 9.0) / 24.0))
    if config.daily_step is not None:
        step = config.daily_step
        since = (minutes - step.hour * 60) % 1440  # minutes since today's step began
        rate[since < step.minutes] *= step.factor
    err_p = np.full(n_minutes, 0.005)
    burst = np.zeros(n_minutes)
    burst_client = np.full(n_minutes, -1)
    client_index = {c: i for i, c in enumerate(clients)}
    for kind, s, e in schedule:
        sel = (minutes >= s) & (minutes < e)
        if not sel.any():
            continue
        if kind == "traffic_surge":
            rate[sel] *= 3.0
        elif kind == "traffic_drop":
            rate[sel] *= 0.2
        elif kind == "error_spike":
            err_p[sel] = 0.3
        elif kind == "client_burst":
            burst[sel] = 0.6 * base_rpm
            burst_client[sel] = client_index[burst_clients[s]]
    n = rng.poisson(rate)
    nb = rng.poisson(burst)
    per_minute = n + nb
    total = int(per_minute.sum())
    minute = np.repeat(minutes, per_minute)
    is_burst = (
        np.concatenate(
            [np.r_[np.zeros(a, bool), np.ones(b, bool)] for a, b in zip(n, nb, strict=True)]
        )
        if total
        else np.zeros(0, bool)
    )
    second = rng.integers(0, 60, size=total)
    # Lines are written in time order: sort by second within the (already sorted) minutes.
    # A small-integer key lets NumPy use its radix sort.
    key = ((minute - minute0) * 60 + second).astype(np.int16 if n_minutes <= 500 else np.int32)
    order = np.argsort(key, kind="stable")
    minute, second, is_burst = minute[order], second[order], is_burst[order]
    client = np.searchsorted(cdf, rng.random(total))
    client = np.minimum(client, len(cdf) - 1)
    local = minute - minute0
    client = np.where(is_burst, burst_client[local], client)
    u = rng.random(total)
    p5 = err_p[local]
    status = np.select(
        [u < p5, u < p5 + 0.045, u < p5 + 0.045 + 0.08],
        [
            rng.choice([500, 502, 503], size=total),
            rng.choice([404, 403, 400], size=total),
            rng.choice([301, 302, 304], size=total),
        ],
        default=200,
    )
    status = np.where(is_burst, 404, status)
    size = rng.lognormal(8.0, 1.2, size=total).astype(np.int64)
    size = np.where(status == 304, 0, size)
    path = np.minimum(rng.zipf(1.3, size=total) - 1, len(_PATHS) - 1)
    malformed = rng.random(total) < config.malformed_rate
    return {
        "minute": minute,
        "second": second,
        "client": client,
        "status": status,
        "bytes": size,
        "path": path,
        "agent": rng.integers(0, len(_AGENTS), size=total),
        "referer": rng.integers(0, len(_REFERERS), size=total),
        "method": rng.integers(0, len(_METHODS), size=total),
        "request_time": np.round(rng.lognormal(-3.0, 1.0, size=total), 3),
        "burst": is_burst,
        "malformed": malformed,
    }


def _render(
    block: dict[str, np.ndarray],
    tables: _Tables,
    config: GeneratorConfig,
    start_epoch: int,
    tz: timedelta,
) -> tuple[bytes, int]:
    minute, second = block["minute"], block["second"]
    if len(minute) == 0:
        return b"", 0
    m0 = int(minute.min())
    offset_s = int(tz.total_seconds())
    sign = "+" if offset_s >= 0 else "-"
    zone = f"{sign}{abs(offset_s) // 3600:02d}{abs(offset_s) % 3600 // 60:02d}"
    n_sec = (int(minute.max()) - m0 + 1) * 60
    first = (start_epoch + m0 * 60 + offset_s) * 1_000_000
    stamps = (
        pl.Series(np.arange(n_sec, dtype=np.int64) * 1_000_000 + first)
        .cast(pl.Datetime("us"))
        .dt.strftime("%d/%b/%Y:%H:%M:%S ")
        + zone
    )
    sec_idx = pl.Series((minute - m0) * 60 + second)
    burst = pl.Series(block["burst"])
    df = pl.DataFrame(
        {
            "ip": tables.clients.gather(pl.Series(block["client"])),
            "ts": stamps.gather(sec_idx),
            "method": tables.methods.gather(pl.Series(block["method"])),
            "path": tables.paths.gather(pl.Series(block["path"])),
            "status": pl.Series(block["status"]).cast(pl.String),
            "bytes": pl.Series(block["bytes"]).cast(pl.String),
            "referer": tables.referers.gather(pl.Series(block["referer"])),
            "agent": tables.agents.gather(pl.Series(block["agent"])),
            "rt": pl.Series(block["request_time"]).cast(pl.String),
            "burst": burst,
            "bad": pl.Series(block["malformed"]),
            "seq": pl.Series(np.arange(len(minute))),
        }
    )
    path = (
        pl.when(pl.col("burst"))
        .then(pl.format("/wp-admin/probe-{}.php", pl.col("seq")))
        .otherwise(pl.col("path"))
    )
    bytes_ = pl.when(pl.col("bytes") == "0").then(pl.lit("-")).otherwise(pl.col("bytes"))
    if config.fmt == "json":
        rt = pl.format(',"request_time":{}', pl.col("rt")) if config.request_time else pl.lit("")
        line = pl.format(
            '{"time_local":"{}","remote_addr":"{}","request":"{} {} HTTP/1.1","status":{},'
            '"body_bytes_sent":{},"http_referer":"{}","http_user_agent":"{}"{}}',
            pl.col("ts"),
            pl.col("ip"),
            pl.col("method"),
            path,
            pl.col("status"),
            pl.col("bytes"),
            pl.col("referer"),
            pl.col("agent"),
            rt,
        )
        broken = pl.format(
            '{"time_local":"{}","remote_addr":"{}","request":"{} {}',
            pl.col("ts"),
            pl.col("ip"),
            pl.col("method"),
            path,
        )
    else:
        head = pl.format(
            '{} - - [{}] "{} {} HTTP/1.1" {} {}',
            pl.col("ip"),
            pl.col("ts"),
            pl.col("method"),
            path,
            pl.col("status"),
            bytes_,
        )
        if config.fmt == "common":
            line = head
            broken = pl.format(
                '{} - - [{}] "{} {}', pl.col("ip"), pl.col("ts"), pl.col("method"), path
            )
        else:
            rt = pl.format(" {}", pl.col("rt")) if config.request_time else pl.lit("")
            line = pl.format('{} "{}" "{}"{}', head, pl.col("referer"), pl.col("agent"), rt)
            broken = pl.format(
                '{} "{}" "{}', head, pl.col("referer"), pl.col("agent").str.slice(0, 12)
            )
    out = df.select(pl.when(pl.col("bad")).then(broken).otherwise(line).alias("line"))
    text = out.write_csv(include_header=False, quote_style="never").encode()
    return text, int(block["malformed"].sum())


def _count_truth(
    block: dict[str, np.ndarray], cols: dict[str, list[int]], start_epoch: int
) -> None:
    ok = ~block["malformed"]
    minute = block["minute"][ok]
    if len(minute) == 0:
        return
    m0 = int(minute.min())
    idx = minute - m0
    n = int(idx.max()) + 1
    status = block["status"][ok] // 100
    present = np.bincount(idx, minlength=n) > 0
    counts = {
        "requests": np.bincount(idx, minlength=n),
        "status_2xx": np.bincount(idx, weights=status == 2, minlength=n),
        "status_3xx": np.bincount(idx, weights=status == 3, minlength=n),
        "status_4xx": np.bincount(idx, weights=status == 4, minlength=n),
        "status_5xx": np.bincount(idx, weights=status == 5, minlength=n),
        "bytes": np.bincount(idx, weights=block["bytes"][ok], minlength=n),
    }
    seen = np.zeros((n, int(block["client"].max()) + 1), dtype=bool)
    seen[idx, block["client"][ok]] = True
    counts["distinct_ips"] = seen.sum(axis=1)
    for i in np.flatnonzero(present):
        cols["minute"].append(start_epoch + 60 * (m0 + int(i)))
        for k, v in counts.items():
            cols[k].append(round(float(v[i])))


def write_truth_json(truth: GroundTruth, path: Path) -> None:
    """Write ``truth`` as JSON atomically (used by the benchmark to keep a copy)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(truth.model_dump(mode="json")), encoding="utf-8")
    os.replace(tmp, path)
