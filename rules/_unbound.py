"""Which local names a function may use before binding them: definite-assignment flow over its statements.

For each statement the flow keeps two sets of the function's locals: bound on every path that
reaches it (`must`) and bound on some path (`may`). A use outside `must` can raise
UnboundLocalError: certainly when outside `may` too, possibly otherwise. Branches the semantic
model knows are dead do not count, `except ... as e` unbinds `e` when the handler ends, and a
loop body or handler is entered with every local possibly bound. Uses under the same `if` test
as a binding (`if cond: x = 1` ... `if cond: use(x)`), in loops that bind the name, or in a
`try:` catching NameError are left alone: the flow cannot see the correlation, a reader can.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from typing import NamedTuple

from artifact_lint.rules._control import UNKNOWN, catches

LOOPS = (ast.For, ast.AsyncFor, ast.While)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
ASSIGNMENTS = frozenset({ast.Assign, ast.AnnAssign, ast.AugAssign})  # evaluate their value before they bind
# Statements whose only effect on the flow is to bind what they bind (the fall-through of _statement).
SIMPLE = frozenset({ast.Assign, ast.AnnAssign, ast.Import, ast.ImportFrom, ast.Pass, ast.Global, ast.Nonlocal,
                    ast.Assert, *DEFINITIONS})
EMPTY: frozenset[str] = frozenset()


class UnboundUse(NamedTuple):
    """A use of a local name that some path (or every path) reaches before it is bound."""

    name: ast.Name
    certain: bool  # no path binds it before this use


class State(NamedTuple):  # a tuple: one is made for nearly every statement the flow passes
    must: frozenset[str]
    may: frozenset[str]

    def bind(self, names) -> "State":
        return _new(State, (self.must | names, self.may | names)) if names else self

    def unbind(self, names) -> "State":
        return _new(State, (self.must - names, self.may - names)) if names else self


_new = tuple.__new__  # builds a State without the Python-level __new__ NamedTuple gives it


def _meet(states: list[State | None]) -> State | None:
    live = [state for state in states if state is not None]
    if not live:
        return None
    must = frozenset.intersection(*(state.must for state in live))
    may = frozenset.union(*(state.may for state in live))
    return _new(State, (must, may))


class UnboundFlow:
    """Possibly or certainly unbound uses of the locals of one function."""

    def __init__(self, module, function):
        self.module = module
        self.function = function
        self.truth = module.truth_in(function)
        self._ends = module.control.completion(self.truth).statement  # never_completes for one statement
        typed = module.own_types(function).get
        declared = {name for kind in (ast.Global, ast.Nonlocal) for node in typed(kind, ()) for name in node.names}
        arguments = function.args
        parameters = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg,
                                      arguments.kwarg) if a is not None}
        uses: dict[ast.stmt, list[ast.Name]] = defaultdict(list)  # statement -> uses it evaluates itself
        binds: dict[ast.stmt, set[str]] = defaultdict(set)  # statement -> names it binds itself
        self.uses, self.binds = uses, binds
        self._bindings: dict[str, list[ast.AST]] | None = None  # name -> its bindings, for _excused (rarely asked)
        locals_: set[str] = set()
        self.found: dict[str, UnboundUse] = {}
        reportable = _reportable(module, function, parameters, declared)
        if reportable is not None and not reportable:
            self.locals = frozenset()
            return  # every local is a parameter that stays bound: nothing to find
        load, store = ast.Load, ast.Store
        for node, statement in module.names_resolved_in(function):
            context = node.ctx.__class__
            if context is load:
                if reportable is None or node.id in reportable:
                    uses[statement].append(node)
                continue
            locals_.add(node.id)
            if context is store:
                binds[statement].add(node.id)
            else:  # del x: a use, then unbound
                uses[statement].append(node)
        for node, names in _statement_bindings(typed):
            locals_ |= names
            binds[node] |= names
        locals_ |= {node.name for node in typed(ast.ExceptHandler, ()) if node.name}
        self.locals = frozenset((locals_ | parameters) - declared)
        self.breaks: list[list[State]] = []
        if self.locals - parameters:  # parameters start bound: only `del` can unbind them
            bound = frozenset(parameters - declared)
            self._block(function.body, State(bound, bound))

    def bindings(self, name: str) -> list[ast.AST]:
        """The nodes binding `name` in the function (Store names, imports, defs), grouped on first use."""
        if self._bindings is None:
            found = self._bindings = defaultdict(list)
            for node, _ in self.module.names_resolved_in(self.function):
                if node.ctx.__class__ is ast.Store:
                    found[node.id].append(node)
            for node, names in _statement_bindings(self.module.own_types(self.function).get):
                for bound in names:
                    found[bound].append(node)
        return self._bindings.get(name, [])

    # -- the flow -----------------------------------------------------------------------------
    def _block(self, body: list[ast.stmt], state: State | None) -> State | None:
        step = self._statement
        for statement in body:
            if state is None:
                return None
            state = step(statement, state)
        return state

    def _check(self, statement: ast.stmt, state: State, uses: list[ast.Name]) -> None:
        # A name the statement itself binds (a walrus in a condition, a loop target) is bound before its other uses;
        # an assignment evaluates its value first.
        own_binds = () if statement.__class__ in ASSIGNMENTS else self.binds.get(statement, ())
        locals_, must, found = self.locals, state.must, self.found
        for use in uses:
            name = use.id
            if name in must or name not in locals_ or name in own_binds or name in found:
                continue
            if self.module.is_dead(use) or self._excused(use):
                continue
            self.found[name] = UnboundUse(use, certain=name not in state.may)

    def _statement(self, statement: ast.stmt, state: State) -> State | None:
        uses = self.uses.get(statement)
        if uses:
            self._check(statement, state, uses)
        binds = self.binds.get(statement)
        kind = statement.__class__  # parsed trees hold no subclasses of ast's node types
        if binds is None:
            if kind is ast.Expr or kind is ast.Return:  # the commonest statements binding nothing
                return None if kind is ast.Return or self._ends(statement) else state
            binds = EMPTY
        else:
            binds = self.locals.intersection(binds)
        if kind in SIMPLE:
            return state.bind(binds) if binds else state
        if kind is ast.AugAssign and isinstance(statement.target, ast.Name):
            target = statement.target
            if target.id in self.locals and target.id not in state.must and target.id not in self.found \
                    and not self.module.is_dead(target) and not self._excused(target):
                self.found[target.id] = UnboundUse(target, certain=target.id not in state.may)
        if kind in (ast.Return, ast.Raise):
            return None
        if kind is ast.Break:
            if self.breaks:
                self.breaks[-1].append(state)
            return None
        if kind is ast.Continue:
            return None
        if kind is ast.Delete:
            deleted = frozenset(t.id for t in statement.targets if isinstance(t, ast.Name))
            return state.unbind(deleted)
        if kind is ast.If:
            value = self.truth(statement.test)
            body = self._block(statement.body, state.bind(binds)) if value is UNKNOWN or value else None
            orelse = self._block(statement.orelse, state.bind(binds)) if value is UNKNOWN or not value else None
            return _meet([body, orelse])
        if kind in LOOPS:
            return self._loop(statement, state, binds)
        if kind in (ast.With, ast.AsyncWith):
            return self._block(statement.body, state.bind(binds))
        if kind is ast.Try or kind.__name__ == "TryStar":
            return self._try(statement, state)
        if kind is ast.Match:
            return self._match(statement, state)
        if kind is ast.Expr and self._ends(statement):
            return None  # sys.exit()
        return state.bind(binds)

    def _everything_may(self, state: State) -> State:
        return _new(State, (state.must, self.locals))

    def _loop(self, statement, state: State, binds: frozenset[str]) -> State | None:
        self.breaks.append([])
        entry = self._everything_may(state.bind(binds))  # later iterations see what earlier ones bound
        self._block(statement.body, entry)
        breaks = self.breaks.pop()
        value = self.truth(statement.test) if isinstance(statement, ast.While) else UNKNOWN
        always = value is not UNKNOWN and bool(value)
        normal = None if always else self._block(statement.orelse, self._everything_may(state))
        return _meet([normal, *(self._everything_may(b) for b in breaks)])

    def _try(self, statement, state: State) -> State | None:
        body = self._block(statement.body, state)
        if body is not None and statement.orelse:
            body = self._block(statement.orelse, body)
        entry = self._everything_may(state)
        outcomes = [body]
        for handler in statement.handlers:
            bound = frozenset({handler.name}) if handler.name else frozenset()
            after = self._block(handler.body, entry.bind(bound))
            outcomes.append(after.unbind(bound) if after is not None else None)  # `except E as e` deletes e
        result = _meet(outcomes)
        if statement.finalbody:
            self._block(statement.finalbody, entry)
            result = self._block(statement.finalbody, result) if result is not None else None
        return result

    def _match(self, statement, state: State) -> State | None:
        outcomes = []
        for case in statement.cases:
            captures = frozenset(node.name for node in ast.walk(case.pattern)
                                 if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name) | frozenset(
                node.rest for node in ast.walk(case.pattern) if isinstance(node, ast.MatchMapping) and node.rest)
            outcomes.append(self._block(case.body, state.bind(captures & self.locals)))
        exhaustive = any(isinstance(c.pattern, ast.MatchAs) and c.pattern.pattern is None and c.guard is None
                         for c in statement.cases)
        return _meet(outcomes + ([] if exhaustive else [state]))

    # -- what a reader sees and the flow does not ---------------------------------------------
    def _excused(self, use: ast.Name) -> bool:
        around = list(self.module.statements_around(use))
        if any(catches(handler, ("NameError", "UnboundLocalError"), bare=True) for handler in self.module.try_handlers(use)):
            return True
        tests = {ast.dump(s.test) for s in around if isinstance(s, (ast.If, ast.While))}
        loops = {id(s) for s in around if isinstance(s, LOOPS)}
        for binding in self.bindings(use.id):
            enclosing = list(self.module.statements_around(binding))
            if tests & {ast.dump(s.test) for s in enclosing if isinstance(s, (ast.If, ast.While))}:
                return True
            if loops & {id(s) for s in enclosing}:
                return True
        return False


def _reportable(module, function, parameters: set[str], declared: set[str]) -> set[str] | None:
    """The names whose uses the flow may report (a superset), from the scope's bindings in the index: the
    others are globals, builtins, or parameters nothing unbinds (no `del`, no `except ... as`), which stay
    bound on every path. None when a class body in the function binds names too (the flow counts those)."""
    typed = module.own_types(function).get
    if typed(ast.ClassDef, ()):
        return None
    unsettled = {handler.name for handler in typed(ast.ExceptHandler, ()) if handler.name}
    for node in typed(ast.Delete, ()):
        unsettled |= {name.id for target in node.targets for name in ast.walk(target) if name.__class__ is ast.Name}
    return set(module.stores.get(id(function), ())) - declared - (parameters - unsettled)


def _statement_bindings(typed) -> Iterator[tuple[ast.stmt, set[str]]]:
    """(statement, the names it binds) for a scope's imports, defs and classes; `typed` is own_types(scope).get."""
    for node in [*typed(ast.Import, ()), *typed(ast.ImportFrom, ())]:
        yield node, {alias.asname or alias.name.split(".")[0] for alias in node.names if alias.name != "*"}
    for kind in DEFINITIONS:
        for node in typed(kind, ()):
            yield node, {node.name}


def unbound_uses(module, function) -> list[UnboundUse]:
    """First possibly-unbound use of each local of `function`, in source order."""
    found = UnboundFlow(module, function).found.values()
    return sorted(found, key=lambda item: (item.name.lineno, item.name.col_offset))
