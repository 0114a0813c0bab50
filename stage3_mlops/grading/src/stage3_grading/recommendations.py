"""Read a recommender's answer as one ranked item list per user, however the model shaped it.

The skeleton's contract is one row per (user_id, rank, item_id). Also read: rows with a
``score`` instead of a ``rank`` (ordered by score), and one row per requested user holding a
list of items (a list column, or a plain list of lists). The same reader is used for what the
registered model returns through ``mlflow.pyfunc`` and for what a server answers on
``/invocations``, so both are compared like for like.
"""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pandas as pd

__all__ = ["UnreadableOutput", "distinct_lists", "query_server", "ranked_lists"]

_LIST_COLUMNS = ("items", "item_ids", "recommendations", "recommended", "top_k", "predictions")


class UnreadableOutput(ValueError):
    """Raised when an answer has none of the shapes the skeleton allows (the message shows it)."""


def _as_frame(output: Any) -> pd.DataFrame | None:
    if isinstance(output, pd.DataFrame):
        return output
    if isinstance(output, dict) and output and all(isinstance(v, list) for v in output.values()):
        lengths = {len(v) for v in output.values()}
        return pd.DataFrame(output) if len(lengths) == 1 else None
    if isinstance(output, list) and output and all(isinstance(r, dict) for r in output):
        return pd.DataFrame(output)
    return None


def _ids(values: Any) -> list[int]:
    return [int(v) for v in list(values)]


def ranked_lists(output: Any, users: list[int]) -> list[list[int]]:
    """Each user's ranked item ids (in the order of ``users``); raises UnreadableOutput."""
    if isinstance(output, pd.Series):
        output = output.tolist()
    if isinstance(output, np.ndarray):
        output = output.tolist()
    frame = _as_frame(output)
    try:
        if frame is not None:
            return _from_frame(frame, users)
        if (
            isinstance(output, list)
            and len(output) == len(users)
            and all(isinstance(row, list | tuple | np.ndarray) for row in output)
        ):
            return [_ids(row) for row in output]
    except (TypeError, ValueError) as exc:
        raise UnreadableOutput(f"{exc}: {_show(output)}") from exc
    raise UnreadableOutput(
        "expected one row per (user_id, rank, item_id), or one list of item ids per requested "
        f"user; got {_show(output)}"
    )


def _from_frame(frame: pd.DataFrame, users: list[int]) -> list[list[int]]:
    columns = set(frame.columns)
    if {"user_id", "item_id"} <= columns:
        order = "rank" if "rank" in columns else None
        lists: dict[int, list[int]] = {}
        for user, rows in frame.groupby("user_id", sort=False):
            if order is not None:
                rows = rows.sort_values(order, kind="stable")
            elif "score" in columns:
                rows = rows.sort_values("score", ascending=False, kind="stable")
            lists[int(user)] = _ids(rows["item_id"])  # type: ignore[arg-type]
        return [lists.get(int(u), []) for u in users]
    listed = [c for c in _LIST_COLUMNS if c in columns]
    if listed and len(frame) == len(users):
        values = frame[listed[0]].tolist()
        if "user_id" in columns:
            by_user = {int(u): _ids(v) for u, v in zip(frame["user_id"], values, strict=True)}
            return [by_user.get(int(u), []) for u in users]
        return [_ids(v) for v in values]
    raise UnreadableOutput(
        f"a table with columns {sorted(map(str, columns))}: it needs user_id and item_id "
        f"(and rank), or one row per user with a list column ({', '.join(_LIST_COLUMNS)})"
    )


def _show(output: Any) -> str:
    text = repr(output)
    return f"{type(output).__name__} {text[:200]}{'…' if len(text) > 200 else ''}"


def distinct_lists(lists: list[list[int]]) -> int:
    """How many different lists there are (1 = every user got the same recommendations)."""
    return len({tuple(items) for items in lists})


def query_server(url: str, users: list[int], *, k: int, timeout_s: float = 120) -> list[list[int]]:
    """POST ``/invocations`` (MLflow's REST contract) and read each user's ranked items."""
    payload = {
        "dataframe_split": {"columns": ["user_id"], "data": [[u] for u in users]},
        "params": {"k": k},
    }
    response = httpx.post(f"{url}/invocations", json=payload, timeout=timeout_s)
    if response.status_code != 200:
        raise UnreadableOutput(
            f"{url}/invocations answered HTTP {response.status_code}: {response.text[:300]}"
        )
    body = response.json()
    answer = body.get("predictions", body) if isinstance(body, dict) else body
    return ranked_lists(answer, users)
