"""Which interpreter a verify run uses: proven to be a Python >= 3.8 before anything runs.

The probe runs the user's interpreter (never the artifact) in isolated mode and reports what
the sandbox must make visible (its prefixes and import path) and a fingerprint of what is
installed, so a cached result is tied to the environment that produced it: two virtualenvs
on one base Python differ, and installing or upgrading a package changes the fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass

PROBE_TIMEOUT = 60
PROBE = r"""
import json, os, sys
paths = [p for p in sys.path if p and os.path.exists(p)]
installed = []
for folder in paths:
    if os.path.isdir(folder):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            try:
                installed.append([folder, name, os.stat(os.path.join(folder, name)).st_mtime_ns])
            except OSError:
                pass
print(json.dumps({"version": list(sys.version_info[:3]), "executable": sys.executable,
                  "prefix": sys.prefix, "base_prefix": getattr(sys, "base_prefix", sys.prefix),
                  "paths": paths, "installed": installed}))
"""


class InterpreterError(Exception):
    """The --python given is missing, not runnable, not a Python, or too old: a usage error."""


@dataclass(frozen=True)
class Interpreter:
    path: str  # as given (a venv's bin/python must stay unresolved to keep the venv)
    version: tuple[int, int, int]
    executable: str
    prefix: str
    base_prefix: str
    paths: tuple[str, ...]
    fingerprint: str

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

    def folders(self) -> list[str]:
        """What the interpreter needs to see to start and import: its prefixes, its binary, its path."""
        seen: list[str] = []
        for folder in (self.prefix, self.base_prefix, os.path.dirname(os.path.realpath(self.executable)),
                       os.path.dirname(os.path.abspath(self.path)), *self.paths):
            folder = os.path.abspath(folder)
            if folder not in seen:
                seen.append(folder)
        return seen


def probe(python: str) -> Interpreter:
    """Run the interpreter's own probe; InterpreterError says in one line what is wrong."""
    if not os.path.exists(python):
        raise InterpreterError(f"--python {python}: no such file")
    if os.path.isdir(python) or not os.access(python, os.X_OK):
        raise InterpreterError(f"--python {python}: not an executable file")
    try:
        completed = subprocess.run([python, "-I", "-c", PROBE], capture_output=True, timeout=PROBE_TIMEOUT,
                                   env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"})
    except subprocess.TimeoutExpired:
        raise InterpreterError(f"--python {python}: did not answer within {PROBE_TIMEOUT} s") from None
    except OSError as error:
        raise InterpreterError(f"--python {python}: cannot run it ({error.strerror or error})") from None
    try:
        facts = json.loads(completed.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
        version = tuple(int(part) for part in facts["version"])
    except (ValueError, IndexError, KeyError, TypeError):
        raise InterpreterError(f"--python {python}: not a Python interpreter (it did not run a Python probe)") from None
    if version < (3, 8):
        raise InterpreterError(f"--python {python} is Python {'.'.join(map(str, version))}; the verifier needs 3.8 or newer")
    fingerprint = hashlib.sha256(json.dumps([facts["executable"], facts["prefix"], facts["installed"]]).encode())
    return Interpreter(python, version, facts["executable"], facts["prefix"], facts["base_prefix"],
                       tuple(facts["paths"]), fingerprint.hexdigest())
