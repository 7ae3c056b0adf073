"""What runs when, and where values go, in score.py: the facts several SCR rules share.

Computed once per artifact (ScoreFacts.of) and read by the path, side-effect, security and
output rules: the import map, the module's folding environment, score.py's own functions,
which of them run at import time (module code, default arguments such as
`model=load_model()`, load_model and what they call), and the calls inside each.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from artifact_lint.rules._fold import Environment, function_environment, single_assignments
from artifact_lint.rules._imports import ImportMap
from artifact_lint.rules._score import own_nodes

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class CallSite:
    call: ast.Call
    function: FunctionNode | None  # None: module level
    env: Environment


@dataclass
class ScoreFacts:
    tree: ast.Module
    imports: ImportMap
    module_env: Environment
    functions: dict[str, FunctionNode] = field(default_factory=dict)
    environments: dict[int, Environment] = field(default_factory=dict)

    @classmethod
    def of(cls, ctx, tree: ast.Module) -> "ScoreFacts":
        return ctx.cached("score.facts", lambda: cls.build(tree))

    @classmethod
    def build(cls, tree: ast.Module) -> "ScoreFacts":
        imports = ImportMap(tree)
        module_env = Environment(imports, single_assignments(tree.body, include_nested_blocks=False))
        facts = cls(tree, imports, module_env)
        for statement in tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                facts.functions[statement.name] = statement
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                facts.environments[id(node)] = function_environment(node, module_env)
        return facts

    def env_of(self, function: FunctionNode | None) -> Environment:
        return self.module_env if function is None else self.environments[id(function)]

    def module_level_nodes(self) -> Iterator[ast.AST]:
        """Nodes evaluated at import: module statements, class bodies, decorators and default arguments."""
        stack: list[ast.AST] = list(self.tree.body)
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                arguments = node.args
                stack.extend(arguments.defaults)
                stack.extend(d for d in arguments.kw_defaults if d is not None)
                stack.extend(getattr(node, "decorator_list", []))
                continue
            yield node
            stack.extend(ast.iter_child_nodes(node))

    def called_functions(self, nodes) -> set[str]:
        """Names of score.py's own functions called directly among `nodes`."""
        return {node.func.id for node in nodes
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.functions}

    def reachable(self, roots: set[str]) -> list[FunctionNode]:
        """score.py functions reachable from `roots` through direct calls."""
        seen: list[str] = []
        pending = sorted(roots & set(self.functions))
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.append(name)
            pending.extend(sorted(self.called_functions(own_nodes(self.functions[name])) - set(seen)))
        return [self.functions[name] for name in seen]

    def import_time_calls(self) -> Iterator[CallSite]:
        """Calls that run when score.py is imported or load_model() is called (the deployment's start-up)."""
        module_nodes = list(self.module_level_nodes())
        for node in module_nodes:
            if isinstance(node, ast.Call):
                yield CallSite(node, None, self.module_env)
        roots = self.called_functions(module_nodes) | {"load_model"}
        for function in self.reachable(roots):
            yield from self.calls_in(function)

    def calls_in(self, function: FunctionNode) -> Iterator[CallSite]:
        env = self.env_of(function)
        for node in own_nodes(function):
            if isinstance(node, ast.Call):
                yield CallSite(node, function, env)

    def all_calls(self) -> Iterator[CallSite]:
        """Every call in score.py, with the environment its arguments fold in."""
        yield from (CallSite(n, None, self.module_env) for n in self.module_level_nodes() if isinstance(n, ast.Call))
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from self.calls_in(node)
