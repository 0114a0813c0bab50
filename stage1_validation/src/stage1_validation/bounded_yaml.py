"""YAML loading whose cost is bounded by the size of the data once aliases are expanded.

A YAML alias (``*name``) repeats an anchored node without repeating its text, so a few hundred
bytes can stand for billions of values (a "billion laughs" bomb). PyYAML builds such a file
cheaply, with shared references, but everything that later walks the data (rule validation,
an error message quoting the entry) pays for the full expansion. This module counts the nodes
the data would have with every alias expanded, on the parsed node graph (each distinct node
is counted once, so counting itself is cheap), and refuses the file before building anything
when the count is over the limit.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["TooManyNodesError", "expanded_size", "load_bounded"]


class TooManyNodesError(ValueError):
    """Raised when a YAML document would expand past the node limit (or refers to itself)."""

    def __init__(self, limit: int, *, recursive: bool = False) -> None:
        self.limit = limit
        self.recursive = recursive
        what = (
            "an alias refers to the node that contains it (a recursive structure)"
            if recursive
            else f"more than {limit:,} values once its aliases (*name) are expanded"
        )
        super().__init__(what)


def expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes under ``root`` with every alias expanded; raises TooManyNodesError past ``limit``."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise TooManyNodesError(limit, recursive=True)
        in_progress.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += size(child)
                if total > limit:
                    raise TooManyNodesError(limit)
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node) + size(value_node)
                if total > limit:
                    raise TooManyNodesError(limit)
        in_progress.discard(key)
        sizes[key] = total
        return total

    total = size(root)
    if total > limit:
        raise TooManyNodesError(limit)
    return total


def load_bounded(text: str, max_nodes: int) -> Any:
    """``yaml.safe_load(text)``, refused with TooManyNodesError past ``max_nodes`` expanded nodes.

    Raises ``yaml.YAMLError`` for malformed text and ``RecursionError`` for nesting deeper than
    Python's recursion limit, as ``safe_load`` does.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        expanded_size(node, max_nodes)
        return loader.construct_document(node)
    finally:
        loader.dispose()
