"""The box: bubblewrap's namespaces around the child, laid out like a model deployment.

Inside, the artifact's private copy is read-only at the path the service serves it from,
/home/datascience (the service's only writable place) and /tmp are private, the host shows
only the system libraries and the folders the interpreter needs (read-only), /proc is the new
PID namespace's own (the parent's environ is not there), the network namespace is empty, the
environment holds only what the service sets, every capability is dropped, and everything
dies with the supervising parent. Where bwrap cannot run, the run is "process only" and the
report says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from artifact_lint.verifier.interpreter import Interpreter

ARTIFACT_DIR = "/opt/ds/model/deployed_model"  # where the service's container holds the artifact
HOME = "/home/datascience"
MEMBER_DIR = "/opt/ds/model/group-member"  # a model group's member model, for load_model(model_folder)
CHILD_PATH = "/opt/artifact-lint/child.py"
HOSTNAME = "model-deployment"
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
                "/etc/ssl", "/etc/ca-certificates", "/etc/pki", "/etc/nsswitch.conf", "/etc/mime.types",
                "/etc/fonts", "/etc/os-release")
# /home/datascience, /tmp and /dev/shm are memory-backed and the only writable places: each is capped at the
# run's memory limit (a cgroup counts their pages as the tree's memory; without one, the caps bound them).
PASSWD = "root:x:0:0:root:/root:/bin/sh\ndatascience:x:1000:100:datascience:/home/datascience:/bin/sh\n"
GROUP = "root:x:0:\nusers:x:100:datascience\n"


@dataclass(frozen=True)
class Bubblewrap:
    path: str
    version: str
    namespace_flags: tuple[str, ...]  # with a user namespace that cannot make more of them, where bwrap can


NAMESPACE_CHOICES = (("--unshare-all", "--unshare-user", "--disable-userns"), ("--unshare-all",))


@lru_cache(maxsize=1)
def find_bubblewrap() -> Bubblewrap | None:
    """bwrap when it is installed *and* can create the namespaces here (locked-down containers cannot)."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    for flags in NAMESPACE_CHOICES:
        probe = [path, *flags, "--cap-drop", "ALL", "--die-with-parent", "--ro-bind", "/", "/",
                 "--proc", "/proc", "--dev", "/dev", "true"]
        try:
            if subprocess.run(probe, capture_output=True, timeout=20).returncode != 0:
                continue
            version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return None
        return Bubblewrap(path, version or "bubblewrap", flags)
    return None


def service_environment(interpreter: Interpreter, sandboxed: bool, home: str, temporary: str) -> dict[str, str]:
    """The environment the child sees: what the service sets, nothing inherited from the user."""
    bin_folder = os.path.dirname(os.path.abspath(interpreter.path))
    return {"HOME": home, "USER": "datascience", "LOGNAME": "datascience", "TMPDIR": temporary,
            "PATH": f"{bin_folder}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8", "MPLCONFIGDIR": temporary,
            "HOSTNAME": HOSTNAME if sandboxed else "localhost"}


def _hidden_by(folder: str, private: list[str]) -> bool:
    """A folder that would expose the user's artifact or scratch: an ancestor of (or equal to) either."""
    return folder == "/" or any(place == folder or place.startswith(folder.rstrip("/") + "/") for place in private)


def _under_system(folder: str) -> bool:
    return any(folder == system or folder.startswith(system + "/") for system in SYSTEM_FOLDERS)


def bubblewrap_command(bwrap: Bubblewrap, interpreter: Interpreter, scratch: Path, original: Path, child: Path,
                       result_fd: int, memory_bytes: int) -> list[str]:
    """The bwrap argv that runs child.py on the copy in scratch/artifact with scratch/etc files; everything
    but the three private memory-backed folders is read-only (the root and /dev are remounted so)."""
    (scratch / "passwd").write_text(PASSWD)
    (scratch / "group").write_text(GROUP)
    private = [os.path.realpath(original), os.path.realpath(scratch)]
    command = [bwrap.path, *bwrap.namespace_flags, "--hostname", HOSTNAME, "--die-with-parent",
               "--new-session", "--cap-drop", "ALL", "--clearenv"]
    for folder in SYSTEM_FOLDERS:
        if os.path.islink(folder):
            command += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            command += ["--ro-bind", folder, folder]
    for path in SYSTEM_FILES:
        if os.path.exists(path):
            command += ["--ro-bind", path, path]
    command += ["--ro-bind", str(scratch / "passwd"), "/etc/passwd", "--ro-bind", str(scratch / "group"), "/etc/group",
                "--proc", "/proc", "--dev", "/dev",
                "--size", str(memory_bytes), "--tmpfs", "/dev/shm",
                "--size", str(memory_bytes), "--tmpfs", "/tmp",
                "--size", str(memory_bytes), "--tmpfs", HOME]
    for folder in interpreter.folders():  # after /tmp and /home: an interpreter may live below either
        if os.path.exists(folder) and not _hidden_by(os.path.realpath(folder), private) \
                and not _under_system(folder):
            command += ["--ro-bind", folder, folder]
    if (scratch / "member").is_dir():
        command += ["--ro-bind", str(scratch / "member"), MEMBER_DIR]
    command += ["--ro-bind", str(scratch / "artifact"), ARTIFACT_DIR,
                "--ro-bind", str(child), CHILD_PATH,
                "--remount-ro", "/dev", "--remount-ro", "/",
                "--chdir", HOME]
    for key, value in service_environment(interpreter, True, HOME, "/tmp").items():
        command += ["--setenv", key, value]
    return command + ["--", interpreter.path, "-I", "-B", CHILD_PATH, ARTIFACT_DIR, str(result_fd)]
