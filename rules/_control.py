"""Control-flow facts of one Python file: statically dead statements and deliberately guarded ones.

A statement is dead when no run can reach it: after a return/raise/exit in the same block, in
the branch of an `if`/`while` whose condition is a constant (`if False:`, `if TYPE_CHECKING:`,
`if __name__ == "__main__":` in a module the server imports, a name bound only to a constant),
or inside a def that is itself dead. A statement is guarded when a missing file is expected
there: the body of `if os.path.exists(p):` with a fallback, or a `try:` whose handler catches
FileNotFoundError/OSError and carries on. Only statements are walked here; expressions get
their statement's facts through the semantic model's index.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

UNKNOWN = object()  # a condition whose value is not known statically
EXIT_CALLS = {"sys.exit", "os._exit", "exit", "quit"}
EXISTS_CALLS = {"os.path.exists", "os.path.isfile", "os.path.isdir", "os.path.lexists", "os.access",
                "posixpath.exists", "posixpath.isfile"}
EXISTS_METHODS = {"exists", "is_file", "is_dir"}
MISSING_FILE_ERRORS = {"FileNotFoundError", "OSError", "IOError", "EnvironmentError"}
COMPARE = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Is: lambda a, b: a is b,
    ast.IsNot: lambda a, b: a is not b, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
}
Truth = Callable[[ast.expr], object]  # the condition's static value, or UNKNOWN
# Statements with no statements inside them: nothing below them to mark dead or guarded.
_SIMPLE = frozenset({ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Raise, ast.Import,
                     ast.ImportFrom, ast.Pass, ast.Break, ast.Continue, ast.Delete, ast.Global, ast.Nonlocal,
                     ast.Assert})


def never_completes(block: list[ast.stmt], truth: Truth | None = None, qualified=None) -> bool:
    """True when control cannot fall off the end of `block` (it always returns, raises or exits)."""
    return Completion(truth, qualified).block(block)


def statement_never_completes(statement: ast.stmt, truth: Truth | None = None, qualified=None) -> bool:
    return Completion(truth, qualified).statement(statement)


def _is_exit_call(statement: ast.stmt, qualified) -> bool:
    if not isinstance(statement, ast.Expr) or not isinstance(statement.value, ast.Call):
        return False
    func = statement.value.func
    if qualified is not None:
        return qualified(func) in EXIT_CALLS
    dotted = (f"{func.value.id}.{func.attr}" if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
              else getattr(func, "id", ""))
    return dotted in EXIT_CALLS


def _has_break(loop: ast.While) -> bool:
    stack = list(loop.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break):
            return True
        if not isinstance(node, (ast.For, ast.While, ast.AsyncFor, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody"):
                stack.extend(getattr(node, field, None) or [])
            for handler in getattr(node, "handlers", None) or []:
                stack.extend(handler.body)
            for case in getattr(node, "cases", None) or []:
                stack.extend(case.body)
    return False


class Completion:
    """Which statements never complete under one scope's `truth`, each decided once: the control facts,
    the flow analysis and rules ask about the same statements, nested ones again for each enclosing one."""

    def __init__(self, truth: Truth | None, qualified):
        self.truth = truth
        self.qualified = qualified
        self._known: dict[ast.stmt, bool] = {}

    def block(self, block: list[ast.stmt]) -> bool:
        """True when control cannot fall off the end of `block` (it always returns, raises or exits)."""
        for statement in block:
            if self.statement(statement):
                return True
        return False

    def statement(self, statement: ast.stmt) -> bool:
        known = self._known.get(statement)
        if known is None:
            known = self._known[statement] = self._decide(statement)
        return known

    def _static(self, test: ast.expr) -> object:
        if self.truth is not None:
            return self.truth(test)
        return bool(test.value) if isinstance(test, ast.Constant) else UNKNOWN

    def _decide(self, statement: ast.stmt) -> bool:
        block = self.block
        kind = statement.__class__  # parsed trees hold no subclasses of ast's node types: `is` is isinstance
        if kind is ast.Return or kind is ast.Raise:
            return True
        if kind is ast.Expr:
            return _is_exit_call(statement, self.qualified)
        if kind is ast.If:
            value = self._static(statement.test)
            if value is not UNKNOWN:
                return block(statement.body if value else statement.orelse)
            return block(statement.body) and block(statement.orelse)
        if kind is ast.With or kind is ast.AsyncWith:
            return block(statement.body)
        if kind is ast.Try or kind.__name__ == "TryStar":
            if block(statement.finalbody):
                return True
            main = block(statement.body) or block(statement.orelse)
            return main and all(block(handler.body) for handler in statement.handlers)
        if kind is ast.While:
            value = self._static(statement.test)
            return value is not UNKNOWN and bool(value) and not _has_break(statement)
        if kind is ast.Match:
            exhaustive = any(isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None
                             and case.guard is None for case in statement.cases)
            return exhaustive and all(block(case.body) for case in statement.cases)
        return False


def static_value(expression: ast.expr, lookup: Callable[[str], object], qualified, depth: int = 0) -> object:
    """The value of a condition built from constants and names bound only to constants, else UNKNOWN."""
    if depth > 12:
        return UNKNOWN
    step = depth + 1
    kind = expression.__class__  # exact class tests: ast's node types are never subclassed in a tree
    if kind is ast.Constant:
        return expression.value
    if _is_major_version(expression, qualified):
        return 3  # every Python a deployment runs is 3.x
    if kind is ast.Name or kind is ast.Attribute:
        named = expression.id if kind is ast.Name else expression.attr
        if named == "TYPE_CHECKING" and qualified(expression) in ("typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"):
            return False
        return lookup(expression.id) if kind is ast.Name else UNKNOWN
    if kind is ast.UnaryOp and isinstance(expression.op, ast.Not):
        value = static_value(expression.operand, lookup, qualified, step)
        return UNKNOWN if value is UNKNOWN else not value
    if kind is ast.BoolOp:
        values = [static_value(v, lookup, qualified, step) for v in expression.values]
        is_and = isinstance(expression.op, ast.And)
        for value in values:  # short-circuit on the first value that decides, if all before it are known
            if value is UNKNOWN:
                return UNKNOWN
            if bool(value) is not is_and:
                return value
        return values[-1]
    if kind is ast.Compare and len(expression.ops) == 1 and type(expression.ops[0]) in COMPARE:
        version = _version_comparison(expression, qualified)
        if version is not UNKNOWN:
            return version
        left = static_value(expression.left, lookup, qualified, step)
        right = static_value(expression.comparators[0], lookup, qualified, step)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        try:
            return COMPARE[type(expression.ops[0])](left, right)
        except TypeError:
            return UNKNOWN
    return UNKNOWN


def _is_major_version(expression: ast.expr, qualified) -> bool:
    """`sys.version_info[0]` or `sys.version_info.major`."""
    kind = expression.__class__
    if kind is ast.Subscript and isinstance(expression.slice, ast.Constant) and expression.slice.value == 0:
        return qualified(expression.value) == "sys.version_info"
    return kind is ast.Attribute and expression.attr == "major" and \
        qualified(expression.value) == "sys.version_info"


def _version_comparison(expression: ast.Compare, qualified) -> object:
    """`sys.version_info < (3,)`, `>= (3, 0)`, `== (2, 7)`: decided by the major version alone when it can be."""
    right = expression.comparators[0]
    if not (qualified(expression.left) == "sys.version_info" and isinstance(right, ast.Tuple) and right.elts
            and all(isinstance(e, ast.Constant) and isinstance(e.value, int) for e in right.elts)):
        return UNKNOWN
    wanted = tuple(e.value for e in right.elts)
    if wanted[0] == 3 and any(wanted[1:]):
        return UNKNOWN  # depends on the minor version
    running = (3,) if wanted[0] != 3 else (3, 1)  # (3, x) compared with (3,) or (3, 0) is as (3, 1) is
    try:
        return COMPARE[type(expression.ops[0])](running, wanted[:1] if wanted[0] != 3 else wanted)
    except TypeError:
        return UNKNOWN


def exists_polarity(test: ast.expr, qualified) -> int:
    """+1: the test holds when a file exists (`os.path.exists(p)`, `p.is_file()`); -1: when it is missing; 0: neither."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return -exists_polarity(test.operand, qualified)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return 1 if any(exists_polarity(value, qualified) == 1 for value in test.values) else 0
    if isinstance(test, ast.Call):
        if qualified(test.func) in EXISTS_CALLS:
            return 1
        if isinstance(test.func, ast.Attribute) and test.func.attr in EXISTS_METHODS and not test.args:
            return 1
    return 0


def caught_names(handler: ast.ExceptHandler) -> frozenset[str] | None:
    """The exception names an `except` clause lists (`subprocess.CalledProcessError` as its last part); None: bare."""
    if handler.type is None:
        return None
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return frozenset(kind.attr if isinstance(kind, ast.Attribute) else getattr(kind, "id", "") for kind in kinds)


def catches(handler: ast.ExceptHandler, names, bare: bool) -> bool:
    """Whether the handler catches one of `names`; `bare` says what a bare `except:` counts as."""
    caught = caught_names(handler)
    return bare if caught is None else bool(caught & set(names))


def catches_missing_file(handler: ast.ExceptHandler) -> bool:
    return catches(handler, MISSING_FILE_ERRORS, bare=False)


class ControlFacts:
    """Dead and guarded statements of one module; `truth_for(scope)` decides conditions."""

    def __init__(self, tree: ast.Module, truth_for: Callable[[ast.AST | None], Truth], qualified):
        self.dead: set[ast.stmt] = set()
        self.guarded: set[ast.stmt] = set()
        self.truth_for = truth_for
        self.qualified = qualified
        self._completions: dict[Truth, Completion] = {}
        self._block(tree.body, truth_for(None), False, False)

    def completion(self, truth: Truth) -> Completion:
        """The one Completion per truth (per scope), shared so each statement is decided once."""
        found = self._completions.get(truth)
        if found is None:
            found = self._completions[truth] = Completion(truth, self.qualified)
        return found

    def _block(self, body: list[ast.stmt], truth: Truth, dead: bool, guarded: bool) -> None:
        ends = self.completion(truth).statement
        for statement in body:
            if dead:
                self.dead.add(statement)
            if guarded:
                self.guarded.add(statement)
            self._children(statement, truth, dead, guarded)
            if not dead and ends(statement):
                dead = True  # everything after it in this block is unreachable

    def _children(self, statement: ast.stmt, truth: Truth, dead: bool, guarded: bool) -> None:
        kind = statement.__class__
        if kind in _SIMPLE:
            return
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            self._block(statement.body, self.truth_for(statement), dead, False)
        elif kind is ast.If:
            value = truth(statement.test)
            polarity = exists_polarity(statement.test, self.qualified)
            ends = self.completion(truth).block
            body_guard = guarded or (polarity == 1 and not ends(statement.orelse))
            else_guard = guarded or (polarity == -1 and not ends(statement.body))
            self._block(statement.body, truth, dead or (value is not UNKNOWN and not value), body_guard)
            self._block(statement.orelse, truth, dead or (value is not UNKNOWN and bool(value)), else_guard)
        elif kind is ast.While:
            value = truth(statement.test)
            self._block(statement.body, truth, dead or (value is not UNKNOWN and not value), guarded)
            self._block(statement.orelse, truth, dead, guarded)
        elif kind is ast.Try or kind.__name__ == "TryStar":
            ends = self.completion(truth).block
            tolerant = any(catches_missing_file(h) and not ends(h.body) for h in statement.handlers)
            self._block(statement.body, truth, dead, guarded or tolerant)
            for handler in statement.handlers:
                self._block(handler.body, truth, dead, guarded)
            self._block(statement.orelse, truth, dead, guarded)
            self._block(statement.finalbody, truth, dead, guarded)
        elif kind is ast.Match:
            for case in statement.cases:
                self._block(case.body, truth, dead, guarded)
        else:
            for field in ("body", "orelse"):
                block = getattr(statement, field, None)
                if block:
                    self._block(block, truth, dead, guarded)
