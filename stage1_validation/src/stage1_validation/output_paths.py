"""Where outputs may go: checked before any work, so a bad path fails in a second, not an hour.

Nothing here creates parent folders: a typo in ``--report reprots/day.html`` is an error that
names the missing folder, not a new folder somewhere. The one folder created is a quarantine
folder itself, inside a parent that exists (and it is removed again if the run fails).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from stage1_validation.errors import DataQualityError, OutputPathError

__all__ = ["check_folder", "check_quarantine_dir", "check_report_path", "output_errors"]


def check_folder(folder: Path, role: str) -> None:
    """Refuse a folder that is missing, is a file, or where no file can be created."""
    if folder.is_file():
        raise OutputPathError(folder, f"{role} is a file, not a folder", "choose a folder path")
    if not folder.is_dir():
        raise OutputPathError(
            folder,
            f"{role} does not exist (parent folders are never created)",
            f"create it first: mkdir -p {folder}",
        )
    try:  # the sure test: os.access can say yes where creating a file fails (root on sysfs)
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=folder)
    except OSError as exc:
        raise OutputPathError(
            folder, f"{role} is not writable ({exc.strerror})", "choose a writable folder"
        ) from None
    os.close(fd)
    os.unlink(probe)


def check_report_path(
    path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Refuse a report path that cannot be written, or that would overwrite one of ``inputs``."""
    target = Path(path)
    if target.is_dir():
        raise OutputPathError(target, "is a folder", "give a file name such as report.html")
    for source in inputs:
        if Path(source).exists() and target.exists() and target.samefile(source):
            raise OutputPathError(
                target, "is one of the inputs and would be overwritten", "choose another name"
            )
    check_folder(target.parent, "the report's folder")
    return target


def check_quarantine_dir(path: str | os.PathLike[str]) -> Path:
    """Refuse a quarantine folder that cannot be written (or created inside an existing parent)."""
    folder = Path(path)
    if folder.is_dir():
        check_folder(folder, "the quarantine folder")
    elif folder.exists():
        raise OutputPathError(
            folder, "is a file, not a folder", "give a folder path for --quarantine"
        )
    else:
        check_folder(folder.parent, "the quarantine folder's parent")
    return folder


@contextmanager
def output_errors(path: Path) -> Iterator[None]:
    """Turn an OSError while writing ``path`` (disk full, read-only) into an OutputPathError."""
    try:
        yield
    except DataQualityError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputPathError(
            path, f"could not be written ({reason})", "free space or choose another folder"
        ) from exc
