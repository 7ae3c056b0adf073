"""What the artifact's code needs from its environment: the third-party modules score.py and the
artifact's own modules it imports (the semantic model follows them transitively), with where each
import is.

Shared by RTY118 (libraries a known pack lacks) and `verify --env auto` (what to install).
"""

from __future__ import annotations

from typing import NamedTuple

from artifact_lint.diagnostics import Span
from artifact_lint.rules._python_facts import distribution_of, is_stdlib
from artifact_lint.rules._semantic import SemanticModel


class Need(NamedTuple):
    """A module the artifact's code imports, and the distribution that would provide it."""

    path: str  # the artifact file that imports it
    span: Span
    module: str  # the top-level module
    distribution: str | None  # the pip distribution that provides it, when known


def third_party_imports(ctx) -> list[Need]:
    """Non-optional imports of modules that are neither standard library nor in the artifact (first per module)."""

    def compute():
        model = SemanticModel.of(ctx)
        if model is None:
            return []
        found: dict[str, Need] = {}
        for module in model.modules.values():
            for item in module.imported_modules():
                top = item.module.split(".")[0]
                if item.guarded or top in found or is_stdlib(top, None) or model.index.find(item.module) \
                        or model.index.find(top):
                    continue
                found[top] = Need(module.path, module.document.span(item.node), top, distribution_of(top))
        return list(found.values())

    return ctx.cached("needs.imports", compute)


def imported_distributions(ctx) -> list[Need]:
    return [need for need in third_party_imports(ctx) if need.distribution is not None]
