"""Constant folding of the path expressions people write in score.py.

`os.path.join(os.path.dirname(os.path.realpath(__file__)), model_name)` folds to
"the artifact folder / model.joblib"; `open("model.pkl")` folds to "the working
directory / model.pkl". Only simple, certain cases fold: anything else is None,
so rules built on this say nothing rather than guess.
"""

from __future__ import annotations

import ast
import posixpath
from typing import NamedTuple

from artifact_lint.rules._imports import ImportMap

MAX_DEPTH = 24
DIRNAME = {"os.path.dirname", "posixpath.dirname"}
SAME_PATH = {"os.path.realpath", "os.path.abspath", "os.path.normpath", "os.path.expanduser", "os.fspath", "str",
             "pathlib.Path", "Path", "pathlib.PurePath", "pathlib.PosixPath", "posixpath.normpath"}
JOIN = {"os.path.join", "posixpath.join"}
CWD = {"os.getcwd", "pathlib.Path.cwd", "Path.cwd"}
PATH_METHODS_SAME = {"resolve", "absolute", "expanduser"}


class Folded(NamedTuple):
    """A folded value: `text` alone is a plain string; with a `base` it is a path.

    base "artifact": relative to score.py's folder; "cwd": relative to the working directory;
    "absolute": text is an absolute path; None: a string not (yet) known to be a path.
    """

    text: str
    base: str | None = None

    def as_path(self) -> "Folded":
        """How the value is taken when used as a path (a plain string is relative to the working dir)."""
        if self.base is not None:
            return self
        if self.text.startswith("/") or _is_windows_absolute(self.text):
            return Folded(self.text, "absolute")
        return Folded(self.text, "cwd")

    def join(self, *parts: str) -> "Folded":
        path = self.as_path()
        for part in parts:
            if part.startswith("/") or _is_windows_absolute(part):
                path = Folded(part, "absolute")
            else:
                path = Folded(posixpath.join(path.text, part) if path.text else part, path.base)
        return path


def _is_windows_absolute(text: str) -> bool:
    return len(text) > 2 and text[1] == ":" and text[2] in "\\/" and text[0].isalpha()


SCORE_FILE = Folded("score.py", "artifact")


class Environment:
    """Names a fold can see: a function's parameters with defaults and single assignments, then the module's.

    `file` is what `__file__` folds to: score.py, or a helper module's own path in the artifact.
    """

    def __init__(self, imports: ImportMap, module: dict[str, ast.expr], local: dict[str, ast.expr] | None = None,
                 file: Folded = SCORE_FILE):
        self.imports = imports
        self.module = module
        self.local = local or {}
        self.file = file

    def lookup(self, name: str) -> tuple[ast.expr, "Environment"] | None:
        if name in self.local:
            return self.local[name], self
        if name in self.module:
            return self.module[name], Environment(self.imports, self.module, file=self.file)
        return None


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers")
_BLOCKS: dict[type, tuple[str, ...]] = {}  # statement type -> which of _BLOCK_FIELDS it has


def single_assignments(body: list[ast.stmt], include_nested_blocks: bool) -> dict[str, ast.expr]:
    """Names assigned exactly once in `body` (to a plain name), with the assigned expression."""
    counts: dict[str, int] = {}
    values: dict[str, ast.expr] = {}
    stack = list(body)
    while stack:
        statement = stack.pop()
        kind = statement.__class__
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef or kind is ast.ClassDef:
            counts[statement.name] = counts.get(statement.name, 0) + 1
            continue
        targets = statement.targets if kind is ast.Assign else \
            [statement.target] if kind in (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor) else ()
        for target in targets:
            if target.__class__ is ast.Name:  # the usual case: no need to walk it
                counts[target.id] = counts.get(target.id, 0) + 1
                if (kind is ast.Assign or kind is ast.AnnAssign) and statement.value is not None:
                    values[target.id] = statement.value
                continue
            for node in ast.walk(target):  # a tuple, or `a.b[i]`: every name in it counts as (re)bound
                if isinstance(node, ast.Name):
                    counts[node.id] = counts.get(node.id, 0) + 1
        if include_nested_blocks:
            fields = _BLOCKS.get(kind)
            if fields is None:
                fields = _BLOCKS[kind] = tuple(f for f in _BLOCK_FIELDS if f in kind._fields)
            for field in fields:
                stack.extend(getattr(statement, field) or ())
            if kind is ast.ExceptHandler:  # its body again: a name bound only in a handler never counts as single
                stack.extend(statement.body)
            if kind is ast.With or kind is ast.AsyncWith:
                for item in statement.items:
                    if isinstance(item.optional_vars, ast.Name):
                        counts[item.optional_vars.id] = counts.get(item.optional_vars.id, 0) + 2
    return {name: value for name, value in values.items() if counts.get(name) == 1}


def function_environment(function: ast.FunctionDef | ast.AsyncFunctionDef, base: Environment) -> Environment:
    """Parameters with defaults fold to their default; single local assignments to their value."""
    local: dict[str, ast.expr] = {}
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    for arg, default in zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults, strict=True):
        local[arg.arg] = default
    for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if default is not None:
            local[arg.arg] = default
    local.update(single_assignments(function.body, include_nested_blocks=True))
    # A default is evaluated in the module's scope, not the function's.
    return Environment(base.imports, base.module, local, base.file)


def fold(expression: ast.expr | None, env: Environment, depth: int = 0) -> Folded | None:
    """The value of `expression` if it is a string or path we can be sure of, else None."""
    if expression is None or depth > MAX_DEPTH:
        return None
    step = depth + 1
    kind = expression.__class__  # exact class tests: ast's node types are never subclassed in a tree
    if kind is ast.Constant:
        return Folded(expression.value) if isinstance(expression.value, str) else None
    if kind is ast.Name:
        if expression.id == "__file__":
            return env.file
        found = env.lookup(expression.id)
        return fold(found[0], found[1], step) if found else None
    if kind is ast.JoinedStr:
        return _fold_fstring(expression, env, step)
    if kind is ast.BinOp and isinstance(expression.op, ast.Mod):
        return _fold_percent(expression, env, step)
    if kind is ast.BinOp:
        left, right = fold(expression.left, env, step), fold(expression.right, env, step)
        if left is None or right is None:
            return None
        if isinstance(expression.op, ast.Div) and left.base is not None:  # pathlib: base / "name"
            return left.join(right.text)
        if isinstance(expression.op, ast.Add):
            return _concatenate(left, right)
        return None
    if kind is ast.Attribute and expression.attr == "parent":
        inner = fold(expression.value, env, step)
        return _dirname(inner) if inner is not None else None
    if kind is ast.Call:
        return _fold_call(expression, env, step)
    return None


def _fold_percent(expression: ast.BinOp, env: Environment, depth: int) -> Folded | None:
    """`"%s.pkl" % name` and `"%s/%s" % (a, b)` with plain strings."""
    template = fold(expression.left, env, depth)
    items = expression.right.elts if isinstance(expression.right, ast.Tuple) else [expression.right]
    values = [fold(item, env, depth) for item in items]
    if template is None or template.base is not None or not all(v is not None and v.base is None for v in values):
        return None
    try:
        return Folded(template.text % tuple(v.text for v in values))
    except (TypeError, ValueError, KeyError):
        return None


def _concatenate(left: Folded, right: Folded) -> Folded | None:
    if right.base is not None:
        return None
    if left.base is None:
        return Folded(left.text + right.text)
    if right.text.startswith(("/", "\\")) or left.text.endswith("/") or not left.text:
        return Folded(left.text.rstrip("/"), left.base).join(right.text.lstrip("/\\")) if right.text.strip("/\\") \
            else left
    return None


def _fold_fstring(expression: ast.JoinedStr, env: Environment, depth: int) -> Folded | None:
    result: Folded | None = Folded("")
    for value in expression.values:
        if isinstance(value, ast.Constant):
            part = Folded(str(value.value))
        elif isinstance(value, ast.FormattedValue) and value.format_spec is None and value.conversion in (-1, 115):
            part = fold(value.value, env, depth)
        else:
            return None
        if part is None:
            return None
        if result.base is None and result.text == "" and part.base is not None:
            result = part
        else:
            result = _concatenate(result, part)
        if result is None:
            return None
    return result


def _dirname(value: Folded) -> Folded:
    path = value.as_path()
    return Folded(posixpath.dirname(path.text), path.base)


def _fold_call(call: ast.Call, env: Environment, depth: int) -> Folded | None:
    name = env.imports.qualified(call.func)
    arguments = [fold(argument, env, depth) for argument in call.args]
    if name in CWD:
        return Folded("", "cwd")
    if name in JOIN and arguments and all(arguments) and all(a.base is None for a in arguments[1:]):
        return arguments[0].join(*(a.text for a in arguments[1:]))
    if name in DIRNAME and len(arguments) == 1 and arguments[0]:
        return _dirname(arguments[0])
    if name in SAME_PATH and len(arguments) == 1 and arguments[0]:
        value = arguments[0]
        return value if name in ("str", "os.fspath") else value.as_path()
    if isinstance(call.func, ast.Attribute):
        owner = call.func.value
        method = call.func.attr
        if method in PATH_METHODS_SAME and not call.args:
            inner = fold(owner, env, depth)
            return inner.as_path() if inner else None
        if method == "joinpath" and arguments and all(a and a.base is None for a in arguments):
            inner = fold(owner, env, depth)
            return inner.join(*(a.text for a in arguments)) if inner and inner.base else None
        if method == "format":
            return _fold_format(call, owner, arguments, env, depth)
        if method in ("with_suffix", "with_name") and len(arguments) == 1 and arguments[0] and not call.keywords:
            inner = fold(owner, env, depth)
            return _replace_part(inner, method, arguments[0].text) if inner is not None and inner.base else None
    return None


def _fold_format(call: ast.Call, owner: ast.expr, arguments: list, env: Environment, depth: int) -> Folded | None:
    """`"{}.onnx".format(name)`, `"{name}.pkl".format(name=x)`, also on a name bound to the template."""
    template = fold(owner, env, depth)
    keywords = {k.arg: fold(k.value, env, depth) for k in call.keywords}
    if template is None or template.base is not None or None in keywords:
        return None
    if not all(a and a.base is None for a in [*arguments, *keywords.values()]):
        return None
    try:
        return Folded(template.text.format(*(a.text for a in arguments), **{k: v.text for k, v in keywords.items()}))
    except (IndexError, KeyError, ValueError, AttributeError):
        return None


def _replace_part(path: Folded, method: str, value: str) -> Folded | None:
    """pathlib's `.with_suffix(".onnx")` / `.with_name("m.pkl")` on a folded path."""
    folder, name = posixpath.split(path.text)
    if not name or (method == "with_suffix" and value and not value.startswith(".")):
        return None
    if method == "with_suffix":
        stem, _ = posixpath.splitext(name)
        name = stem + value
    else:
        name = value
    return Folded(posixpath.join(folder, name) if folder else name, path.base)
