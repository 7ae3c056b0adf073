"""Regenerate artifact_lint/data/removed_pickle_globals.json: per framework, the modules and the
module-level names (classes, functions) that a release no longer has, with the first release
without them, read statically from the libraries' own wheels (never imported).

A pickle names its classes by module and name; unpickling with a release that lacks one fails
with ModuleNotFoundError or AttributeError. Compiled extension modules are not read, so their
names are never reported. Wheels come from PyPI with `pip download --no-deps --only-binary`
(macOS wheels where they are smaller: the Python files are the same).
Run: python scripts/removed_pickle_globals.py [--cache DIR]
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "artifact_lint" / "data" / "removed_pickle_globals.json"
# distribution -> (import name, [(version, python for the wheel, platform)])
PLAN = {
    "scikit-learn": ("sklearn", [(v, py, "macosx_10_13_x86_64") for v, py in (
        ("0.20.4", "3.7"), ("0.21.3", "3.7"), ("0.22.2.post1", "3.8"), ("0.23.2", "3.8"), ("0.24.2", "3.8"),
        ("1.0.2", "3.9"), ("1.1.3", "3.10"), ("1.2.2", "3.10"), ("1.3.2", "3.11"), ("1.4.2", "3.11"),
        ("1.5.2", "3.12"), ("1.6.1", "3.12"), ("1.7.2", "3.12"))]),
    "xgboost": ("xgboost", [(v, py, "macosx_10_15_x86_64") for v, py in (
        ("0.90", "3.7"), ("1.0.2", "3.7"), ("1.2.1", "3.8"), ("1.3.3", "3.8"), ("1.5.2", "3.8"), ("1.6.2", "3.9"),
        ("1.7.6", "3.10"), ("2.0.3", "3.11"), ("2.1.4", "3.12"), ("3.0.5", "3.12"))]),
    "lightgbm": ("lightgbm", [(v, py, "macosx_10_15_x86_64") for v, py in (
        ("2.3.1", "3.7"), ("3.3.5", "3.9"), ("4.0.0", "3.11"), ("4.6.0", "3.12"))]),
}


def download(distribution: str, version: str, python: str, platform: str, cache: Path) -> Path | None:
    folder = cache / f"{distribution}-{version}"
    wheels = list(folder.glob("*.whl"))
    if not wheels:
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                   "--python-version", python, "--platform", platform, "--dest", str(folder),
                   f"{distribution}=={version}"]
        if subprocess.run(command).returncode != 0:
            command[command.index(platform)] = "manylinux2014_x86_64"
            subprocess.run(command)
        wheels = list(folder.glob("*.whl"))
    return wheels[0] if wheels else None


def namespace(wheel: Path, package: str) -> dict[str, tuple[set[str], set[str]]]:
    """module -> (names defined there by class/def, every name bound at its top level); tests and build helpers skipped."""
    modules: dict[str, tuple[set[str], set[str]]] = {}
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if not member.startswith(package + "/") or not member.endswith(".py"):
                continue
            module = member[:-3].replace("/", ".").removesuffix(".__init__")
            parts = module.split(".")
            if not all(part.isidentifier() for part in parts) or any(
                    part in ("tests", "setup", "_build_utils", "conftest") for part in parts):
                continue
            try:
                tree = ast.parse(archive.read(member))
            except (SyntaxError, ValueError):
                continue
            defined: set[str] = set()
            bound: set[str] = set()
            for node in tree.body:
                if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    defined.add(node.name)
                    bound.add(node.name)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names if alias.name != "*")
                    if any(alias.name == "*" for alias in node.names):
                        bound.add("*")
                elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    bound.update(t.id for t in targets if isinstance(t, ast.Name))
                else:
                    if any(isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.Import, ast.ImportFrom, ast.Assign))
                           for child in ast.walk(node)) or "__getattr__" in bound:
                        bound.add("*")  # conditional or dynamic definitions: not every name is known
            if "__getattr__" in defined:
                bound.add("*")
            modules[module] = (defined, bound)
    return modules


def removals(releases: list[tuple[str, dict]]) -> tuple[dict[str, dict], dict[str, dict]]:
    """Classes/functions and modules an earlier release had and a later one lacks (and the last still lacks):
    {name: {"last_with": version, "first_without": version}}."""
    names: dict[str, dict] = {}
    modules: dict[str, dict] = {}
    for (old, before), (new, after) in zip(releases, releases[1:], strict=False):
        for module, (defined, _) in before.items():
            if module not in after:
                modules.setdefault(module, {"last_with": old, "first_without": new})
            elif "*" not in after[module][1]:
                for name in defined - after[module][1]:
                    names.setdefault(f"{module}.{name}", {"last_with": old, "first_without": new})
    last = releases[-1][1]
    modules = {m: v for m, v in modules.items() if m not in last}
    names = {n: v for n, v in names.items()
             if n.rsplit(".", 1)[0] in modules or (n.rsplit(".", 1)[0] in last
                                                    and "*" not in last[n.rsplit(".", 1)[0]][1]
                                                    and n.rsplit(".", 1)[1] not in last[n.rsplit(".", 1)[0]][1])}
    names = {n: v for n, v in names.items() if n.rsplit(".", 1)[0] not in modules}  # the module's entry says it
    return names, modules


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "artifact-lint-wheels")
    args = parser.parse_args()
    libraries = {}
    for distribution, (package, versions) in PLAN.items():
        releases = []
        for version, python, platform in versions:
            wheel = download(distribution, version, python, platform, args.cache)
            if wheel is not None:
                releases.append((version, namespace(wheel, package)))
        names, modules = removals(releases)
        libraries[distribution] = {"module": package, "releases_read": [version for version, _ in releases],
                                   "removed": dict(sorted(names.items())), "removed_modules": dict(sorted(modules.items()))}
    OUT.write_text(json.dumps({
        "about": "modules, and classes/functions defined at a module's top level, that a release no longer has: the last "
                 "release read that had them and the first read without them",
        "source": "the libraries' wheels on PyPI, read statically by scripts/removed_pickle_globals.py",
        "generated": datetime.date.today().isoformat(), "libraries": libraries}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
