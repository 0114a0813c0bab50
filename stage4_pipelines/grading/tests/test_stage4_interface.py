"""The in-place hooks see every route to a step; the policy is what the engine did."""

from __future__ import annotations

import types

import pytest

from stage4_grading.interface import (
    Call,
    EngineCall,
    Interface,
    InterfaceError,
    WorkerLostAfterCommit,
    call_step,
)
from stage4_grading.policy import policy_from_calls

SOURCE = """
def extract_data(source, day):
    return {"source": source, "day": day}

def transform_data(raw, day):
    return [raw, day]

def load_data(facts, day, warehouse_url):
    LOADED.append((day, warehouse_url))
    return len(LOADED)

LOADED = []
ALIAS = load_data
"""


def _module() -> types.ModuleType:
    module = types.ModuleType("learner_pipeline")
    exec(SOURCE, module.__dict__)
    return module


def test_every_route_to_a_step_goes_through_the_hook() -> None:
    module = _module()
    bound_early = module.ALIAS  # like an operator's python_callable bound at DAG creation
    iface = Interface.install(module, lambda: EngineCall(group="load", retries=3))
    assert bound_early("facts", "2024-01-01", "duckdb:///w") == 1
    assert module.load_data("facts", "2024-01-02", "duckdb:///w") == 2
    assert [(c.step, c.day, c.engine.group) for c in iface.calls] == [
        ("load_data", "2024-01-01", "load"), ("load_data", "2024-01-02", "load"),
    ]  # fmt: skip
    assert module.load_data.__name__ == "load_data"


def test_an_armed_fault_fires_once_after_the_step_ran() -> None:
    module = _module()
    iface = Interface.install(module)
    iface.arm("load_data", "after", WorkerLostAfterCommit("lost"))
    with pytest.raises(WorkerLostAfterCommit):
        module.load_data("f", "2024-01-01", "w")
    assert module.LOADED == [("2024-01-01", "w")]  # the load had committed
    module.load_data("f", "2024-01-01", "w")
    assert iface.pending() == []


def test_a_missing_step_is_named() -> None:
    module = _module()
    del module.transform_data
    with pytest.raises(InterfaceError, match="transform_data"):
        Interface.install(module)


def test_steps_get_as_many_interface_arguments_as_they_take() -> None:
    def transform(df):
        return df

    assert call_step(transform, "raw", "2024-01-01") == "raw"


def test_the_policy_is_what_the_engine_did_for_the_days_it_ran() -> None:
    def call(step: str, group: str, retries: int, day: str = "2024-01-01") -> Call:
        return Call(step=step, day=day, engine=EngineCall(group=group, retries=retries))

    calls = [
        call("extract_data", "extract", 3),
        call("extract_data", "extract", 3),  # a retry
        call("transform_data", "etl", 1),
        call("load_data", "etl", 1),
        call("load_data", "heal", 0, day="2023-12-30"),  # another day: left out
    ]
    policy = policy_from_calls(calls, "airflow", ["2024-01-01"])
    assert [(g.task, g.steps, g.retries) for g in policy.groups] == [
        ("extract", ["extract_data"], 3), ("etl", ["transform_data", "load_data"], 1),
    ]  # fmt: skip
    assert policy.missing == []
    assert policy_from_calls(calls[:2], "airflow", ["2024-01-01"]).missing == [
        "transform_data", "load_data",
    ]  # fmt: skip
