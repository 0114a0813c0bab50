"""Moved to ``opskit.processes`` (shared with the products); importable here for graders."""

from opskit.processes import ProcessStartError, free_port, kill_tree, stop_tree, wait_until_answers

__all__ = ["ProcessStartError", "free_port", "kill_tree", "stop_tree", "wait_until_answers"]
