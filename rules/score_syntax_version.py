"""SCR002: syntax and runtime-evaluated typing that the declared Python version cannot handle."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from artifact_lint.diagnostics import Severity
from artifact_lint.documents import syntax_problem
from artifact_lint.registry import Case
from artifact_lint.rules._python_facts import RUNNING_MINOR
from artifact_lint.rules._runtime import declared_python_minor
from artifact_lint.rules._samples import SCORE_PY, artifact, runtime_yaml
from artifact_lint.rules._score import ScoreRule

GENERIC_BUILTINS = {"list", "dict", "tuple", "set", "frozenset", "type"}


def _python(minor: str) -> dict:
    """A runtime.yaml declaring Python 3.`minor` with a published pack (so RTY112 stays quiet)."""
    return {"runtime.yaml": runtime_yaml(python=f"'3.{minor}'", slug="''", env_type="published",
                                         path=f"oci://bucket@ns/packs/py3{minor}")}


def _with_score(text: str, minor: str) -> dict:
    return artifact({"score.py": text, **_python(minor)})


UNION_SCORE = SCORE_PY.replace("def predict(data, model=load_model()):",
                               "def predict(data: dict | None, model=load_model()) -> dict:")


def _runtime_annotations(module) -> Iterator[ast.expr]:
    """Annotations Python evaluates when score.py is imported (absent `from __future__ import annotations`)."""
    for node in module.nodes(ast.FunctionDef) + module.nodes(ast.AsyncFunctionDef):
        arguments = node.args
        every = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
        every += [a for a in (arguments.vararg, arguments.kwarg) if a]
        yield from (a.annotation for a in every if a.annotation is not None)
        if node.returns is not None:
            yield node.returns
    scopes = [module.tree.body] + [n.body for n in module.nodes(ast.ClassDef)]
    for body in scopes:  # variable annotations count at module and class level only
        yield from (s.annotation for s in body if isinstance(s, ast.AnnAssign))


def _isinstance_types(module) -> Iterator[ast.expr]:
    for node in module.nodes(ast.Call):
        if (isinstance(node.func, ast.Name) and node.func.id in ("isinstance", "issubclass")
                and len(node.args) == 2):
            yield node.args[1]


def _typing_problems(module, minor: int) -> Iterator[tuple[ast.AST, str]]:
    future = any(isinstance(s, ast.ImportFrom) and s.module == "__future__" and any(a.name == "annotations" for a in s.names)
                 for s in module.tree.body)
    checked = [(expression, "") for expression in _isinstance_types(module)]
    if not future:
        checked += [(expression, ", or `from __future__ import annotations`") for expression in _runtime_annotations(module)]
    for expression, alternative in checked:
        for node in sorted(module.nodes_within(expression, ast.BinOp) + module.nodes_within(expression, ast.Subscript),
                           key=lambda n: (n.lineno, n.col_offset)):
            if minor < 10 and isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
                yield node, f"`X | Y` unions are evaluated here and need Python 3.10 (use typing.Optional/Union{alternative})"
                break
            if (minor < 9 and isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                    and node.value.id in GENERIC_BUILTINS):
                yield node, f"`{node.value.id}[...]` is evaluated here and needs Python 3.9 (use typing.{node.value.id.title()})"
                break


def _decorator_problems(module, minor: int) -> Iterator[tuple[ast.AST, str]]:
    """PEP 614: before 3.9 a decorator is a dotted name, optionally called."""
    if minor >= 9:
        return
    for node in module.nodes(ast.FunctionDef) + module.nodes(ast.AsyncFunctionDef) + module.nodes(ast.ClassDef):
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            while isinstance(target, ast.Attribute):
                target = target.value
            if not isinstance(target, ast.Name):
                yield decorator, "a decorator that is not a dotted name needs Python 3.9"


def _fstring_problems(module, source: str, minor: int) -> Iterator[tuple[ast.AST, str]]:
    """PEP 701 f-strings (3.12): quotes reused inside, backslashes or comments in the braces.

    Only reachable when artifact-lint itself runs on 3.12+; older parsers reject such files outright.
    """
    if minor >= 12 or RUNNING_MINOR < 12:
        return
    for node in module.nodes(ast.JoinedStr):
        text = ast.get_source_segment(source, node) or ""
        quote = next((q for q in ('"""', "'''", '"', "'") if text.lstrip("rRfFbBuU").startswith(q)), None)
        for value in node.values:
            if not isinstance(value, ast.FormattedValue):
                continue
            inner = ast.get_source_segment(source, value.value) or ""
            if (quote and len(quote) == 1 and quote in inner) or "\\" in inner or "#" in inner:
                yield node, "this f-string nests quotes, backslashes or comments inside {}, which needs Python 3.12"
                break


class SyntaxForDeclaredPython(ScoreRule):
    """score.py uses syntax the declared INFERENCE_PYTHON_VERSION cannot run.

    ## What it does
    Parses score.py with the grammar of the Python version runtime.yaml declares (walrus and
    positional-only parameters need 3.8, parenthesised context managers and relaxed decorators
    3.9, match 3.10, except* 3.11, nested f-string quotes 3.12), and finds typing that is
    evaluated at import time: `X | Y` unions (3.10) and `list[int]`-style generics (3.9) in
    function or module annotations without `from __future__ import annotations`, and unions in
    `isinstance`.

    ## Why it matters
    The deployment runs score.py with the conda pack's Python, not the one you developed on.
    Newer syntax is a SyntaxError at import; a runtime union is a TypeError at import. Both
    fail the deployment after it has been created.

    ## Example
    `def predict(data: dict | None, model=load_model()):` with INFERENCE_PYTHON_VERSION '3.8'.

    ## Fix
    Write it the old way (`Optional[dict]`), add `from __future__ import annotations`, or
    deploy with a conda pack of a newer Python.
    """

    code, name, severity = "SCR002", "syntax-for-declared-python", Severity.ERROR
    valid = [
        Case(artifact()),
        Case(_with_score("from __future__ import annotations\n" + UNION_SCORE, "8")),
        Case(_with_score(UNION_SCORE, "10")),
    ]
    invalid = [
        Case(_with_score(SCORE_PY.replace("    model_dir = ", "    if (n := 1):\n        pass\n    model_dir = "), "7"),
             expect=[(11, 15)]),
        Case(_with_score(UNION_SCORE, "9"), expect=[(16, 19)]),
        Case(_with_score(SCORE_PY + "\n\nitems: list[int] = []\n", "8"), expect=[(21, 8)]),
        Case(_with_score(SCORE_PY + "\n\ndef check(x):\n    return isinstance(x, int | float)\n", "9"), expect=[(22, 26)]),
    ]

    def check_score(self, ctx, document, tree):
        minor = declared_python_minor(ctx)
        if minor is None or minor >= RUNNING_MINOR:
            return  # nothing newer than the running parser can be in a tree it parsed
        try:
            ast.parse(document.text, feature_version=(3, minor))
        except SyntaxError as error:
            yield self.diagnostic(document.path, syntax_problem(error, document.text).span,
                                  f"{error.msg}; runtime.yaml declares Python 3.{minor}")
        except ValueError:
            pass  # older than the oldest grammar this interpreter knows
        module = self.model(ctx).score
        problems = [*_typing_problems(module, minor), *_decorator_problems(module, minor),
                    *_fstring_problems(module, document.text, minor)]
        for node, message in problems:
            yield self.diagnostic(document.path, document.span(node), f"{message}; runtime.yaml declares Python 3.{minor}")

