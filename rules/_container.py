"""Signs that an artifact is served by its own container (BYOC), where runtime.yaml is not used."""

from __future__ import annotations

from pathlib import PurePosixPath

# File names that only a container build or a Triton model repository has.
CONTAINER_FILES = ("Dockerfile", "Containerfile", "config.pbtxt")
MAX_DEPTH = 3


def container_evidence(artifact) -> str | None:
    """The first container file in the artifact (shallowest), said as a reason; None when there is none."""
    prefix = f"{artifact.root}/" if artifact.root else ""
    found = sorted(
        (path for path, entry in artifact.entries.items()
         if entry.kind == "file" and path.startswith(prefix) and _is_container_file(entry.name)
         and path[len(prefix):].count("/") < MAX_DEPTH),
        key=lambda path: (path.count("/"), path),
    )
    if not found:
        return None
    name = PurePosixPath(found[0]).name
    what = "a Triton model configuration" if name == "config.pbtxt" else "a container build file"
    return f"{found[0]} is {what}"


def _is_container_file(name: str) -> bool:
    return name in CONTAINER_FILES or name.startswith(("Dockerfile.", "Containerfile."))
