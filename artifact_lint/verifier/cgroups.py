"""Kernel-enforced limits for the whole process tree, where a cgroup can be made for it.

A supervisor that samples memory every 100 ms can be outrun by a fast allocation; a cgroup
cannot. Where this process may create a cgroup below its own (cgroup v2 with the memory and
pids controllers delegated, or the v1 memory and pids hierarchies writable, as for root on
most hosts), the run gets one with `memory` and `pids` limits, the boxed process joins it
before it executes anything, and the supervisor reads the kernel's own counters (an OOM kill,
a refused fork). Elsewhere the supervisor's sampling is the limit, and the report says which.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def _own_paths() -> dict[str, str]:
    """Hierarchy ("" for v2, else the v1 controller) -> this process's cgroup path in it."""
    paths: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                paths[controller] = parts[2]
    return paths


def _writable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK)


class TreeCgroup:
    """One cgroup (v2) or a pair of cgroups (v1 memory + pids) for one run; removed afterwards."""

    def __init__(self, name: str, memory_bytes: int, processes: int) -> None:
        self.name, self.memory_bytes, self.processes = name, memory_bytes, processes
        self.folders: dict[str, Path] = {}  # "memory" / "pids" -> the cgroup folder enforcing it
        self.version = 0

    @property
    def enforced(self) -> list[str]:
        return sorted(self.folders)

    def create(self) -> bool:
        """Make the cgroup(s) and set the limits; False (and nothing left behind) where that is not allowed."""
        own = _own_paths()
        try:
            if "" in own and (ROOT / "cgroup.controllers").is_file():
                self._create_v2(ROOT / own[""].lstrip("/"))
            elif "memory" in own:
                self._create_v1(own)
        except OSError:
            self.remove()
        return bool(self.folders)

    def _create_v2(self, parent: Path) -> None:
        delegated = set((parent / "cgroup.subtree_control").read_text().split()) if parent.is_dir() else set()
        if not {"memory", "pids"} <= delegated or not _writable(parent):
            return
        folder = parent / self.name
        folder.mkdir()
        self.folders = {"memory": folder, "pids": folder}
        self.version = 2
        (folder / "memory.max").write_text(str(self.memory_bytes))
        if (folder / "memory.swap.max").exists():
            (folder / "memory.swap.max").write_text("0")
        if (folder / "memory.oom.group").exists():
            (folder / "memory.oom.group").write_text("1")
        (folder / "pids.max").write_text(str(self.processes))

    def _create_v1(self, own: dict[str, str]) -> None:
        for controller, limit_file, value in (("memory", "memory.limit_in_bytes", self.memory_bytes),
                                              ("pids", "pids.max", self.processes)):
            parent = ROOT / controller / own.get(controller, "/").lstrip("/")
            if controller not in own or not _writable(parent):
                continue
            folder = parent / self.name
            folder.mkdir()
            self.folders[controller] = folder
            (folder / limit_file).write_text(str(value))
        self.version = 1 if self.folders else 0

    def join(self) -> None:
        """Move the calling process into the cgroup(s): run in the child between fork and exec."""
        for folder in set(self.folders.values()):
            with open(folder / "cgroup.procs", "w") as handle:
                handle.write(str(os.getpid()))

    def _events(self, controller: str, file: str) -> dict[str, int]:
        folder = self.folders.get(controller)
        if folder is None:
            return {}
        try:
            pairs = (line.split() for line in (folder / file).read_text().splitlines())
            return {pair[0]: int(pair[1]) for pair in pairs if len(pair) == 2 and pair[1].isdigit()}
        except OSError:
            return {}

    def out_of_memory(self) -> bool:
        """The kernel killed a process of the tree for the memory limit."""
        file = "memory.events" if self.version == 2 else "memory.oom_control"
        return self._events("memory", file).get("oom_kill", 0) > 0

    def fork_refused(self) -> bool:
        """The kernel refused a fork for the process limit."""
        return self._events("pids", "pids.events").get("max", 0) > 0

    def remove(self) -> None:
        """Kill whatever is still inside and remove the cgroup(s)."""
        for folder in set(self.folders.values()):
            for _ in range(50):
                try:
                    pids = [int(pid) for pid in (folder / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.02)
            try:
                folder.rmdir()
            except OSError:
                pass  # a process in uninterruptible sleep: the kernel frees it, the empty folder stays
        self.folders = {}
