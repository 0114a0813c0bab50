"""Staging area between tasks: content-addressed Parquet folders, written atomically.

Tasks hand each other a *reference* (a folder path) instead of DataFrames, as Airflow's XCom
and Prefect's caches both prefer. The folder name ends with a hash of its content, so the same
data always has the same reference (a safe cache key) and a half-written folder never exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pandas as pd

__all__ = ["read_staged", "stage_tables", "write_text_atomic"]


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and a rename (readers never see half)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; reports are meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def stage_tables(root: Path, name: str, tables: dict[str, pd.DataFrame]) -> str:
    """Write ``tables`` under ``root/<name>-<hash>/`` and return that folder as the reference."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{name}-{uuid.uuid4().hex}"
    tmp.mkdir()
    digest = hashlib.sha256()
    try:
        for table in sorted(tables):
            path = tmp / f"{table}.parquet"
            tables[table].to_parquet(path, index=False)
            digest.update(table.encode())
            digest.update(path.read_bytes())
        final = root / f"{name}-{digest.hexdigest()[:16]}"
        if final.exists():  # same content already staged: reuse it (idempotent)
            shutil.rmtree(tmp)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return str(final)


def read_staged(ref: str) -> dict[str, pd.DataFrame]:
    """Read every table of a staged folder back."""
    folder = Path(ref)
    if not folder.is_dir():
        raise FileNotFoundError(f"staged data {ref!r} is gone; re-run the upstream task")
    return {path.stem: pd.read_parquet(path) for path in sorted(folder.glob("*.parquet"))}
