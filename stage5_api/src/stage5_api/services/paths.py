"""Confine user-given file paths to the data directory (no ``..``, no absolute, no symlink escape)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from stage5_api.errors import UnsafePathError

__all__ = ["confine_path"]


def confine_path(data_dir: Path, user_path: str) -> Path:
    """The real path of ``user_path`` inside ``data_dir``, or UnsafePathError.

    The check runs on the resolved path, so a symlink inside the data directory that points
    outside it is rejected too.
    """
    pure = PurePosixPath(user_path)
    if pure.is_absolute() or Path(user_path).is_absolute():
        raise UnsafePathError(user_path, "absolute paths are not allowed")
    if ".." in pure.parts:
        raise UnsafePathError(user_path, "'..' is not allowed")
    root = data_dir.resolve()
    target = (root / pure).resolve()
    if not target.is_relative_to(root):
        raise UnsafePathError(user_path, "it resolves outside the data directory")
    return target
