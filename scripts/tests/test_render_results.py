"""scripts/render_results.py: blocks are filled from their JSON, drift is found, bad templates say why."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "render_results.py"


@pytest.fixture(scope="module")
def rr() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_results", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["render_results"] = module
    spec.loader.exec_module(module)
    return module


def _result(tmp_path: Path, data: object) -> None:
    (tmp_path / "r.json").write_text(json.dumps(data), encoding="utf-8")


def test_fills_the_block_from_the_json(rr: ModuleType, tmp_path: Path) -> None:
    _result(tmp_path, {"ratio": 3.204, "machine": {"cores": 2}})
    text = "a\n<!-- results: r.json | {ratio:.1f}x on {machine[cores]} cores -->\nstale\n<!-- /results -->\nb\n"
    assert rr.render(text, tmp_path) == (
        "a\n<!-- results: r.json | {ratio:.1f}x on {machine[cores]} cores -->\n"
        "3.2x on 2 cores\n<!-- /results -->\nb\n"
    )


def test_rendering_twice_changes_nothing(rr: ModuleType, tmp_path: Path) -> None:
    _result(tmp_path, {"n": 1234})
    once = rr.render("<!-- results: r.json | {n:,} -->\n<!-- /results -->", tmp_path)
    assert "1,234\n" in once
    assert rr.render(once, tmp_path) == once


def test_numeric_keys_of_json_objects_can_be_named(rr: ModuleType, tmp_path: Path) -> None:
    _result(tmp_path, {"attempts": {"1": 2678, "2": 292, "failed": 1}, "runs": [{"p99": 5}]})
    text = "<!-- results: r.json | {attempts[2]} / {attempts[failed]} / {runs[0][p99]} -->\n<!-- /results -->"
    assert "292 / 1 / 5\n" in rr.render(text, tmp_path)


def test_a_key_the_json_lacks_names_the_template_and_file(rr: ModuleType, tmp_path: Path) -> None:
    _result(tmp_path, {"attempts": {"1": 2678}})
    with pytest.raises(SystemExit, match=r"does not fit .*r\.json: KeyError\(3\)"):
        rr.render("<!-- results: r.json | {attempts[3]} -->\n<!-- /results -->", tmp_path)


def test_a_missing_result_file_is_named(rr: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"nothere\.json \(named in a results block\)"):
        rr.render("<!-- results: nothere.json | {x} -->\n<!-- /results -->", tmp_path)
