"""Online checks with the OCI SDK (the optional `artifact-lint[oci]` extra): short timeouts, no retries.

ADS's own check of the conda pack retries for about 100 s when the network or credentials are
missing; here a missing SDK, config or network is a clear answer within seconds. Credentials come
from the OCI config file (OCI_CONFIG_FILE / OCI_CONFIG_PROFILE, else ~/.oci/config) or, inside OCI,
a resource principal. ARTIFACT_LINT_OCI_ENDPOINT points the clients at another endpoint (a private
endpoint, or a test server).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0
MODEL_OCID = re.compile(r"^ocid1\.datasciencemodel\.[a-z0-9-]+\.[a-z0-9-]*\.[A-Za-z0-9]+$")
OCI_PATH = re.compile(r"^oci://(?P<bucket>[^@/\s]+)@(?P<namespace>[^@/\s]+)/(?P<object>\S.*)$")


class OnlineUnavailable(Exception):
    """The check cannot be made (no SDK, no credentials, no network); the message says which and what to do."""


@dataclass(frozen=True)
class PackCheck:
    exists: bool | None  # None: could not be checked
    detail: str


def is_model_ocid(text: str) -> bool:
    return bool(MODEL_OCID.match(text.strip()))


def _sdk():
    try:
        import oci
    except ImportError:
        raise OnlineUnavailable("the OCI SDK is not installed: pip install 'artifact-lint[oci]'") from None
    return oci


def _client(kind: str):
    oci = _sdk()
    options = {"timeout": (CONNECT_TIMEOUT, READ_TIMEOUT), "retry_strategy": oci.retry.NoneRetryStrategy()}
    endpoint = os.environ.get("ARTIFACT_LINT_OCI_ENDPOINT")
    if endpoint:
        options["service_endpoint"] = endpoint
    factory = {"object_storage": oci.object_storage.ObjectStorageClient,
               "data_science": oci.data_science.DataScienceClient}[kind]
    if os.environ.get("OCI_RESOURCE_PRINCIPAL_VERSION"):
        try:
            signer = oci.auth.signers.get_resource_principals_signer()
        except Exception as error:  # the SDK raises many kinds here
            raise OnlineUnavailable(f"resource principal authentication failed: {error}") from None
        return factory({}, signer=signer, **options)
    location = os.environ.get("OCI_CONFIG_FILE", oci.config.DEFAULT_LOCATION)
    try:
        config = oci.config.from_file(location, os.environ.get("OCI_CONFIG_PROFILE", "DEFAULT"))
    except (oci.exceptions.ConfigFileNotFound, oci.exceptions.ProfileNotFound, oci.exceptions.InvalidConfig,
            oci.exceptions.InvalidKeyFilePath, OSError, ValueError) as error:
        raise OnlineUnavailable(f"no usable OCI config ({error}); set one up with `oci setup config`, or run inside "
                                f"OCI with a resource principal") from None
    return factory(config, **options)


@lru_cache(maxsize=256)
def check_pack(path: str) -> PackCheck:
    """Whether the conda pack at `path` exists in Object Storage (HEAD object)."""
    match = OCI_PATH.match(path.strip())
    if match is None:
        return PackCheck(None, "the path is not an oci:// path")
    try:
        client = _client("object_storage")
    except OnlineUnavailable as error:
        return PackCheck(None, str(error))
    oci = _sdk()
    try:
        client.head_object(match["namespace"], match["bucket"], match["object"])
        return PackCheck(True, "found")
    except oci.exceptions.ServiceError as error:
        if error.status == 404:
            return PackCheck(False, f"Object Storage has no such object ({error.code})")
        return PackCheck(None, f"Object Storage answered {error.status} {error.code}: check your permissions")
    except Exception as error:  # connection errors come in several SDK and requests types
        return PackCheck(None, f"Object Storage could not be reached ({type(error).__name__}); check the network")


def download_model_artifact(ocid: str, destination: Path) -> Path:
    """The artifact zip of a model in the catalog, saved at `destination` (streamed)."""
    client = _client("data_science")
    oci = _sdk()
    try:
        response = client.get_model_artifact_content(ocid)
    except oci.exceptions.ServiceError as error:
        raise OnlineUnavailable(f"the model catalog answered {error.status} {error.code} for {ocid}") from None
    except Exception as error:
        raise OnlineUnavailable(f"the model catalog could not be reached ({type(error).__name__}); check the "
                                f"network") from None
    with open(destination, "wb") as handle:
        for chunk in response.data.raw.stream(1 << 20, decode_content=False):
            handle.write(chunk)
    return destination
