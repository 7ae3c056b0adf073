"""What score.py rules share: the module's top-level bindings and simple control-flow facts."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from artifact_lint.documents import PythonDocument
from artifact_lint.registry import Rule

ENTRY_POINTS = ("load_model", "predict")
ADS_TEST_FOR = {"load_model": "score_load_model", "predict": "score_predict"}
# Statements whose bodies still run at import time (as opposed to def/class bodies).
_COMPOUND = (ast.If, ast.Try, ast.With, ast.For, ast.While, ast.AsyncWith, ast.AsyncFor, ast.Match)
if hasattr(ast, "TryStar"):
    _COMPOUND = _COMPOUND + (ast.TryStar,)


class ScoreRule(Rule):
    """A rule about a score.py that parsed."""

    default_path = "score.py"

    def check(self, ctx):
        document = ctx.documents.score
        if document is None or document.tree is None:
            return
        yield from self.check_score(ctx, document, document.tree)

    def check_score(self, ctx, document: PythonDocument, tree: ast.Module):
        raise NotImplementedError

    @staticmethod
    def bindings(ctx, tree: ast.Module) -> dict[str, list["Binding"]]:
        return ctx.cached("score.bindings", lambda: module_bindings(tree))


@dataclass
class Binding:
    """One way score.py binds a top-level name."""

    name: str
    kind: str  # "def" | "async" | "class" | "lambda" | "assign" | "import"
    node: ast.AST
    conditional: bool  # inside an if/try/with/loop at module level

    @property
    def is_plain_def(self) -> bool:
        return self.kind == "def" and not self.conditional

    def describe(self) -> str:
        how = {
            "def": "defined inside an if/try/with block",
            "async": "an async def",
            "class": "a class",
            "lambda": "a lambda assigned to a name",
            "assign": "bound by an assignment",
            "import": "imported from another module",
        }[self.kind]
        return how


def _module_statements(body: list[ast.stmt], conditional: bool = False) -> Iterator[tuple[ast.stmt, bool]]:
    """Statements that run at import time, descending into compound statements but not defs."""
    stack = [(statement, conditional) for statement in reversed(body)]
    while stack:
        statement, nested = stack.pop()
        yield statement, nested
        if isinstance(statement, _COMPOUND):
            blocks = [getattr(statement, field, []) for field in ("body", "orelse", "finalbody")]
            blocks += [handler.body for handler in getattr(statement, "handlers", [])]
            blocks += [case.body for case in getattr(statement, "cases", [])]
            for block in reversed(blocks):
                stack.extend((child, True) for child in reversed(block))


def _targets(statement: ast.stmt) -> list[ast.expr]:
    if isinstance(statement, ast.Assign):
        return statement.targets
    if isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        return [statement.target]
    return []


def module_bindings(tree: ast.Module, names=ENTRY_POINTS) -> dict[str, list[Binding]]:
    """Every top-level binding of `names`, in source order."""
    found: dict[str, list[Binding]] = {name: [] for name in names}
    for statement, conditional in _module_statements(tree.body):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and statement.name in found:
            kind = {ast.FunctionDef: "def", ast.AsyncFunctionDef: "async", ast.ClassDef: "class"}[type(statement)]
            found[statement.name].append(Binding(statement.name, kind, statement, conditional))
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                bound = alias.asname or alias.name.split(".")[0]
                if bound in found:
                    found[bound].append(Binding(bound, "import", statement, conditional))
        for target in _targets(statement):
            for node in ast.walk(target):
                if isinstance(node, ast.Name) and node.id in found:
                    value = getattr(statement, "value", None)
                    kind = "lambda" if isinstance(value, ast.Lambda) else "assign"
                    found[node.id].append(Binding(node.id, kind, statement, conditional))
    return found


def entry_function(bindings: list[Binding]) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The def the server ends up calling: the last def of the name, unconditional ones preferred."""
    defs = [b for b in bindings if b.kind in ("def", "async")]
    plain = [b for b in defs if not b.conditional]
    chosen = (plain or defs)[-1:] if defs else []
    return chosen[0].node if chosen else None


def required_parameters(function: ast.FunctionDef | ast.AsyncFunctionDef, skip_first: bool) -> list[ast.arg]:
    """Parameters a call must pass: positional ones without defaults and keyword-only ones without."""
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    first_default = len(positional) - len(arguments.defaults)
    required = [arg for index, arg in enumerate(positional) if index < first_default]
    if skip_first and positional:
        required = [arg for arg in required if arg is not positional[0]]
    required += [arg for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if default is None]
    return required


def own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a function body, not descending into nested functions, lambdas or classes."""
    stack = list(reversed(getattr(function, "body", [])))
    while stack:
        node = stack.pop()
        yield node
        for child in reversed(list(ast.iter_child_nodes(node))):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                stack.append(child)


def body_without_docstring(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    body = function.body
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return body[1:]
    return body


def _is_exit_call(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.Expr) or not isinstance(statement.value, ast.Call):
        return False
    func = statement.value.func
    dotted = (
        f"{func.value.id}.{func.attr}" if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
        else getattr(func, "id", "")
    )
    return dotted in ("sys.exit", "os._exit", "exit", "quit")


def _has_break(loop: ast.While) -> bool:
    stack = list(loop.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break):
            return True
        if not isinstance(node, (ast.For, ast.While, ast.AsyncFor, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stack.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt))
    return False


def never_completes(block: list[ast.stmt]) -> bool:
    """True when control cannot fall off the end of `block` (it always returns, raises or exits)."""
    return any(_statement_never_completes(statement) for statement in block)


def _statement_never_completes(statement: ast.stmt) -> bool:
    if isinstance(statement, (ast.Return, ast.Raise)) or _is_exit_call(statement):
        return True
    if isinstance(statement, ast.If):
        return never_completes(statement.body) and never_completes(statement.orelse)
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        return never_completes(statement.body)
    if isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar":
        if never_completes(statement.finalbody):
            return True
        main = never_completes(statement.body) or never_completes(statement.orelse)
        return main and all(never_completes(handler.body) for handler in statement.handlers)
    if isinstance(statement, ast.While):
        forever = isinstance(statement.test, ast.Constant) and bool(statement.test.value)
        return forever and not _has_break(statement)
    if isinstance(statement, ast.Match):
        exhaustive = any(
            isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None and case.guard is None
            for case in statement.cases
        )
        return exhaustive and all(never_completes(case.body) for case in statement.cases)
    return False
