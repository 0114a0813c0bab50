"""Property: for any data and any chunking, the merged chunk report equals the whole-frame one."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from stage1_validation import DataValidator

RULES = {
    "key_columns": ["k"],
    "sample_size": 3,
    "dataset": {
        "rules": [
            {"rule": "row_count", "min": 1, "max": 40},
            {"rule": "unique", "columns": ["k", "g"]},
            {"rule": "compare", "left": "x", "op": "<=", "right": "y"},
        ]
    },
    "columns": {
        "x": [{"rule": "not_null", "mostly": 0.8}, {"rule": "range", "min": 0, "max": 5}],
        "g": [
            {"rule": "allowed_values", "values": ["a", "b"]},
            {"rule": "unique", "severity": "warning"},
        ],
    },
}

rows = st.lists(
    st.tuples(
        st.integers(0, 6),
        st.sampled_from(["a", "b", "c", None]),
        st.one_of(st.none(), st.integers(-2, 8)),
        st.integers(-2, 8),
    ),
    min_size=1,
    max_size=30,
)


def without_timing(report: dict) -> dict:
    return {**report, "summary": {k: v for k, v in report["summary"].items() if k != "duration_s"}}


@settings(
    max_examples=40, deadline=None, database=None
)  # no example database: runs stay independent
@given(data=rows, chunk_size=st.integers(1, 12))
def test_chunked_equals_whole(data: list[tuple], chunk_size: int) -> None:
    frame = pd.DataFrame(data, columns=["k", "g", "x", "y"]).astype({"x": "float64"})
    validator = DataValidator.from_dict(RULES)
    chunks = [frame.iloc[i : i + chunk_size] for i in range(0, len(frame), chunk_size)]
    whole = validator.validate_dataset(frame)
    merged = validator.validate_chunks(chunks)
    assert without_timing(merged) == without_timing(whole)
