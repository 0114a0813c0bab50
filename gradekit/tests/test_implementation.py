"""IMPL= is located the same way for every stage: module name, .py file or folder."""

from __future__ import annotations

import pytest

from gradekit import ImplementationNotFound, load_implementation


def test_default_module_when_spec_empty() -> None:
    module = load_implementation("", "json")
    assert module.__name__ == "json"


def test_missing_module_names_it() -> None:
    with pytest.raises(ImplementationNotFound, match=r"nonexistent\.module"):
        load_implementation("nonexistent.module", "json")


def test_file_and_folder(tmp_path) -> None:
    (tmp_path / "validator.py").write_text("ANSWER = 42\n")
    (tmp_path / "helpers.py").write_text("X = 1\n")
    assert load_implementation(str(tmp_path / "validator.py"), "json").ANSWER == 42
    assert load_implementation(str(tmp_path), "json", module_hint="validator").ANSWER == 42
    with pytest.raises(ImplementationNotFound, match="expected exactly one"):
        load_implementation(str(tmp_path), "json")


def test_import_error_inside_learner_code_is_reported(tmp_path) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text("raise ValueError('half-written')\n")
    with pytest.raises(ImplementationNotFound, match="half-written"):
        load_implementation(str(bad), "json")


def test_missing_path(tmp_path) -> None:
    with pytest.raises(ImplementationNotFound, match="does not exist"):
        load_implementation(str(tmp_path / "nope.py"), "json")
