"""Criterion 3, streaming: the minutes that follow() emitted while lines were written live
and the file rotated, each checked for count, timing and uniqueness."""

from __future__ import annotations

from gradekit.result import Measurement
from stage2_grading.failed_runs import failed_run
from stage2_grading.session import Session

__all__ = ["measure_streaming"]


def measure_streaming(s: Session) -> Measurement:
    m = s.follow()
    if m.error:
        return failed_run("LogAnalyzer.follow", m)
    d = m.details
    written = {int(k): int(v) for k, v in d["written"].items()}
    emitted = {int(k): (int(v[0]), float(v[1])) for k, v in d["emitted"].items()}
    repeats = {int(k): int(v) for k, v in d["repeats"].items()}
    rotated = d["rotated_minute"]
    problems: list[str] = []
    strays = sorted(set(emitted) - set(written))
    if strays:
        offs = sorted({(m - min(written)) // 60 for m in strays})[:3]
        problems.append(
            f"{len(strays)} emitted minutes were never written (offsets from the first written "
            f"minute, in minutes: {offs}): minutes keyed in local time instead of UTC?"
        )
    if repeats:
        mm, n = next(iter(repeats.items()))
        problems.append(
            f"{len(repeats)} minutes emitted more than once (e.g. {mm}: {n + 1} times): a minute "
            "must be emitted once, when it has closed"
        )
    checked = {mm: v for mm, v in emitted.items() if mm in written}
    wrong = {mm: (n, written[mm]) for mm, (n, _) in checked.items() if n != written[mm]}
    if wrong:
        sample = [f"got {n}, written {w}" for n, w in list(wrong.values())[:3]]
        problems.append(
            f"counts wrong for {len(wrong)} of {len(checked)} minutes ({'; '.join(sample)})"
        )
    latencies = {mm: at - (mm + 60) for mm, (_, at) in checked.items()}
    early = [mm for mm, lat in latencies.items() if lat < 0]
    if early:
        problems.append(
            f"{len(early)} minutes emitted before they ended (an open minute is not a result)"
        )
    if d.get("ended"):
        problems.append(d["ended"])
    if rotated is None or rotated not in emitted:
        problems.append(
            f"no closed minute across the log's rotation within {d['timeout_s']:.0f} s "
            f"(minutes emitted: {len(emitted)}; rotated: {'yes' if rotated else 'no'}): "
            "follow must close minutes as time passes and keep reading the new file"
        )
    worst = max(latencies.values()) if latencies else None
    lat_text = (
        f"{min(latencies.values()):.2f}–{worst:.2f} s after they ended"
        if latencies
        else "none emitted"
    )
    evidence = (
        f"{len(written)} minutes written live (wall clock, +0900), the log rotated once; "
        f"{len(checked)} closed minutes came back {lat_text}"
    )
    details = {"latencies_s": list(latencies.values()), "minutes": len(checked)}
    if problems:
        return Measurement(
            value=round(worst, 2) if worst is not None else None,
            passed=False,
            evidence=evidence + "; " + "; ".join(problems),
            details=details,
        )
    assert worst is not None
    return Measurement(value=round(worst, 2), evidence=evidence + "; counts exact", details=details)
