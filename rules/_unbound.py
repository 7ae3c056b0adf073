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
from typing import NamedTuple

from artifact_lint.rules._control import UNKNOWN, catches

LOOPS = (ast.For, ast.AsyncFor, ast.While)


class UnboundUse(NamedTuple):
    """A use of a local name that some path (or every path) reaches before it is bound."""

    name: ast.Name
    certain: bool  # no path binds it before this use


class State(NamedTuple):  # a tuple: one is made for nearly every statement the flow passes
    must: frozenset[str]
    may: frozenset[str]

    def bind(self, names) -> "State":
        return State(self.must | names, self.may | names) if names else self

    def unbind(self, names) -> "State":
        return State(self.must - names, self.may - names) if names else self


def _meet(states: list[State | None]) -> State | None:
    live = [state for state in states if state is not None]
    if not live:
        return None
    must = frozenset.intersection(*(state.must for state in live))
    may = frozenset.union(*(state.may for state in live))
    return State(must, may)


class UnboundFlow:
    """Possibly or certainly unbound uses of the locals of one function."""

    def __init__(self, module, function):
        self.module = module
        self.function = function
        self.truth = module.truth_in(function)
        typed = module.own_of
        declared = {name for kind in (ast.Global, ast.Nonlocal) for node in typed(function, kind) for name in node.names}
        parameters = {a.arg for a in function.args.posonlyargs + function.args.args + function.args.kwonlyargs}
        parameters |= {a.arg for a in (function.args.vararg, function.args.kwarg) if a is not None}
        self.uses: dict[ast.stmt, list[ast.Name]] = defaultdict(list)  # statement -> uses it evaluates itself
        self.binds: dict[ast.stmt, set[str]] = defaultdict(set)  # statement -> names it binds itself
        self.bindings: dict[str, list[ast.AST]] = defaultdict(list)
        locals_: set[str] = set()
        for node, statement in module.names_resolved_in(function):
            context = node.ctx.__class__
            if context is ast.Load or context is ast.Del:
                self.uses[statement].append(node)
            if context is not ast.Load:
                locals_.add(node.id)
                if context is ast.Store:
                    self.binds[statement].add(node.id)
                    self.bindings[node.id].append(node)
        for node in typed(function, ast.Import) + typed(function, ast.ImportFrom):
            names = {alias.asname or alias.name.split(".")[0] for alias in node.names if alias.name != "*"}
            locals_ |= names
            self.binds[node] |= names
            for name in names:
                self.bindings[name].append(node)
        for kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            for node in typed(function, kind):
                locals_.add(node.name)
                self.binds[node].add(node.name)
                self.bindings[node.name].append(node)
        locals_ |= {node.name for node in typed(function, ast.ExceptHandler) if node.name}
        self.locals = frozenset((locals_ | parameters) - declared)
        self.found: dict[str, UnboundUse] = {}
        self.breaks: list[list[State]] = []
        if self.locals - parameters:  # parameters start bound: only `del` can unbind them
            bound = frozenset(parameters - declared)
            self._block(function.body, State(bound, bound))

    # -- the flow -----------------------------------------------------------------------------
    def _block(self, body: list[ast.stmt], state: State | None) -> State | None:
        for statement in body:
            if state is None:
                return None
            state = self._statement(statement, state)
        return state

    def _check(self, statement: ast.stmt, state: State) -> None:
        # A name the statement itself binds (a walrus in a condition, a loop target) is bound before its other uses;
        # an assignment evaluates its value first.
        uses = self.uses.get(statement)
        if not uses:
            return
        own_binds = () if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)) else \
            self.binds.get(statement, ())
        for use in uses:
            name = use.id
            if name not in self.locals or name in state.must or name in own_binds or name in self.found:
                continue
            if self.module.is_dead(use) or self._excused(use):
                continue
            self.found[name] = UnboundUse(use, certain=name not in state.may)

    def _statement(self, statement: ast.stmt, state: State) -> State | None:
        self._check(statement, state)
        binds = self.binds.get(statement)
        binds = frozenset(binds & self.locals) if binds else frozenset()
        kind = type(statement)
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
        if kind is ast.Expr and self.module.never_completes([statement], self.function):
            return None  # sys.exit()
        return state.bind(binds)

    def _everything_may(self, state: State) -> State:
        return State(state.must, self.locals)

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
        for binding in self.bindings.get(use.id, []):
            enclosing = list(self.module.statements_around(binding))
            if tests & {ast.dump(s.test) for s in enclosing if isinstance(s, (ast.If, ast.While))}:
                return True
            if loops & {id(s) for s in enclosing}:
                return True
        return False


def unbound_uses(module, function) -> list[UnboundUse]:
    """First possibly-unbound use of each local of `function`, in source order."""
    found = UnboundFlow(module, function).found.values()
    return sorted(found, key=lambda item: (item.name.lineno, item.name.col_offset))
