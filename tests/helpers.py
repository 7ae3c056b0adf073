"""Build artifacts on disk (folder or zip) from {path: content} maps and lint them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from artifact_lint.config import ConfigLoader
from artifact_lint.engine import LintRun, lint_paths
from artifact_lint.registry import SparseFile, SymlinkTo

REPO = Path(__file__).resolve().parent.parent


def toml_value(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{key}" = {toml_value(item)}' for key, item in value.items()) + "}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def write_config(folder: Path, config: dict) -> Path:
    path = folder / "artifact-lint.toml"
    path.write_text("".join(f"{key} = {toml_value(value)}\n" for key, value in config.items()), encoding="utf-8")
    return path


def write_files(root: Path, files: dict) -> None:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, SparseFile):
            with open(target, "wb") as handle:
                handle.truncate(content.size)
        elif isinstance(content, SymlinkTo):
            target.symlink_to(content.target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_bytes(content.encode("utf-8"))


def make_artifact(tmp_path: Path, files: dict, container: str = "directory", config: dict | None = None) -> Path:
    """Write `files` as an artifact under tmp_path (config, if any, goes beside it) and return its path."""
    if config:
        write_config(tmp_path, config)
    if container == "broken-zip":  # the case's single file is written as the .zip itself
        path = tmp_path / "artifact.zip"
        path.write_bytes(next(iter(files.values())))
        return path
    if container == "zip":
        path = tmp_path / "artifact.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in files.items():
                if isinstance(content, SparseFile):
                    with archive.open(name, "w", force_zip64=True) as member:
                        for start in range(0, content.size, 1 << 24):
                            member.write(bytes(min(1 << 24, content.size - start)))
                else:
                    archive.writestr(name, content)
        return path
    folder = tmp_path / "artifact"
    folder.mkdir()
    write_files(folder, files)
    return folder


def lint(path: Path, verify: bool = False, **overrides) -> LintRun:
    """Lint like the CLI; `verify=True` also runs the artifact (as `lint --verify`, without the cache)."""
    return lint_paths([str(path)], ConfigLoader(), overrides or None, verify={} if verify else None, use_cache=False)


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, stdin: bytes | None = None):
    """Run the real command in a subprocess, as a user or CI would."""
    full_env = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "artifact_lint", *args], cwd=cwd, env=full_env, input=stdin,
        capture_output=True, timeout=120,
    )
