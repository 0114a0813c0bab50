"""Staging area between tasks: content-addressed table sets, written all-or-nothing.

Tasks hand each other a *reference* (a string) instead of DataFrames, as Airflow's XCom and
Prefect's caches both prefer. The reference ends with a hash of the content, so the same data
always has the same reference (a safe cache key, and a re-run task writes nothing new), and a
half-written set is never visible. Where the data goes is a setting (``STAGE4_STAGING_URL``):

* unset: a local folder (``STAGE4_STAGING_DIR``), the single-machine default; the reference is
  the folder's path, which a worker on another host cannot read;
* ``postgresql://user@host:5432/db?schema=name``: a table ``stage4_staging`` in PostgreSQL (the
  warehouse's server will do), reachable from every worker; the reference is that URL plus
  ``#<day>/<name>-<hash>``;
* any other URL (``file:///mnt/shared/stage4``, ``s3://bucket/prefix``, …): an fsspec
  filesystem every worker mounts or reaches; a ``_SUCCESS`` file written last marks a complete
  set, since object stores have no atomic rename.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import pandas as pd

import opskit.files as files
from stage4_pipelines.errors import ConfigError

__all__ = ["read_staged", "stage_tables", "staging_target", "write_text_atomic"]

_PG_SCHEMES = ("postgresql", "postgres")
_DONE = "_SUCCESS"


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and a rename (readers never see half)."""
    files.write_text_atomic(path, text, make_parents=True)


def staging_target(staging_url: str | None, staging_dir: Path, day: str) -> str | Path:
    """Where a day's sets go: ``staging_dir/<day>`` by default, else ``<url>`` (day in the key)."""
    if not staging_url:
        return Path(staging_dir) / day
    scheme = urlparse(staging_url).scheme
    if scheme in _PG_SCHEMES:
        return f"{staging_url}#{day}"
    if not scheme:
        raise ConfigError(
            f"STAGE4_STAGING_URL={staging_url!r} has no scheme: use postgresql://host/db?schema=x, "
            "file:///shared/folder or another fsspec URL (or unset it for the local folder)"
        )
    return f"{staging_url.rstrip('/')}/{day}"


def _serialise(tables: dict[str, pd.DataFrame]) -> tuple[dict[str, bytes], str]:
    blobs: dict[str, bytes] = {}
    digest = hashlib.sha256()
    for table in sorted(tables):
        buffer = io.BytesIO()
        tables[table].to_parquet(buffer, index=False)
        blobs[table] = buffer.getvalue()
        digest.update(table.encode())
        digest.update(blobs[table])
    return blobs, digest.hexdigest()[:16]


def stage_tables(target: str | Path, name: str, tables: dict[str, pd.DataFrame]) -> str:
    """Write ``tables`` as one set named ``<name>-<hash>`` under ``target``; return its reference."""
    if isinstance(target, str) and urlparse(target).scheme in _PG_SCHEMES:
        return _pg_stage(target, name, tables)
    if isinstance(target, str) and "://" in target:
        return _fsspec_stage(target, name, tables)
    return _local_stage(Path(target), name, tables)


def read_staged(ref: str) -> dict[str, pd.DataFrame]:
    """Read every table of a staged set back, wherever it was staged."""
    if urlparse(ref).scheme in _PG_SCHEMES:
        blobs = _pg_read(ref)
    elif "://" in ref:
        blobs = _fsspec_read(ref)
    else:
        folder = Path(ref)
        if not folder.is_dir():
            raise FileNotFoundError(f"staged data {ref!r} is gone; re-run the upstream task")
        blobs = {p.stem: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}
    return {table: pd.read_parquet(io.BytesIO(blob)) for table, blob in sorted(blobs.items())}


# --- local folder (the default) ----------------------------------------------------------------


def _local_stage(root: Path, name: str, tables: dict[str, pd.DataFrame]) -> str:
    root.mkdir(parents=True, exist_ok=True)
    blobs, digest = _serialise(tables)
    final = root / f"{name}-{digest}"
    if final.exists():  # same content already staged: reuse it (idempotent)
        return str(final)
    tmp = root / f".tmp-{name}-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        for table, blob in blobs.items():
            (tmp / f"{table}.parquet").write_bytes(blob)
        try:
            os.replace(tmp, final)
        except OSError:  # another attempt staged the same content meanwhile
            if not final.exists():
                raise
            shutil.rmtree(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return str(final)


# --- fsspec URL (a shared filesystem or an object store) ---------------------------------------


def _fsspec_stage(target: str, name: str, tables: dict[str, pd.DataFrame]) -> str:
    import fsspec

    blobs, digest = _serialise(tables)
    ref = f"{target}/{name}-{digest}"
    fs, path = fsspec.core.url_to_fs(ref)
    if fs.exists(f"{path}/{_DONE}"):
        return ref
    fs.makedirs(path, exist_ok=True)
    for table, blob in blobs.items():  # same name, same bytes: a concurrent writer is harmless
        fs.pipe_file(f"{path}/{table}.parquet", blob)
    fs.pipe_file(f"{path}/{_DONE}", b"")  # last: readers only trust a complete set
    return ref


def _fsspec_read(ref: str) -> dict[str, bytes]:
    import fsspec

    fs, path = fsspec.core.url_to_fs(ref)
    if not fs.exists(f"{path}/{_DONE}"):
        raise FileNotFoundError(
            f"staged data {ref!r} is gone or incomplete; re-run the upstream task"
        )
    files = sorted(p for p in fs.ls(path, detail=False) if str(p).endswith(".parquet"))
    return {Path(str(p)).stem: fs.cat_file(p) for p in files}


# --- PostgreSQL staging table ------------------------------------------------------------------


def _pg_parts(url: str) -> tuple[str, str, str]:
    """``(dsn, schema, key)`` of ``postgresql://...?schema=s#key``."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    schema = query.pop("schema", ["public"])[0]
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
        raise ConfigError(f"staging schema {schema!r}: use lower-case letters, digits and _")
    dsn = urlunparse(parsed._replace(query=urlencode(query, doseq=True), fragment=""))
    return dsn, schema, parsed.fragment


def _pg_connect(dsn: str, schema: str) -> Any:
    import psycopg

    conn = psycopg.connect(dsn)
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {schema}.stage4_staging (key TEXT NOT NULL, tbl TEXT NOT "
        "NULL, data BYTEA NOT NULL, staged_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
        "PRIMARY KEY (key, tbl))"
    )
    return conn


def _pg_stage(target: str, name: str, tables: dict[str, pd.DataFrame]) -> str:
    dsn, schema, day = _pg_parts(target)
    blobs, digest = _serialise(tables)
    key = f"{day}/{name}-{digest}"
    with _pg_connect(dsn, schema) as conn:  # one transaction: the whole set or nothing
        for table, blob in blobs.items():
            conn.execute(
                f"INSERT INTO {schema}.stage4_staging (key, tbl, data) VALUES (%s, %s, %s) "
                "ON CONFLICT (key, tbl) DO NOTHING",
                [key, table, blob],
            )
    return f"{target.split('#', 1)[0]}#{key}"


def _pg_read(ref: str) -> dict[str, bytes]:
    dsn, schema, key = _pg_parts(ref)
    with _pg_connect(dsn, schema) as conn:
        rows = conn.execute(
            f"SELECT tbl, data FROM {schema}.stage4_staging WHERE key = %s", [key]
        ).fetchall()
    if not rows:
        raise FileNotFoundError(f"staged data {ref!r} is gone; re-run the upstream task")
    return {str(tbl): bytes(data) for tbl, data in rows}
