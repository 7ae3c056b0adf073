"""The base of score.py rules, and how score.py binds its entry points (load_model, predict).

Everything else rules know about score.py and its helper modules comes from the semantic
model (`_semantic.SemanticModel.of(ctx)`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import NamedTuple

from artifact_lint.documents import PythonDocument
from artifact_lint.registry import Rule
from artifact_lint.rules._semantic import SemanticModel

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

    @staticmethod
    def model(ctx) -> SemanticModel:
        return SemanticModel.of(ctx)


class Binding(NamedTuple):
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


def body_without_docstring(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    body = function.body
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return body[1:]
    return body
