"""Conda pack paths: oci://bucket@namespace/object, what kind of pack they name, and its Python.

Shared by the runtime.yaml rules (which check a path) and the generators (which write one).
"""

from __future__ import annotations

import re
from typing import NamedTuple

SERVICE_BUCKET = "service-conda-packs"
OCI_PATH = re.compile(r"^oci://(?P<bucket>[^@/\s]+)@(?P<namespace>[^@/\s]+)/(?P<object>\S.*)$")
SLUG_PYTHON = re.compile(r"_p3(\d{1,2})(?:_|$)")
PATH_PYTHON = re.compile(r"python[_ ]?3\.(\d+)", re.IGNORECASE)


class PackPath(NamedTuple):
    """An oci:// conda pack location split into bucket, namespace and object."""

    bucket: str
    namespace: str
    object: str

    @classmethod
    def parse(cls, text: str | None) -> "PackPath | None":
        match = OCI_PATH.match((text or "").strip())
        return cls(match["bucket"], match["namespace"], match["object"]) if match else None

    @property
    def is_service_pack(self) -> bool:
        """ADS's test: Oracle's bucket and the service_pack/ prefix."""
        return self.bucket == SERVICE_BUCKET and self.object.startswith("service_pack/")

    @property
    def misspelt_service_bucket(self) -> bool:
        """The bucket is Oracle's service bucket spelt another way (`service_conda_packs`, `Service-Conda-Pack`)."""
        return self.bucket != SERVICE_BUCKET and _canonical(self.bucket) == _canonical(SERVICE_BUCKET)

    @property
    def misspelt_service_prefix(self) -> bool:
        """In Oracle's bucket, the object starts with service_pack/ spelt another way (`service-pack/`)."""
        first = self.object.split("/", 1)[0]
        return self.bucket == SERVICE_BUCKET and first != "service_pack" and _canonical(first) == "servicepack"

    @property
    def last_segment(self) -> str:
        return self.object.rstrip("/").rsplit("/", 1)[-1]

    @property
    def env_type(self) -> str:
        return "data_science" if self.is_service_pack else "published"

    @property
    def slug(self) -> str:
        """The slug ADS writes: the last segment for service packs, '' for published ones."""
        return self.last_segment if self.is_service_pack else ""


def _canonical(name: str) -> str:
    return re.sub(r"[-_ .]", "", name.lower()).rstrip("s")


def pythons_named_by(slug: str | None, path: str | None) -> list[tuple[str, int]]:
    """(where, minor) for every Python version the slug or path spells out (`_p311_`, `Python_3.11`)."""
    named = []
    for where, text, pattern in (("slug", slug, SLUG_PYTHON), ("path", path, PATH_PYTHON)):
        match = pattern.search(text or "")
        if match:
            named.append((where, int(match.group(1))))
    return named
