"""Bad inputs and faults a reviewer would try: each gets a clear error, its exit code, and no
half-written output, stray folder or temporary file.

Exit codes (cli.py): 1 a rule failed, 2 unusable rules or data, 3 an output cannot be written.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from stage1_validation import (
    ConfigError,
    ConfigFileError,
    ConfigLimits,
    DataFileError,
    DataValidator,
    OutputPathError,
    RuleParameterError,
    load_config,
    process_large_dataset,
    write_report,
)
from stage1_validation.cli import EXIT_BAD_INPUT, EXIT_OUTPUT, app

runner = CliRunner(env={"COLUMNS": "200"})

# 327 bytes that stand for 9^7 = 4.8 million values once the aliases are expanded.
YAML_BOMB = """\
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
columns:
  amount: [*g]
"""
RULES = "columns:\n  amount: [{rule: range, min: 0, max: 10}]\n"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    pd.DataFrame({"order_id": range(3000), "amount": [1.0, 50.0] * 1500}).to_csv(path, index=False)
    return path


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return path


def _validate(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["validate", *args, "--no-progress"])
    return result.exit_code, result.output


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# --- rules files ---------------------------------------------------------------------------


def test_yaml_bomb_is_refused_at_once_with_a_short_message(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(YAML_BOMB, encoding="utf-8")
    with pytest.raises(ConfigFileError) as info:  # unbounded, this took minutes and gigabytes
        load_config(bomb)
    message = str(info.value)
    assert str(bomb) in message and "aliases" in message and "Fix:" in message
    assert len(message) < 500


def test_yaml_bomb_through_the_cli_exits_2(tmp_path: Path, data: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(YAML_BOMB, encoding="utf-8")
    code, output = _validate(str(data), "-r", str(bomb))
    assert code == EXIT_BAD_INPUT and "200,000 values" in output


def test_aliases_within_the_limit_still_work(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text(
        "columns:\n  a: &checks [{rule: not_null}, {rule: range, min: 0}]\n  b: *checks\n",
        encoding="utf-8",
    )
    assert len(load_config(path).rules) == 4


def test_node_limit_is_a_setting(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    values = ", ".join(str(i) for i in range(300))
    path.write_text(f"columns:\n  a: [{{rule: allowed_values, values: [{values}]}}]\n")
    with pytest.raises(ConfigFileError, match="more than 100 values"):
        load_config(path, limits=ConfigLimits(max_nodes=100))
    assert len(load_config(path).rules) == 1


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("columns:\n  a: &a [*a]\n", encoding="utf-8")
    with pytest.raises(ConfigFileError, match="recursive"):
        load_config(path)


@pytest.mark.parametrize(
    ("suffix", "text"),
    [(".yaml", "[" * 50_000), (".json", "[" * 50_000), (".toml", "a = " + "[" * 50_000)],
)
def test_deep_nesting_is_a_config_error_not_a_recursion_error(
    tmp_path: Path, suffix: str, text: str
) -> None:
    path = tmp_path / f"deep{suffix}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigFileError, match="nested too deeply"):
        load_config(path)


def test_oversized_rules_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# padding\n" * 120_000)  # 1.2 MB
    with pytest.raises(ConfigFileError, match="larger than the limit of 1,048,576 bytes"):
        load_config(path)


def test_a_huge_entry_is_quoted_short_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text("columns:\n  a: [[" + ", ".join(["word"] * 50_000) + "]]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "a rule must be a mapping, got ['word', 'word'," in str(info.value)
    assert len(str(info.value)) < 300


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"rule": "range", "min": 10, "max": 0}, "min (10.0) is above max (0.0)"),
        ({"rule": "range", "min": "2024-02-01", "max": "2024-01-01"}, "is above max"),
        ({"rule": "range", "min": 0, "max": "2024-01-01"}, "both be numbers or both be dates"),
        ({"rule": "range", "min": float("nan")}, "NaN is no bound"),
        ({"rule": "str_length", "min": 5, "max": 2}, "min (5) is above max (2)"),
        ({"rule": "date_format", "format": "%Q-%m"}, "not a usable date format"),
    ],
)
def test_rules_that_could_never_pass_or_would_crash_later_are_refused(
    rule: dict[str, object], expected: str
) -> None:
    with pytest.raises(RuleParameterError) as info:
        DataValidator.from_dict({"columns": {"a": [rule]}})
    assert expected in str(info.value) and "columns.a[0]" in str(info.value)


def test_row_count_bounds_in_the_wrong_order_are_refused() -> None:
    with pytest.raises(RuleParameterError, match="min \\(5\\) is above max \\(1\\)"):
        DataValidator.from_dict({"dataset": {"rules": [{"rule": "row_count", "min": 5, "max": 1}]}})


# --- data files ------------------------------------------------------------------------------


def test_bad_utf8_deep_in_a_file_is_reported_at_its_real_offset(tmp_path: Path) -> None:
    """pandas decodes in blocks; its error counts from the block, so "byte 3" was reported."""
    path = tmp_path / "late.csv"
    body = b"order_id,amount\n" + b"".join(b"%d,1.0\n" % i for i in range(300_000))
    offset = len(body) - 20
    path.write_bytes(body[:offset] + b"\xff" + body[offset:])
    line = body[:offset].count(b"\n") + 1
    with pytest.raises(DataFileError) as info:
        process_large_dataset(path, progress=False)
    assert f"at byte {offset:,}, line {line:,}" in str(info.value)
    assert "Fix: save the file as UTF-8" in str(info.value)


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path, rules: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfamount\n1\n2\n")
    assert process_large_dataset(path, rules, progress=False)["passed"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("binary.csv", bytes(range(256)) * 8, "not UTF-8"),
        ("header_only.csv", b"order_id,amount\n", "header but no rows"),
        ("ragged.csv", b"a,b\n1,2\n3,4,5,6\n", "malformed CSV"),
        ("fake.parquet", b"PAR1 not really parquet", "unreadable Parquet"),
        ("data.xlsx", b"PK\x03\x04", "unsupported suffix"),
    ],
)
def test_unusable_data_files_exit_2_naming_the_file(
    tmp_path: Path, rules: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, output = _validate(str(path), "-r", str(rules))
    assert code == EXIT_BAD_INPUT, output
    assert expected in output and name in output


def test_a_folder_given_as_data_exits_2(tmp_path: Path, rules: Path) -> None:
    folder = tmp_path / "data.csv"
    folder.mkdir()
    code, output = _validate(str(folder), "-r", str(rules))
    assert code == EXIT_BAD_INPUT and "file not found" in output


# --- output paths: checked before the work, never parents created ------------------------------


def test_report_in_a_missing_folder_exits_3_and_creates_nothing(
    tmp_path: Path, data: Path, rules: Path
) -> None:
    before = _files(tmp_path)
    code, output = _validate(str(data), "-r", str(rules), "--report", str(tmp_path / "a/b/r.html"))
    assert code == EXIT_OUTPUT
    assert "does not exist" in output and f"mkdir -p {tmp_path / 'a/b'}" in output
    assert _files(tmp_path) == before


def test_report_under_a_file_exits_3(tmp_path: Path, data: Path, rules: Path) -> None:
    code, output = _validate(str(data), "-r", str(rules), "--report", str(data / "r.json"))
    assert code == EXIT_OUTPUT and "is a file, not a folder" in output


def test_report_path_that_is_a_folder_exits_3(tmp_path: Path, data: Path, rules: Path) -> None:
    (tmp_path / "out.json").mkdir()
    code, output = _validate(str(data), "-r", str(rules), "--report", str(tmp_path / "out.json"))
    assert code == EXIT_OUTPUT and "is a folder" in output


def test_report_over_the_rules_file_is_refused(tmp_path: Path, data: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text('{"columns": {"amount": [{"rule": "not_null"}]}}', encoding="utf-8")
    before = rules.read_bytes()
    code, output = _validate(str(data), "-r", str(rules), "--report", str(rules))
    assert code == EXIT_OUTPUT and "would be overwritten" in output
    assert rules.read_bytes() == before


def test_unknown_report_suffix_is_refused_before_the_data_is_read(
    tmp_path: Path, rules: Path
) -> None:
    missing = tmp_path / "not_there.csv"  # would be the error if the data were read first
    code, output = _validate(str(missing), "-r", str(rules), "--report", str(tmp_path / "r.txt"))
    assert code == EXIT_BAD_INPUT and "cannot write a report as '.txt'" in output


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Path:
    """A folder where no file can be created: read-only for a user; sysfs's root for root."""
    if os.geteuid() == 0:
        return Path("/sys")  # root ignores permission bits; sysfs refuses new files even to root
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


def test_unwritable_report_folder_exits_3(unwritable_folder: Path, data: Path, rules: Path) -> None:
    target = unwritable_folder / "report.html"
    code, output = _validate(str(data), "-r", str(rules), "--report", str(target))
    assert code == EXIT_OUTPUT and "not writable" in output
    assert not target.exists()


def test_unwritable_quarantine_parent_exits_3_and_leaves_no_folder(
    unwritable_folder: Path, data: Path, rules: Path
) -> None:
    target = unwritable_folder / "quarantine"
    code, output = _validate(str(data), "-r", str(rules), "--quarantine", str(target))
    assert code == EXIT_OUTPUT and "not writable" in output
    assert not target.exists()


def test_quarantine_path_that_is_a_file_exits_3_and_keeps_the_file(
    tmp_path: Path, data: Path, rules: Path
) -> None:
    target = tmp_path / "q"
    target.write_text("mine", encoding="utf-8")
    code, output = _validate(str(data), "-r", str(rules), "--quarantine", str(target))
    assert code == EXIT_OUTPUT and "is a file, not a folder" in output
    assert target.read_text(encoding="utf-8") == "mine"


def test_quarantine_in_a_missing_parent_exits_3_and_creates_nothing(
    tmp_path: Path, data: Path, rules: Path
) -> None:
    before = _files(tmp_path)
    code, output = _validate(str(data), "-r", str(rules), "-q", str(tmp_path / "x" / "q"))
    assert code == EXIT_OUTPUT and "does not exist" in output
    assert _files(tmp_path) == before


def _validate_with_file_size_limit(limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a child whose writes fail past ``limit`` bytes (EFBIG), as on a full disk."""

    def limit_writes() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [sys.executable, "-m", "stage1_validation", "validate", *args, "--no-progress"]
    return subprocess.run(
        command, preexec_fn=limit_writes, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_disk_full_during_quarantine_exits_3_and_leaves_nothing(
    tmp_path: Path, data: Path, rules: Path, suffix: str
) -> None:
    source = data
    if suffix == ".parquet":
        source = tmp_path / "orders.parquet"
        pd.read_csv(data).to_parquet(source)
    target = tmp_path / "quarantine"
    result = _validate_with_file_size_limit(
        4096, str(source), "-r", str(rules), "-q", str(target), "--chunk-size", "500"
    )
    assert result.returncode == EXIT_OUTPUT, result.stderr
    assert "could not be written (" in result.stderr and "File too large" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()  # the folder it created is gone with its temporaries


def test_disk_full_keeps_an_existing_quarantine_folder_and_its_old_files(
    tmp_path: Path, data: Path, rules: Path
) -> None:
    target = tmp_path / "quarantine"
    target.mkdir()
    (target / "valid.csv").write_text("old\n", encoding="utf-8")
    result = _validate_with_file_size_limit(4096, str(data), "-r", str(rules), "-q", str(target))
    assert result.returncode == EXIT_OUTPUT, result.stderr
    assert _files(target) == {"valid.csv"}
    assert (target / "valid.csv").read_text(encoding="utf-8") == "old\n"


def test_disk_full_while_writing_the_report_keeps_the_old_report(
    tmp_path: Path, data: Path
) -> None:
    rules = tmp_path / "many.yaml"
    many = "\n".join(f"  c{i}: [{{rule: not_null}}]" for i in range(40))
    rules.write_text(f"columns:\n{many}\n", encoding="utf-8")
    wide = tmp_path / "wide.csv"
    pd.DataFrame({f"c{i}": [1] for i in range(40)}).to_csv(wide, index=False)
    report = tmp_path / "report.html"
    report.write_text("old", encoding="utf-8")
    result = _validate_with_file_size_limit(
        2048, str(wide), "-r", str(rules), "--report", str(report)
    )
    assert result.returncode == EXIT_OUTPUT, result.stderr
    assert report.read_text(encoding="utf-8") == "old"
    assert _files(tmp_path) == {"many.yaml", "wide.csv", "report.html", "orders.csv"}


def test_a_dead_writers_temporary_is_removed_by_the_next_write(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = tmp_path / f".r.json.{dead.stdout.strip()}.abc123.tmp"
    stale.write_text("half", encoding="utf-8")
    live = tmp_path / f".r.json.{os.getpid()}.def456.tmp"  # a writer still running: kept
    live.write_text("busy", encoding="utf-8")
    report = DataValidator.from_dict({"columns": {"a": [{"rule": "not_null"}]}}).validate_dataset(
        pd.DataFrame({"a": [1]})
    )
    write_report(report, tmp_path / "r.json")
    assert _files(tmp_path) == {"r.json", live.name}


def test_output_errors_are_data_quality_errors_with_the_path() -> None:
    error = OutputPathError("/x/r.json", "could not be written (No space left on device)")
    assert isinstance(error, OSError) and error.path == "/x/r.json"
    assert str(error).startswith("/x/r.json: could not be written")
