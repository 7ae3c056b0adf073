"""Signs that an artifact is served by its own container (BYOC), where runtime.yaml is not used."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import NamedTuple

# File names that only a container build or a Triton model repository has.
CONTAINER_FILES = ("Dockerfile", "Containerfile", "config.pbtxt")
MAX_DEPTH = 3


class ContainerEvidence(NamedTuple):
    path: str  # container path of the file
    what: str  # what the file is, in words

    def __str__(self) -> str:
        return f"{self.path} is {self.what}"


def container_evidence(artifact) -> ContainerEvidence | None:
    """The first container file in the artifact (shallowest), or None when there is none."""
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
    return ContainerEvidence(found[0], "a Triton model configuration" if name == "config.pbtxt" else "a container build file")


def _is_container_file(name: str) -> bool:
    return name in CONTAINER_FILES or name.startswith(("Dockerfile.", "Containerfile."))
