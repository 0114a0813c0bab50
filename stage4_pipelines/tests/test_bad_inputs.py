"""The curated bad-input suite of the command line: what a new user (or a reviewer) types wrong.

Each case must exit with code 2 (documented: bad input or setting, nothing run), print one
message naming the input and the fix, show no traceback, and leave nothing behind: no
warehouse file, no staging or report folder.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stage4_pipelines.cli import EXIT_BAD_INPUT, EXIT_DAY_FAILED, app

SOON = (date.today() + timedelta(days=20)).isoformat()

# (id, argv, extra environment, words the message must contain: the input and the fix)
CASES: list[tuple[str, list[str], dict[str, str], list[str]]] = [
    ("month-13", ["run", "--day", "2024-13-01"], {}, ["--day '2024-13-01'", "month", "YYYY-MM-DD"]),
    (
        "feb-30",
        ["run", "--day", "2024-02-30"],
        {},
        ["'2024-02-30'", "day is out of range", "YYYY-MM-DD"],
    ),
    ("not-a-date", ["run", "--day", "yesterday"], {}, ["'yesterday'", "YYYY-MM-DD"]),
    ("compact-date", ["run", "--day", "20240101"], {}, ["'20240101'", "YYYY-MM-DD"]),
    ("empty-day", ["run", "--day", ""], {}, ["--day ''", "YYYY-MM-DD"]),
    (
        "future-day",
        ["run", "--day", "2999-01-01"],
        {},
        ["2999-01-01", "has not ended", "latest day"],
    ),
    (
        "reversed-range",
        ["backfill", "--start", "2024-01-07", "--end", "2024-01-01"],
        {},
        ["--end 2024-01-01 is before --start 2024-01-07", "--start 2024-01-01 --end 2024-01-07"],
    ),
    (
        "bad-start",
        ["backfill", "--start", "2024-1-1", "--end", "2024-01-03"],
        {},
        ["--start '2024-1-1'", "YYYY-MM-DD"],
    ),
    (
        "bad-end",
        ["backfill", "--start", "2024-01-01", "--end", "2024-01-32"],
        {},
        ["--end '2024-01-32'", "YYYY-MM-DD"],
    ),
    (
        "huge-range",
        ["backfill", "--start", "0001-01-01", "--end", "2024-01-01"],
        {},
        ["spans 738886 days", "split"],
    ),
    (
        "future-end",
        ["backfill", "--start", "2024-01-01", "--end", SOON],
        {},
        [f"--end {SOON}", "has not ended"],
    ),
    (
        "unknown-engine",
        ["run", "--day", "2024-01-01", "--engine", "spark"],
        {},
        ["'spark'", "core", "prefect"],
    ),
    (
        "unknown-warehouse",
        ["run", "--day", "2024-01-01"],
        {"STAGE4_WAREHOUSE_URL": "mysql://db/x"},
        ["'mysql://db/x'", "duckdb:///", "postgresql://"],
    ),
    (
        "unwritable-warehouse",
        ["run", "--day", "2024-01-01"],
        {"STAGE4_WAREHOUSE_URL": "duckdb:////proc/nope/w.duckdb"},
        ["/proc/nope", "STAGE4_WAREHOUSE_URL"],
    ),
    (
        "warehouse-down",
        ["run", "--day", "2024-01-01"],
        {"STAGE4_WAREHOUSE_URL": "postgresql://postgres@127.0.0.1:1/x"},
        ["127.0.0.1:1", "STAGE4_WAREHOUSE_URL"],
    ),
    (
        "bad-schema-name",
        ["run", "--day", "2024-01-01"],
        {"STAGE4_WAREHOUSE_URL": "postgresql://postgres@127.0.0.1/x?schema=Drop;"},
        ["'Drop;'", "lower-case"],
    ),
    (
        "unknown-source",
        ["run", "--day", "2024-01-01"],
        {"STAGE4_SOURCE_URL": "ftp://x"},
        ["'ftp://x'", "http://host:port"],
    ),
    (
        "bad-generated-source",
        ["run", "--day", "2024-01-01"],
        {"STAGE4_SOURCE_URL": "generated://?orders=many"},
        ["orders=many", "integers"],
    ),
    (
        "bad-timezone",
        ["run", "--day", "2024-01-01"],
        {"STAGE4_TIMEZONE": "Mars/Olympus"},
        ["STAGE4_TIMEZONE='Mars/Olympus'", "Asia/Seoul"],
    ),
    (
        "negative-retries",
        ["run", "--day", "2024-01-01"],
        {"STAGE4_RETRIES": "-1"},
        ["STAGE4_RETRIES='-1'", "greater than or equal to 0"],
    ),
    (
        "retries-not-a-number",
        ["run", "--day", "2024-01-01"],
        {"STAGE4_RETRIES": "three"},
        ["STAGE4_RETRIES='three'", "integer"],
    ),
    (
        "zero-timeout",
        ["run", "--day", "2024-01-01"],
        {"STAGE4_REQUEST_TIMEOUT_SECONDS": "0"},
        ["STAGE4_REQUEST_TIMEOUT_SECONDS='0'", "greater than 0"],
    ),
    (
        "bad-cron",
        ["run", "--day", "2024-01-01"],
        {"STAGE4_SCHEDULE": "daily"},
        ["STAGE4_SCHEDULE='daily'", "0 2 * * *"],
    ),
    (
        "negative-sim-days",
        ["simulate", "--days", "-3"],
        {},
        ["--days", "greater than or equal to 1"],
    ),
    ("port-out-of-range", ["upstream", "--port", "70000"], {}, ["--port", "65535"]),
    ("fault-rate-above-one", ["upstream", "--fault-rate", "2"], {}, ["--fault-rate", "1"]),
]


_BOX = str.maketrans(dict.fromkeys("│╭╮╰╯─", " "))


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STAGE4_SOURCE_URL", "generated://?orders=10")
    monkeypatch.setenv("STAGE4_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'wh' / 'w.duckdb'}")
    monkeypatch.setenv("STAGE4_STAGING_DIR", str(tmp_path / "staging"))
    monkeypatch.setenv("STAGE4_REPORTS_DIR", str(tmp_path / "reports"))
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "extra", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_one_clear_message_and_exit_2(env, monkeypatch, argv, extra, words):
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, argv)
    output = " ".join(result.output.translate(_BOX).split())  # rich wraps and boxes lines
    assert result.exit_code == EXIT_BAD_INPUT, output
    assert isinstance(result.exception, SystemExit), result.exception  # no exception escaped
    for word in words:
        assert " ".join(word.split()) in output, f"{word!r} not in {output!r}"
    assert "Traceback" not in output
    assert sorted(p.name for p in env.iterdir()) == [], "a bad input left files behind"


def test_a_failed_day_is_exit_1_and_named(env, monkeypatch):
    monkeypatch.setenv("STAGE4_SOURCE_URL", "http://127.0.0.1:9")  # nothing listens on port 9
    monkeypatch.setenv("STAGE4_REQUEST_TIMEOUT_SECONDS", "2")
    result = CliRunner().invoke(app, ["run", "--day", "2024-01-01"])
    assert result.exit_code == EXIT_DAY_FAILED
    assert "failed: 2024-01-01" in result.output and "run them again" in result.output


@pytest.mark.slow
def test_the_real_process_prints_no_traceback(env):
    """Outside the test runner too: the installed entry point, a bad day, stderr only."""
    done = subprocess.run(
        [sys.executable, "-m", "stage4_pipelines", "run", "--day", "2024-13-01"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == EXIT_BAD_INPUT
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert "--day '2024-13-01' is not a calendar day" in done.stderr
