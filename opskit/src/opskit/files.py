"""Atomic file writes: a reader sees the old file or the new one, never half of one.

The new content goes to a temporary file in the target's own folder (so the rename stays on one
filesystem), is flushed to disk, and is renamed over the target only when writing finished. An
exception midway deletes the temporary. A temporary left by a killed process (its name holds the
writer's pid) is removed by the next write to the same target.
"""

from __future__ import annotations

import glob
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "write_bytes_atomic", "write_text_atomic"]


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, make_parents: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success, delete it on error.

    For writers that want a file name (Parquet, ``DataFrame.to_csv``). The folder must exist
    unless ``make_parents`` is set: a typo in a path should fail, not create folders anywhere.
    ``OSError``s (missing folder, read-only, disk full) propagate for the caller to explain.
    """
    target = Path(path)
    if make_parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; give what open() would
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(
    path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", make_parents: bool = False
) -> Path:
    """Write ``text`` to ``path`` atomically; returns the path."""
    with atomic_path(path, make_parents=make_parents) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_bytes_atomic(
    path: str | os.PathLike[str], data: bytes, *, make_parents: bool = False
) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_path(path, make_parents=make_parents) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def remove_stale_temporaries(target: Path) -> None:
    """Delete ``.<name>.<pid>.*.tmp`` beside ``target`` whose writing process is gone."""
    if not target.parent.is_dir():
        return
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        pid_text = tmp.name[len(target.name) + 2 :].split(".", 1)[0]
        if pid_text.isdigit() and not _process_alive(int(pid_text)):
            tmp.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
