"""Turn a block of traffic arrays into log lines (combined, common or JSON) with Polars.

String assembly runs in Rust (``pl.format`` over gathered columns), which is what lets the
generator write well over 100 MB/s. Malformed lines are real-log breakage: a user agent cut
off in the middle, leaving its quote unclosed.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from stage2_log_analysis.generator.config import GeneratorConfig

__all__ = ["AGENTS", "PATHS", "Tables", "client_pool", "render_block"]

PATHS = [
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
AGENTS = [
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


def client_pool(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct client addresses; one in twenty is IPv6."""
    numbers = np.unique(rng.integers(1 << 24, 223 << 24, size=2 * n))[:n]
    rng.shuffle(numbers)
    pool = [f"{x >> 24}.{(x >> 16) & 255}.{(x >> 8) & 255}.{x & 255}" for x in numbers.tolist()]
    for i in range(0, n, 20):
        pool[i] = f"2001:db8:{i:x}::{i + 1:x}"
    return pool


class Tables:
    """Polars Series to gather strings from by index (fast string assembly)."""

    def __init__(self, clients: list[str]) -> None:
        self.clients = pl.Series(clients)
        self.paths = pl.Series(PATHS)
        self.agents = pl.Series(AGENTS)
        self.referers = pl.Series(_REFERERS)
        self.methods = pl.Series(_METHODS)


def _zone(tz: timedelta) -> str:
    offset_s = int(tz.total_seconds())
    sign = "+" if offset_s >= 0 else "-"
    return f"{sign}{abs(offset_s) // 3600:02d}{abs(offset_s) % 3600 // 60:02d}"


def render_block(
    block: dict[str, np.ndarray],
    tables: Tables,
    config: GeneratorConfig,
    start_epoch: int,
    tz: timedelta,
) -> tuple[bytes, int]:
    """The block's lines as bytes, and how many of them are malformed."""
    minute, second = block["minute"], block["second"]
    if len(minute) == 0:
        return b"", 0
    m0 = int(minute.min())
    offset_s = int(tz.total_seconds())
    seconds = (minute - m0) * 60 + second
    n_sec = (int(minute.max()) - m0 + 1) * 60
    if n_sec <= len(minute):  # dense: format every second of the block once
        used, index = np.arange(n_sec), seconds
    else:  # sparse (a sampled log): format only the seconds that occur
        used, index = np.unique(seconds, return_inverse=True)
    first = (start_epoch + m0 * 60 + offset_s) * 1_000_000
    stamps = pl.Series(used.astype(np.int64) * 1_000_000 + first).cast(
        pl.Datetime("us")
    ).dt.strftime("%d/%b/%Y:%H:%M:%S ") + _zone(tz)
    sec_idx = pl.Series(index)
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
            "burst": pl.Series(block["burst"]),
            "bad": pl.Series(block["malformed"]),
            "seq": pl.Series(np.arange(len(minute))),
        }
    )
    line, broken = _line_exprs(config)
    out = df.select(pl.when(pl.col("bad")).then(broken).otherwise(line).alias("line"))
    text = out.write_csv(include_header=False, quote_style="never").encode()
    return text, int(block["malformed"].sum())


def _line_exprs(config: GeneratorConfig) -> tuple[pl.Expr, pl.Expr]:
    """The expression of a good line and of a malformed one, in ``config.fmt``."""
    path = (
        pl.when(pl.col("burst"))
        .then(pl.format("/wp-admin/probe-{}.php", pl.col("seq")))
        .otherwise(pl.col("path"))
    )
    bytes_ = pl.when(pl.col("bytes") == "0").then(pl.lit("-")).otherwise(pl.col("bytes"))
    if config.fmt == "json":
        rt = pl.format(',"request_time":{}', pl.col("rt")) if config.request_time else pl.lit("")
        line = pl.format(
            # literal braces are doubled: Polars reads ``{name}`` as a column reference
            '{{"time_local":"{}","remote_addr":"{}","request":"{} {} HTTP/1.1","status":{},'
            '"body_bytes_sent":{},"http_referer":"{}","http_user_agent":"{}"{}}}',
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
            '{{"time_local":"{}","remote_addr":"{}","request":"{} {}',
            pl.col("ts"),
            pl.col("ip"),
            pl.col("method"),
            path,
        )
        return line, broken
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
        broken = pl.format('{} - - [{}] "{} {}', pl.col("ip"), pl.col("ts"), pl.col("method"), path)
        return head, broken
    rt = pl.format(" {}", pl.col("rt")) if config.request_time else pl.lit("")
    line = pl.format('{} "{}" "{}"{}', head, pl.col("referer"), pl.col("agent"), rt)
    broken = pl.format('{} "{}" "{}', head, pl.col("referer"), pl.col("agent").str.slice(0, 12))
    return line, broken
