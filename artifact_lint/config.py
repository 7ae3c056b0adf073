"""Configuration: `[tool.artifact-lint]` in the nearest pyproject.toml, or artifact-lint.toml.

The nearest file upward from each artifact wins (artifact-lint.toml before
pyproject.toml in the same folder); command-line options are applied on top.
Unknown rule codes in a config file do not stop the run: they become ALX002
findings, so a typo is visible without breaking CI.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from artifact_lint.diagnostics import Severity
from artifact_lint.registry import SelectorError, expand_selector, split_selectors

CONFIG_FILE = "artifact-lint.toml"
RUNTIMES = ("conda", "container")
# What score.py's contract is: "auto" reads it from the artifact's shape (see rules/_kind.py).
ARTIFACT_KINDS = ("auto", "model", "model-group", "model-less")
DEFAULT_PYTHON_VERSIONS = ((3, 6), (3, 14))
KNOWN_KEYS = {
    "select", "ignore", "extend-select", "severity", "per-file-ignores", "fail-on", "runtime",
    "python-versions", "library-versions", "verify", "online", "kind",
}


class ConfigError(Exception):
    """A config file that cannot be used at all (bad TOML, wrong value types)."""


class UnknownCode(NamedTuple):
    """A selector in the configuration that names no rule (reported, not fatal)."""

    key: str
    token: str


class Config(NamedTuple):
    """The settings a lint runs with, merged from pyproject.toml, the command line and defaults.

    Immutable; its {} defaults are shared, so they are never changed in place (the loader and
    with_overrides build new dicts).
    """

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    severity: dict = {}  # code -> Severity
    per_file_ignores: dict = {}  # glob -> tuple of selectors
    fail_on: Severity = Severity.ERROR
    runtime: str = "conda"
    runtime_declared: bool = False  # runtime set in a config file or on the command line, not defaulted
    kind: str = "auto"
    python_versions: tuple = DEFAULT_PYTHON_VERSIONS
    library_versions: dict = {}  # distribution -> version the conda pack has
    verify: dict = {}  # [tool.artifact-lint.verify]: timeout, memory, python, input...
    online: bool = False  # check the conda pack in Object Storage (needs the OCI SDK and credentials)
    source: Path | None = None
    unknown_codes: tuple[UnknownCode, ...] = ()
    warnings: tuple[str, ...] = ()

    def with_overrides(self, **overrides) -> "Config":
        """Apply command-line options; None means "not given"."""
        given = {key: value for key, value in overrides.items() if value is not None}
        if "runtime" in given:
            given["runtime_declared"] = True
        if "ignore" in given:
            given["ignore"] = self.ignore + tuple(given["ignore"])
        if "extend_select" in given:
            given["extend_select"] = self.extend_select + tuple(given["extend_select"])
        return self._replace(**given)


def parse_version_range(value) -> tuple:
    """"3.8-3.12" or ["3.8", "3.12"] -> ((3, 8), (3, 12))."""
    parts = value.split("-") if isinstance(value, str) else value
    if not isinstance(parts, (list, tuple)) or len(parts) != 2:
        raise ConfigError(f"python-versions must look like \"3.8-3.12\", got {value!r}")
    bounds = []
    for part in parts:
        match = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", str(part))
        if not match:
            raise ConfigError(f"python-versions bound {part!r} is not a version like 3.11")
        bounds.append((int(match.group(1)), int(match.group(2))))
    return tuple(bounds)


def _selectors(table: dict, key: str, unknown: list[UnknownCode]) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{key} must be a list of rule codes, prefixes or names")
    tokens = split_selectors(value)
    known = []
    for token in tokens:
        try:
            expand_selector(token)
            known.append(token)
        except SelectorError:
            unknown.append(UnknownCode(key, token))
    return tuple(known)


def config_from_table(table: dict, source: Path | None) -> Config:
    unknown: list[UnknownCode] = []
    warnings = [f"{source}: unknown key {key!r} in [tool.artifact-lint]" for key in table if key not in KNOWN_KEYS]
    select = _selectors(table, "select", unknown) if "select" in table else None
    severity = {}
    for token, level in _table(table, "severity").items():
        try:
            codes = expand_selector(token)
        except SelectorError:
            unknown.append(UnknownCode("severity", token))
            continue
        try:
            severity.update({code: Severity.parse(str(level)) for code in codes})
        except ValueError as error:
            raise ConfigError(f"severity.{token}: {error}") from None
    per_file = {}
    for pattern, tokens in _table(table, "per-file-ignores").items():
        per_file[pattern] = _selectors({f"per-file-ignores.{pattern}": tokens}, f"per-file-ignores.{pattern}", unknown)
    runtime = table.get("runtime", "conda")
    if runtime not in RUNTIMES:
        raise ConfigError(f"runtime must be conda or container, got {runtime!r}")
    kind = table.get("kind", "auto")
    if kind not in ARTIFACT_KINDS:
        raise ConfigError(f"kind must be one of {', '.join(ARTIFACT_KINDS)}, got {kind!r}")
    try:
        fail_on = Severity.parse(str(table.get("fail-on", "error")))
    except ValueError as error:
        raise ConfigError(f"fail-on: {error}") from None
    return Config(
        select=select,
        ignore=_selectors(table, "ignore", unknown),
        extend_select=_selectors(table, "extend-select", unknown),
        severity=severity,
        per_file_ignores=per_file,
        fail_on=fail_on,
        runtime=runtime,
        runtime_declared="runtime" in table,
        kind=kind,
        python_versions=parse_version_range(table.get("python-versions", "3.6-3.14")),
        library_versions=_library_versions(table.get("library-versions", {})),
        verify=_table(table, "verify"),
        online=bool(table.get("online", False)),
        source=source,
        unknown_codes=tuple(unknown),
        warnings=tuple(warnings),
    )


def _table(table: dict, key: str) -> dict:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{key} must be a table")
    return dict(value)


def _library_versions(value) -> dict:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError('library-versions must map distributions to versions, e.g. {scikit-learn = "1.3.2"}')
    return dict(value)


def read_config_file(path: Path) -> Config | None:
    """The config in `path`, or None for a pyproject.toml without [tool.artifact-lint]."""
    import tomllib  # only when a config file exists

    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    if path.name == "pyproject.toml":
        table = document.get("tool", {}).get("artifact-lint")
        if table is None:
            return None
    else:
        table = document.get("tool", {}).get("artifact-lint", document)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.artifact-lint] must be a table")
    try:
        return config_from_table(table, path)
    except ConfigError as error:  # name the file; the message names the key
        raise ConfigError(f"{path}: {error}") from None


class ConfigLoader:
    """Finds and caches the config that applies to each folder."""

    def __init__(self, explicit: Path | None = None):
        self._explicit = read_config_file(explicit) if explicit else None
        self._cache: dict[Path, Config] = {}
        self._given: dict[Path, Config] = {}  # by the path as given, so each is resolved (an lstat per part) once

    def for_directory(self, directory: Path) -> Config:
        if self._explicit is not None:
            return self._explicit
        config = self._given.get(directory)
        if config is None:
            resolved = directory.resolve()
            if resolved not in self._cache:
                self._cache[resolved] = self._search(resolved)
            config = self._given[directory] = self._cache[resolved]
        return config

    def warnings(self) -> list[str]:
        """Warnings from every config file used (unknown keys), each once."""
        configs = list(self._cache.values()) + ([self._explicit] if self._explicit else [])
        return sorted({warning for config in configs for warning in config.warnings})

    def _search(self, directory: Path) -> Config:
        """The first config found from `directory` up; the folders passed on the way are cached too,
        so sibling artifacts look for config files in their own folder only."""
        passed = []
        config = None
        for folder in (directory, *directory.parents):
            if folder in self._cache:
                config = self._cache[folder]
                break
            passed.append(folder)
            for name in (CONFIG_FILE, "pyproject.toml"):
                candidate = folder / name
                if candidate.is_file():
                    config = read_config_file(candidate)
                    if config is not None:
                        break
            if config is not None:
                break
        config = config if config is not None else Config()
        for folder in passed:
            self._cache[folder] = config
        return config
