"""Locate and import the implementation a grader should grade (``IMPL=...``).

One rule for every stage, so a learner's code is found the same way everywhere:

* ``None`` or ``""``: the repo's own package (the stage's default module).
* a dotted name (``my_pkg.validator``): imported as it is, from ``sys.path``.
* a path to a ``.py`` file: imported from that file under a private name.
* a path to a directory: a package (has ``__init__.py``) is imported as such; otherwise the
  directory is put first on ``sys.path`` and the stage's ``module_hint`` (e.g. ``validator``)
  or the only ``.py`` file in it is imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from gradekit.errors import ImplementationNotFound

__all__ = ["load_implementation"]


def load_implementation(
    spec: str | None, default: str, *, module_hint: str | None = None
) -> ModuleType:
    """Import the implementation named by ``spec`` (or ``default`` when ``spec`` is empty)."""
    if not spec:
        return _import_name(default, default)
    path = Path(spec).expanduser()
    if path.suffix == ".py" or path.exists() or "/" in spec:
        return _import_path(spec, path, module_hint)
    return _import_name(spec, spec)


def _import_name(spec: str, name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise ImplementationNotFound(spec, f"no module named {exc.name!r}") from exc
    except Exception as exc:  # the learner's module raised while importing
        raise ImplementationNotFound(
            spec, f"importing it raised {type(exc).__name__}: {exc}"
        ) from exc


def _import_path(spec: str, path: Path, module_hint: str | None) -> ModuleType:
    if not path.exists():
        raise ImplementationNotFound(spec, f"path {str(path)!r} does not exist")
    path = path.resolve()
    if path.is_dir():
        if (path / "__init__.py").exists():
            sys.path.insert(0, str(path.parent))
            return _import_name(spec, path.name)
        candidates = sorted(p for p in path.glob("*.py") if not p.name.startswith("test_"))
        chosen = [p for p in candidates if module_hint and p.stem == module_hint] or candidates
        if len(chosen) != 1:
            names = ", ".join(p.name for p in candidates) or "none"
            raise ImplementationNotFound(
                spec,
                f"directory holds {len(candidates)} .py files ({names}); expected "
                f"{module_hint + '.py' if module_hint else 'exactly one'}",
            )
        sys.path.insert(0, str(path))
        path = chosen[0]
    else:
        sys.path.insert(0, str(path.parent))
    name = f"_gradekit_impl_{path.stem}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImplementationNotFound(spec, f"{path} is not an importable Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ImplementationNotFound(
            spec, f"importing it raised {type(exc).__name__}: {exc}"
        ) from exc
    return module
