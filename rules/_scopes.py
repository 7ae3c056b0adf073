"""Names used but never defined, with Python's own scoping (the stdlib `symtable`) and ast positions.

`symtable` resolves each name the way the compiler does (class bodies, comprehensions,
global/nonlocal, closures); the ast gives where each use is. Tables and ast scopes are
matched by (kind, name, line), which is how the compiler itself labels them.
"""

from __future__ import annotations

import ast
import symtable
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

COMPREHENSIONS = {ast.ListComp: "listcomp", ast.SetComp: "setcomp", ast.DictComp: "dictcomp", ast.GeneratorExp: "genexpr"}
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, *COMPREHENSIONS)


@dataclass
class UndefinedName:
    name: str
    uses: list[ast.Name]


def _scope_key(node: ast.AST) -> tuple[str, int]:
    if isinstance(node, ast.Module):
        return ("top", 0)
    if isinstance(node, ast.Lambda):
        return ("lambda", node.lineno)
    if isinstance(node, tuple(COMPREHENSIONS)):
        return (COMPREHENSIONS[type(node)], node.lineno)
    return (node.name, node.lineno)


def _split(node: ast.AST) -> tuple[list[ast.AST], list[ast.AST]]:
    """(parts evaluated in the enclosing scope, parts evaluated in the node's own scope)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        arguments = node.args
        outer = list(arguments.defaults) + [d for d in arguments.kw_defaults if d is not None]
        if not isinstance(node, ast.Lambda):
            outer += list(node.decorator_list)
            outer += [a.annotation for a in _all_args(arguments) if a.annotation is not None]
            outer += [node.returns] if node.returns is not None else []
            return outer, list(node.body)
        return outer, [node.body]
    if isinstance(node, ast.ClassDef):
        return list(node.decorator_list) + list(node.bases) + [k.value for k in node.keywords], list(node.body)
    generators = node.generators
    inner = [generators[0].target, *generators[0].ifs]
    for generator in generators[1:]:
        inner += [generator.target, generator.iter, *generator.ifs]
    inner += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    return [generators[0].iter], inner


def _all_args(arguments: ast.arguments) -> list[ast.arg]:
    extra = [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    return arguments.posonlyargs + arguments.args + arguments.kwonlyargs + extra


def names_by_scope(tree: ast.Module) -> dict[int, list[ast.Name]]:
    """Name uses (load and del) grouped by the id() of the scope node they are evaluated in."""
    found: dict[int, list[ast.Name]] = defaultdict(list)
    scopes = {id(tree): tree}
    stack: list[tuple[ast.AST, ast.AST]] = [(child, tree) for child in tree.body]
    while stack:
        node, scope = stack.pop()
        if isinstance(node, SCOPES):
            outer, inner = _split(node)
            scopes[id(node)] = node
            stack.extend((part, scope) for part in outer)
            stack.extend((part, node) for part in inner)
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Load, ast.Del)):
            found[id(scope)].append(node)
        stack.extend((child, scope) for child in ast.iter_child_nodes(node))
    for uses in found.values():
        uses.sort(key=lambda name: (name.lineno, name.col_offset))
    return found


def _scope_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, SCOPES):
            yield node


def _tables(table: symtable.SymbolTable) -> Iterator[symtable.SymbolTable]:
    stack = [table]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.get_children())


def _guarded_by_name_error(tree: ast.Module) -> set[int]:
    """ids of Name nodes inside `try:` bodies that catch NameError (deliberate probing)."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(_catches_name_error(handler) for handler in node.handlers):
            for statement in node.body:
                guarded.update(id(child) for child in ast.walk(statement) if isinstance(child, ast.Name))
    return guarded


def _catches_name_error(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(kind, ast.Name) and kind.id in ("NameError", "UnboundLocalError") for kind in kinds)


def module_bound_names(top: symtable.SymbolTable) -> set[str]:
    """Names bound at module level, including through `global x` assignments inside functions."""
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    for table in _tables(top):
        bound |= {s.get_name() for s in table.get_symbols() if s.is_declared_global() and s.is_assigned()}
    return bound


def undefined_names(tree: ast.Module, source: str, known: frozenset[str]) -> list[UndefinedName]:
    """Names used somewhere in score.py that no scope, import or builtin (`known`) defines."""
    top = symtable.symtable(source, "score.py", "exec")
    bound = module_bound_names(top) | known
    tables: dict[tuple, list[symtable.SymbolTable]] = defaultdict(list)
    for table in _tables(top):
        tables[(table.get_name(), table.get_lineno())].append(table)
    uses_by_scope = names_by_scope(tree)
    guarded = _guarded_by_name_error(tree)
    undefined: dict[str, list[ast.Name]] = defaultdict(list)
    for scope in _scope_nodes(tree):
        candidates = tables.get(_scope_key(scope))
        if not candidates:
            continue  # no table for it (e.g. an inlined comprehension): say nothing rather than guess
        table = candidates.pop(0) if len(candidates) > 1 else candidates[0]
        for use in uses_by_scope.get(id(scope), []):
            if use.id in bound or id(use) in guarded:
                continue
            try:
                symbol = table.lookup(use.id)
            except KeyError:
                continue
            if symbol.is_global() or (table.get_type() == "module" and not symbol.is_assigned()):
                undefined[use.id].append(use)
    return [UndefinedName(name, sorted(uses, key=lambda u: (u.lineno, u.col_offset)))
            for name, uses in sorted(undefined.items(), key=lambda item: (item[1][0].lineno, item[1][0].col_offset))]
