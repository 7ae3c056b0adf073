"""Exception classes of modules imported only when needed, for except clauses that must not import them.

An error a module defines can only be raised once that module is imported, so an except clause may
catch it by asking for it at the time it matches (clauses are evaluated only when an exception
propagates): when the module is not loaded there is nothing of its to catch. This keeps zipfile (and
the bz2, lzma and shutil it pulls in) off the start of a lint that opens no zip.
"""

from __future__ import annotations

import sys


def loaded_errors(module: str, *names: str) -> tuple[type[BaseException], ...]:
    """`module`'s exception classes `names` if it is loaded, else none."""
    loaded = sys.modules.get(module)
    return tuple(getattr(loaded, name) for name in names) if loaded is not None else ()


def zip_errors() -> tuple[type[BaseException], ...]:
    """zipfile.BadZipFile, for a clause around code that may have opened a zip."""
    return loaded_errors("zipfile", "BadZipFile")
