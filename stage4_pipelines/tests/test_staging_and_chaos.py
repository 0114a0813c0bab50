from datetime import date

import pandas as pd
import pytest

from stage4_pipelines.chaos import arm_crash, maybe_crash
from stage4_pipelines.errors import SimulatedCrash, TransientError
from stage4_pipelines.staging import read_staged, stage_tables


def test_staging_is_content_addressed_and_round_trips(tmp_path):
    tables = {"a": pd.DataFrame({"x": [1, 2]}), "b": pd.DataFrame({"y": ["p"]})}
    ref = stage_tables(tmp_path, "raw", tables)
    assert stage_tables(tmp_path, "raw", tables) == ref  # same content, same reference
    back = read_staged(ref)
    pd.testing.assert_frame_equal(back["a"], tables["a"])
    assert not list(tmp_path.glob(".tmp-*"))
    with pytest.raises(FileNotFoundError, match="re-run"):
        read_staged(str(tmp_path / "missing"))


def test_an_armed_crash_fires_once(tmp_path):
    day = date(2024, 1, 1)
    maybe_crash(tmp_path, "load", day)  # nothing armed: no crash
    arm_crash(tmp_path, "load", day)
    with pytest.raises(SimulatedCrash) as info:
        maybe_crash(tmp_path, "load", day)
    assert isinstance(info.value, TransientError) and info.value.step == "load"
    maybe_crash(tmp_path, "load", day)  # disarmed by firing
