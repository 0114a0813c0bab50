"""Per-minute counts of the graded code against the generator's ground truth, exactly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from stage2_log_analysis.generator import GroundTruth

__all__ = ["CountCheck", "check_minute_table", "check_stream_counts"]


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass
class CountCheck:
    """How many truth minutes came out exactly, and the first mistakes in words."""

    minutes: int
    exact: int
    problems: list[str] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        """Share of the truth's minutes that came out exactly (0 when any problem is global)."""
        return self.exact / self.minutes if self.minutes else 0.0

    @property
    def ok(self) -> bool:
        """True when every minute is exact and nothing else is wrong."""
        return self.exact == self.minutes and not self.problems


def _shift_hint(got: dict[int, int], want: dict[int, int]) -> str:
    """Say so when the counts are right but keyed a fixed number of minutes off (time zone?)."""
    for shift in (60, -60, 9 * 3600, -9 * 3600):
        moved = {m + shift: n for m, n in got.items()}
        hits = sum(moved.get(m) == n for m, n in want.items())
        if want and hits >= 0.9 * len(want):
            hours = shift / 3600
            what = f"{shift // 60:+d} minute(s)" if abs(shift) < 3600 else f"{hours:+g} hours"
            return f" — they match the truth {what} away: minutes keyed off by {what}" + (
                " (local +0900 time instead of UTC?)"
                if abs(shift) >= 3600
                else " (ceil/round instead of floor?)"
            )
    return ""


def check_stream_counts(counts: Sequence[Sequence[int]], truth: GroundTruth) -> CountCheck:
    """Records per (minute, status class) from ``process_logs_stream`` vs the truth."""
    got: dict[tuple[int, int], int] = {(int(m), int(c)): int(n) for m, c, n in counts}
    t = truth.minutes
    exact = 0
    problems: list[str] = []
    for k, minute in enumerate(t["minute"]):
        want = {cls: t[f"status_{cls}xx"][k] for cls in (2, 3, 4, 5)}
        have = {cls: got.get((minute, cls), 0) for cls in want}
        if have == want:
            exact += 1
        elif len(problems) < 2:
            problems.append(f"{_when(minute)}: got {have}, truth {want} (by status class)")
    truth_minutes = set(t["minute"])
    extra = sorted({m for (m, _) in got} - truth_minutes)
    got_total = sum(got.values())
    want_total = sum(t["requests"])
    if extra:
        problems.append(
            f"records in {len(extra)} minutes the log does not have, e.g. {_when(extra[0])}"
        )
    if got_total != want_total:
        problems.append(
            f"{got_total} records in total, truth {want_total} valid lines "
            f"({truth.malformed_lines} malformed lines must be skipped)"
        )
    if exact < len(t["minute"]):
        by_minute: dict[int, int] = {}
        for (m, _), n in got.items():
            by_minute[m] = by_minute.get(m, 0) + n
        hint = _shift_hint(by_minute, dict(zip(t["minute"], t["requests"], strict=True)))
        if hint:
            problems.append(hint.strip(" —"))
    return CountCheck(minutes=len(t["minute"]), exact=exact, problems=problems)


def check_minute_table(table: pd.DataFrame, truth: GroundTruth) -> CountCheck:
    """The per-minute table ``analyze`` returned vs the truth: requests and errors, exactly.

    Errors may be counted as 5xx or as 4xx + 5xx (both are common); either must hold on every
    minute. Minutes with no traffic may be present with zeros; a minute present twice (partial
    aggregates never combined) is a mistake.
    """
    t = truth.minutes
    want = pd.DataFrame(
        {
            "requests": t["requests"],
            "e5": t["status_5xx"],
            "e45": np.add(t["status_4xx"], t["status_5xx"]),
        },
        index=pd.Index(t["minute"], name="minute"),
    )
    problems: list[str] = []
    dup = table["minute"][table["minute"].duplicated()]
    if len(dup):
        problems.append(
            f"{dup.nunique()} minutes appear more than once (e.g. {_when(int(dup.iloc[0]))}): "
            "partial counts of chunks or partitions must be combined into one row per minute"
        )
    got = table.groupby("minute").sum(numeric_only=True)
    extra = got.index.difference(want.index)
    busy_extra = [int(m) for m in extra if got.loc[m, "requests"] > 0]
    if busy_extra:
        problems.append(
            f"traffic in {len(busy_extra)} minutes the log does not have, e.g. {_when(busy_extra[0])}"
        )
    aligned = got.reindex(want.index)
    req_ok = aligned["requests"].fillna(-1).astype("int64") == want["requests"]
    err_ok = pd.Series(True, index=want.index)
    if "errors" in aligned.columns:
        e = aligned["errors"].fillna(-1).astype("int64")
        by5, by45 = e == want["e5"], e == want["e45"]
        err_ok = by5 if by5.sum() >= by45.sum() else by45
    elif "error_rate" in aligned.columns:
        r = aligned["error_rate"].astype("float64")
        rates = [want[c] / want["requests"].where(want["requests"] > 0) for c in ("e5", "e45")]
        oks = [((r - x).abs() < 1e-6) | (x.isna() & r.fillna(0).eq(0)) for x in rates]
        err_ok = oks[0] if oks[0].sum() >= oks[1].sum() else oks[1]
    else:
        problems.append("no error count ('errors' or 'status_5xx') or 'error_rate' column")
    good = req_ok & err_ok & ~want.index.isin(dup.unique())
    for m in want.index[~good][:2]:
        have = aligned.loc[m].to_dict()
        problems.append(
            f"{_when(int(m))}: got {({k: v for k, v in have.items() if pd.notna(v)}) or 'no row'}, "
            f"truth requests={int(want.loc[m, 'requests'])}, 5xx={int(want.loc[m, 'e5'])}"
        )
    if not req_ok.all():
        got_req = dict(
            zip(got.index.tolist(), got["requests"].astype("int64").tolist(), strict=True)
        )
        want_req = dict(zip(want.index.tolist(), want["requests"].tolist(), strict=True))
        hint = _shift_hint(got_req, want_req)
        if hint:
            problems.append(hint.strip(" —"))
    return CountCheck(minutes=len(want), exact=int(good.sum()), problems=problems)
