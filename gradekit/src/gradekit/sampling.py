"""Moved to ``opskit.memory`` (shared with the products); importable here for graders."""

from opskit.memory import TreeRSSSampler, tree_rss_bytes

__all__ = ["TreeRSSSampler", "tree_rss_bytes"]
