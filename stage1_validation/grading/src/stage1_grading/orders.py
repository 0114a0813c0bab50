"""The correctness probes' data: generated orders with labelled errors, and the same orders clean.

The orders come from the product's generator (``stage1_validation.synthetic``), which labels,
for every rule, the rows that break it. The grader shuffles them so errors fall in every chunk
(with one duplicated key on the first row and its copy on the last), and two adjustments make
the labels hold for every honest reading of the rules, not only ours:

* a badly formatted ``order_date`` is ``01/01/2024``: whether a validator reads it as a date
  (month/day or day/month) or as missing, ``ship_date >= order_date`` still holds there, so the
  row breaks ``date_format`` and nothing else;
* the *mild* frame keeps only the rows that break warning-severity rules: a correct validator
  lists exactly those, flags nothing else and passes the report (warnings never fail it), so an
  implementation that ignores severity, flags rows regardless of the data, or keeps state
  between validations, is caught.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from stage1_validation.synthetic import make_orders

__all__ = ["MIN_ROWS", "GraderOrders", "grader_orders", "write_rules"]

MIN_ROWS = 200  # the generator needs room for its injected errors
BAD_DATE = "01/01/2024"


@dataclass(frozen=True)
class GraderOrders:
    """The dirty and the mild frame, the rules file's content, and each frame's labels."""

    dirty: pd.DataFrame
    mild: pd.DataFrame
    rules: dict[str, Any]
    expected: dict[str, set[int]]
    expected_mild: dict[str, set[int]]

    @property
    def mostly_rules(self) -> set[str]:
        """Rule ids whose verdict depends on a tolerated failure share (``mostly``)."""
        found = set()
        for column, entries in self.rules.get("columns", {}).items():
            for entry in entries:
                if "mostly" in entry:
                    found.add(f"{entry['rule']}:{column}")
        return found


def grader_orders(rows: int, *, seed: int = 2024) -> GraderOrders:
    """``rows`` generated orders with labelled errors (``rows`` >= MIN_ROWS)."""
    data = make_orders(rows, seed=seed)
    frame = data.frame
    frame.loc[sorted(data.expected["date_format:order_date"]), "order_date"] = BAD_DATE
    order = _spread(frame, rows, seed)
    position = {old: new for new, old in enumerate(order)}
    dirty = frame.iloc[order].reset_index(drop=True)
    expected = {rid: {position[row] for row in labelled} for rid, labelled in data.expected.items()}
    warnings = _warning_rules(data.rules)
    errors_only = set().union(*(rows for rid, rows in expected.items() if rid not in warnings))
    kept = [row for row in range(rows) if row not in errors_only]
    mild = dirty.iloc[kept].reset_index(drop=True)
    moved = {old: new for new, old in enumerate(kept)}
    expected_mild = {
        rid: ({moved[row] for row in labelled} if rid in warnings else set())
        for rid, labelled in expected.items()
    }
    return GraderOrders(
        dirty=dirty, mild=mild, rules=data.rules, expected=expected, expected_mild=expected_mild
    )


def _warning_rules(rules: dict[str, Any]) -> set[str]:
    found = set()
    for column, entries in rules.get("columns", {}).items():
        found |= {f"{e['rule']}:{column}" for e in entries if e.get("severity") == "warning"}
    return found


def _spread(frame: pd.DataFrame, rows: int, seed: int) -> list[int]:
    """A shuffled row order with one duplicated key on the first row and its copy on the last.

    The generator puts most errors in the first half of the file; shuffled, they fall in every
    chunk, and the pinned pair guarantees that a duplicate straddles the first and last chunk
    and that the last (usually partial) chunk holds an error, whatever the chunk size.
    """
    keys = frame[["order_id", "line_no"]]
    pair = keys[keys.duplicated(keep=False)].sort_values(["order_id", "line_no"]).index[:2]
    first, last = int(pair[0]), int(pair[1])
    shuffled = np.random.default_rng(seed + 1).permutation(rows).tolist()
    return [first, *(r for r in shuffled if r not in (first, last)), last]


def write_rules(rules: dict[str, Any], path: Path) -> Path:
    """The rules as the YAML file the skeleton documents."""
    path.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    return path
