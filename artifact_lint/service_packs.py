"""What artifact-lint knows about OCI service conda packs, offline (data/service_packs.json).

Every fact in the data carries its source; None here means unknown, never "no". Rules use it
for retired packs and Pythons, internal namespaces and libraries a pack lacks; `verify --env auto`
uses it to rebuild a pack's libraries.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from artifact_lint.conda_pack import PackPath
from artifact_lint.package_data import load_json


class ServicePack(NamedTuple):
    """One OCI service conda pack as data/service_packs.json describes it."""

    slug: str
    family: str
    python: str  # "3.11"
    pack_path: str | None  # the object below the bucket, e.g. service_pack/cpu/.../slug
    release_date: str | None  # ISO date
    seen_by: str | None  # a date the pack is known to have existed by, when the release date is unknown
    libraries: dict[str, str]  # distribution -> version (major.minor or exact) where published
    ships: frozenset[str] | None  # every distribution the pack holds, when that list is known
    retired: bool | None
    sources: dict = {}

    @property
    def python_minor(self) -> int:
        return int(self.python.split(".")[1])

    @property
    def as_of(self) -> str | None:
        """The date the pack's libraries are from: its release, else the first day it was seen."""
        return self.release_date or self.seen_by

    def source(self, fact: str) -> str:
        entry = self.sources.get(fact) or {}
        text = entry.get("source", "unknown")
        return f"{text} ({entry['url']})" if entry.get("url") else text


class Knowledge(NamedTuple):
    """Everything data/service_packs.json says: the packs, buckets, namespaces and Python end-of-life dates."""

    read_on: str
    service_bucket: str
    namespaces: dict[str, dict]
    python_end_of_life: dict[str, str]
    eol_source: str
    packs: dict[str, ServicePack]

    def pack(self, slug: str | None = None, path: str | None = None) -> ServicePack | None:
        """The known pack named by the slug, or by the last segment of an oci:// service-pack path."""
        if slug and slug.strip() in self.packs:
            return self.packs[slug.strip()]
        parsed = PackPath.parse(path)
        if parsed is not None and parsed.object.startswith("service_pack/"):
            return self.packs.get(parsed.last_segment)
        return None

    def end_of_life(self, minor: int) -> str | None:
        return self.python_end_of_life.get(f"3.{minor}")


@lru_cache(maxsize=1)
def knowledge() -> Knowledge:
    data = load_json("service_packs.json")
    packs = {}
    for entry in data["packs"]:
        ships = entry.get("ships")
        packs[entry["slug"]] = ServicePack(
            slug=entry["slug"], family=entry.get("family", ""), python=entry["python"],
            pack_path=entry.get("pack_path"), release_date=entry.get("release_date"), seen_by=entry.get("seen_by"),
            libraries=dict(entry.get("libraries") or {}), ships=frozenset(ships) if ships is not None else None,
            retired=entry.get("retired"), sources=entry.get("sources") or {})
    eol = dict(data["python_end_of_life"])
    source = eol.pop("source", "")
    return Knowledge(data["read_on"], data["service_bucket"], data["service_namespaces"], eol, source, packs)
