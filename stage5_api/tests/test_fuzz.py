"""A bounded schemathesis run against the live server's own schema: no server error (make fuzz-stage5)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.fuzz

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_schemathesis_finds_no_server_error(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import fuzz
    finally:
        sys.path.remove(str(BENCH))
    out = tmp_path / "fuzz.json"
    code = fuzz.main(["--max-examples", "30", "--seed", "2", "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["cases"] > 100 and result["operations"] == 5, result
    assert result["server_errors"] == 0 and result["errored"] == 0, result["failures"]
    assert result["server_5xx_counted_by_the_server"] == 0, result
    assert code == 0
