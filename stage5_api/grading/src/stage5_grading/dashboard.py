"""Is the dashboard live? An HTML page rendered twice, or a Grafana dashboard's queries.

**HTML** (``GET /dashboard``): headless Chromium renders the page through a recording proxy
once with the server idle and once under load. The page is live when its scripts fetched data
from the app (the proxy saw a request other than the page and its static files) *and* what it
shows changed with the load (the numbers in its text, or its pixels — charts drawn on a
canvas). A page with hard-coded numbers, or whose scripts fetch from a hard-coded
``localhost:8000``, shows the same thing twice.

**Grafana** (a dashboard JSON in the learner's folder): it cannot be rendered here, so every
PromQL query is checked against the app's live ``/metrics``: each metric it names must exist,
and one query must chart the series that counted the grader's requests.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageChops

from gradekit.browser import dump_dom, screenshot
from stage5_grading.loadtest.proxy import LoggingProxy, ProxiedRequest

__all__ = [
    "Render",
    "grafana_queries",
    "judge_grafana",
    "judge_html",
    "pixel_change",
    "promql_metrics",
    "render",
    "shown_numbers",
]

_STATIC = (
    ".js",
    ".css",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".ico",
    ".woff",
    ".woff2",
    ".map",
)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "le", "inf", "nan", "atan2",
}  # fmt: skip
PIXEL_CHANGE = 0.002  # share of pixels that must differ between the idle and the busy render


@dataclass
class Render:
    """One rendering of the page: its visible text, a screenshot, what it requested."""

    text: str
    png: Path
    requests: list[ProxiedRequest] = field(default_factory=list)

    def data_requests(self, page_path: str) -> list[ProxiedRequest]:
        """Requests the page's scripts made for data (not the page, not static files)."""
        return [
            r
            for r in self.requests
            if r.path != page_path
            and r.path != "/favicon.ico"
            and not r.path.lower().endswith(_STATIC)
        ]


def visible_text(dom: str) -> str:
    """The text a reader sees: scripts, styles and tags removed."""
    dom = re.sub(r"(?is)<(script|style|template)[^>]*>.*?</\1>", " ", dom)
    dom = re.sub(r"(?s)<[^>]+>", " ", dom)
    return re.sub(r"\s+", " ", html.unescape(dom)).strip()


def shown_numbers(text: str) -> list[str]:
    """The numbers a page shows, in order."""
    return _NUMBER.findall(text)


def pixel_change(a: Path, b: Path) -> float:
    """Share of pixels that differ between two screenshots (1.0 if the sizes differ)."""
    with Image.open(a) as ia, Image.open(b) as ib:
        if ia.size != ib.size:
            return 1.0
        diff = ImageChops.difference(ia.convert("RGB"), ib.convert("RGB")).convert("L")
        histogram = diff.histogram()  # pixels per difference 0..255
        return sum(histogram[17:]) / (ia.size[0] * ia.size[1])


def render(proxy: LoggingProxy, page_path: str, png: Path, wait_ms: int = 5000) -> Render:
    """Render ``page_path`` through ``proxy``: DOM text and screenshot, and its requests."""
    seen = len(proxy.requests())
    dom = dump_dom(proxy.url + page_path, wait_ms=wait_ms)
    screenshot(proxy.url + page_path, png, wait_ms=wait_ms)
    return Render(text=visible_text(dom), png=png, requests=proxy.requests()[seen:])


def judge_html(idle: Render, busy: Render, page_path: str) -> tuple[bool, str]:
    """(live?, what was seen) from the idle and the busy rendering of the page."""
    fetched = busy.data_requests(page_path)
    answered = [r for r in fetched if r.status == 200]
    paths = sorted({r.path for r in fetched})
    n_idle, n_busy = shown_numbers(idle.text), shown_numbers(busy.text)
    changed_numbers = n_idle != n_busy
    changed_pixels = pixel_change(idle.png, busy.png)
    facts = (
        f"the page fetched {len(fetched)} time(s) from the app ({', '.join(paths) or 'nothing'}"
        f"{', ' + str(len(answered)) + ' answered 200' if fetched else ''}); numbers shown idle "
        f"{n_idle[:8]} vs under load {n_busy[:8]}; {100 * changed_pixels:.1f}% of pixels changed"
    )
    if not answered:
        return False, (
            "the dashboard's scripts got no data from the app while it rendered (a static page, "
            "or fetches to a hard-coded host/port that is not the one it was served from?): "
            + facts
        )
    if not changed_numbers and changed_pixels < PIXEL_CHANGE:
        return False, (
            "the dashboard showed the same thing with the server idle and under load: " + facts
        )
    return True, facts


def _panels(node: object) -> list[dict[str, object]]:
    """Every panel of a Grafana dashboard, rows' nested panels included."""
    out: list[dict[str, object]] = []
    if isinstance(node, dict):
        for panel in node.get("panels") or []:
            if isinstance(panel, dict):
                out.append(panel)
                out += _panels(panel)
        if "dashboard" in node:  # an export wrapped as {"dashboard": {...}}
            out += _panels(node["dashboard"])
    return out


def grafana_queries(path: Path) -> list[tuple[str, str]]:
    """(panel title, PromQL expression) of every target of a dashboard JSON file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    queries = []
    for panel in _panels(data):
        for target in panel.get("targets") or []:  # type: ignore[attr-defined]
            if isinstance(target, dict) and isinstance(target.get("expr"), str):
                queries.append((str(panel.get("title", "?")), target["expr"]))
    return queries


def promql_metrics(expr: str) -> set[str]:
    """Metric names a PromQL expression reads (functions, keywords, labels left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)  # dashboard variables
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        word = match.group(0)
        after = text[match.end() :].lstrip()
        if after.startswith("(") or word.lower() in _PROMQL_WORDS:
            continue
        before = text[: match.start()].rstrip()
        if before and (before[-1].isdigit() or before.endswith(".")):
            continue  # a unit or exponent of a number (1e3, 5m)
        names.add(word)
    return names


def judge_grafana(
    paths: list[Path], exported: set[str], counted: set[str], rel: dict[Path, str]
) -> tuple[bool, str]:
    """(fine?, what was seen) of the dashboards' queries against the live metric names."""
    problems: list[str] = []
    charts_requests = False
    n_queries = 0
    for path in paths:
        try:
            queries = grafana_queries(path)
        except (ValueError, OSError) as exc:
            problems.append(f"{rel[path]} is not dashboard JSON ({exc})")
            continue
        if not queries:
            problems.append(f"{rel[path]} has no panel with a Prometheus query (targets[].expr)")
        for title, expr in queries:
            n_queries += 1
            names = promql_metrics(expr)
            missing = sorted(n for n in names if n not in exported)
            if missing:
                problems.append(
                    f"{rel[path]} panel {title!r} queries {', '.join(missing)}, which your "
                    "/metrics does not export"
                )
            if names & counted:
                charts_requests = True
    if n_queries and not charts_requests and not problems:
        problems.append(
            "no panel charts the series that counted the grader's requests "
            f"({', '.join(sorted(counted)) or 'none found'})"
        )
    files = ", ".join(rel[p] for p in paths)
    if problems:
        return False, f"Grafana dashboard {files}: " + "; ".join(problems)
    return True, f"Grafana dashboard {files}: {n_queries} queries, every metric exported"
