"""Confine user-given file paths to the data directory (no ``..``, no absolute, no symlink escape).

The path comes from a JSON body, so it can hold anything a JSON string can: a NUL byte (which
the operating system refuses with ``ValueError``), control characters, lone surrogates that have
no UTF-8 form, or a name longer than the filesystem allows. Each is refused here with a clear
400 instead of surfacing later as a 500 from ``os.stat``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from stage5_api.errors import UnsafePathError

__all__ = ["MAX_NAME_BYTES", "check_path_characters", "confine_path"]

MAX_NAME_BYTES = 255  # NAME_MAX on Linux and macOS filesystems


def check_path_characters(user_path: str) -> None:
    """Raise UnsafePathError for characters no file name here can hold (before any system call)."""
    bad = next((c for c in user_path if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise UnsafePathError(
            user_path, f"control character {bad!r} is not allowed", "rename the file"
        )
    try:
        encoded = user_path.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnsafePathError(
            user_path, "it is not valid UTF-8 (a lone surrogate)", "send the name as UTF-8"
        ) from exc
    longest = max((len(part) for part in encoded.split(b"/")), default=0)
    if longest > MAX_NAME_BYTES:
        raise UnsafePathError(
            user_path,
            f"a name in it is {longest} bytes long; the limit is {MAX_NAME_BYTES}",
            "use a shorter name",
        )


def confine_path(data_dir: Path, user_path: str) -> Path:
    """The real path of ``user_path`` inside ``data_dir``, or UnsafePathError.

    The check runs on the resolved path, so a symlink inside the data directory that points
    outside it is rejected too.
    """
    check_path_characters(user_path)
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
