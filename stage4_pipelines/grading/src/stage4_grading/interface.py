"""The graded interface of stage 4, and the grader's view into every call of it.

The learner's module (``pipeline.py``) provides::

    create_etl_dag() -> DAG                                   # Airflow 3
    etl_pipeline(day: str | None = None, ...)                 # Prefect 3 flow
    extract_data(source: str, day: str) -> RAW                # the four steps both engines call;
    transform_data(raw: RAW, day: str) -> FACTS               # plain functions or Prefect tasks
    quality_gate(facts: FACTS, day: str) -> object            # (raises when the SLA is breached)
    load_data(facts: FACTS, day: str, warehouse_url: str) -> object

RAW and FACTS are the learner's own (DataFrames, dicts of them, paths to staged files...).

To see which engine task calls which step, with what retries, and to make a step fail the way
production does, the grader replaces the *code* of each step function with a small trampoline
into a hook, keeping the function object itself. Every route an engine takes to a step — a
module global, an alias imported elsewhere, a Prefect task's ``.fn``, an operator's
``python_callable`` bound before the grader ran — reaches the same function object, so every
call goes through the hook. The original code runs unchanged inside the hook.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

__all__ = [
    "REQUIRED_STEPS",
    "STEPS",
    "Call",
    "EngineCall",
    "Interface",
    "InterfaceError",
    "StepFault",
    "WarehouseConnectionLost",
    "WorkerLostAfterCommit",
    "call_step",
    "hook_in_place",
    "require",
]

STEPS = ("extract_data", "transform_data", "quality_gate", "load_data")
REQUIRED_STEPS = ("extract_data", "transform_data", "load_data")
_REGISTRY = "__stage4_grader_hooks__"
_keys = itertools.count()


class InterfaceError(Exception):
    """Raised when the graded module lacks a name or shape the interface fixes."""


class StepFault(Exception):
    """Raised by the grader inside a step, the way production makes a step fail."""


class WarehouseConnectionLost(StepFault):
    """Raised before a load starts: the warehouse connection dropped (a retry must load)."""


class WorkerLostAfterCommit(StepFault):
    """Raised after a load committed: the worker died before reporting success, so the engine
    runs the load again (at-least-once delivery: the load must be idempotent)."""


class EngineCall(BaseModel):
    """Where a step was called from: the engine task, its retries and which attempt this is."""

    group: str
    retries: int
    attempt: int = 1
    flow_retries: int = 0


class Call(BaseModel):
    """One call of a step, as the hook saw it."""

    step: str
    day: str | None
    engine: EngineCall | None
    outcome: str = "running"


@dataclass
class Interface:
    """The graded module's steps, hooked: calls are recorded and faults can be armed."""

    module: types.ModuleType
    context: Callable[[], EngineCall | None] = lambda: None
    steps: dict[str, Callable[..., Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    armed: dict[tuple[str, str], list[StepFault]] = field(default_factory=dict)
    chance: Callable[[str, str], StepFault | None] = lambda step, when: None

    @classmethod
    def install(
        cls, module: types.ModuleType, context: Callable[[], EngineCall | None] = lambda: None
    ) -> Interface:
        """Hook every step the module defines (a missing required step raises InterfaceError)."""
        iface = cls(module=module, context=context)
        missing = [name for name in REQUIRED_STEPS if not callable(getattr(module, name, None))]
        if missing:
            raise InterfaceError(
                f"{module.__name__} defines no {', '.join(missing)}: the grader drives "
                "extract_data(source, day), transform_data(raw, day), quality_gate(facts, day) "
                "and load_data(facts, day, warehouse_url) (see the exercise's pipeline.py)"
            )
        for name in STEPS:
            obj = getattr(module, name, None)
            if obj is None:
                continue
            iface.steps[name] = _hook_step(module, name, obj, iface._hook(name))
        return iface

    def arm(self, step: str, when: str, fault: StepFault) -> None:
        """Raise ``fault`` once, at the next call of ``step`` (``when``: before or after it runs)."""
        self.armed.setdefault((step, when), []).append(fault)

    def pending(self) -> list[str]:
        """Armed faults that have not fired yet (a step the engine never called)."""
        return [f"{step} ({when})" for (step, when), left in self.armed.items() if left]

    def _fault(self, step: str, when: str) -> StepFault | None:
        left = self.armed.get((step, when))
        if left:
            return left.pop(0)
        return self.chance(step, when)

    def _hook(
        self, step: str
    ) -> Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any]:
        def hook(
            original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> Any:
            call = Call(step=step, day=_day_argument(original, args, kwargs), engine=self.context())
            self.calls.append(call)
            fault = self._fault(step, "before")
            if fault is not None:
                call.outcome = f"fault: {type(fault).__name__}"
                raise fault
            try:
                result = original(*args, **kwargs)
            except BaseException as exc:
                call.outcome = f"raised {type(exc).__name__}"
                raise
            fault = self._fault(step, "after")
            call.outcome = "ok" if fault is None else f"fault: {type(fault).__name__}"
            if fault is not None:
                raise fault
            return result

        return hook


def require(module: types.ModuleType, name: str, what: str) -> Any:
    """``module.<name>``, or InterfaceError saying what the interface expects there."""
    found = getattr(module, name, None)
    if found is None:
        raise InterfaceError(f"{module.__name__} has no {name}: expected {what}")
    return found


def call_step(step: Callable[..., Any], *values: Any) -> Any:
    """Call a step with as many of the interface's arguments as it takes, in order.

    ``transform_data(df)`` gets the raw data only; ``load_data(facts, day)`` reads the warehouse
    URL from ``STAGE4_WAREHOUSE_URL`` itself. A coroutine result is run to completion.
    """
    target = getattr(step, "fn", step)
    try:
        params = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        params = []
    if not any(p.kind is p.VAR_POSITIONAL for p in params):
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        values = values[: len(positional)] if positional else values
    result = target(*values)
    if inspect.iscoroutine(result):
        import asyncio

        result = asyncio.run(result)
    return result


def _hook_step(
    module: types.ModuleType,
    name: str,
    obj: Any,
    hook: Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any],
) -> Callable[..., Any]:
    """Hook the function behind ``obj`` (a function or a Prefect task); returns what to call."""
    fn: Callable[..., Any] = getattr(obj, "fn", obj)
    target = fn
    while not _swappable(target) and hasattr(target, "__wrapped__"):
        target = target.__wrapped__  # a learner's own decorator: hook the function inside
    if _swappable(target):
        hook_in_place(target, hook)
        return fn
    wrapper = _wrapper(fn, hook)  # a callable object or a closure: replace the name instead
    if hasattr(obj, "fn"):
        obj.fn = wrapper
    else:
        setattr(module, name, wrapper)
    return wrapper


def _swappable(fn: Any) -> bool:
    return isinstance(fn, types.FunctionType) and not fn.__closure__


def hook_in_place(
    fn: Callable[..., Any],
    hook: Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any],
) -> Callable[..., Any]:
    """Make every call of ``fn`` go through ``hook(original, args, kwargs)``; returns original.

    ``fn`` keeps its identity, name and signature (``__signature__``), so Prefect binds its
    parameters as before; only its code becomes a trampoline into the hook.
    """
    if not _swappable(fn):
        raise TypeError(f"{fn!r} is not a plain function without a closure")
    assert isinstance(fn, types.FunctionType)
    original = types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__
    )
    original.__kwdefaults__ = fn.__kwdefaults__
    original.__qualname__, original.__module__ = fn.__qualname__, fn.__module__
    signature = inspect.signature(fn)
    key = f"{fn.__qualname__}#{next(_keys)}"
    registry = fn.__globals__.setdefault(_REGISTRY, {})
    if inspect.iscoroutinefunction(fn):

        async def call_async(*args: Any, **kwargs: Any) -> Any:
            return await hook(original, args, kwargs)

        registry[key] = call_async
        source = f"async def _t(*args, **kwargs):\n    return await {_REGISTRY}[{key!r}](*args, **kwargs)\n"
    else:
        registry[key] = lambda *args, **kwargs: hook(original, args, kwargs)
        source = f"def _t(*args, **kwargs):\n    return {_REGISTRY}[{key!r}](*args, **kwargs)\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<stage4 grader hook of {fn.__qualname__}>", "exec"), namespace)
    fn.__code__ = namespace["_t"].__code__
    fn.__defaults__, fn.__kwdefaults__ = None, None
    fn.__signature__ = signature  # type: ignore[attr-defined]
    return original


def _wrapper(
    fn: Callable[..., Any],
    hook: Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any],
) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return hook(fn, args, kwargs)

    return wrapper


def _day_argument(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> str | None:
    """The ``day`` a step was called for (the parameter named ``day``, else the second one)."""
    if "day" in kwargs:
        return str(kwargs["day"])[:10]
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None
    index = names.index("day") if "day" in names else 1
    if index < len(args):
        return str(args[index])[:10]
    return None
