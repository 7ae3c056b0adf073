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
from typing import NamedTuple

from artifact_lint.rules._control import catches

COMPREHENSIONS = {ast.ListComp: "listcomp", ast.SetComp: "setcomp", ast.DictComp: "dictcomp", ast.GeneratorExp: "genexpr"}
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, *COMPREHENSIONS)


class UndefinedName(NamedTuple):
    """A name score.py uses that no scope defines, with every use of it."""

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


def names_by_scope(module) -> dict[int, list[ast.Name]]:
    """Name uses (load and del) grouped by the id() of the scope node they are evaluated in."""
    found: dict[int, list[ast.Name]] = defaultdict(list)
    for name in module.nodes(ast.Name):
        if isinstance(name.ctx, (ast.Load, ast.Del)):
            found[id(module.symbol_scope(name))].append(name)
    for uses in found.values():
        uses.sort(key=lambda name: (name.lineno, name.col_offset))
    return found


def _scope_nodes(module) -> Iterator[ast.AST]:
    yield module.tree
    for kind in SCOPES:
        yield from module.nodes(kind)


def _tables(table: symtable.SymbolTable) -> Iterator[symtable.SymbolTable]:
    stack = [table]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.get_children())


def _guarded_by_name_error(module, use: ast.Name) -> bool:
    """A use inside a `try:` body that catches NameError (deliberate probing)."""
    return any(catches(handler, ("NameError", "UnboundLocalError"), bare=False) for handler in module.try_handlers(use))


def module_bound_names(top: symtable.SymbolTable) -> set[str]:
    """Names bound at module level, including through `global x` assignments inside functions."""
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    for table in _tables(top):
        bound |= {s.get_name() for s in table.get_symbols() if s.is_declared_global() and s.is_assigned()}
    return bound


def undefined_names(module, known: frozenset[str]) -> list[UndefinedName]:
    """Names used somewhere in a module (a semantic model's ModuleModel) that no scope, import or builtin defines."""
    if all(use.id in known or module.visibly_bound(use) for use in module.nodes(ast.Name)
           if use.ctx.__class__ is not ast.Store):  # parsed trees share one exact Store instance
        return []  # every name is bound where Python looks for it: no need for the compiler's tables
    top = symtable.symtable(module.document.text, module.path, "exec")
    bound = module_bound_names(top) | known
    tables: dict[tuple, list[symtable.SymbolTable]] = defaultdict(list)
    for table in _tables(top):
        tables[(table.get_name(), table.get_lineno())].append(table)
    uses_by_scope = names_by_scope(module)
    undefined: dict[str, list[ast.Name]] = defaultdict(list)
    for scope in _scope_nodes(module):
        candidates = tables.get(_scope_key(scope))
        if not candidates:
            continue  # no table for it (e.g. an inlined comprehension): say nothing rather than guess
        table = candidates.pop(0) if len(candidates) > 1 else candidates[0]
        for use in uses_by_scope.get(id(scope), []):
            if use.id in bound or _guarded_by_name_error(module, use) or module.is_dead(use):
                continue  # a name in code that cannot run (a Python 2 branch) never raises
            try:
                symbol = table.lookup(use.id)
            except KeyError:
                continue
            if symbol.is_global() or (table.get_type() == "module" and not symbol.is_assigned()):
                undefined[use.id].append(use)
    return [UndefinedName(name, sorted(uses, key=lambda u: (u.lineno, u.col_offset)))
            for name, uses in sorted(undefined.items(), key=lambda item: (item[1][0].lineno, item[1][0].col_offset))]
