"""Watching the boxed process tree from outside: deadlines, memory, process count, bounded output.

Nothing here ever blocks on the child: every read is after select(), the exit status is
polled, and the whole run has one wall-clock bound. Memory and process count are measured
for the whole tree (the sum of every descendant's resident memory, read from /proc), because
a limit per process lets four processes use four times the limit. Output is kept as a tail
with a byte count, so 200 MB printed by score.py costs the parent a few kilobytes.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

POLL_SECONDS = 0.05
EXIT_GRACE_SECONDS = 2.0  # after the result: the child exits at once unless something holds it
TAIL_BYTES = 64 * 1024
RESULT_CHANNEL_LIMIT = 64 * 1024 * 1024  # the child's messages, a prediction of up to ~1 MB included
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class Tail:
    """The last TAIL_BYTES of a stream, and how many bytes it carried in all."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > 2 * TAIL_BYTES:
            del self.data[:-TAIL_BYTES]

    def lines(self, count: int = 20) -> list[str]:
        return bytes(self.data[-TAIL_BYTES:]).decode("utf-8", "replace").splitlines()[-count:]


@dataclass
class Limits:
    memory_bytes: int
    processes: int
    load_seconds: float
    predict_seconds: float
    predict_calls: int
    cgroup: object = None  # a cgroups.TreeCgroup whose kernel counters are read first, where one was made


@dataclass
class Observation:
    """What the parent saw, independent of anything the child claimed."""

    messages: list[bytes] = field(default_factory=list)
    returncode: int | None = None
    killed_for: str | None = None  # "timeout" | "memory" | "processes" | "wall" | "held" | "channel"
    stage_at_kill: str | None = None
    peak_memory: int = 0
    peak_processes: int = 0
    stdout: Tail = field(default_factory=Tail)
    stderr: Tail = field(default_factory=Tail)


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(name))
    return children


def process_tree(root: int) -> list[int]:
    """The root and all its descendants (orphans in a PID namespace stay below its init)."""
    if not os.path.isdir("/proc"):
        return [root]
    children = _children_map()
    tree, stack = [], [root]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, ()))
    return tree


def resident_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL every process of the tree; the PID namespace takes the ones we could not see."""
    for pid in reversed(process_tree(process.pid)):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass


class Supervisor:
    """Runs one boxed child to its end and records what happened."""

    def __init__(self, process: subprocess.Popen, result_fd: int, limits: Limits, on_stage) -> None:
        self.process, self.result_fd, self.limits, self.on_stage = process, result_fd, limits, on_stage
        self.observation = Observation()
        self.stage = "start"
        self.deadline = time.monotonic() + limits.load_seconds
        self.wall_deadline = time.monotonic() + limits.load_seconds + limits.predict_calls * limits.predict_seconds \
            + 10 * EXIT_GRACE_SECONDS
        self.result_seen_at: float | None = None
        self._channel = bytearray()
        self._channel_total = 0

    def run(self, config: bytes) -> Observation:
        try:
            self._feed(config)
            self._loop()
            reason = None if self.observation.killed_for else self._kernel_verdict()
            if reason:  # the kernel enforced the limit itself (an OOM kill ends the run before a sample sees it)
                self.observation.killed_for, self.observation.stage_at_kill = reason, self.stage
        finally:
            if self.process.poll() is None:
                kill_tree(self.process)
            self.observation.returncode = self.process.wait()
            for stream in (self.process.stdout, self.process.stderr):
                stream.close()
            os.close(self.result_fd)
        return self.observation

    def _feed(self, config: bytes) -> None:
        """Write the config from a thread: a child that stalls before reading it must not hold the wall clock."""
        def write() -> None:
            try:
                self.process.stdin.write(config)
                self.process.stdin.close()
            except (BrokenPipeError, OSError, ValueError):
                pass  # the child died (or was killed) before reading: its exit tells the story
        threading.Thread(target=write, name="artifact-lint-feed", daemon=True).start()

    def _kill(self, reason: str) -> None:
        self.observation.killed_for = reason
        self.observation.stage_at_kill = self.stage
        kill_tree(self.process)

    def _loop(self) -> None:
        streams = {self.process.stdout.fileno(): self.observation.stdout,
                   self.process.stderr.fileno(): self.observation.stderr, self.result_fd: None}
        open_fds = set(streams)
        next_sample = 0.0
        while True:
            now = time.monotonic()
            if self.process.poll() is not None and (not open_fds or self._drained(open_fds)):
                return
            if self.result_seen_at is not None and now > self.result_seen_at + EXIT_GRACE_SECONDS:
                return self._kill("held")
            if now > self.deadline and self.result_seen_at is None:  # after the result, only the exit grace counts
                return self._kill("timeout")
            if now > self.wall_deadline:
                return self._kill("wall")
            if now >= next_sample:
                next_sample = now + POLL_SECONDS * 2
                if self._over_limits():
                    return
            if not open_fds:
                time.sleep(POLL_SECONDS)
                continue
            ready, _, _ = select.select(list(open_fds), [], [], POLL_SECONDS)
            for fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    open_fds.discard(fd)
                elif streams[fd] is not None:
                    streams[fd].add(chunk)
                elif not self._on_channel(chunk):
                    return self._kill("channel")
                if self.observation.killed_for:
                    return

    def _drained(self, open_fds: set[int]) -> bool:
        """The process has exited; read what is left without waiting for holders of inherited pipes."""
        ready, _, _ = select.select(list(open_fds), [], [], 0)
        return not ready

    def _kernel_verdict(self) -> str | None:
        """What the run's cgroup counted: an OOM kill, a refused fork (None without a cgroup)."""
        cgroup = self.limits.cgroup
        if cgroup is None:
            return None
        if cgroup.out_of_memory():
            return "memory"
        return "processes" if cgroup.fork_refused() else None

    def _over_limits(self) -> bool:
        reason = self._kernel_verdict()
        if reason:
            self._kill(reason)
            return True
        tree = process_tree(self.process.pid)
        memory = resident_bytes(tree)
        observation = self.observation
        observation.peak_memory = max(observation.peak_memory, memory)
        observation.peak_processes = max(observation.peak_processes, len(tree))
        if memory > self.limits.memory_bytes:
            self._kill("memory")
            return True
        if len(tree) > self.limits.processes:
            self._kill("processes")
            return True
        return False

    def _on_channel(self, chunk: bytes) -> bool:
        """Split the result channel into messages; False when it carries more than any honest run."""
        self._channel_total += len(chunk)
        if self._channel_total > RESULT_CHANNEL_LIMIT:
            return False
        self._channel += chunk
        while b"\n" in self._channel:
            line, _, rest = bytes(self._channel).partition(b"\n")
            self._channel[:] = rest
            self.observation.messages.append(line)
            stage = self.on_stage(line)
            if stage == "result":
                self.result_seen_at = time.monotonic()
                if self._over_limits():  # what the run left behind counts too, however fast it was started
                    return True
            elif stage:
                self.stage = stage
                limit = self.limits.predict_seconds if stage == "predict" else self.limits.load_seconds
                if stage in ("predict", "import"):
                    self.deadline = time.monotonic() + limit
        return True
