"""Small helpers over PyYAML's composed nodes, safe against alias bombs and cycles.

Composed YAML shares one node object for every use of an anchor, so a walk that
remembers the nodes it has seen is linear in the file's size, however many
aliases point back at an anchor (the "billion laughs" file stays cheap).
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
NULL = "tag:yaml.org,2002:null"
MERGE = "tag:yaml.org,2002:merge"

KeyPath = tuple[str, ...]


def is_mapping(node: yaml.Node | None) -> bool:
    return isinstance(node, yaml.MappingNode)


def is_scalar(node: yaml.Node | None) -> bool:
    return isinstance(node, yaml.ScalarNode)


def key_name(key: yaml.Node) -> str | None:
    return key.value if isinstance(key, yaml.ScalarNode) else None


def is_number(node: yaml.Node) -> bool:
    """A plain scalar that YAML reads as a number (so `3.10` is the float 3.1)."""
    return is_scalar(node) and not node.style and node.tag in (INT, FLOAT)


def is_blank(node: yaml.Node | None) -> bool:
    """Missing, null or the empty string."""
    if node is None:
        return True
    return is_scalar(node) and (node.tag == NULL or node.value.strip() == "")


def pairs(mapping: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    """Key/value pairs as a safe loader sees them: merged (`<<`) pairs first, then the mapping's own."""
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    own: list[tuple[yaml.Node, yaml.Node]] = []
    for key, value in mapping.value:
        if key.tag == MERGE:
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                if is_mapping(source) and source is not mapping:
                    merged.extend(pair for pair in source.value if pair[0].tag != MERGE)
        else:
            own.append((key, value))
    return merged + own


def get(mapping: yaml.Node | None, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The pair for key `name`; the last one wins, as in PyYAML."""
    if not is_mapping(mapping):
        return None
    merges = False
    for key, value in reversed(mapping.value):  # the mapping's own pairs win over merged ones
        if key.tag == MERGE:
            merges = True
        elif isinstance(key, yaml.ScalarNode) and key.value == name:
            return key, value
    if not merges:  # the usual case: no `<<`, so no list of pairs to build
        return None
    found = None
    for key, value in pairs(mapping):
        if key_name(key) == name:
            found = (key, value)
    return found


def walk_pairs(root: yaml.Node | None, path: KeyPath = ()) -> Iterator[tuple[KeyPath, yaml.Node, yaml.Node]]:
    """Every mapping pair reachable from `root` with the key path leading to it, each node once."""
    seen: set[int] = set()
    stack: list[tuple[KeyPath, yaml.Node]] = [(path, root)] if root is not None else []
    while stack:
        prefix, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            children = []
            for key, value in node.value:
                name = key_name(key)
                child_path = prefix + (name if name is not None else "?",)
                yield child_path, key, value
                children.append((child_path, value))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((prefix + ("[]",), item) for item in reversed(node.value))


def walk_nodes(root: yaml.Node | None) -> Iterator[yaml.Node]:
    """Every node reachable from `root` (keys included), each node object once, in document order."""
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.extend((value, key))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))


def walk_scalars(root: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    """Every scalar reachable from `root` (keys included), each node once."""
    return (node for node in walk_nodes(root) if isinstance(node, yaml.ScalarNode))
