"""The package root exports the roadmap's names, and ``__all__`` stays honest and sorted."""

from __future__ import annotations

import stage1_validation


def test_all_is_sorted_and_complete() -> None:
    public = [n for n in dir(stage1_validation) if not n.startswith("_")]
    exported = stage1_validation.__all__
    assert exported == sorted(exported)  # isort style, as ruff RUF022 keeps it
    modules = {
        "accumulate",
        "backends",
        "bounded_yaml",
        "chunks",
        "config",
        "csv_processor",
        "errors",
        "large",
        "monitor",
        "output_paths",
        "quarantine",
        "report",
        "rules",
        "synthetic",
        "validator",
        "writers",
        "cli",
    }
    assert sorted(set(public) - modules) == exported


def test_roadmap_skeleton_names_are_public() -> None:
    for name in (
        "DataValidator",
        "performance_monitor",
        "process_large_dataset",
        "CSVProcessor",
        "DataValidationError",
        "ConfigError",
    ):
        assert name in stage1_validation.__all__
