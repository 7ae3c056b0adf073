"""The verifier's parent: copy the artifact, start the child in the box, supervise it, judge the run.

The verdict comes from what the parent observed, not from what the child claims: a run passes
only when every stage was reported in order with the run's token, the result echoes the
payload that was sent, and the process then exited with status 0. Anything else (an exit, a
signal, a kill for a limit, a tampered channel) is a failure naming the stage reached and how
the process ended.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from artifact_lint.artifact import Artifact, DirectoryArtifact
from artifact_lint.verifier.cgroups import TreeCgroup
from artifact_lint.verifier.interpreter import Interpreter
from artifact_lint.verifier.private_copy import CopyRefused, copy_artifact
from artifact_lint.verifier.sandbox import ARTIFACT_DIR, HOME, MEMBER_DIR, bubblewrap_command, find_bubblewrap, \
    service_environment
from artifact_lint.verifier.supervisor import EXIT_GRACE_SECONDS, Limits, Observation, Supervisor

CHILD = Path(__file__).with_name("child.py")
OUTPUT_TAIL = 20


@dataclass
class VerifyOptions:
    python: str = sys.executable
    payload_kind: str = "auto"  # "json" | "bytes" | "none" | "auto" (synthesise from input_schema.json)
    payload: bytes = b""
    payload_source: str = ""
    timeout: float = 60.0  # per predict call, as the service
    load_timeout: float = 300.0  # import + load_model
    memory_mb: int = 8192  # the whole process tree
    repeat: int = 1
    processes: int = 64  # the whole process tree, the sandbox's own two included
    sandbox: str = "auto"  # "auto": bubblewrap where it works; "none": process only, by choice
    require_sandbox: bool = False
    model_folder: str | None = None  # a model group's member model: load_model(model_folder), predict(data, model)


@dataclass
class VerifyOutcome:
    result: dict  # the verdict: the child's result when it was believed, else the parent's account
    isolation: dict = field(default_factory=dict)
    stdout_tail: list[str] = field(default_factory=list)
    stderr_tail: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    output_bytes: dict = field(default_factory=dict)
    copy_skipped: list[str] = field(default_factory=list)

    def summary(self, options: VerifyOptions) -> dict:
        """What the report shows of a verify run (the findings come from the VRF rules)."""
        timings = {key: round(value, 6) if isinstance(value, float) else value
                   for key, value in (self.result.get("timings") or {}).items()}
        return {"ok": bool(self.result.get("ok")), "stage": self.result.get("stage"), "timings": timings,
                "payload": options.payload_source or options.payload_kind, "isolation": self.isolation,
                "wall_seconds": round(self.wall_seconds, 3), "stdout_tail": self.stdout_tail[-5:],
                "stderr_tail": self.stderr_tail[-5:], "output_bytes": self.output_bytes,
                "ended": self.result.get("ended", "")}


def isolation_facts(bwrap, options: VerifyOptions, interpreter: Interpreter) -> dict:
    """Exactly what held, for the report."""
    common = {"python": interpreter.path, "python_version": interpreter.version_text,
              "memory_limit_mb": options.memory_mb, "memory": "resident memory of the whole process tree, supervised",
              "processes": f"at most {options.processes} in the whole tree", "cached": False}
    if bwrap is not None:
        user = ["user (no further user namespaces)"] if "--disable-userns" in bwrap.namespace_flags else []
        return {**common, "sandbox": bwrap.version, "level": "sandbox",
                "namespaces": ["mount", "pid", "network", "ipc", "uts", *user],
                "filesystem": "read-only (root and /dev remounted so): system libraries and the interpreter's "
                              "folders only",
                "artifact": f"a private read-only copy at {ARTIFACT_DIR}", "writable": [HOME, "/tmp", "/dev/shm"],
                "writable_limit_mb": options.memory_mb,
                "network": "none (an empty network namespace)", "environment": "cleared; only what the service sets",
                "capabilities": "all dropped", "outlives_run": "nothing (PID namespace, --die-with-parent)"}
    return {**common, "sandbox": "none" if options.sandbox == "none" else "bubblewrap not available", "level": "process only",
            "filesystem": "the host's, as the user running artifact-lint",
            "artifact": "a private copy in a temporary folder", "writable": ["everything the user can write"],
            "network": "a socket guard inside the child (bypassable)", "environment": "cleared; only what the service sets",
            "outlives_run": "a process that leaves the process group can"}


def _enter_limits(megabytes: int, cgroup: TreeCgroup):
    """Run between fork and exec: join the run's cgroup (if any) and cap each process's address space."""
    def apply() -> None:
        cgroup.join()
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def _refused(stage: str, error_type: str, message: str, isolation: dict, **extra) -> VerifyOutcome:
    return VerifyOutcome({"ok": False, "stage": stage, "error_type": error_type, "error": message,
                          "ran": False, **extra}, isolation)


def run_child(artifact: Artifact, interpreter: Interpreter, options: VerifyOptions) -> VerifyOutcome:
    """Run the artifact's score.py in the target interpreter, boxed, and return what happened."""
    bwrap = find_bubblewrap() if options.sandbox == "auto" else None
    isolation = isolation_facts(bwrap, options, interpreter)
    if bwrap is None and options.require_sandbox:
        return _refused("start", "NoSandbox", "bubblewrap (bwrap) is not available here and --require-sandbox is "
                        "set: nothing was run", isolation, sandbox_required=True)
    with tempfile.TemporaryDirectory(prefix="artifact-lint-verify-") as folder:
        scratch = Path(folder)
        (scratch / "artifact").mkdir()
        try:
            copied = copy_artifact(artifact, scratch / "artifact")
            if options.model_folder:
                (scratch / "member").mkdir()
                member = copy_artifact(DirectoryArtifact(options.model_folder, Path(options.model_folder)),
                                       scratch / "member")
                copied.skipped += [f"{options.model_folder}/{item}" for item in member.skipped]
        except CopyRefused as error:
            return _refused("copy", "CopyRefused", f"the artifact was not copied into the box: {error}", isolation,
                            copy_refused=True)
        token = secrets.token_hex(16)
        read_end, write_end = os.pipe()
        if bwrap is not None:
            command = bubblewrap_command(bwrap, interpreter, scratch, Path(artifact.path), CHILD, write_end,
                                         options.memory_mb * 1024 * 1024)
            # bwrap's own environment is readable inside (/proc/1/environ): give it nothing of the user's
            environment, cwd, writable = {"PATH": "/usr/bin:/bin"}, None, [HOME, "/tmp", "/dev/shm"]
            member_folder = MEMBER_DIR
        else:
            home, temporary = scratch / "home", scratch / "tmp"
            home.mkdir()
            temporary.mkdir()
            command = [interpreter.path, "-I", "-B", str(CHILD), str(scratch / "artifact"), str(write_end)]
            environment = service_environment(interpreter, False, str(home), str(temporary))
            cwd, writable = home, [str(home), str(temporary)]
            member_folder = str(scratch / "member")
        config = {"token": token, "payload_kind": options.payload_kind, "repeat": options.repeat,
                  "model_folder": member_folder if options.model_folder else None,
                  "sandboxed": bwrap is not None, "guard_network": bwrap is None, "writable": writable,
                  "payload_json": options.payload.decode("utf-8") if options.payload_kind == "json" else None,
                  "payload_hex": options.payload.hex() if options.payload_kind == "bytes" else None}
        cgroup = TreeCgroup(f"artifact-lint-{token[:16]}", options.memory_mb * 1024 * 1024, options.processes)
        if cgroup.create():
            if "memory" in cgroup.enforced:
                isolation["memory"] = f"kernel-enforced for the whole process tree (cgroup v{cgroup.version})"
            if "pids" in cgroup.enforced:
                isolation["processes"] = f"at most {options.processes} in the whole tree, kernel-enforced " \
                                         f"(cgroup v{cgroup.version})"
        started = time.perf_counter()
        try:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       cwd=cwd, env=environment, pass_fds=(write_end,), start_new_session=True,
                                       preexec_fn=_enter_limits(options.memory_mb, cgroup))
        except (OSError, subprocess.SubprocessError) as error:
            os.close(read_end)
            os.close(write_end)
            cgroup.remove()
            return _refused("start", "OSError", f"cannot start {command[0]}: {error}", isolation)
        os.close(write_end)
        limits = Limits(options.memory_mb * 1024 * 1024, options.processes, options.load_timeout, options.timeout,
                        options.repeat if options.payload_kind != "none" else 0, cgroup)
        try:
            observation = Supervisor(process, read_end, limits, _stage_of).run(json.dumps(config).encode())
        finally:
            cgroup.remove()
        outcome = VerifyOutcome(judge(observation, token, options), isolation,
                                stdout_tail=observation.stdout.lines(OUTPUT_TAIL),
                                stderr_tail=observation.stderr.lines(OUTPUT_TAIL),
                                output_bytes={"stdout": observation.stdout.total, "stderr": observation.stderr.total},
                                copy_skipped=copied.skipped)
        outcome.isolation["peak_memory_mb"] = round(observation.peak_memory / 1024 / 1024, 1)
        outcome.isolation["peak_processes"] = observation.peak_processes
        outcome.wall_seconds = time.perf_counter() - started
        return outcome


def _stage_of(line: bytes) -> str | None:
    """For the supervisor's deadlines only: the stage a message announces ("result" for the result)."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    if message.get("event") == "result":
        return "result"
    stage = message.get("stage") if message.get("event") == "stage" else None
    return stage if stage in ("import", "load", "predict") else None


def how_it_ended(returncode: int | None) -> str:
    if returncode is None:
        return "it did not end"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    if returncode > 128 and returncode - 128 in signal.valid_signals():  # bwrap reports its child's signal so
        return f"killed by {signal.Signals(returncode - 128).name}"
    return f"exited with status {returncode}"


KILL_REASONS = {
    "memory": lambda o, options: (f"the process tree's resident memory passed the {options.memory_mb} MB limit "
                                  f"(peak {o.peak_memory / 1024 / 1024:.0f} MB); it was killed", {"memory": True}),
    "processes": lambda o, options: (f"score.py started more than {options.processes} processes; the tree was killed",
                                     {"processes_exceeded": True}),
    "wall": lambda o, options: ("the run passed its overall time bound; it was killed", {"timeout": True}),
    "channel": lambda o, options: ("the result channel carried more than any honest run writes; the run was killed",
                                   {"tampered": True}),
}


def judge(observation: Observation, token: str, options: VerifyOptions) -> dict:
    """The verdict from the messages, the exit status and the supervisor's kills."""
    stages, result, problems = [], None, []
    for line in observation.messages:
        try:
            message = json.loads(line)
        except ValueError:
            problems.append("a line on the result channel that is not JSON")
            continue
        if not isinstance(message, dict) or message.get("token") != token:
            problems.append("a message without the run's token (something other than the harness wrote it)")
            continue
        if message.get("sequence") != len(stages) + (result is not None) + 1 or result is not None:
            problems.append("messages out of order or after the result")
            continue
        if message.get("event") == "stage":
            stages.append(message.get("stage"))
        elif message.get("event") == "result":
            result = message
    reached = stages[-1] if stages else "start"
    ended = how_it_ended(observation.returncode)
    reason = observation.killed_for
    if reason == "timeout":
        stage = observation.stage_at_kill or reached
        limit = options.load_timeout if stage in ("start", "import", "load") else options.timeout
        return {"ok": False, "stage": stage, "timeout": True, "error_type": "Timeout", "ended": "killed at the limit",
                "error": f"{stage} did not finish within {limit:g} s"}
    if reason in KILL_REASONS:
        message, flags = KILL_REASONS[reason](observation, options)
        return {"ok": False, "stage": observation.stage_at_kill or reached, "error_type": reason.capitalize(),
                "error": message, "ended": "killed by the verifier", **flags}
    if problems:
        return {"ok": False, "stage": reached, "tampered": True, "incomplete": True, "error_type": "Tampered",
                "ended": ended, "error": f"the run's report cannot be believed: {problems[0]}"}
    if result is None:
        return {"ok": False, "stage": reached, "incomplete": True, "error_type": "Ended", "ended": ended,
                "error": f"the interpreter {ended} during {reached}, before reporting a result"}
    result = {key: value for key, value in result.items() if key not in ("token", "sequence", "event")}
    result["ended"] = ended
    if not result.get("ok"):
        if result.get("stage") not in ("import", "load", "predict"):  # the harness itself failed (an unencodable result)
            result.update(incomplete=True, stage=reached)
        return result
    expected = ["import", "load"] + ["predict"] * (options.repeat if result.get("predicted") else 0)
    sent = hashlib.sha256(options.payload).hexdigest() if result.get("predicted") else None
    if stages != expected or result.get("stage") != "done" or result.get("payload_sha256") != sent:
        return {"ok": False, "stage": reached, "tampered": True, "incomplete": True, "error_type": "Tampered",
                "ended": ended, "error": "the run reported success without completing every stage with the payload "
                                         "it was sent"}
    if reason == "held":
        return {"ok": False, "stage": "exit", "incomplete": True, "error_type": "Held", "ended": "killed by the verifier",
                "error": f"the run reported its result, then the interpreter did not exit within "
                         f"{EXIT_GRACE_SECONDS:g} s (something score.py set up held it)"}
    if observation.returncode != 0:
        return {"ok": False, "stage": "exit", "incomplete": True, "error_type": "Ended", "ended": ended,
                "error": f"predict returned, then the interpreter {ended} instead of exiting cleanly"}
    return result
