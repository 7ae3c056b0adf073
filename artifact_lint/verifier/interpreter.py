"""Which interpreter a verify run uses: proven to be a Python >= 3.8 before anything runs.

The probe runs the user's interpreter (never the artifact) in isolated mode and reports what
the sandbox must make visible (its prefixes and import path) and a fingerprint of what is
installed (every import-path folder's listing and modification time: installing, removing or
upgrading anything changes them), so a cached result is tied to the environment that produced
it: two virtualenvs on one base Python differ, and a fixed environment gets a fresh run.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROBE_TIMEOUT = 60
PROBE = r"""
import json, os, sys
print(json.dumps({"version": list(sys.version_info[:3]), "executable": sys.executable, "prefix": sys.prefix,
                  "base_prefix": getattr(sys, "base_prefix", sys.prefix),
                  "paths": [p for p in sys.path if p and os.path.exists(p)]}))
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


def installed_listing(paths) -> list:
    """Each import-path folder's modification time and entries: what installing anything changes."""
    listing = []
    for folder in paths:
        try:
            listing.append([folder, os.stat(folder).st_mtime_ns, sorted(os.listdir(folder))])
        except (NotADirectoryError, FileNotFoundError, PermissionError):
            continue
    return listing


def _identity(python: str) -> list:
    real = os.path.realpath(python)
    stat = os.stat(real)
    return [os.path.abspath(python), real, stat.st_size, stat.st_mtime_ns]


@lru_cache(maxsize=8)
def probe(python: str, cache: Path | None = None) -> Interpreter:
    """The interpreter's facts, from its own probe or from `cache` while its binary and import-path
    folders are unchanged (a probe costs a Python start-up); InterpreterError says what is wrong."""
    if not os.path.exists(python):
        raise InterpreterError(f"--python {python}: no such file")
    if os.path.isdir(python) or not os.access(python, os.X_OK):
        raise InterpreterError(f"--python {python}: not an executable file")
    identity = _identity(python)
    entry = cache / f"probe-{hashlib.sha256(json.dumps(identity).encode()).hexdigest()}.json" if cache else None
    facts = _cached_facts(entry)
    if facts is None:
        facts = run_probe(python)
        facts["listing"] = installed_listing(facts["paths"])
        if entry is not None:
            try:
                entry.parent.mkdir(parents=True, exist_ok=True)
                entry.write_text(json.dumps(facts), encoding="utf-8")
            except OSError:
                pass  # only slower next time
    version = tuple(facts["version"])
    if version < (3, 8):
        raise InterpreterError(f"--python {python} is Python {'.'.join(map(str, version))}; the verifier needs 3.8 or newer")
    fingerprint = hashlib.sha256(json.dumps([facts["executable"], facts["prefix"], facts["listing"]]).encode())
    return Interpreter(python, version, facts["executable"], facts["prefix"], facts["base_prefix"],
                       tuple(facts["paths"]), fingerprint.hexdigest())


def _cached_facts(entry: Path | None) -> dict | None:
    """The cached probe while every import-path folder still lists as it did (a new .pth changes it)."""
    if entry is None:
        return None
    try:
        facts = json.loads(entry.read_text(encoding="utf-8"))
        return facts if facts["listing"] == installed_listing(facts["paths"]) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def run_probe(python: str) -> dict:
    """The facts a Python reports of itself (any version); InterpreterError when it is not a runnable Python."""
    try:
        completed = subprocess.run([python, "-I", "-c", PROBE], capture_output=True, timeout=PROBE_TIMEOUT,
                                   env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"})
    except subprocess.TimeoutExpired:
        raise InterpreterError(f"--python {python}: did not answer within {PROBE_TIMEOUT} s") from None
    except OSError as error:
        raise InterpreterError(f"--python {python}: cannot run it ({error.strerror or error})") from None
    try:
        facts = json.loads(completed.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
        version = [int(part) for part in facts["version"]]
    except (ValueError, IndexError, KeyError, TypeError):
        raise InterpreterError(f"--python {python}: not a Python interpreter (it did not run a Python probe)") from None
    facts["version"] = version
    return facts
