"""The problem statements exist in both languages and their examples hold for the reference."""

from __future__ import annotations

import importlib
from pathlib import Path

import pandas as pd
import pytest

from diagnostics.rubric import load_rubric

PROBLEMS_DIR = Path(__file__).resolve().parents[1] / "problems"


@pytest.mark.parametrize("number", [1, 2, 3])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_statement_exists_with_its_time_limit(number: int, lang: str) -> None:
    text = (PROBLEMS_DIR / f"problem{number}.{lang}.md").read_text(encoding="utf-8")
    minutes = next(p.minutes for p in load_rubric().problems() if p.number == number)
    unit = "minutes" if lang == "en" else "분"
    assert f"({minutes} {unit})" in text or f"({minutes}{unit})" in text
    assert f"{load_rubric().max_points(number)}" in text


def test_problem1_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problem1 = importlib.import_module("diagnostics.reference.problem1")
    path = tmp_path / "people.csv"
    path.write_text("id,name,age,score\n1,Kim Minji,34,88.5\n2,,29,abc\n", encoding="utf-8")
    result = problem1.CSVProcessor(str(path)).validate_data()
    assert result == [
        {"row": 3, "column": "name", "error": "empty"},
        {"row": 3, "column": "score", "error": "type"},
    ]
    assert "validate_data took" in capsys.readouterr().out


def test_problem2_example(tmp_path: Path) -> None:
    problem2 = importlib.import_module("diagnostics.reference.problem2")
    path = tmp_path / "example.log"
    path.write_text(
        "2026-03-01T13:59:59Z ERROR auth 100 token store timeout\n"
        "2026-03-01T14:00:00Z ERROR auth 300 token store timeout\n"
        "2026-03-01T14:10:00Z INFO auth 5 ERROR budget at 80%\n"
        "2026-03-01T14:59:59Z ERROR search 200 HTTP 503 upstream",
        encoding="utf-8",
    )
    frame = problem2.process_large_log(str(path), chunk_size=1)
    expected = pd.DataFrame(
        {
            "hour": pd.to_datetime(["2026-03-01 13:00:00", "2026-03-01 14:00:00"]),
            "error_count": [1, 2],
            "mean_latency_ms": [100.0, 250.0],
            "max_latency_ms": [100, 300],
        }
    )
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)


def test_problem2_rejects_a_zero_chunk_size(tmp_path: Path) -> None:
    problem2 = importlib.import_module("diagnostics.reference.problem2")
    with pytest.raises(ValueError, match="chunk_size"):
        problem2.process_large_log(str(tmp_path / "x.log"), chunk_size=0)
