"""The served model refuses oversized or invalid requests with a 400 that carries no stack trace.

MLflow's own scoring app (``mlflow.pyfunc.scoring_server.init``) runs in-process here, so these
are the answers ``mlflow models serve`` gives, without starting a server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from mlflow.pyfunc import scoring_server

from stage3_mlops.config import ServingLimits
from stage3_mlops.models import create_recommender
from stage3_mlops.preprocess import build_matrix
from stage3_mlops.pyfunc import save_recommender


@pytest.fixture(scope="module")
def model_dir(interactions: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = create_recommender("item_knn", neighbors=20).fit(build_matrix(interactions))
    return save_recommender(model, tmp_path_factory.mktemp("served") / "model", k=10)


@pytest.fixture
def client(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.delenv("STAGE3_MAX_K", raising=False)
    monkeypatch.delenv("STAGE3_MAX_USERS_PER_REQUEST", raising=False)
    app = scoring_server.init(mlflow.pyfunc.load_model(str(model_dir)))
    with TestClient(app) as test_client:
        yield test_client


def _ask(client: TestClient, users: list[int], k: object) -> tuple[int, str]:
    payload = {
        "dataframe_split": {"columns": ["user_id"], "data": [[u] for u in users]},
        "params": {"k": k},
    }
    response = client.post("/invocations", json=payload)
    return response.status_code, response.text


def test_a_valid_request_is_answered(client: TestClient) -> None:
    status, body = _ask(client, [1, 2, 999_999], 5)
    assert status == 200, body
    rows = json.loads(body)["predictions"]
    assert len(rows) == 15 and {row["rank"] for row in rows} == {1, 2, 3, 4, 5}


@pytest.mark.parametrize("k", [0, -1])
def test_k_below_one_is_a_400_without_stack_trace(client: TestClient, k: int) -> None:
    status, body = _ask(client, [1, 2], k)
    assert status == 400
    assert f"k={k} is out of range" in body and "1 to 100" in body
    assert "Traceback" not in body and "stack_trace" not in body


def test_twenty_thousand_users_with_a_huge_k_are_refused(client: TestClient) -> None:
    status, body = _ask(client, list(range(20_000)), 10**9)
    assert status == 400
    assert "20000 users in one request; at most 1000" in body
    assert "Traceback" not in body and len(body) < 10_000  # not a 92 MB answer


def test_a_huge_k_alone_is_refused(client: TestClient) -> None:
    status, body = _ask(client, [1], 10**9)
    assert status == 400 and "k=1000000000 is out of range" in body


def test_limits_come_from_the_environment(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGE3_MAX_K", "3")
    monkeypatch.setenv("STAGE3_MAX_USERS_PER_REQUEST", "2")
    assert ServingLimits.from_env() == ServingLimits(max_users=2, max_k=3)
    app = scoring_server.init(mlflow.pyfunc.load_model(str(model_dir)))
    with TestClient(app) as client:
        assert _ask(client, [1, 2], 3)[0] == 200
        assert _ask(client, [1, 2], 4)[0] == 400
        assert _ask(client, [1, 2, 3], 1)[0] == 400


def test_bad_limit_settings_name_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGE3_MAX_K", "lots")
    with pytest.raises(ValueError, match="STAGE3_MAX_K must be positive integers"):
        ServingLimits.from_env()
