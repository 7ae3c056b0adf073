"""runtime.yaml as composed nodes (our own classes), and helpers safe against alias bombs and cycles.

The nodes carry what PyYAML's composed nodes carry and the rules read: tag, value, style and
start/end marks (index, line, column, all 0-based, as libyaml counts them). They come from the
fast reader (yaml_reader) or from PyYAML converted node for node (yaml_compose), so all code sees
one node type. Composed YAML shares one node object for every use of an anchor, so a walk that
remembers the nodes it has seen is linear in the file's size, however many aliases point back at
an anchor (the "billion laughs" file stays cheap).
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MERGE = "tag:yaml.org,2002:merge"
VALUE = "tag:yaml.org,2002:value"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"

KeyPath = tuple[str, ...]


class Mark(tuple):
    """A position in the text: code-point offset, line and column, all 0-based.

    A tuple, so the reader can make thousands cheaply (tuple.__new__); not a namedtuple, whose
    class costs 0.4 ms to build at import.
    """

    __slots__ = ()
    index = property(itemgetter(0))
    line = property(itemgetter(1))
    column = property(itemgetter(2))

    def __new__(cls, index: int, line: int, column: int):
        return tuple.__new__(cls, (index, line, column))

    def __repr__(self) -> str:
        return f"Mark({self[0]}, {self[1]}, {self[2]})"


def _marked(mark: Mark | tuple | None) -> Mark | None:
    """The Mark a node's plain (index, line, column) tuple stands for; a Mark or None as it is."""
    return tuple.__new__(Mark, mark) if mark.__class__ is tuple else mark


class Node:
    """A composed node. Its marks may be given as plain (index, line, column) tuples, as the fast reader does:
    they become Marks when first read. A Mark costs four times a tuple to make, and of the hundred a
    runtime.yaml holds, the rules read a handful (where they report, or fix)."""

    # Weak-referenceable: rules keep facts about a root behind a weak reference to it.
    __slots__ = ("tag", "value", "_start", "_end", "__weakref__")

    def __init__(self, tag: str, value, start_mark: Mark | tuple | None, end_mark: Mark | tuple | None):
        self.tag = tag
        self.value = value
        self._start = start_mark
        self._end = end_mark

    @property
    def start_mark(self) -> Mark | None:
        self._start = mark = _marked(self._start)
        return mark

    @property
    def end_mark(self) -> Mark | None:
        self._end = mark = _marked(self._end)
        return mark


class ScalarNode(Node):
    """`value` is the text; `style` is "" for plain (as libyaml reports it), "'" or '"' when quoted, | or >."""

    __slots__ = ("style",)

    def __init__(self, tag: str, value: str, start_mark: Mark | tuple, end_mark: Mark | tuple, style: str | None = ""):
        self.tag = tag
        self.value = value
        self._start = start_mark
        self._end = end_mark
        self.style = style


class CollectionNode(Node):
    __slots__ = ()


class MappingNode(CollectionNode):
    """`value` is the list of (key, value) node pairs in document order, duplicate keys kept."""

    __slots__ = ()


class SequenceNode(CollectionNode):
    __slots__ = ()


# The node classes are never subclassed, so an exact class test answers what isinstance would, without
# isinstance's slow path for a miss (a call of type.__instancecheck__): these run for every node, often.
def is_mapping(node: Node | None) -> bool:
    return node.__class__ is MappingNode


def is_scalar(node: Node | None) -> bool:
    return node.__class__ is ScalarNode


def key_name(key: Node) -> str | None:
    return key.value if key.__class__ is ScalarNode else None


def is_number(node: Node) -> bool:
    """A plain scalar that YAML reads as a number (so `3.10` is the float 3.1)."""
    return is_scalar(node) and not node.style and node.tag in (INT, FLOAT)


def is_blank(node: Node | None) -> bool:
    """Missing, null or the empty string."""
    if node is None:
        return True
    return is_scalar(node) and (node.tag == NULL or node.value.strip() == "")


def pairs(mapping: MappingNode) -> list[tuple[Node, Node]]:
    """Key/value pairs as a safe loader sees them: merged (`<<`) pairs first, then the mapping's own."""
    merged: list[tuple[Node, Node]] = []
    own: list[tuple[Node, Node]] = []
    for key, value in mapping.value:
        if key.tag == MERGE:
            sources = value.value if isinstance(value, SequenceNode) else [value]
            for source in sources:
                if is_mapping(source) and source is not mapping:
                    merged.extend(pair for pair in source.value if pair[0].tag != MERGE)
        else:
            own.append((key, value))
    return merged + own


def get(mapping: Node | None, name: str) -> tuple[Node, Node] | None:
    """The pair for key `name`; the last one wins, as in PyYAML."""
    if not is_mapping(mapping):
        return None
    merges = False
    for key, value in reversed(mapping.value):  # the mapping's own pairs win over merged ones
        if key.tag == MERGE:
            merges = True
        elif key.__class__ is ScalarNode and key.value == name:
            return key, value
    if not merges:  # the usual case: no `<<`, so no list of pairs to build
        return None
    found = None
    for key, value in pairs(mapping):
        if key_name(key) == name:
            found = (key, value)
    return found


def walk_pairs(root: Node | None, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Node, Node]]:
    """Every mapping pair reachable from `root` with the key path leading to it, each node once."""
    seen: set[int] = set()
    stack: list[tuple[KeyPath, Node]] = [(path, root)] if root is not None else []
    while stack:
        prefix, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        kind = node.__class__
        if kind is MappingNode:
            children = []
            for key, value in node.value:
                name = key_name(key)
                child_path = prefix + (name if name is not None else "?",)
                yield child_path, key, value
                children.append((child_path, value))
            stack.extend(reversed(children))
        elif kind is SequenceNode:
            stack.extend((prefix + ("[]",), item) for item in reversed(node.value))


def walk_nodes(root: Node | None) -> Iterator[Node]:
    """Every node reachable from `root` (keys included), each node object once, in document order."""
    seen: set[int] = set()
    stack = [root] if root is not None else []
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        identity = id(node)
        if identity in seen:
            continue
        seen.add(identity)
        yield node
        kind = node.__class__
        if kind is MappingNode:
            for key, value in reversed(node.value):  # pushed value first: the key comes out first
                push(value)
                push(key)
        elif kind is SequenceNode:
            stack.extend(reversed(node.value))


def walk_scalars(root: Node | None) -> Iterator[ScalarNode]:
    """Every scalar reachable from `root` (keys included), each node once."""
    return (node for node in walk_nodes(root) if node.__class__ is ScalarNode)
