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

from artifact_lint.artifact import Artifact, DirectoryArtifact, ReadError
from artifact_lint.verifier.interpreter import Interpreter, InterpreterError, probe
from artifact_lint.verifier.runner import CHILD, VerifyOptions, VerifyOutcome, run_child
from artifact_lint.verifier.sandbox import find_bubblewrap

CACHE_VERSION = 2


def cache_root() -> Path:
    """artifact-lint's folder in the user's cache directory (verify results, probes, environments)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "artifact-lint"


def cache_folder() -> Path:
    return cache_root() / "verify"


def cache_key(artifact: Artifact, options: VerifyOptions, interpreter: Interpreter) -> str | None:
    """Covers every file of the artifact (and of a group's member model), the payload, every option, the
    harness, the sandbox and the interpreter's identity (its path, prefix and installed distributions);
    None when a file is unreadable."""
    digest = hashlib.sha256(f"v{CACHE_VERSION}".encode())
    bwrap = find_bubblewrap()
    digest.update(json.dumps([os.path.realpath(interpreter.executable), interpreter.prefix, interpreter.fingerprint,
                              bwrap.version if bwrap else None, asdict(replace(options, payload=b""))],
                             default=str).encode())
    digest.update(hashlib.sha256(options.payload).digest())
    digest.update(hashlib.sha256(CHILD.read_bytes()).digest())
    member = member_artifact(options)
    for part in (artifact, member) if member is not None else (artifact,):
        if not _hash_files(part, digest):
            return None
    return digest.hexdigest()


def _hash_files(artifact: Artifact, digest) -> bool:
    for path, entry in sorted(artifact.entries.items()):
        digest.update(f"{path}\0{entry.kind}\0{entry.size}\0".encode())
        if entry.kind == "symlink" and isinstance(artifact, DirectoryArtifact):  # retargeting a link changes the run
            try:
                digest.update(os.readlink(Path(artifact.path).joinpath(*path.split("/"))).encode("utf-8", "replace"))
            except OSError:
                return False
        if entry.kind == "file":
            try:
                with artifact.open_binary(path) as stream:
                    for chunk in iter(lambda: stream.read(1 << 20), b""):
                        digest.update(chunk)
            except (ReadError, OSError):
                return False
    return True


def member_artifact(options: VerifyOptions) -> Artifact | None:
    """The member model's folder a model-group run hands to load_model(model_folder), or None."""
    return DirectoryArtifact(options.model_folder, Path(options.model_folder)) if options.model_folder else None


class VerifyError(Exception):
    """The verification cannot run as asked (an unreadable or invalid --input, an interpreter that is not one)."""


SETTINGS = {"timeout": float, "load-timeout": float, "memory": int, "repeat": int, "python": str, "input": str,
            "input-bytes": str, "processes": int, "require-sandbox": bool, "sandbox": str, "model-folder": str}
SANDBOXES = ("auto", "none")


def build_options(artifact: Artifact, config_table: dict, given: dict, contract: str = "model") -> VerifyOptions:
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
            repeat=int(settings.get("repeat", 1)), processes=int(settings.get("processes", 64)),
            require_sandbox=_flag(settings.get("require-sandbox", False)), sandbox=str(settings.get("sandbox", "auto")))
    except (TypeError, ValueError) as error:
        raise VerifyError(f"invalid verify setting: {error}") from None
    if min(options.timeout, options.load_timeout) <= 0 or min(options.memory_mb, options.repeat, options.processes) < 1:
        raise VerifyError("verify settings timeout, load-timeout, memory, repeat and processes must be positive")
    if options.sandbox not in SANDBOXES:
        raise VerifyError(f"verify setting sandbox must be one of {', '.join(SANDBOXES)}, not {options.sandbox!r}")
    if options.sandbox == "none" and options.require_sandbox:
        raise VerifyError("verify settings sandbox = \"none\" and require-sandbox contradict each other")
    options = replace(options, model_folder=_model_folder(artifact, settings.get("model-folder"), contract))
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


def _model_folder(artifact: Artifact, given: str | None, contract: str) -> str | None:
    """A group's member model folder (relative paths in config are relative to the artifact's folder)."""
    if contract != "model-group":
        if given:
            raise VerifyError(f"--model-folder is for model-group artifacts; {artifact.display} is linted as {contract}")
        return None
    if not given:
        raise VerifyError(f"{artifact.display} is a model group's shared artifact: the service calls "
                          f"load_model(model_folder) with each member model's folder and predict(data, model); pass "
                          f"--model-folder DIR (a member model's folder) to verify it")
    folder = Path(given)
    if not folder.is_absolute():
        folder = (artifact.path if artifact.kind == "directory" else artifact.path.parent) / folder
    if not folder.is_dir():
        raise VerifyError(f"--model-folder {folder}: not a folder")
    return str(folder.resolve())


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"require-sandbox must be true or false, not {value!r}")


def interpreter_for(python: str) -> Interpreter:
    try:
        return probe(python, cache_folder())
    except InterpreterError as error:
        raise VerifyError(str(error)) from None


def verify_artifact(artifact: Artifact, options: VerifyOptions, *, use_cache: bool = True) -> VerifyOutcome:
    """Run (or replay from the cache) one artifact; --no-cache runs again and refreshes the entry."""
    interpreter = interpreter_for(options.python)
    key = cache_key(artifact, options, interpreter)
    cached = cache_folder() / f"{key}.json" if key else None
    if use_cache and cached is not None and cached.is_file():
        try:
            data = json.loads(cached.read_text(encoding="utf-8"))
            outcome = VerifyOutcome(**data)
            outcome.isolation = {**outcome.isolation, "cached": True}
            return outcome
        except (ValueError, TypeError, OSError):
            pass
    outcome = run_child(artifact, interpreter, options)
    if cached is not None and not outcome.result.get("timeout") and outcome.result.get("ran", True):
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps(asdict(outcome)), encoding="utf-8")
        except OSError:
            pass  # a cache that cannot be written is only slower
    return outcome
