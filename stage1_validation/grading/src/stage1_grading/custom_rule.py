"""The grader's own rule, written as a learner's user would: a subclass of one of their rules.

The grader cannot know how a learner's rules answer (a boolean mask of failing rows, of passing
rows, the failing rows themselves, a list of indices, one verdict per value...), so its rule
does not answer itself: it subclasses the learner's ``not_null`` rule and, in every method that
rule defines, blanks the grader's *marked* values in the data it is handed before calling the
learner's own code. The learner's ``not_null`` then fails exactly the marked rows, in the
learner's own convention. A validator that dispatches through the rule objects' methods runs the
override; one that decides by ``isinstance``, by name, or in a hard-coded table does not.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = ["MARKED", "NAME", "VALUES", "blank_marked", "make_rule_class", "name_attributes"]

NAME = "grader_marked"
MARKED = (7_000_001, 7_000_003, 7_000_005)  # rows 0, 2 and 4 of VALUES
VALUES = [7_000_001, 7_000_002, 7_000_003, 7_000_004, 7_000_005, 7_000_006, 7_000_008]
_MARKED_FORMS: frozenset[Any] = frozenset(
    [*MARKED, *(float(v) for v in MARKED), *(str(v) for v in MARKED)]
)


def blank_marked(value: Any) -> Any:
    """``value`` with every marked value replaced by None (same container type).

    None, in an object column, is what every reading of "missing" agrees on: ``isna()``,
    ``is None`` and ``pd.isna`` all see it.
    """
    if isinstance(value, pd.DataFrame):
        hit = value.isin(list(_MARKED_FORMS))
        if not hit.to_numpy().any():
            return value
        frame = value.copy()
        for column in hit.columns[hit.any()]:
            frame[column] = value[column].astype(object).mask(hit[column], None)
        return frame
    if isinstance(value, pd.Series):
        marked = value.isin(list(_MARKED_FORMS))
        return value.astype(object).mask(marked, None) if marked.any() else value
    if isinstance(value, np.ndarray):
        array = value.astype(object)
        for position, item in np.ndenumerate(array):
            if _is_marked(item):
                array[position] = None
        return array
    if isinstance(value, list | tuple):
        return type(value)(blank_marked(v) for v in value)
    if isinstance(value, dict):
        return {k: blank_marked(v) for k, v in value.items()}
    if _is_marked(value):
        return None
    return value


def _is_marked(value: Any) -> bool:
    try:
        return not isinstance(value, bool) and value in _MARKED_FORMS
    except TypeError:  # unhashable
        return False


def name_attributes(rule_class: type, config_name: str = "not_null") -> list[str]:
    """Class attributes of ``rule_class`` whose value is its config name (``name``, ``rule_name``)."""
    found = []
    for attr in dir(rule_class):
        if attr.startswith("__"):
            continue
        try:
            value = inspect.getattr_static(rule_class, attr)
        except AttributeError:
            continue
        if isinstance(value, str) and value == config_name:
            found.append(attr)
    return found


def make_rule_class(parent: type, is_own: Callable[[Any], bool]) -> type:
    """A subclass of the learner's not_null class ``parent`` that fails the marked values."""
    namespace: dict[str, Any] = {
        "__doc__": "The grader's rule: fails the grader's marked values.",
        "__module__": __name__,
        "__annotations__": {},
    }
    for attr in name_attributes(parent):
        namespace[attr] = NAME
        namespace["__annotations__"][attr] = ClassVar[str]
    for name, method in _methods(parent, is_own).items():
        namespace[name] = _blanking(method)
    class_name = re.sub(r"not_?null", "GraderMarked", parent.__name__, flags=re.I)
    if class_name == parent.__name__:
        class_name = "GraderMarkedRule"
    return type(class_name, (parent,), namespace)


def _methods(parent: type, is_own: Callable[[Any], bool]) -> dict[str, Callable[..., Any]]:
    """Plain methods the learner wrote on ``parent`` and its own ancestors (no set-up dunders)."""
    found: dict[str, Callable[..., Any]] = {}
    for klass in reversed(parent.__mro__):
        if klass is object or not is_own(klass):
            continue
        for name, value in vars(klass).items():
            if name.startswith("__") and name != "__call__":
                continue
            if inspect.isfunction(value):
                found[name] = value
    return found


def _blanking(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def blanked(self: Any, *args: Any, **kwargs: Any) -> Any:
        args = tuple(blank_marked(a) for a in args)
        kwargs = {k: blank_marked(v) for k, v in kwargs.items()}
        return method(self, *args, **kwargs)

    return blanked
