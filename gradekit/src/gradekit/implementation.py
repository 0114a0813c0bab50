"""Locate and import the implementation a grader should grade (``IMPL=...``).

One rule for every stage, so a learner's code is found the same way everywhere:

* ``None`` or ``""``: the repo's own package (the stage's default module).
* a dotted name (``my_pkg.validator``): imported as it is, from ``sys.path``.
* a path to a ``.py`` file: its folder goes first on ``sys.path`` and the file is imported under
  its own name (``mlops.py`` is the module ``mlops``), so pickles of the learner's classes and
  model servers started with the same ``PYTHONPATH`` find it again.
* a path to a directory: a package (has ``__init__.py``) is imported as such; otherwise the
  directory is put first on ``sys.path`` and the stage's ``module_hint`` (e.g. ``validator``)
  or the only ``.py`` file in it is imported.

The folder that holds the learner's files is the implementation's *root*: graders read the
learner's own artefacts there (Dockerfile, CI workflow, manifests), never the repo's.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from gradekit.errors import ImplementationNotFound

__all__ = ["ImplementationLocation", "load_implementation", "locate_implementation"]

# Modules this kit imported from a learner's folder, by name: one process that grades several
# implementations in turn (tests do) may replace them; any other module of that name it refuses.
_IMPORTED: dict[str, Path] = {}


@dataclass(frozen=True)
class ImplementationLocation:
    """Where an implementation lives, found without importing it.

    ``search_path`` goes on ``sys.path`` (and on ``PYTHONPATH`` for child processes);
    ``root`` is the learner's folder (``None`` for a module found by name, such as ours).
    """

    spec: str
    module_name: str
    search_path: Path | None = None
    root: Path | None = None
    file: Path | None = None

    @property
    def is_default(self) -> bool:
        """True when no IMPL was given and the repo's own implementation is graded."""
        return not self.spec

    def pythonpath(self) -> str:
        """``PYTHONPATH`` for a child process that must import the implementation."""
        parts = [str(self.search_path)] if self.search_path else []
        if os.environ.get("PYTHONPATH"):
            parts.append(os.environ["PYTHONPATH"])
        return os.pathsep.join(parts)


def locate_implementation(
    spec: str | None, default: str, *, module_hint: str | None = None
) -> ImplementationLocation:
    """Find the implementation named by ``spec`` (or ``default``) without importing it."""
    if not spec:
        return ImplementationLocation(spec="", module_name=default)
    path = Path(spec).expanduser()
    if not (path.suffix == ".py" or path.exists() or "/" in spec):
        return ImplementationLocation(spec=spec, module_name=spec)
    if not path.exists():
        raise ImplementationNotFound(spec, f"path {str(path)!r} does not exist")
    path = path.resolve()
    if path.is_file():
        if path.suffix != ".py":
            raise ImplementationNotFound(spec, f"{path} is not a .py file")
        return ImplementationLocation(spec, path.stem, path.parent, path.parent, path)
    if (path / "__init__.py").exists():
        return ImplementationLocation(spec, path.name, path.parent, path, path / "__init__.py")
    candidates = sorted(
        p for p in path.glob("*.py") if not p.name.startswith(("test_", "conftest"))
    )
    chosen = [p for p in candidates if module_hint and p.stem == module_hint] or candidates
    if len(chosen) != 1:
        names = ", ".join(p.name for p in candidates) or "none"
        raise ImplementationNotFound(
            spec,
            f"directory holds {len(candidates)} .py files ({names}); expected "
            f"{module_hint + '.py' if module_hint else 'exactly one'}",
        )
    return ImplementationLocation(spec, chosen[0].stem, path, path, chosen[0])


def load_implementation(
    spec: str | None, default: str, *, module_hint: str | None = None
) -> ModuleType:
    """Import the implementation named by ``spec`` (or ``default`` when ``spec`` is empty)."""
    return import_location(locate_implementation(spec, default, module_hint=module_hint))


def import_location(location: ImplementationLocation) -> ModuleType:
    """Import a located implementation under its own module name."""
    label = location.spec or location.module_name
    if location.search_path is not None:
        entry = str(location.search_path)
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
        _refuse_shadowing(location)
    try:
        module = importlib.import_module(location.module_name)
    except ModuleNotFoundError as exc:
        if exc.name and location.module_name.startswith(exc.name):
            raise ImplementationNotFound(label, f"no module named {exc.name!r}") from exc
        raise ImplementationNotFound(
            label, f"importing it raised ModuleNotFoundError: {exc} (is a dependency missing?)"
        ) from exc
    except BaseException as exc:  # the learner's module raised (or exited) while importing
        raise ImplementationNotFound(
            label, f"importing it raised {type(exc).__name__}: {exc}"
        ) from exc
    if location.file is not None:
        _IMPORTED[location.module_name] = location.file.resolve()
    return module


def _refuse_shadowing(location: ImplementationLocation) -> None:
    """A learner file named like a module that is already imported cannot be imported as such."""
    name = location.module_name
    loaded = sys.modules.get(name)
    expected = location.file.resolve() if location.file else None
    if loaded is not None and name in _IMPORTED and _IMPORTED[name] != expected:
        del sys.modules[name]  # an earlier learner's module of the same name: replace it
        loaded = None
    if loaded is not None:
        origin = getattr(loaded, "__file__", None)
        if origin is None or (expected and Path(origin).resolve() != expected):
            raise ImplementationNotFound(
                location.spec,
                f"a module named {name!r} is already imported from {origin or 'the interpreter'}; "
                f"rename your file (e.g. to my_{name}.py) so the grader can import it",
            )
        return
    found = importlib.util.find_spec(name)
    if found is not None and expected and found.origin and Path(found.origin).resolve() != expected:
        raise ImplementationNotFound(
            location.spec,
            f"the name {name!r} resolves to {found.origin}, not to your file; rename your file",
        )
