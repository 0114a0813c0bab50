"""Read an app's ``/metrics`` (Prometheus text, or JSON) and find what counted a known load.

The grader does not know the learner's metric names. It sends exactly N requests between two
scrapes and looks for what grew by N: a single series, the series of a family whose labels
name ``predict``, or a whole family — that is the request counter; a histogram's or summary's
``_count`` that grew by N records latency. A counter that never moves, counts only one
worker's share, or counts twice, is found by the same arithmetic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "Growth",
    "Sample",
    "declared_names",
    "find_growth",
    "parse_json_metrics",
    "parse_metrics",
    "parse_prometheus",
    "prometheus_types",
    "sample_names",
]

_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\S+)?\s*$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"')
_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created", "_gcount", "_gsum")


@dataclass(frozen=True)
class Sample:
    """One series' value: its name, labels (sorted pairs) and value."""

    name: str
    labels: tuple[tuple[str, str], ...]
    value: float

    @property
    def key(self) -> str:
        """``name{a="b"}`` as Prometheus prints it."""
        if not self.labels:
            return self.name
        return self.name + "{" + ",".join(f'{k}="{v}"' for k, v in self.labels) + "}"


def parse_prometheus(text: str) -> list[Sample]:
    """Samples of a Prometheus text exposition (comments, bad lines and NaN skipped)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            continue
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        if value != value:  # NaN
            continue
        labels = tuple(sorted(_LABEL.findall(match.group(2) or "")))
        out.append(Sample(match.group(1), labels, value))
    return out


def prometheus_types(text: str) -> dict[str, str]:
    """``# TYPE name kind`` lines: family name → counter, gauge, histogram, summary, ..."""
    types = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0] == "#" and parts[1] == "TYPE":
            types[parts[2]] = parts[3]
    return types


def parse_json_metrics(text: str) -> list[Sample]:
    """Every number in a JSON document, named by its path (``requests.predict``)."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    out: list[Sample] = []

    def walk(value: object, path: str) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            out.append(Sample(path or "value", (), float(value)))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    walk(data, "")
    return out


def parse_metrics(text: str, content_type: str = "") -> tuple[str, list[Sample]]:
    """("prometheus" | "json" | "unknown", samples) of a /metrics answer."""
    stripped = text.lstrip()
    if "json" in content_type or stripped.startswith(("{", "[")):
        samples = parse_json_metrics(text)
        return ("json" if samples else "unknown"), samples
    samples = parse_prometheus(text)
    return ("prometheus" if samples else "unknown"), samples


def declared_names(text: str) -> set[str]:
    """Names a Prometheus exposition declares (``# TYPE``), even with no sample yet.

    A labelled counter nobody has incremented yet is declared but has no sample; a
    dashboard may rightly query it.
    """
    names = set()
    for family, kind in prometheus_types(text).items():
        names.add(family)
        if kind in ("histogram", "summary"):
            names.update(family + s for s in ("_bucket", "_count", "_sum"))
        if kind == "counter" and not family.endswith("_total"):
            names.add(family + "_total")
    return names


def sample_names(samples: Iterable[Sample]) -> set[str]:
    """Every sample name, and the family name behind each (``x_total`` → ``x``)."""
    names = set()
    for s in samples:
        names.add(s.name)
        for suffix in _SUFFIXES:
            if s.name.endswith(suffix):
                names.add(s.name[: -len(suffix)])
    return names


@dataclass(frozen=True)
class Growth:
    """Something in /metrics that grew between two scrapes."""

    what: str
    delta: float
    family: str


def _family(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _groups(samples: list[Sample]) -> tuple[dict[str, dict[str, float]], set[tuple[str, str]]]:
    """For every grouping the grader tries, its members' summed values; and the groups of one
    series only (the same as that series: not reported twice)."""
    groups: dict[str, dict[str, float]] = {}
    members: dict[tuple[str, str], int] = {}

    def add(kind: str, label: str, value: float) -> None:
        groups.setdefault(kind, {})
        groups[kind][label] = groups[kind].get(label, 0.0) + value
        members[kind, label] = members.get((kind, label), 0) + 1

    for s in samples:
        if s.name.endswith(("_bucket", "_created", "_sum", "_gsum")):
            continue
        add("series", s.key, s.value)
        if any("predict" in v.lower() for _, v in s.labels) or "predict" in s.name.lower():
            add("predict", s.name + '{…"predict"…}', s.value)
        add("family", s.name + "{…all…}", s.value)
    single = {key for key, count in members.items() if key[0] != "series" and count == 1}
    return groups, single


def find_growth(
    before: list[Sample], after: list[Sample], *, low: float, high: float
) -> tuple[list[Growth], list[Growth]]:
    """(what grew by low..high between the scrapes, the nearest misses for the evidence)."""
    (b, _), (a, single) = _groups(before), _groups(after)
    hits: list[Growth] = []
    misses: list[Growth] = []
    for kind, members in a.items():
        for label, value in members.items():
            if (kind, label) in single:
                continue
            delta = value - b.get(kind, {}).get(label, 0.0)
            growth = Growth(label, delta, _family(label.split("{")[0]))
            if low <= delta <= high:
                hits.append(growth)
            elif delta > 0:
                misses.append(growth)
    target = (low + high) / 2
    misses.sort(key=lambda g: abs(g.delta - target))
    return hits, misses[:3]
