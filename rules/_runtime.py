"""What runtime.yaml rules share: the key layout ADS reads, lookups, and pack path parsing."""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Iterator
from typing import NamedTuple

from artifact_lint.diagnostics import Edit, Position, Span
from artifact_lint.documents import YamlDocument, node_span
from artifact_lint.registry import Rule
from artifact_lint.parsers.yaml_nodes import (
    MappingNode, Node, SequenceNode, get, is_mapping, is_scalar, key_name, walk_nodes, walk_pairs,
)

MODEL_ARTIFACT_VERSION = "MODEL_ARTIFACT_VERSION"
MODEL_DEPLOYMENT = "MODEL_DEPLOYMENT"
INFERENCE_CONDA_ENV = "INFERENCE_CONDA_ENV"
MODEL_PROVENANCE = "MODEL_PROVENANCE"
ENV_PATH = "INFERENCE_ENV_PATH"
ENV_SLUG = "INFERENCE_ENV_SLUG"
ENV_TYPE = "INFERENCE_ENV_TYPE"
PYTHON_VERSION = "INFERENCE_PYTHON_VERSION"
ENV_KEYS = (ENV_PATH, ENV_SLUG, ENV_TYPE, PYTHON_VERSION)
ENV_TYPES = ("data_science", "published")

TRAINING_CONDA_ENV_KEYS = ("TRAINING_ENV_PATH", "TRAINING_ENV_SLUG", "TRAINING_ENV_TYPE", "TRAINING_PYTHON_VERSION")
PROVENANCE_KEYS = (
    "PROJECT_OCID", "TENANCY_OCID", "TRAINING_CODE", "TRAINING_COMPARTMENT_OCID", "TRAINING_CONDA_ENV",
    "TRAINING_REGION", "TRAINING_RESOURCE_OCID", "USER_OCID", "VM_IMAGE_INTERNAL_ID",
)

# The keys ADS's runtime.yaml reader knows, as a tree; None marks a leaf.
KNOWN_LAYOUT: dict = {
    MODEL_ARTIFACT_VERSION: None,
    MODEL_DEPLOYMENT: {INFERENCE_CONDA_ENV: dict.fromkeys(ENV_KEYS)},
    MODEL_PROVENANCE: {
        **dict.fromkeys(PROVENANCE_KEYS),
        "TRAINING_CODE": {"ARTIFACT_DIRECTORY": None},
        "TRAINING_CONDA_ENV": dict.fromkeys(TRAINING_CONDA_ENV_KEYS),
    },
}

VERSION_TEXT = re.compile(r"^3\.(\d+)(?:\.(\d+))?$")
PLACEHOLDER = re.compile(r"<[^<>]+>")


class RuntimeRule(Rule):
    """A rule about a runtime.yaml that parsed into a mapping."""

    default_path = "runtime.yaml"

    def check(self, ctx):
        document = ctx.documents.runtime
        if document is None or not is_mapping(document.root):
            return
        yield from self.check_runtime(ctx, document, document.root)

    def check_runtime(self, ctx, document: YamlDocument, root: MappingNode):
        raise NotImplementedError


def conda_env(root: Node) -> MappingNode | None:
    return runtime_tree(root).env


class RuntimeTree:
    """What a dozen rules ask of one parsed runtime.yaml, each found once: INFERENCE_CONDA_ENV, the misplaced
    INFERENCE_* keys, and the file's nodes and pairs (walked once for all the rules that scan the whole file)."""

    def __init__(self, root: Node | None):
        deployment = get(root, MODEL_DEPLOYMENT)
        env = get(deployment[1], INFERENCE_CONDA_ENV) if deployment else None
        self.env = env[1] if env and is_mapping(env[1]) else None
        self.pairs = list(walk_pairs(root))  # (key path, key, value), each mapping once
        self.misplaced = tuple(pair for pair in self.pairs
                               if pair[0][-1] in ENV_KEYS and pair[0][:-1] != (MODEL_DEPLOYMENT, INFERENCE_CONDA_ENV))
        self._root = weakref.ref(root) if root is not None else None

    @functools.cached_property
    def nodes(self) -> list[Node]:
        """Every node (keys included), each once, in document order."""
        return list(walk_nodes(self._root() if self._root is not None else None))


# The last root asked about and its tree: rules ask the same artifact's root dozens of times in a row,
# and an identity test is cheaper than any dictionary. The weak reference's callback drops the tree
# with the root, so the tree lives exactly as long as that artifact's parsed runtime.yaml. One tuple,
# replaced whole: the language server lints in threads, and a reader must never pair one root's
# reference with another root's tree (a race costs a rebuild, never a wrong answer).
_LAST: tuple[weakref.ref, RuntimeTree] | None = None


def _forget(reference) -> None:
    global _LAST
    last = _LAST
    if last is not None and last[0] is reference:
        _LAST = None


def runtime_tree(root: Node | None) -> RuntimeTree:
    """The shared facts of `root`, built on the first question about it."""
    global _LAST
    last = _LAST
    if last is not None and root is not None and last[0]() is root:
        return last[1]
    tree = RuntimeTree(root)
    if root is not None:
        _LAST = (weakref.ref(root, _forget), tree)
    return tree


class Found(NamedTuple):
    """A key found in runtime.yaml: its nodes, and whether it is where ADS's reader looks."""

    key: Node
    value: Node
    misplaced: bool = False

    @property
    def text(self) -> str | None:
        """The value as written (so `3.10` stays "3.10"), None for mappings and lists."""
        return self.value.value if is_scalar(self.value) else None


def find_env_key(root: Node, name: str) -> Found | None:
    """INFERENCE_* key `name` in INFERENCE_CONDA_ENV, else anywhere (ADS introspection searches so)."""
    env = conda_env(root)
    pair = get(env, name) if env is not None else None
    if pair:
        return Found(*pair)
    for _, key, value in misplaced_env_keys(root):
        if key_name(key) == name:
            return Found(key, value, misplaced=True)
    return None


def misplaced_env_keys(root: Node) -> Iterator[tuple[tuple, Node, Node]]:
    return iter(runtime_tree(root).misplaced)


def anchor_span(root: Node) -> Span | None:
    """Where to report a missing INFERENCE_* key: the INFERENCE_CONDA_ENV key, else MODEL_DEPLOYMENT."""
    deployment = get(root, MODEL_DEPLOYMENT)
    if deployment is None:
        return None
    env = get(deployment[1], INFERENCE_CONDA_ENV)
    return node_span((env or deployment)[0])


def is_placeholder(text: str | None) -> bool:
    return bool(text) and bool(PLACEHOLDER.search(text))


def python_minor(text: str | None) -> int | None:
    match = VERSION_TEXT.match((text or "").strip())
    return int(match.group(1)) if match else None


# A node's properties, written before its value: an anchor (&name) and a tag (!!str, !local, !<uri>).
_PROPERTIES = re.compile(r"(?:[&!]\S*(?:\s+|\Z))*")


def properties_of(document: YamlDocument, node: Node) -> str:
    """The anchor and tag written before a node's value ("&py ", "!!float "), "" when there are none."""
    span = node_span(node)
    start, end = document.positions.offset(span.start), document.positions.offset(span.end)
    return _PROPERTIES.match(document.text, start, end).group()


def has_explicit_tag(document: YamlDocument, node: Node) -> bool:
    """Written with a tag (`!!float 3.10`): the user chose the type, and quoting would not change it."""
    return "!" in properties_of(document, node)


def replace_value(document: YamlDocument, node: Node, content: str) -> Edit:
    """An edit replacing a node's value and nothing else: its anchor and tag stay, so aliases still resolve."""
    properties = properties_of(document, node)
    span = node_span(node)
    if properties:
        start = document.positions.offset(span.start) + len(properties)
        span = Span(document.positions.position(start), span.end)
        if not properties[-1].isspace() and not content[:1].isspace():
            content = " " + content
    return Edit(document.path, span, content)


def loads_as(document: YamlDocument, key_path: tuple, value) -> tuple:
    """A Fix.expect entry: after the fix, `key_path` must load to `value` (none for paths through lists)."""
    if any(key in ("[]", "?") for key in key_path):
        return ()
    return ((document.path, tuple(key_path), value),)


def env_key_path(found: "Found | None", name: str) -> tuple:
    """Where an INFERENCE_* key is in the loaded YAML, when it is where ADS reads it."""
    return (MODEL_DEPLOYMENT, INFERENCE_CONDA_ENV, name) if found is None or not found.misplaced else ("?",)


def insert_after(document: YamlDocument, node: Node, lines: list[str]) -> Edit:
    """An edit adding whole `lines` right after the block that `node` ends."""
    end = node.end_mark
    # A block ends where the next, less indented key starts (or at a line's start): insert before
    # that line; a block whose end is inside a line (after its last value) ends with that line.
    at_line_start = document.line(end.line + 1)[:end.column].strip() == ""
    line = end.line + 1 if at_line_start else end.line + 2
    text = "".join(f"{item}\n" for item in lines)
    if line > len(document.lines):
        return document.append_edit(text)
    position = Position(line, 1)
    return Edit(document.path, Span(position, position), text)


def indentation_of(mapping: MappingNode, fallback: int) -> str:
    if mapping.value:
        return " " * mapping.value[0][0].start_mark.column
    return " " * fallback


def describe(node: Node) -> str:
    if is_mapping(node):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return repr(node.value)


def misspelled_in_env(root: Node, name: str) -> bool:
    """INFERENCE_CONDA_ENV holds an unknown key that looks like `name` (RTY113 renames it)."""
    env = conda_env(root)
    unknown = [key_name(key) for key, _ in (env.value if env is not None else []) if key_name(key) not in ENV_KEYS]
    import difflib  # only when a name is unknown: the near miss to suggest
    return bool(difflib.get_close_matches(name, [u for u in unknown if u], n=1, cutoff=0.75))


def insert_env_key(document: YamlDocument, root: Node, name: str, value: str) -> Edit | None:
    """An edit adding `name: value` to INFERENCE_CONDA_ENV, right after INFERENCE_ENV_PATH (unless it is only misspelled)."""
    if misspelled_in_env(root, name):
        return None
    env = conda_env(root)
    pair = get(env, ENV_PATH) if env is not None else None
    if pair is None:
        return None
    indent = " " * pair[0].start_mark.column
    return insert_after(document, pair[1], [f"{indent}{name}: {value}"])


class EnvRule(RuntimeRule):
    """A rule about INFERENCE_CONDA_ENV's values; silent when RTY102 reports the section missing.

    A placeholder left in a value (RTY105) is the cause of whatever else is wrong on its line.
    """

    conda_only = True
    yields_to, yields_on = ("RTY105",), "line"

    def check_runtime(self, ctx, document, root):
        if conda_env(root) is None and next(misplaced_env_keys(root), None) is None:
            return
        yield from self.check_env(ctx, document, root)

    def check_env(self, ctx, document: YamlDocument, root: MappingNode):
        raise NotImplementedError


def declared_python_minor(ctx) -> int | None:
    """The 3.x minor version runtime.yaml declares for inference (None when unknown)."""

    def compute():
        document = ctx.documents.runtime
        if document is None or not is_mapping(document.root):
            return None
        found = find_env_key(document.root, PYTHON_VERSION)
        return python_minor(found.text) if found else None

    return ctx.cached("runtime.python_minor", compute)
