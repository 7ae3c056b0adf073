"""runtime.yaml in the layout ADS writes, from a service-pack slug or an oci:// conda pack path."""

from __future__ import annotations

import re

from artifact_lint.conda_pack import PackPath, pythons_named_by
from artifact_lint.service_packs import knowledge

SERVICE_NAMESPACE = "id19sfcrra6z"
# Service packs whose Object Storage path is known without asking the service (the path holds a
# human title that the slug does not): slug -> object path, from the service-pack knowledge base.
KNOWN_SERVICE_PACKS = {slug: pack.pack_path for slug, pack in knowledge().packs.items() if pack.pack_path}
PYTHON = re.compile(r"^3\.\d{1,2}(\.\d+)?$")


class CondaEnvError(ValueError):
    """The --conda-env value cannot be turned into a pack path; the message says what to pass."""


def resolve_conda_env(value: str) -> tuple[str, str, str]:
    """(path, slug, type) for a service-pack slug or an oci:// path."""
    text = value.strip()
    pack = PackPath.parse(text)
    if pack is not None:
        return text, pack.slug, pack.env_type
    if text in KNOWN_SERVICE_PACKS:
        path = f"oci://service-conda-packs@{SERVICE_NAMESPACE}/{KNOWN_SERVICE_PACKS[text]}"
        return path, text, "data_science"
    raise CondaEnvError(
        f"{value!r} is neither an oci://bucket@namespace/path nor a service-pack slug artifact-lint knows "
        f"({', '.join(KNOWN_SERVICE_PACKS)}); pass the pack's full oci:// path, as shown in the OCI console's "
        f"Environment Explorer")


def yaml_scalar(text: str) -> str:
    """`text` as a YAML scalar that reads back as the same string (quoted only when it must be)."""
    if text and re.fullmatch(r"[A-Za-z_][\w./@:+ -]*", text) and ": " not in text and " #" not in text \
            and not text.endswith((" ", ":")):
        return text
    return "'" + text.replace("'", "''") + "'"


def render_runtime_yaml(path: str, slug: str, env_type: str, python: str, artifact_directory: str = "") -> str:
    """Keys as ADS writes them (sorted, every value a quoted-when-needed string)."""
    if not PYTHON.match(python):
        raise CondaEnvError(f"--python {python!r} is not a version like 3.11")
    minor = int(python.split(".")[1])
    for where, named in pythons_named_by(slug, path):
        if named != minor:
            raise CondaEnvError(f"--python {python} disagrees with the conda pack: its {where} says 3.{named}; "
                                f"pass --python 3.{named} or a pack built for Python {python}")
    return (
        "MODEL_ARTIFACT_VERSION: '3.0'\n"
        "MODEL_DEPLOYMENT:\n"
        "  INFERENCE_CONDA_ENV:\n"
        f"    INFERENCE_ENV_PATH: {yaml_scalar(path)}\n"
        f"    INFERENCE_ENV_SLUG: {yaml_scalar(slug)}\n"
        f"    INFERENCE_ENV_TYPE: {env_type}\n"
        f"    INFERENCE_PYTHON_VERSION: '{python}'\n"
        "MODEL_PROVENANCE:\n"
        "  PROJECT_OCID: ''\n"
        "  TENANCY_OCID: ''\n"
        "  TRAINING_CODE:\n"
        f"    ARTIFACT_DIRECTORY: {yaml_scalar(artifact_directory)}\n"
        "  TRAINING_COMPARTMENT_OCID: ''\n"
        "  TRAINING_CONDA_ENV:\n"
        "    TRAINING_ENV_PATH: ''\n"
        "    TRAINING_ENV_SLUG: ''\n"
        "    TRAINING_ENV_TYPE: ''\n"
        "    TRAINING_PYTHON_VERSION: ''\n"
        "  TRAINING_REGION: ''\n"
        "  TRAINING_RESOURCE_OCID: ''\n"
        "  USER_OCID: ''\n"
        "  VM_IMAGE_INTERNAL_ID: ''\n"
    )
