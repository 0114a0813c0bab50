"""One benchmark run of one tool on one Parquet file; prints a JSON line (run by run.py).

Runs under the workspace venv (``ours*``: the pandas, polars and duckdb backends, and the engine anchors ``duckdb_sql``,
``polars_expr`` of ``anchors.py``) or the peers' venv
(``pandera``, ``gx``, ``soda``), so only the chosen tool is imported. Every tool checks the
same 14 rules of ``stage1_validation.synthetic.orders_rules``; where a peer cannot express a
rule exactly, the note in ``EQUIVALENCE`` says what it runs instead.

    python worker.py TOOL DATA.parquet RULES.yaml ROWS
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import anchors
import pandas as pd

EMAIL = r"[^@\s]+@[^@\s]+\.[a-z]{2,}"
CURRENCIES = ["KRW", "USD", "EUR", "JPY"]

EQUIVALENCE = {
    "pandera": "no `mostly` (ship_date not_null warning written as a DataFrame-level share check); "
    "warnings via raise_warning",
    "gx": "dtype(quantity) as regex ^-?\\d+$; compare as column-pair A>=B on ISO text; "
    "no warning severity (the two warning rules run as ordinary expectations)",
    "soda": "data as an Arrow table (DuckDB 1.0 cannot scan pandas 3 str columns); "
    "dtype(order_id) as a schema check; compare as a failed-rows SQL condition; "
    "returns counts, no failing rows in the scan result",
}


def run_ours(data: str, rules: str, rows: int) -> dict[str, Any]:
    from stage1_validation import DataValidator

    started = time.perf_counter()
    frame = pd.read_parquet(data)
    loaded = time.perf_counter()
    report = DataValidator(rules).validate_dataset(frame)
    done = time.perf_counter()
    return _ours(report, loaded - started, done - loaded)


def run_ours_polars(data: str, rules: str, rows: int) -> dict[str, Any]:
    import polars as pl

    from stage1_validation import DataValidator

    started = time.perf_counter()
    frame = pl.read_parquet(data)
    loaded = time.perf_counter()
    report = DataValidator(rules, backend="polars").validate_dataset(frame)
    done = time.perf_counter()
    return _ours(report, loaded - started, done - loaded)


def run_ours_polars_pd(data: str, rules: str, rows: int) -> dict[str, Any]:
    from stage1_validation import DataValidator

    started = time.perf_counter()
    frame = pd.read_parquet(data)
    loaded = time.perf_counter()
    report = DataValidator(rules, backend="polars").validate_dataset(frame)
    done = time.perf_counter()
    return _ours(report, loaded - started, done - loaded)


def run_ours_duckdb(data: str, rules: str, rows: int) -> dict[str, Any]:
    import polars as pl

    from stage1_validation import DataValidator
    from stage1_validation.backends import duckdb_run  # noqa: F401  imported untimed, as the anchors' engines

    started = time.perf_counter()
    frame = pl.read_parquet(data)
    loaded = time.perf_counter()
    report = DataValidator(rules, backend="duckdb").validate_dataset(frame)
    done = time.perf_counter()
    return _ours(report, loaded - started, done - loaded)


def run_ours_duckdb_pd(data: str, rules: str, rows: int) -> dict[str, Any]:
    from stage1_validation import DataValidator
    from stage1_validation.backends import duckdb_run  # noqa: F401  imported untimed, as the anchors' engines

    started = time.perf_counter()
    frame = pd.read_parquet(data)
    loaded = time.perf_counter()
    report = DataValidator(rules, backend="duckdb").validate_dataset(frame)
    done = time.perf_counter()
    return _ours(report, loaded - started, done - loaded)


def _ours(report: dict[str, Any], load_s: float, validate_s: float) -> dict[str, Any]:
    from stage1_validation.synthetic import rule_id

    out = _result(load_s, validate_s, _ours_failing(report), True, len(report["rules"]))
    out["counts"] = {rule_id(r["rule"], r["column"]): r["failing_count"] for r in report["rules"]}
    out["first_failing"] = {
        rule_id(r["rule"], r["column"]): [s["index"] for s in r["samples"]] for r in report["rules"]
    }
    return out


def run_duckdb_sql(data: str, rules: str, rows: int) -> dict[str, Any]:
    return _anchor(anchors.duckdb_sql(data))


def run_polars_expr(data: str, rules: str, rows: int) -> dict[str, Any]:
    return _anchor(anchors.polars_expr(data))


def _anchor(found: dict[str, Any]) -> dict[str, Any]:
    counts = found["counts"]
    failing = sum(n for name, n in counts.items() if not name.startswith("row_count"))
    out = _result(found["load_s"], found["validate_s"], failing, True, len(counts))
    out["counts"] = counts
    out["first_failing"] = found["first_failing"]
    return out


def run_ours_chunked(data: str, rules: str, rows: int) -> dict[str, Any]:
    from stage1_validation import process_large_dataset

    started = time.perf_counter()
    report = process_large_dataset(data, rules, chunk_size=250_000, progress=False)
    done = time.perf_counter()
    return _ours(report, 0.0, done - started)


def _ours_failing(report: dict[str, Any]) -> int:
    return sum(r["failing_count"] for r in report["rules"] if r["rule"] != "row_count")


def run_pandera(data: str, rules: str, rows: int) -> dict[str, Any]:
    import warnings

    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

    started = time.perf_counter()
    frame = pd.read_parquet(data)
    loaded = time.perf_counter()
    not_text_int = pa.Check(lambda s: pd.to_numeric(s, errors="coerce") % 1 == 0, name="integer")
    iso_date = pa.Check(
        lambda s: pd.to_datetime(s, format="%Y-%m-%d", errors="coerce").notna(), name="date_format"
    )
    schema = pa.DataFrameSchema(
        {
            "order_id": pa.Column("int64", nullable=False),
            "customer_id": pa.Column(nullable=False),
            "email": pa.Column(checks=pa.Check.str_matches(f"^{EMAIL}$")),
            "country": pa.Column(checks=pa.Check.str_length(2, 2)),
            "currency": pa.Column(checks=pa.Check.isin(CURRENCIES)),
            "amount": pa.Column(checks=pa.Check.in_range(0, 10_000)),
            "quantity": pa.Column(checks=not_text_int),
            "order_date": pa.Column(checks=iso_date),
            "ship_date": pa.Column(
                nullable=True,
                checks=pa.Check(
                    lambda s: s.notna().mean() >= 0.5, ignore_na=False, raise_warning=True
                ),
            ),
            "discount": pa.Column(checks=pa.Check.in_range(0, 0.5, raise_warning=True)),
        },
        checks=[
            pa.Check(lambda df: 1 <= len(df) <= 2 * rows, name="row_count"),
            pa.Check(
                lambda df: (
                    ~(
                        pd.to_datetime(df["ship_date"], errors="coerce")
                        < pd.to_datetime(df["order_date"], errors="coerce")
                    )
                ),
                name="ship_after_order",
            ),
        ],
        unique=["order_id", "line_no"],
    )
    failing = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            schema.validate(frame, lazy=True)
        except SchemaErrors as exc:
            failing = len(exc.failure_cases)
    done = time.perf_counter()
    return _result(loaded - started, done - loaded, failing, True, 14)


def run_gx(data: str, rules: str, rows: int) -> dict[str, Any]:
    import logging

    import great_expectations as gx
    import great_expectations.expectations as gxe

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    started = time.perf_counter()
    frame = pd.read_parquet(data)
    loaded = time.perf_counter()
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("pandas").add_dataframe_asset(name="orders")
    batch = asset.add_batch_definition_whole_dataframe("all")
    suite = context.suites.add(gx.ExpectationSuite(name="orders"))
    for expectation in (
        gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=2 * rows),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["order_id", "line_no"]),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="ship_date",
            column_B="order_date",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        gxe.ExpectColumnValuesToNotBeNull(column="order_id"),
        gxe.ExpectColumnValuesToBeOfType(column="order_id", type_="int64"),
        gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
        gxe.ExpectColumnValuesToMatchRegex(column="email", regex=f"^{EMAIL}$"),
        gxe.ExpectColumnValueLengthsToBeBetween(column="country", min_value=2, max_value=2),
        gxe.ExpectColumnValuesToBeInSet(column="currency", value_set=CURRENCIES),
        gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0, max_value=10_000),
        gxe.ExpectColumnValuesToMatchRegex(column="quantity", regex=r"^-?\d+$"),
        gxe.ExpectColumnValuesToMatchStrftimeFormat(
            column="order_date", strftime_format="%Y-%m-%d"
        ),
        gxe.ExpectColumnValuesToNotBeNull(column="ship_date", mostly=0.5),
        gxe.ExpectColumnValuesToBeBetween(column="discount", min_value=0, max_value=0.5),
    ):
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(data=batch, suite=suite, name="v")
    )
    result = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
    failing = sum(int(r.result.get("unexpected_count") or 0) for r in result.results)
    done = time.perf_counter()
    return _result(loaded - started, done - loaded, failing, True, len(result.results))


SODA_CHECKS = """
checks for orders:
  - row_count between 1 and {max_rows}
  - duplicate_count(order_id, line_no) = 0
  - failed rows:
      name: ship_date >= order_date
      fail condition: TRY_CAST(ship_date AS DATE) < TRY_CAST(order_date AS DATE)
  - missing_count(order_id) = 0
  - schema:
      fail:
        when wrong column type:
          order_id: bigint
  - missing_count(customer_id) = 0
  - invalid_count(email) = 0:
      valid regex: '^[^@\\s]+@[^@\\s]+\\.[a-z]{{2,}}$'
  - invalid_count(country) = 0:
      valid length: 2
  - invalid_count(currency) = 0:
      valid values: [KRW, USD, EUR, JPY]
  - invalid_count(amount) = 0:
      valid min: 0
      valid max: 10000
  - invalid_count(quantity) = 0:
      valid format: integer
  - invalid_count(order_date) = 0:
      valid format: date iso 8601
  - missing_percent(ship_date):
      warn: when > 50%
  - invalid_count(discount):
      valid min: 0
      valid max: 0.5
      warn: when > 0
"""


def run_soda(data: str, rules: str, rows: int) -> dict[str, Any]:
    import logging

    import duckdb
    import pyarrow.parquet as pq
    from soda.scan import Scan

    logging.getLogger("soda").setLevel(logging.ERROR)
    started = time.perf_counter()
    # DuckDB 1.0 (pinned by soda-core-duckdb) cannot scan pandas 3's `str` dtype, so Soda gets
    # the same Parquet data as an Arrow table, which DuckDB scans without a copy.
    table = pq.read_table(data)
    loaded = time.perf_counter()
    connection = duckdb.connect()
    connection.register("orders", table)
    scan = Scan()
    scan.add_duckdb_connection(connection, data_source_name="duck")
    scan.set_data_source_name("duck")
    scan.add_sodacl_yaml_str(SODA_CHECKS.format(max_rows=2 * rows))
    scan.execute()
    results = scan.get_scan_results()
    failing = 0
    for check in results.get("checks", []):
        diagnostics = check.get("diagnostics") or {}
        value = diagnostics.get("value")
        if (
            isinstance(value, int | float)
            and check.get("outcome") != "pass"
            and "row_count" not in check.get("name", "")
        ):
            failing += int(value) if "percent" not in check.get("name", "") else 0
    has_rows = any(
        check.get("failedRowsQuery") or check.get("samples") for check in results.get("checks", [])
    )
    done = time.perf_counter()
    errors = results.get("hasErrors")
    out = _result(
        loaded - started, done - loaded, failing, bool(has_rows), len(results.get("checks", []))
    )
    out["errors"] = bool(errors)
    return out


def _result(
    load_s: float, validate_s: float, failing: int, rows_reported: bool, checks: int
) -> dict[str, Any]:
    return {
        "load_s": load_s,
        "validate_s": validate_s,
        "total_s": load_s + validate_s,
        "failing_found": failing,
        "failing_rows_reported": rows_reported,
        "checks": checks,
    }


def versions(tool: str) -> dict[str, str]:
    """Versions of pandas and the tool, for the benchmark's JSON."""
    from importlib.metadata import version

    names = {
        "ours": "stage1-validation",
        "ours_polars": "polars",
        "ours_polars_pd": "polars",
        "ours_duckdb": "duckdb",
        "ours_duckdb_pd": "duckdb",
        "ours_chunked": "stage1-validation",
        "duckdb_sql": "duckdb",
        "polars_expr": "polars",
        "pandera": "pandera",
        "gx": "great-expectations",
        "soda": "soda-core-duckdb",
    }
    found = {"pandas": pd.__version__, tool: version(names[tool])}
    if tool == "soda":
        found["duckdb"] = version("duckdb")
    return found


TOOLS = {
    "ours": run_ours,
    "ours_polars": run_ours_polars,
    "ours_polars_pd": run_ours_polars_pd,
    "ours_duckdb": run_ours_duckdb,
    "ours_duckdb_pd": run_ours_duckdb_pd,
    "ours_chunked": run_ours_chunked,
    "duckdb_sql": run_duckdb_sql,
    "polars_expr": run_polars_expr,
    "pandera": run_pandera,
    "gx": run_gx,
    "soda": run_soda,
}

if __name__ == "__main__":
    tool, data_path, rules_path, n_rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    outcome = TOOLS[tool](data_path, rules_path, n_rows)
    outcome["tool"] = tool
    outcome["versions"] = versions(tool)
    print(json.dumps(outcome))
