"""Placeholders the stack machine pushes: what a value *would* be once loaded, never the value itself."""

from __future__ import annotations

from typing import Any

RECONSTRUCTORS = {("copyreg", "_reconstructor"), ("copyreg", "__newobj__"), ("copyreg", "__newobj_ex__")}


class Big:
    """A payload too large to keep (its bytes were skipped)."""

    __slots__ = ("kind", "size")

    def __init__(self, kind: str, size: int):
        self.kind = kind
        self.size = size


class Global:
    """Something the unpickler would import: `module.name`, an attribute path under it, or (name "") the module."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module = module
        self.name = name

    @property
    def dotted(self) -> str:
        return f"{self.module}.{self.name}" if self.name else self.module

    def attribute(self, name: str) -> Global:
        return Global(self.module, f"{self.name}.{name}" if self.name else name)


class Opaque:
    """An object the unpickler would build; remembers the global it would come from and its arguments."""

    __slots__ = ("origin", "args", "state")

    def __init__(self, origin: Global | None, args: Any = None):
        self.origin = origin
        self.args = args
        self.state: Any = None


class Set:
    """A set or frozenset, kept as a list so that no element is ever hashed."""

    __slots__ = ("items",)

    def __init__(self, items: list | None = None):
        self.items = items if items is not None else []


class Key:
    """Identity wrapper for dict keys that are not plain scalars (lists, tuples, placeholders)."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


SCALARS = (str, bytes, int, float, bool, type(None))


def key(value: Any) -> Any:
    # Only scalars are hashed: hashing a 50,000-deep tuple would recurse in C.
    return value if type(value) in SCALARS else Key(value)


def origin(callable_: Any, args: Any) -> Global | None:
    """The class an object comes from, seeing through copyreg's helpers."""
    if not isinstance(callable_, Global):
        return None
    if (callable_.module, callable_.name) in RECONSTRUCTORS and isinstance(args, tuple) and args:
        if isinstance(args[0], Global):
            return args[0]
    return callable_


class Code:
    """A code object the load would construct, read as data: its names, string constants and nested code."""

    __slots__ = ("name", "names", "strings", "children")

    def __init__(self, name: str, names: tuple[str, ...], strings: list[str], children: list[Code]):
        self.name = name
        self.names = names
        self.strings = strings
        self.children = children

    @classmethod
    def of(cls, name: str, names: tuple, consts: Any) -> Code:
        """A code object from its co_name, co_names and co_consts (strings and nested code found without recursion)."""
        strings: list[str] = []
        children: list[Code] = []
        pending = [consts]
        while pending and len(strings) < 1000:
            item = pending.pop()
            if isinstance(item, str):
                strings.append(item)
            elif isinstance(item, Code):
                children.append(item)
            elif isinstance(item, tuple):
                pending.extend(reversed(item))
            elif isinstance(item, Set):
                pending.extend(item.items)
        return cls(name, tuple(item for item in names if isinstance(item, str)), strings, children)

    def walk(self) -> list[Code]:
        """This code and every code object nested in its constants (no recursion)."""
        found, pending = [], [self]
        while pending:
            code = pending.pop()
            found.append(code)
            pending.extend(code.children)
        return found


class Function:
    """A function stored by value (cloudpickle, dill): its code and the modules its globals import."""

    __slots__ = ("code", "name")

    def __init__(self, code: Code | None, name: str):
        self.code = code
        self.name = name
