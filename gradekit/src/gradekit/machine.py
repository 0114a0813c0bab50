"""Moved to ``opskit.machine`` (shared with the products); importable here for graders."""

from opskit.machine import cpu_model, machine_facts

__all__ = ["cpu_model", "machine_facts"]
