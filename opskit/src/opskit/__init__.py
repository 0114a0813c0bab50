"""opskit: atomic files, process trees, memory sampling and machine facts, written once."""

from opskit.files import atomic_path, write_bytes_atomic, write_text_atomic
from opskit.machine import machine_facts
from opskit.memory import TreeRSSSampler, tree_rss_bytes
from opskit.processes import ProcessStartError, free_port, kill_tree, stop_tree, wait_until_answers

__all__ = [
    "ProcessStartError",
    "TreeRSSSampler",
    "atomic_path",
    "free_port",
    "kill_tree",
    "machine_facts",
    "stop_tree",
    "tree_rss_bytes",
    "wait_until_answers",
    "write_bytes_atomic",
    "write_text_atomic",
]
