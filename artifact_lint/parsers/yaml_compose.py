"""runtime.yaml text -> composed nodes: the fast reader when the text is in its subset, else PyYAML, converted.

PyYAML (about 13 ms to import) is imported only for documents the fast reader declines. Its nodes
are converted into ours one for one, so an anchor's node and every alias to it stay one object
(walks stay linear on alias bombs) and a recursive alias stays a cycle; the conversion loops
instead of recursing, so it nests as deep as libyaml's composer does.
"""

from __future__ import annotations

from artifact_lint.parsers import yaml_reader
from artifact_lint.parsers.yaml_nodes import MappingNode, Mark, Node, ScalarNode, SequenceNode


class YamlSyntaxError(Exception):
    """PyYAML could not compose the text: a message, and the 0-based (line, column) it points at, if any."""

    def __init__(self, message: str, position: tuple[int, int] | None):
        super().__init__(message)
        self.message = message
        self.position = position


def compose(text: str) -> Node | None:
    """The root node of the single document in `text` (None when it is empty); raises YamlSyntaxError."""
    root = yaml_reader.read(text)
    return root if root is not None else compose_with_pyyaml(text)


def compose_with_pyyaml(text: str) -> Node | None:
    import yaml

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(part for part in (error.context, error.problem) if part)
        raise YamlSyntaxError(message or str(error), (mark.line, mark.column) if mark else None) from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(str(error).splitlines()[0], None) from None
    return convert(root, yaml) if root is not None else None


def convert(root, yaml) -> Node:
    """Our nodes for PyYAML's, sharing preserved: each PyYAML node becomes exactly one of ours."""
    made: dict[int, Node] = {}
    pending = []

    def ours(node) -> Node:
        found = made.get(id(node))
        if found is None:
            start, end = node.start_mark, node.end_mark
            start, end = Mark(start.index, start.line, start.column), Mark(end.index, end.line, end.column)
            if isinstance(node, yaml.ScalarNode):
                found = ScalarNode(node.tag, node.value, start, end, node.style)
            else:
                kind = MappingNode if isinstance(node, yaml.MappingNode) else SequenceNode
                found = kind(node.tag, [], start, end)
                pending.append((node, found))
            made[id(node)] = found
        return found

    converted = ours(root)
    while pending:
        node, target = pending.pop()
        if isinstance(target, MappingNode):
            target.value = [(ours(key), ours(value)) for key, value in node.value]
        else:
            target.value = [ours(item) for item in node.value]
    return converted
