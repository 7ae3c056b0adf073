"""What each call in a pickle would invoke when loaded, followed through the helpers attacks hide behind.

REDUCE, NEWOBJ, INST, OBJ and BUILD call something; usually a global, but `getattr(module, "name")`,
`operator.attrgetter("a.b")(obj)`, `operator.methodcaller("name", *args)(obj)`, `functools.partial`
and `__import__`/`importlib.import_module` reach globals the GLOBAL opcodes never name. They are
resolved here symbolically, and code objects (cloudpickle's `_builtin_type("CodeType")`, dill's
`_create_code`, `types.CodeType`) become `Code` placeholders read as data. Nothing is called.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from artifact_lint.parsers.pickles.values import Big, Code, Function, Global, Opaque, Set, origin

GETATTR = {("builtins", "getattr")}
ATTRGETTER = {("operator", "attrgetter"), ("_operator", "attrgetter")}
METHODCALLER = {("operator", "methodcaller"), ("_operator", "methodcaller")}
PARTIAL = {("functools", "partial"), ("_functools", "partial")}
IMPORTERS = {("builtins", "__import__"), ("importlib", "import_module"), ("importlib", "__import__"),
             ("cloudpickle.cloudpickle", "subimport"), ("cloudpickle.cloudpickle_fast", "subimport"),
             ("dill._dill", "_import_module")}
TYPE_LOADERS = {("cloudpickle.cloudpickle", "_builtin_type"), ("cloudpickle.cloudpickle_fast", "_builtin_type"),
                ("dill._dill", "_load_type")}
CODE_CONSTRUCTORS = {("types", "CodeType"), ("dill._dill", "_create_code")}
FUNCTION_MAKERS = {("cloudpickle.cloudpickle", "_make_function"), ("cloudpickle.cloudpickle", "_make_skel_func"),
                   ("cloudpickle.cloudpickle_fast", "_make_function"), ("types", "FunctionType"),
                   ("dill._dill", "_create_function")}
# Allowed helpers that load a whole nested file from bytes in the pickle (torch pickles each storage this way).
NESTED_LOADERS = {("torch.storage", "_load_from_bytes")}
MAX_NESTED = 64  # nested files kept per scan for walking
UNKNOWN_OBJECT = "<object>"
MAX_VARIANTS = 3  # calls kept per target with different arguments (every distinct target is kept)
_MAX_RENDER = 80


class Call(NamedTuple):
    """One call the load would make: what is called (dotted), its arguments as text, the opcode, the byte."""

    target: str
    args: str
    how: str
    at: int

    @property
    def text(self) -> str:
        return f"{self.target}{self.args}"


def render(value: Any, depth: int = 0) -> str:
    """A short, bounded text for a (placeholder) value: constants as Python literals, the rest by origin."""
    if isinstance(value, (str, bytes)):
        text = repr(value)
        return text if len(text) <= _MAX_RENDER else text[:_MAX_RENDER - 4] + "...'"
    if value is None or isinstance(value, (bool, int, float)):
        text = repr(value)
        return text if len(text) <= _MAX_RENDER else text[:20] + "..."
    if depth > 2:
        return "..."
    if isinstance(value, tuple):
        items = [render(item, depth + 1) for item in value[:4]] + (["..."] if len(value) > 4 else [])
        return "(" + ", ".join(items) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join([render(item, depth + 1) for item in value[:4]] + (["..."] if len(value) > 4 else [])) + "]"
    if isinstance(value, dict):
        return "{...}" if value else "{}"
    if isinstance(value, Set):
        return "{...}"
    if isinstance(value, Big):
        return f"<{value.size:,}-byte {value.kind}>"
    if isinstance(value, Global):
        return value.dotted
    if isinstance(value, Code):
        return f"<code {value.name}>"
    if isinstance(value, Function):
        return f"<function {value.name}>"
    if isinstance(value, Opaque) and value.origin is not None:
        return f"{value.origin.dotted}(...)"
    return UNKNOWN_OBJECT


def render_args(args: Any) -> str:
    if isinstance(args, tuple):
        return "(" + ", ".join(render(item, 1) for item in args[:6]) + (", ..." if len(args) > 6 else "") + ")"
    return "(*" + render(args, 1) + ")"


def attribute(value: Any, name: str) -> Global:
    """`getattr(value, name)`: a global's attribute stays a global, a built object's is named after its origin
    (`code.InteractiveInterpreter(...).runsource`); anything else is an unknown object's."""
    if isinstance(value, Global):
        return value.attribute(name)
    if isinstance(value, Opaque) and value.origin is not None:
        return Global(render(value), name)
    return Global(UNKNOWN_OBJECT, name)


def _key(value: Any) -> tuple[str, str] | None:
    if isinstance(value, Global):
        return value.module, value.name
    return None


class Calls:
    """Resolves and records the calls of one scan; `invoke` returns what the call would push."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.functions: list[Function] = []
        self.imported: list[str] = []  # modules imported through __import__, import_module, subimport
        self._seen: set[tuple[str, str]] = set()
        self._variants: dict[str, int] = {}
        self.nested: list[bytes | Big] = []  # files loaded from bytes by NESTED_LOADERS, walked after this stream

    def invoke(self, callable_: Any, args: Any, how: str, at: int) -> Any:
        args_tuple = args if isinstance(args, tuple) else ()
        if isinstance(callable_, Opaque) and callable_.origin is not None:
            made_by = _key(callable_.origin)
            made_with = callable_.args if isinstance(callable_.args, tuple) else ()
            if made_by in ATTRGETTER and len(args_tuple) == 1 and made_with and isinstance(made_with[0], str):
                value = args_tuple[0]
                for part in made_with[0].split("."):
                    value = attribute(value, part)
                return value
            if made_by in METHODCALLER and len(args_tuple) == 1 and made_with and isinstance(made_with[0], str):
                return self.invoke(attribute(args_tuple[0], made_with[0]), tuple(made_with[1:]), how, at)
            if made_by in PARTIAL and made_with:
                return self.invoke(made_with[0], tuple(made_with[1:]) + args_tuple, how, at)
            if made_by in TYPE_LOADERS and made_with == ("CodeType",):
                return code_of(args_tuple)
        self.record(callable_, args, how, at)
        key = _key(callable_)
        if key in GETATTR and len(args_tuple) >= 2 and isinstance(args_tuple[1], str):
            return attribute(args_tuple[0], args_tuple[1])
        if key in IMPORTERS and args_tuple and isinstance(args_tuple[0], str):
            name = args_tuple[0]
            fromlist = args_tuple[3] if len(args_tuple) > 3 else None
            if key == ("builtins", "__import__") and not fromlist:
                name = name.split(".")[0]
            self.imported.append(name)
            return Global(name, "")
        if key in NESTED_LOADERS and args_tuple and isinstance(args_tuple[0], (bytes, Big)) and len(self.nested) < MAX_NESTED:
            self.nested.append(args_tuple[0])
        if key in CODE_CONSTRUCTORS:
            return code_of(args_tuple)
        if key in FUNCTION_MAKERS:
            code = next((item for item in args_tuple if isinstance(item, Code)), None)
            function = Function(code, code.name if code is not None else "?")
            self.functions.append(function)
            return function
        return Opaque(origin(callable_, args), args)

    def record(self, callable_: Any, args: Any, how: str, at: int) -> None:
        if isinstance(callable_, Global):
            target = callable_.dotted
        elif isinstance(callable_, Function):
            target = f"function {callable_.name} (stored by value)"
        else:
            target = render(callable_)
        variants = self._variants.get(target, 0)
        if variants >= MAX_VARIANTS:
            return
        text = render_args(args)
        if (target, text) in self._seen:
            return
        self._seen.add((target, text))
        self._variants[target] = variants + 1
        self.calls.append(Call(target, text, how, at))


def code_of(args: tuple) -> Code:
    """A code object from the constructor's arguments: the code bytes are followed by co_consts and co_names
    in every CPython signature (types.CodeType, and dill's _create_code after its line table)."""
    for index in range(len(args) - 2):
        if isinstance(args[index], (bytes, Big)) and isinstance(args[index + 1], tuple) and isinstance(args[index + 2], tuple):
            later = [item for item in args[index + 3:] if isinstance(item, str)]
            name = later[1] if len(later) > 1 else (later[0] if later else "?")
            return Code.of(name, args[index + 2], args[index + 1])
    everything = Code.of("?", (), args)  # no layout recognised: every string counts as a name
    return Code("?", tuple(everything.strings), everything.strings, everything.children)
