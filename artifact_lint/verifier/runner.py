"""The verifier's parent: copy the artifact, build the payload, run the child in a box, read one result.

The user's artifact is never touched: the child runs on a copy, from an empty working
directory (as on the service, where the working directory is not the artifact), with an
environment scrubbed of credentials and proxies, HOME in a temporary folder, a memory limit,
timeouts per stage, and no network (a network namespace where the OS allows one, else a
socket guard inside the child). The result says which isolation was really achieved.
"""

from __future__ import annotations

import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

CHILD = Path(__file__).with_name("child.py")
KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
OUTPUT_TAIL = 20


@dataclass
class VerifyOptions:
    python: str = sys.executable
    payload_kind: str = "auto"  # "json" | "bytes" | "none" | "auto" (synthesise from input_schema.json)
    payload: bytes = b""
    payload_source: str = ""
    timeout: float = 60.0  # per predict call, as the service
    load_timeout: float = 300.0  # import + load_model
    memory_mb: int = 8192
    repeat: int = 1


@dataclass
class VerifyOutcome:
    result: dict  # the child's result message (or one the parent made: timeout, crash)
    isolation: dict = field(default_factory=dict)
    stdout_tail: list[str] = field(default_factory=list)
    stderr_tail: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0

    def summary(self, options: VerifyOptions) -> dict:
        """What the report shows of a verify run (the findings come from the VRF rules)."""
        timings = {key: round(value, 6) if isinstance(value, float) else value
                   for key, value in (self.result.get("timings") or {}).items()}
        return {"ok": bool(self.result.get("ok")), "stage": self.result.get("stage"), "timings": timings,
                "payload": options.payload_source or options.payload_kind, "isolation": self.isolation,
                "wall_seconds": round(self.wall_seconds, 3), "stdout_tail": self.stdout_tail[-5:],
                "stderr_tail": self.stderr_tail[-5:]}


@lru_cache(maxsize=1)
def network_namespace_available() -> bool:
    """`unshare --net` works here (as root, or with unprivileged user namespaces)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    for flags in (["--net"], ["--user", "--map-root-user", "--net"]):
        try:
            if subprocess.run([unshare, *flags, "true"], capture_output=True, timeout=10).returncode == 0:
                _NAMESPACE_FLAGS[:] = flags
                return True
        except (OSError, subprocess.TimeoutExpired):
            continue
    return False


_NAMESPACE_FLAGS: list[str] = []


def copy_artifact(source: Path, destination: Path) -> None:
    """A private copy to run: a folder is copied, a zip is extracted (only safe member names)."""
    if source.is_dir():
        shutil.copytree(source, destination, symlinks=False, ignore_dangling_symlinks=True)
        return
    destination.mkdir()
    with zipfile.ZipFile(source) as archive:
        names = [info for info in archive.infolist() if not info.is_dir()]
        top = {name.filename.split("/", 1)[0] for name in names}
        strip = top.pop() + "/" if len(top) == 1 and all("/" in n.filename for n in names) else ""
        for info in names:
            relative = info.filename[len(strip):]
            parts = relative.replace("\\", "/").split("/")
            if relative.startswith("/") or ".." in parts:
                continue  # SEC002 reports it; never write outside the copy
            target = destination.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as member, open(target, "wb") as handle:
                shutil.copyfileobj(member, handle)


def _environment(home: Path, temporary: Path) -> dict:
    environment = {key: os.environ[key] for key in KEPT_ENVIRONMENT if key in os.environ}
    environment.update({"HOME": str(home), "TMPDIR": str(temporary), "PYTHONDONTWRITEBYTECODE": "1",
                        "PYTHONIOENCODING": "utf-8", "MPLCONFIGDIR": str(temporary)})
    return environment


def _limit_memory(megabytes: int):
    def apply() -> None:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def _tail(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").splitlines()[-OUTPUT_TAIL:]


def run_child(artifact_path: Path, options: VerifyOptions) -> VerifyOutcome:
    """Run the artifact's score.py in the target interpreter, boxed, and return what happened."""
    with tempfile.TemporaryDirectory(prefix="artifact-lint-verify-") as scratch:
        box = Path(scratch)
        artifact = box / "artifact"
        home, temporary, workdir = box / "home", box / "tmp", box / "cwd"
        for folder in (home, temporary, workdir):
            folder.mkdir()
        copy_artifact(artifact_path, artifact)
        namespace = network_namespace_available()
        config = {
            "payload_kind": options.payload_kind, "repeat": options.repeat, "guard_network": True,
            "writable": [str(home), str(temporary)],
            "payload_json": options.payload.decode("utf-8") if options.payload_kind == "json" else None,
            "payload_hex": options.payload.hex() if options.payload_kind == "bytes" else None,
        }
        isolation = {
            "network": "network namespace and socket guard" if namespace else "socket guard (no network namespace here)",
            "environment": "scrubbed (credentials and proxies removed)", "home": "temporary folder",
            "working_directory": "empty temporary folder", "memory_limit_mb": options.memory_mb,
            "artifact": "a private copy (the original is not touched)", "python": options.python,
        }
        read_end, write_end = os.pipe()
        command = [options.python, "-I", "-B", str(CHILD), str(artifact), str(write_end)]
        if namespace:
            command = ["unshare", *_NAMESPACE_FLAGS, "--", *command]
        started = time.perf_counter()
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=workdir,
                env=_environment(home, temporary), pass_fds=(write_end,), start_new_session=True,
                preexec_fn=_limit_memory(options.memory_mb),
            )
        except OSError as error:
            os.close(read_end)
            os.close(write_end)
            return VerifyOutcome({"ok": False, "stage": "start", "error_type": "OSError",
                                  "error": f"cannot start {options.python}: {error.strerror or error}"}, isolation)
        os.close(write_end)
        outcome = _supervise(process, read_end, json.dumps(config).encode(), options)
        outcome.isolation = isolation
        outcome.wall_seconds = time.perf_counter() - started
        return outcome


def _supervise(process: subprocess.Popen, read_end: int, config: bytes, options: VerifyOptions) -> VerifyOutcome:
    """Feed the config, follow the stages with their deadlines, and collect the result."""
    process.stdin.write(config)
    process.stdin.close()
    buffers = {process.stdout.fileno(): bytearray(), process.stderr.fileno(): bytearray(), read_end: bytearray()}
    stage, deadline = "import", time.monotonic() + options.load_timeout
    result = None
    open_fds = set(buffers)
    while open_fds:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            os.killpg(process.pid, signal.SIGKILL)
            limit = options.load_timeout if stage in ("import", "load") else options.timeout
            result = {"ok": False, "stage": stage, "timeout": True, "error_type": "Timeout",
                      "error": f"{stage} did not finish within {limit:g} s"}
            break
        ready, _, _ = select.select(list(open_fds), [], [], min(remaining, 1.0))
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
                continue
            buffers[fd].extend(chunk)
            if fd == read_end:
                stage, deadline, result = _events(buffers[fd], stage, deadline, result, options)
    process.wait()
    os.close(read_end)
    if result is None:
        result = _crash(process.returncode, options)
    return VerifyOutcome(result, stdout_tail=_tail(bytes(buffers[process.stdout.fileno()])),
                         stderr_tail=_tail(bytes(buffers[process.stderr.fileno()])))


def _events(buffer: bytearray, stage: str, deadline: float, result, options: VerifyOptions):
    while b"\n" in buffer:
        line, _, rest = bytes(buffer).partition(b"\n")
        buffer[:] = rest
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("event") == "stage":
            stage = message["stage"]
            if stage == "predict":
                deadline = time.monotonic() + options.timeout
        elif message.get("event") == "result":
            result = message
    return stage, deadline, result


def _crash(returncode: int, options: VerifyOptions) -> dict:
    if returncode is not None and returncode < 0:
        name = signal.Signals(-returncode).name
        memory = name in ("SIGKILL", "SIGSEGV", "SIGABRT", "SIGBUS")
        return {"ok": False, "stage": "unknown", "error_type": name, "memory": memory,
                "error": f"the interpreter was killed by {name}" + (
                    f" (likely the {options.memory_mb} MB memory limit)" if memory else "")}
    return {"ok": False, "stage": "unknown", "error_type": "Exit",
            "error": f"the interpreter exited with status {returncode} before reporting"}
