"""Which module each name in score.py comes from, so calls can be recognised by their real name.

`import numpy as np` makes `np.load` read as `numpy.load`; `from joblib import load` makes
`load` read as `joblib.load`. Imports anywhere in the file count (score.py files import
inside functions often), the last one of a name winning as at run time.
"""

from __future__ import annotations

import ast

# Submodules people reach through a package's own attribute (tf.keras.models.load_model).
ALIASES = {"tf": "tensorflow", "np": "numpy", "pd": "pandas", "xgb": "xgboost", "lgb": "lightgbm", "rt": "onnxruntime"}


class ImportMap:
    """Local name -> qualified name, from every import in the file."""

    def __init__(self, source: ast.Module | list[ast.Import | ast.ImportFrom], package: str = ""):
        """From a module's tree, or from its import statements as the semantic model indexed them.

        `package` (a helper module's package) resolves its relative imports; score.py has none.
        """
        self.names: dict[str, str] = {}
        self._qualified: dict[ast.expr, str | None] = {}  # expression -> its qualified name, once worked out
        nodes = ast.walk(source) if isinstance(source, ast.Module) else source
        statements = sorted((n for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))),
                            key=lambda n: (n.lineno, n.col_offset))
        for node in statements:
            module = absolute_module(node, package) if isinstance(node, ast.ImportFrom) else None
            for alias in node.names:
                if isinstance(node, ast.Import):
                    if alias.asname:
                        self.names[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.names[top] = top
                elif module and alias.name != "*":
                    self.names[alias.asname or alias.name] = f"{module}.{alias.name}"

    def qualified(self, expression: ast.expr) -> str | None:
        """`np.load` -> "numpy.load", `open` -> "open"; None for anything not a dotted name."""
        name = self._qualified.get(expression, self)  # self: not worked out yet
        if name is self:
            name = self._qualified[expression] = self._qualify(expression)
        return name

    def _qualify(self, expression: ast.expr) -> str | None:
        parts = []
        while expression.__class__ is ast.Attribute:  # ast's node types are never subclassed in a tree
            parts.append(expression.attr)
            expression = expression.value
        if expression.__class__ is not ast.Name:
            return None
        base = self.names.get(expression.id) or ALIASES.get(expression.id, expression.id)
        return ".".join([base, *reversed(parts)])


def absolute_module(node: ast.ImportFrom, package: str) -> str | None:
    """The module a `from ... import` names: as written, or resolved against `package` when relative."""
    if node.level == 0:
        return node.module
    if not package:
        return None
    parts = package.split(".")
    if node.level - 1 >= len(parts):
        return None
    base = parts[:len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else [])) or None


def call_name(imports: ImportMap, call: ast.Call) -> str:
    """The qualified name of what is called, or `.method` for a call on some other object."""
    name = imports.qualified(call.func)
    if name is not None:
        return name
    return f".{call.func.attr}" if isinstance(call.func, ast.Attribute) else ""
