"""Runtime verification: run load_model() and predict() as the service does, in a box.

Static lints never import this package; only `verify` and `lint --verify` do.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, replace
from pathlib import Path

from artifact_lint.artifact import Artifact, ReadError
from artifact_lint.verifier.runner import VerifyOptions, VerifyOutcome, run_child

CACHE_VERSION = 1


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "artifact-lint" / "verify"


def cache_key(artifact: Artifact, options: VerifyOptions) -> str | None:
    """Covers every file of the artifact, the interpreter and the payload; None when a file is unreadable."""
    digest = hashlib.sha256(f"v{CACHE_VERSION}".encode())
    python = os.path.realpath(options.python)
    try:
        stat = os.stat(python)
    except OSError:
        return None
    digest.update(json.dumps([python, stat.st_size, stat.st_mtime_ns, options.payload_kind, options.timeout,
                              options.load_timeout, options.memory_mb, options.repeat]).encode())
    digest.update(hashlib.sha256(options.payload).digest())
    for path, entry in sorted(artifact.entries.items()):
        digest.update(f"{path}\0{entry.kind}\0{entry.size}\0".encode())
        if entry.kind == "file":
            try:
                with artifact.open_binary(path) as stream:
                    for chunk in iter(lambda: stream.read(1 << 20), b""):
                        digest.update(chunk)
            except (ReadError, OSError):
                return None
    return digest.hexdigest()


class VerifyError(Exception):
    """The verification cannot run as asked (an unreadable or invalid --input)."""


SETTINGS = {"timeout": float, "load-timeout": float, "memory": int, "repeat": int, "python": str, "input": str,
            "input-bytes": str}


def build_options(artifact: Artifact, config_table: dict, given: dict) -> VerifyOptions:
    """Options from [tool.artifact-lint.verify] and the command line (which wins); paths in the config
    are relative to the artifact folder. Without an input, the payload comes from input_schema.json."""
    given = {key: value for key, value in given.items() if value is not None}
    if "input" in given or "input-bytes" in given:  # the command line's payload replaces the config's, either kind
        config_table = {key: value for key, value in config_table.items() if key not in ("input", "input-bytes")}
    settings = {**config_table, **given}
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise VerifyError(f"unknown verify setting(s): {', '.join(sorted(unknown))}; known: {', '.join(SETTINGS)}")
    try:
        options = VerifyOptions(
            python=str(settings.get("python", sys.executable)), timeout=float(settings.get("timeout", 60)),
            load_timeout=float(settings.get("load-timeout", 300)), memory_mb=int(settings.get("memory", 8192)),
            repeat=int(settings.get("repeat", 1)))
    except (TypeError, ValueError) as error:
        raise VerifyError(f"invalid verify setting: {error}") from None
    for key, kind in (("input", "json"), ("input-bytes", "bytes")):
        if key in settings:
            path = Path(settings[key])
            if not path.is_absolute():  # from the config: relative to the artifact folder (the CLI passes absolute paths)
                path = (artifact.path if artifact.kind == "directory" else artifact.path.parent) / path
            try:
                data = path.read_bytes()
            except OSError as error:
                raise VerifyError(f"cannot read the {key} file {path}: {error.strerror}") from None
            if kind == "json":
                try:
                    json.loads(data)
                except ValueError as error:
                    raise VerifyError(f"{path} is not JSON ({error}); use --input-bytes to send raw bytes") from None
            return replace(options, payload_kind=kind, payload=data, payload_source=f"{key} {path}")
    from artifact_lint.verifier.payload import synthesise

    payload = synthesise(artifact)
    return replace(options, payload_kind=payload.kind, payload=payload.data, payload_source=payload.source)


def verify_artifact(artifact: Artifact, options: VerifyOptions, *, use_cache: bool = True) -> VerifyOutcome:
    key = cache_key(artifact, options) if use_cache else None
    cached = cache_folder() / f"{key}.json" if key else None
    if cached is not None and cached.is_file():
        try:
            data = json.loads(cached.read_text(encoding="utf-8"))
            outcome = VerifyOutcome(**data)
            outcome.isolation = {**outcome.isolation, "cached": True}
            return outcome
        except (ValueError, TypeError, OSError):
            pass
    outcome = run_child(Path(artifact.path), options)
    if cached is not None and not outcome.result.get("timeout"):
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps(asdict(outcome)), encoding="utf-8")
        except OSError:
            pass  # a cache that cannot be written is only slower
    return outcome
