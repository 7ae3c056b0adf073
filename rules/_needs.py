"""What the artifact's code needs from its environment: the third-party modules score.py and the
artifact's own modules it imports (followed transitively) import, with where each import is.

Shared by RTY118 (libraries a known pack lacks) and `verify --env auto` (what to install).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from artifact_lint.artifact import ReadError
from artifact_lint.diagnostics import Span
from artifact_lint.rules._python_facts import distribution_of, is_stdlib
from artifact_lint.rules.score_imports import _analysis, imported_modules

MAX_MODULE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Need:
    path: str  # the artifact file that imports it
    span: Span
    module: str  # the top-level module
    distribution: str | None  # the pip distribution that provides it, when known


def third_party_imports(ctx) -> list[Need]:
    """Non-optional imports of modules that are neither standard library nor in the artifact (first per module)."""

    def compute():
        document = ctx.documents.score
        if document is None or document.tree is None:
            return []
        modules, index = _analysis(ctx, document, document.tree)
        found: dict[str, Need] = {}
        queue, seen = [(document.path, modules)], {document.path}
        while queue:
            path, items = queue.pop(0)
            for item in items:
                top = item.module.split(".")[0]
                local = index.find(item.module) or index.find(top)
                if local:
                    file = local if local.endswith(".py") else local + "/__init__.py"
                    if file not in seen and file in ctx.artifact.entries:
                        seen.add(file)
                        tree = _parse(ctx, file)
                        if tree is not None:
                            queue.append((file, imported_modules(tree)))
                elif not item.guarded and not is_stdlib(top, None) and top not in found:
                    node = item.node
                    span = Span.of(node.lineno, node.col_offset + 1, node.end_lineno or node.lineno,
                                   (node.end_col_offset or node.col_offset) + 1)
                    found[top] = Need(path, span, top, distribution_of(top))
        return list(found.values())

    return ctx.cached("needs.imports", compute)


def imported_distributions(ctx) -> list[Need]:
    return [need for need in third_party_imports(ctx) if need.distribution is not None]


def _parse(ctx, path: str) -> ast.Module | None:
    try:
        return ast.parse(ctx.artifact.read_bytes(path, MAX_MODULE_BYTES))
    except (SyntaxError, ValueError, OSError, ReadError):
        return None
