"""Closed-loop load with wrk: N connections as fast as the server answers.

A Lua script posts a JSON body, counts response statuses per thread and prints one JSON line
in ``done()`` with percentiles, max, errors and timeouts. wrk leaves requests slower than its
``--timeout`` out of the percentiles, so timeouts are reported separately and counted as failures.
"""

from __future__ import annotations

import json
import resource
import subprocess
import tempfile
from pathlib import Path

from pydantic import BaseModel

from gradekit.tools import ensure_tool

__all__ = ["WrkResult", "run_wrk", "wrk_version"]

_LUA = r"""
wrk.method = "POST"
wrk.body = BODY
wrk.headers["Content-Type"] = "application/json"
local random_rows = RANDOM
local width = WIDTH
function request()
  if not random_rows then return wrk.format() end
  local parts = {}
  for i = 1, width do parts[i] = string.format("%.3f", math.random() * 4 - 2) end
  return wrk.format(nil, nil, nil, '{"features":[' .. table.concat(parts, ",") .. ']}')
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {}; math.randomseed(SEED + (tonumber(tostring({}):sub(8)) or 0) % 1000) end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for code, n in pairs(s) do counts[tostring(code)] = (counts[tostring(code)] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(counts) do table.insert(parts, string.format('"%s":%d', code, n)) end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, table.concat(parts, ",")))
end
"""


class WrkResult(BaseModel):
    """One wrk run, in milliseconds and counts."""

    connections: int
    duration_s: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]
    socket_errors: int
    timeouts: int
    cpu_s: float = 0.0
    """CPU seconds wrk itself used (user + system): the load generator's share of the machine."""

    @property
    def ok(self) -> int:
        """Requests answered 200."""
        return self.statuses.get("200", 0)

    @property
    def shed(self) -> int:
        """Deliberate 503s (admission control or a load balancer with no upstream)."""
        return self.statuses.get("503", 0)

    @property
    def failed(self) -> int:
        """Everything that is neither 200 nor a deliberate 503: errors, other statuses, timeouts."""
        other = sum(n for code, n in self.statuses.items() if code not in ("200", "503"))
        return other + self.socket_errors + self.timeouts


def wrk_version() -> str:
    """``wrk -v``'s first line."""
    out = subprocess.run([ensure_tool("wrk"), "-v"], capture_output=True, text=True, check=False)
    return (out.stdout + out.stderr).strip().splitlines()[0] if (out.stdout + out.stderr) else "?"


def run_wrk(
    url: str,
    body: str,
    *,
    connections: int = 1000,
    duration_s: float = 20.0,
    threads: int = 2,
    timeout_s: float = 30.0,
    random_width: int = 0,
    seed: int = 0,
) -> WrkResult:
    """Run wrk against ``url`` (POST ``body``) and parse its JSON summary.

    ``random_width > 0`` sends a fresh random row of that many features with every request
    (so a prediction cache cannot hide the model's cost).
    """
    wrk = ensure_tool("wrk")
    with tempfile.TemporaryDirectory(prefix="stage5-wrk-") as tmp:
        script = Path(tmp) / "post.lua"
        lua = _LUA.replace("BODY", json.dumps(body)).replace("SEED", str(seed))
        lua = lua.replace("RANDOM", "true" if random_width else "false")
        script.write_text(lua.replace("WIDTH", str(random_width or 1)), encoding="utf-8")
        cmd = [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration_s))}s",
            f"--timeout={round(timeout_s)}s",
            "-s",
            str(script),
            url,
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    seconds = raw["duration_us"] / 1e6
    return WrkResult(
        connections=connections,
        duration_s=round(seconds, 3),
        requests=raw["requests"],
        rps=round(raw["requests"] / seconds, 1) if seconds else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        statuses={str(k): int(v) for k, v in raw["statuses"].items()},
        socket_errors=raw["connect_errors"] + raw["read_errors"] + raw["write_errors"],
        timeouts=raw["timeouts"],
        cpu_s=round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
    )
