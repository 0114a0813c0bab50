"""The package's public names are declared, importable and sorted (constants, classes, functions)."""

from __future__ import annotations

import stage3_mlops


def _isort_key(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def test_all_is_sorted_and_importable() -> None:
    names = stage3_mlops.__all__
    assert names == sorted(names, key=_isort_key)
    for name in names:
        assert hasattr(stage3_mlops, name), name
