"""One semantic model of the artifact's Python: score.py and the local modules it imports, built once.

`SemanticModel.of(ctx)` parses each file once (score.py through Documents; helper modules as
score.py's imports resolve them, transitively, on the server's sys.path) and indexes each in
one traversal: nodes by type and by the scope they are evaluated in (a function, or None for
the module level: module statements, class bodies, decorators and default arguments), bindings
per scope, folding environments, control-flow facts (`_control`: dead and guarded statements)
and call sites. On top: what runs at start-up (import and load_model) across modules, and
which function a call reaches. Rules query this model; no rule walks a tree itself.
"""

from __future__ import annotations

import ast
import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import NamedTuple

from artifact_lint.documents import PythonDocument
from artifact_lint.rules._control import UNKNOWN, ControlFacts, Truth, catches, static_value
from artifact_lint.rules._fold import SCORE_FILE, Environment, Folded, fold, function_environment, single_assignments
from artifact_lint.rules._imports import ImportMap, absolute_module, call_name

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
SKIPPED_FIELDS = frozenset({"ctx", "op", "ops"})  # shared singleton nodes (Load, Add, Eq): nothing to index
# Fields that hold identifiers or constants, never nodes, whatever the node type (skipped without a getattr);
# "names" and "value" are such only in the types listed in _PLAIN_VALUE_FIELDS.
IDENTIFIER_FIELDS = frozenset({"id", "attr", "arg", "name", "asname", "module", "level", "is_async", "simple", "conversion",
                               "kind", "type_comment", "tag", "rest", "kwd_attrs"})
_PLAIN_VALUE_FIELDS = {ast.Global: {"names"}, ast.Nonlocal: {"names"}, ast.Constant: {"value"},
                       ast.MatchSingleton: {"value"}}
# (scope, statement, symbol scope, the scope's own-node list, the stores key) a node is indexed in
Context = tuple[ast.AST | None, ast.stmt | None, ast.AST, list[ast.AST], int]
# How the traversal treats a node, by type. Statements (and only they) are >= _STATEMENT; _PLAIN to _IMPORT
# have their children indexed field by field; _LAMBDA, _COMPREHENSION, _DEF and _CLASS open a scope.
_SKIP, _RESTORE, _LEAF, _NAME, _LAMBDA, _COMPREHENSION, _PLAIN, _HANDLER, _STATEMENT, _IMPORT, _DEF, _CLASS = range(12)
_SPECIAL_ROLES = {ast.Constant: _LEAF, ast.Name: _NAME, ast.ExceptHandler: _HANDLER, ast.Import: _IMPORT,
                  ast.ImportFrom: _IMPORT, ast.Lambda: _LAMBDA, **dict.fromkeys(COMPREHENSIONS, _COMPREHENSION),
                  ast.FunctionDef: _DEF, ast.AsyncFunctionDef: _DEF, ast.ClassDef: _CLASS}
_ROLES: dict[type, int] = {tuple: _RESTORE}  # filled in by _role as types are met
_FIELDS: dict[type, tuple[str, ...]] = {}  # node type -> the fields that can hold child nodes, last first
_NOWHERE: Context = (None, None, None, [], 0)  # the context of a node the index never met (an `arg`, a `comprehension`)
MAX_MODULES = 64
IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError", "Exception")


class CallSite(NamedTuple):
    """A call, the function it is in (None: module level), the environment its arguments fold in."""

    call: ast.Call
    function: FunctionNode | None
    env: Environment
    module: "ModuleModel"

    @property
    def dead(self) -> bool:
        return self.module.is_dead(self.call)

    @property
    def guarded(self) -> bool:
        return self.module.is_guarded(self.call)


class ImportedModule(NamedTuple):
    """One module score.py imports, and whether the import is optional."""

    node: ast.Import | ast.ImportFrom
    module: str  # dotted, absolute
    guarded: bool  # inside try/except ImportError: an optional dependency


def _arguments(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[ast.arg]:
    arguments = node.args
    extra = [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
    return arguments.posonlyargs + arguments.args + arguments.kwonlyargs + extra


def _role(kind: type) -> int:
    """The role of a type first met; anything not an ast node (an identifier in a list, a None) is skipped."""
    if not issubclass(kind, ast.AST):
        role = _SKIP
    else:
        role = _SPECIAL_ROLES.get(kind) or (_STATEMENT if issubclass(kind, ast.stmt) else _PLAIN)
        plain = SKIPPED_FIELDS | IDENTIFIER_FIELDS | _PLAIN_VALUE_FIELDS.get(kind, set())
        _FIELDS[kind] = tuple(reversed([f for f in kind._fields if f not in plain]))
    _ROLES[kind] = role
    return role


def _outer_parts(node: ast.AST) -> list[ast.AST]:
    """Parts of a def, lambda or class evaluated where it is defined, not in its own scope."""
    if isinstance(node, ast.ClassDef):
        return [*node.decorator_list, *node.bases, *node.keywords]
    arguments = node.args
    outer = [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]
    if not isinstance(node, ast.Lambda):
        outer = [*node.decorator_list, *outer, *(a.annotation for a in _arguments(node) if a.annotation is not None)]
        if node.returns is not None:
            outer.append(node.returns)
    return outer


class ScopeTruth:
    """How conditions evaluate in one scope: their static value, or _control.UNKNOWN, each decided once.

    A class rather than closures over the model, so that nothing but the model's own table holds it
    and `ModuleModel.release` frees it without the cyclic collector.
    """

    def __init__(self, model: "ModuleModel", nested: bool, local: Counter, parameters: set[str], env: Environment):
        self.model = model
        self.nested = nested
        self.local = local
        self.parameters = parameters
        self.env = env
        self.module_stores = model.stores.get(0, Counter())
        self.qualified = model.imports.qualified
        self.values: dict[ast.expr, object] = {}
        self.resolving: set[str] = set()

    def __call__(self, test: ast.expr) -> object:
        value = self.values.get(test, self.values)  # the dict itself: not decided yet
        if value is self.values:
            value = self.values[test] = static_value(test, self.lookup, self.qualified)
        return value

    def lookup(self, name: str) -> object:
        if name == "__name__":
            return self.model.name
        if self.nested or name in self.model.global_names or name in self.parameters:
            return UNKNOWN
        if not self.local.get(name):
            return self.module_constant(name)
        value = self.env.local.get(name)
        if isinstance(value, ast.Name) and not self.local.get(value.id):  # a default such as `name=MODEL_NAME`
            return self.module_constant(value.id)
        return value.value if isinstance(value, ast.Constant) else UNKNOWN

    def module_lookup(self, name: str) -> object:
        if name == "__name__":
            return self.model.name
        return UNKNOWN if name in self.model.global_names else self.module_constant(name)

    def module_constant(self, name: str) -> object:
        value = self.model.module_env.module.get(name) if self.module_stores.get(name) == 1 else None
        if isinstance(value, ast.Constant):
            return value.value
        if value is None or name in self.resolving:
            return UNKNOWN
        self.resolving.add(name)  # `PY2 = sys.version_info[0] == 2` is as constant as what it is built from
        try:
            return static_value(value, self.module_lookup, self.qualified)
        finally:
            self.resolving.discard(name)


class ModuleModel:
    """One Python file of the artifact, indexed in a single traversal."""

    def __init__(self, name: str, document: PythonDocument, file: Folded = SCORE_FILE, package: str = ""):
        self.name = name  # as imported: "score", "helpers", "lib.util"
        self.document = document
        self.path = document.path
        self.tree: ast.Module = document.tree
        self.package = package  # the package relative imports resolve against ("" at top level)
        self.by_type: dict[type, list[ast.AST]] = defaultdict(list)
        self._own: dict[ast.AST | None, list[ast.AST]] = {}  # function or lambda (None: module level) -> its nodes
        self._where: dict[ast.AST, Context] = {}  # node -> the context it was indexed in
        self._parent_statement: dict[ast.stmt, ast.stmt | None] = {}
        # Names bound per scope as Python binds them (0: module; a def, lambda, class body or comprehension's id)
        self.stores: dict[int, Counter] = defaultdict(Counter)
        self._scope_parent: dict[ast.AST, ast.AST] = {}  # def, lambda, class, comprehension -> enclosing scope
        self._calls: list[CallSite] | None = None
        self._by_statement: dict[type, dict[ast.stmt | None, list[tuple[tuple, tuple, ast.AST]]]] = {}
        self._own_typed: dict[ast.AST | None, dict[type, list[ast.AST]]] = {}
        self._imported: list[ImportedModule] | None = None
        self._visible: dict[tuple[ast.AST, str], bool] = {}  # (symbol scope, name) -> visibly_bound's answer
        self._index()
        self.imports = ImportMap(self.by_type[ast.Import] + self.by_type[ast.ImportFrom], package)
        self.module_env = Environment(self.imports, single_assignments(self.tree.body, include_nested_blocks=False),
                                      file=file)
        self.functions: dict[str, FunctionNode] = {s.name: s for s in self.tree.body if isinstance(s, DEFS)}
        self._environments = {f: function_environment(f, self.module_env) for kind in DEFS for f in self.by_type[kind]}
        self.global_names = {name for node in self.by_type[ast.Global] for name in node.names}
        self._truths: dict[ast.AST | None, Truth] = {}
        self.control = ControlFacts(self.tree, self.truth_in, self.imports.qualified)

    def release(self) -> None:
        """Break the model's cycles (its truths, call sites and control facts hold the model) when done."""
        self._truths.clear()
        self._calls = None
        self.control = None

    # -- the one traversal -------------------------------------------------------------------
    def _index(self) -> None:
        """Preorder over the tree with an explicit stack of nodes. A Context on the stack sets the context
        (scope, statement, symbol scope) in force once the subtree pushed above it is done."""
        by_type, where, parent_of, stores = self.by_type, self._where, self._parent_statement, self.stores
        tree = self.tree
        own_list = self._own[None] = []
        context: Context = (None, None, tree, own_list, 0)
        scope, statement, symbols, own_list, names_key = context
        stack: list = list(reversed(tree.body))
        pop, push, extend = stack.pop, stack.append, stack.extend
        roles = _ROLES
        while stack:
            node = pop()
            kind = node.__class__
            role = roles.get(kind) or _role(kind)
            if role == _SKIP:  # an identifier or None among a list field's items
                continue
            if role == _RESTORE:
                context = node
                scope, statement, symbols, own_list, names_key = context
                continue
            if role >= _STATEMENT:
                parent_of[node] = statement
                push(context)  # back to the enclosing statement's context after this one
                statement = node
                context = (scope, node, symbols, own_list, names_key)
            by_type[kind].append(node)
            own_list.append(node)
            where[node] = context
            if role == _LEAF:
                continue
            if role == _NAME:
                if node.ctx.__class__ is not ast.Load:
                    stores[names_key][node.id] += 1
                continue
            if _PLAIN <= role <= _IMPORT:
                if role == _HANDLER and node.name:
                    stores[names_key][node.name] += 1
                elif role == _IMPORT:
                    for alias in node.names:
                        stores[names_key][alias.asname or alias.name.split(".")[0]] += 1
                for field in _FIELDS[kind]:  # last field first: the stack pops the first child first
                    value = getattr(node, field, None)
                    if value.__class__ is list:
                        extend(reversed(value))
                    elif value is not None:  # the fields left hold a node, a list or None (see _FIELDS)
                        push(value)
                continue
            self._scope_parent[node] = symbols
            if role == _COMPREHENSION:
                first, *rest = node.generators
                inner = [first.target, *first.ifs]
                for generator in rest:
                    inner += [generator.target, generator.iter, *generator.ifs]
                inner += [node.key, node.value] if kind is ast.DictComp else [node.elt]
                push(context)
                extend(reversed(inner))
                push((scope, statement, node, own_list, id(node)))
                push(first.iter)  # the first iterable is evaluated outside the comprehension's scope
                continue
            if role == _CLASS:
                stores[names_key][node.name] += 1
                inner_scope, inner_own = scope, own_list  # a class body runs where the class statement is
            else:
                if role == _DEF:
                    stores[names_key][node.name] += 1
                else:
                    push(context)  # a lambda is an expression: back to its statement's context after it
                arguments = stores[id(node)]
                for argument in _arguments(node):
                    arguments[argument.arg] += 1
                inner_scope, inner_own = node, self._own.setdefault(node, [])
            extend(reversed(node.body) if role != _LAMBDA else (node.body,))
            push((inner_scope, statement, node, inner_own, id(node)))
            extend(reversed(_outer_parts(node)))

    # -- queries ----------------------------------------------------------------------------
    def nodes(self, kind: type) -> list[ast.AST]:
        """Every node of `kind` in the file, in source order."""
        return self.by_type.get(kind, [])

    def own(self, function: ast.AST | None) -> list[ast.AST]:
        """Nodes evaluated in `function`'s own scope (None: at module level), nested defs' bodies excluded."""
        return self._own.get(function, [])

    def own_of(self, function: ast.AST | None, kind: type) -> list[ast.AST]:
        """The nodes of `kind` among own(function), in the same order; grouped once per scope, for every rule."""
        typed = self._own_typed.get(function)
        if typed is None:
            typed = self.own_types(function)
        return typed.get(kind, [])

    def own_types(self, function: ast.AST | None) -> dict[type, list[ast.AST]]:
        """own(function) grouped by node type, once (own_of answers from it): for a caller asking about many
        types, one lookup instead of one own_of call per type. Read with .get; the lists are shared."""
        typed = self._own_typed.get(function)
        if typed is None:
            typed = self._own_typed[function] = defaultdict(list)
            for node in self.own(function):
                typed[node.__class__].append(node)
        return typed

    def names_resolved_in(self, function: ast.AST) -> Iterator[tuple[ast.Name, ast.stmt | None]]:
        """(name, its statement) for the names among own(function) that Python resolves in `function` itself
        (not in a comprehension inside it): one context lookup per name instead of two."""
        where = self._where
        for node in self.own_of(function, ast.Name):
            context = where[node]
            if context[2] is function:
                yield node, context[1]

    def scope_parent(self, scope: ast.AST) -> ast.AST:
        """The scope enclosing a def, lambda, class body or comprehension."""
        return self._scope_parent[scope]

    def scope_of(self, node: ast.AST) -> ast.AST | None:
        return self._where.get(node, _NOWHERE)[0]

    def symbol_scope(self, name: ast.Name) -> ast.AST:
        """The scope Python resolves `name` in (module, function, lambda, class body or comprehension)."""
        return self._where[name][2]

    def visibly_bound(self, name: ast.Name) -> bool:
        """`name` is bound in its own scope, an enclosing function's, or at module level (so never a NameError
        for want of a binding anywhere; whether it is bound yet is another question)."""
        scope = self._where[name][2]
        key = (scope, name.id)  # the answer depends on nothing else: asked once per scope and name
        known = self._visible.get(key)
        if known is None:
            known = self._visible[key] = self._bound_from(scope, name.id)
        return known

    def _bound_from(self, scope: ast.AST, name: str) -> bool:
        own = True
        while scope is not self.tree:
            if (own or not isinstance(scope, ast.ClassDef)) and self.stores.get(id(scope), {}).get(name):
                return True
            own = False
            scope = self._scope_parent[scope]
        return bool(self.stores.get(0, {}).get(name)) or (
            name in self.global_names and any(stores.get(name) for stores in self.stores.values()))

    def nodes_within(self, expression: ast.AST, kind: type = ast.Name) -> list[ast.AST]:
        """Nodes of `kind` inside an expression (itself included), from the index: those of its statement
        whose position falls within the expression's span."""
        if expression.__class__ is kind is ast.Name:  # a name holds no other name: itself, if the index met it
            return [expression] if expression in self._where else []
        statement = self._where.get(expression, _NOWHERE)[1]
        buckets = self._by_statement.get(kind)
        if buckets is None:  # (start, end, node) of each node of `kind`, by statement
            buckets = self._by_statement[kind] = defaultdict(list)
            where = self._where
            for node in self.nodes(kind):
                buckets[where[node][1]].append(((node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset),
                                                node))
        if expression is statement:
            return [node for _, _, node in buckets.get(statement, ())]
        start = (expression.lineno, expression.col_offset)
        end = (expression.end_lineno, expression.end_col_offset)
        return [node for first, last, node in buckets.get(statement, ()) if start <= first and last <= end]

    def statement_of(self, node: ast.AST) -> ast.stmt | None:
        """The innermost statement holding `node` (a statement is its own)."""
        return self._where.get(node, _NOWHERE)[1]

    def statements_around(self, node: ast.AST) -> Iterator[ast.stmt]:
        """The statements enclosing `node`, innermost first."""
        statement = self._where.get(node, _NOWHERE)[1]
        parents = self._parent_statement
        while statement is not None:
            yield statement
            statement = parents.get(statement)

    def is_dead(self, node: ast.AST) -> bool:
        return self._where.get(node, _NOWHERE)[1] in self.control.dead

    def is_guarded(self, node: ast.AST) -> bool:
        return self._where.get(node, _NOWHERE)[1] in self.control.guarded

    def try_handlers(self, node: ast.AST) -> Iterator[ast.ExceptHandler]:
        """Handlers of every `try:` whose body holds `node`."""
        inner = None
        for statement in self.statements_around(node):
            if isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar":
                if inner is not None and any(child is inner for child in statement.body):
                    yield from statement.handlers
            inner = statement

    def env_of(self, function: FunctionNode | None) -> Environment:
        return self.module_env if function is None else self._environments[function]

    def never_completes(self, block: list[ast.stmt], function: FunctionNode | None) -> bool:
        """True when control cannot fall off the end of `block`, statically dead branches considered."""
        return self.control.completion(self.truth_in(function)).block(block)

    def truth_in(self, scope: ast.AST | None) -> Truth:
        """How conditions evaluate in `scope` (None: module level): their static value, or _control.UNKNOWN.
        One per scope, remembering each condition's value: the control facts and every rule share it."""
        truth = self._truths.get(scope)
        if truth is None:
            truth = self._truths[scope] = self._truth(scope)
        return truth

    def _truth(self, scope: ast.AST | None) -> Truth:
        nested = scope is not None and self.scope_of(scope) is not None
        local = self.stores.get(id(scope), Counter()) if scope is not None else Counter()
        parameters = {a.arg for a in _arguments(scope)} if scope is not None else set()
        if scope is not None and scope.name == "load_model" and self.name == "score" and not self._called_with_arguments(scope):
            parameters = set()  # the server calls load_model() with none: its defaults are its values
        env = self.env_of(scope) if isinstance(scope, DEFS) else self.module_env
        return ScopeTruth(self, nested, local, parameters, env)

    def _called_with_arguments(self, function: FunctionNode) -> bool:
        return any(isinstance(c.func, ast.Name) and c.func.id == function.name and (c.args or c.keywords)
                   for c in self.nodes(ast.Call))

    def calls(self) -> list[CallSite]:
        """Every call evaluated at module level or in a def (lambda bodies excluded), with its environment."""
        if self._calls is None:
            sites = []
            for call in self.nodes(ast.Call):
                scope = self.scope_of(call)
                if scope is None or isinstance(scope, DEFS):
                    sites.append(CallSite(call, scope, self.env_of(scope), self))
            self._calls = sites
        return self._calls

    def calls_in(self, function: FunctionNode | None) -> Iterator[CallSite]:
        env = self.env_of(function)
        for node in self.own_of(function, ast.Call):
            yield CallSite(node, function, env, self)

    def imported_modules(self) -> list[ImportedModule]:
        """Absolute imports (and relative ones resolved in a package), in source order; worked out once."""
        if self._imported is None:
            self._imported = self._imported_modules()
        return self._imported

    def _imported_modules(self) -> list[ImportedModule]:
        found = []
        for node in sorted(self.nodes(ast.Import) + self.nodes(ast.ImportFrom), key=lambda n: (n.lineno, n.col_offset)):
            guarded = any(catches(h, IMPORT_ERRORS, bare=True) for h in self.try_handlers(node))
            if isinstance(node, ast.Import):
                found.extend(ImportedModule(node, alias.name, guarded) for alias in node.names)
            else:
                module = absolute_module(node, self.package) if node.level else node.module
                if module:
                    found.append(ImportedModule(node, module, guarded))
        return found


class ModuleIndex:
    """Where imports can come from inside the artifact: score.py's folder and its sys.path additions."""

    def __init__(self, artifact, score: ModuleModel):
        self.artifact = artifact
        folder = posixpath.dirname(score.path)
        self.folder = folder
        self.roots = [folder]
        self._found: dict[str, str | None] = {}
        self._elsewhere: dict[str, str | None] = {}
        for site in score.calls():
            name = call_name(score.imports, site.call)
            if name in ("sys.path.insert", "sys.path.append") and site.call.args:
                folded = fold(site.call.args[-1], site.env)
                if folded is not None and folded.base == "artifact":
                    root = posixpath.normpath(posixpath.join(folder, folded.text)) if folded.text else folder
                    self.roots.append("" if root == "." else root)

    def _candidates(self, root: str, dotted: str) -> list[str]:
        base = posixpath.join(root, *dotted.split(".")) if root else posixpath.join(*dotted.split("."))
        return [base + ".py", base + "/__init__.py", base]

    def find(self, dotted: str) -> str | None:
        """The artifact path that provides module `dotted`, if any root has it (asked again by several rules)."""
        if dotted not in self._found:
            self._found[dotted] = next((candidate for root in self.roots for candidate in self._candidates(root, dotted)
                                        if candidate in self.artifact.entries), None)
        return self._found[dotted]

    def elsewhere(self, top: str) -> str | None:
        """A file for module `top` that exists in the artifact but not where imports look."""
        if top not in self._elsewhere:
            names = {f"{top}.py", f"{top}/__init__.py"}
            self._elsewhere[top] = next((path for path in sorted(self.artifact.entries)
                                         if any(path == n or path.endswith("/" + n) for n in names)), None)
        return self._elsewhere[top]


class SemanticModel:
    """score.py and its local modules, and what runs when across them."""

    def __init__(self, ctx, score_document: PythonDocument):
        self.score = ModuleModel("score", score_document)
        self.modules: dict[str, ModuleModel] = {"score": self.score}
        self.index = ModuleIndex(ctx.artifact, self.score)
        self._load_helpers(ctx)
        self._startup: tuple[list[ModuleModel], list[tuple[ModuleModel, FunctionNode]]] | None = None

    def release(self) -> None:
        for module in self.modules.values():
            module.release()

    @classmethod
    def of(cls, ctx) -> "SemanticModel | None":
        """The artifact's model, built on first use; None when score.py is missing or does not parse."""
        document = ctx.documents.score
        if document is None or document.tree is None:
            return None
        return ctx.cached("semantic.model", lambda: cls(ctx, document))

    # -- helper modules ---------------------------------------------------------------------
    def _load_helpers(self, ctx) -> None:
        pending = [self.score]
        while pending and len(self.modules) < MAX_MODULES:
            module = pending.pop(0)
            for dotted in self._wanted(module):
                if dotted in self.modules or len(self.modules) >= MAX_MODULES:
                    continue
                path = self.index.find(dotted)
                if path is None or not path.endswith(".py"):
                    continue
                document = ctx.documents.python(path)
                if document is None or document.tree is None:
                    continue
                package = dotted if path.endswith("/__init__.py") else dotted.rpartition(".")[0]
                relative = posixpath.relpath(path, self.index.folder) if self.index.folder else path
                helper = ModuleModel(dotted, document, Folded(relative, "artifact"), package)
                self.modules[dotted] = helper
                pending.append(helper)

    @staticmethod
    def _wanted(module: ModuleModel) -> list[str]:
        """Module names an import statement of `module` loads: each package on the way, and submodules."""
        names: list[str] = []
        for item in module.imported_modules():
            parts = item.module.split(".")
            names += [".".join(parts[:end]) for end in range(1, len(parts) + 1)]
            if isinstance(item.node, ast.ImportFrom):
                names += [f"{item.module}.{alias.name}" for alias in item.node.names if alias.name != "*"]
        return names

    def helpers(self) -> list[ModuleModel]:
        return [module for name, module in self.modules.items() if name != "score"]

    def module_named(self, dotted: str) -> ModuleModel | None:
        return self.modules.get(dotted)

    # -- calls across modules ---------------------------------------------------------------
    def resolve(self, module: ModuleModel, call: ast.Call) -> tuple[ModuleModel, FunctionNode] | None:
        """The def a call reaches: one of the module's own, or one of a helper module it imports."""
        func = call.func
        if isinstance(func, ast.Name) and func.id in module.functions:
            return module, module.functions[func.id]
        name = module.imports.qualified(func)
        if name and "." in name:
            owner, _, attribute = name.rpartition(".")
            target = self.modules.get(owner)
            if target is not None and attribute in target.functions:
                return target, target.functions[attribute]
        return None

    def _loaded_by(self, module: ModuleModel, nodes) -> list[ModuleModel]:
        loaded = []
        for node in nodes:
            kind = node.__class__  # parsed trees hold no subclasses of ast's node types
            if (kind is ast.Import or kind is ast.ImportFrom) and not module.is_dead(node):
                names = [absolute_module(node, module.package)] if isinstance(node, ast.ImportFrom) else \
                    [alias.name for alias in node.names]
                for name in filter(None, names):
                    parts = name.split(".")
                    candidates = [".".join(parts[:end]) for end in range(1, len(parts) + 1)]
                    if isinstance(node, ast.ImportFrom):
                        candidates += [f"{name}.{alias.name}" for alias in node.names]
                    loaded += [self.modules[c] for c in candidates if c in self.modules]
        return loaded

    def startup(self) -> tuple[list[ModuleModel], list[tuple[ModuleModel, FunctionNode]]]:
        """(modules whose top level runs, functions that run) when the server imports score.py and loads the model."""
        if self._startup is not None:
            return self._startup
        modules: list[ModuleModel] = []
        functions: list[tuple[ModuleModel, FunctionNode]] = []
        seen: set[int] = set()
        pending_modules = [self.score]
        pending_functions: list[tuple[ModuleModel, FunctionNode]] = []
        if "load_model" in self.score.functions:
            pending_functions.append((self.score, self.score.functions["load_model"]))
        while pending_modules or pending_functions:
            if pending_modules:
                module = pending_modules.pop(0)
                if id(module) in seen:
                    continue
                seen.add(id(module))
                modules.append(module)
                scope = None
            else:
                module, scope = pending_functions.pop()
                if id(scope) in seen:
                    continue
                seen.add(id(scope))
                functions.append((module, scope))
            nodes = module.own(scope)
            pending_modules += self._loaded_by(module, nodes)
            for node in module.own_of(scope, ast.Call):
                if not module.is_dead(node):
                    target = self.resolve(module, node)
                    if target is not None and id(target[1]) not in seen:
                        pending_functions.append(target)
        self._startup = (modules, functions)
        return self._startup

    def startup_calls(self) -> Iterator[CallSite]:
        """Live calls that run when score.py is imported or load_model() is called (the deployment's start-up)."""
        modules, functions = self.startup()
        for module in modules:
            yield from (site for site in module.calls_in(None) if not site.dead)
        for module, function in functions:
            yield from (site for site in module.calls_in(function) if not site.dead)

    def all_calls(self) -> Iterator[CallSite]:
        """Every call in score.py and its helper modules, with the environment its arguments fold in."""
        for module in self.modules.values():
            yield from module.calls()
