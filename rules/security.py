"""SEC: secrets travelling inside the artifact, and zips that could escape or explode on extraction."""

from __future__ import annotations

import re
import stat
from pathlib import PurePosixPath

from artifact_lint.artifact import ReadError, ZipArtifact, format_size
from artifact_lint.diagnostics import Severity, Span
from artifact_lint.registry import Case, Rule
from artifact_lint.rules._samples import artifact

MAX_SCANNED_FILE = 2 * 1024 * 1024
BINARY_PROBE = 8192  # a NUL byte in the first 8 KiB means a binary file
MAX_SCANNED_TOTAL = 64 * 1024 * 1024
MAX_FINDINGS_PER_FILE = 5
SECRET_PATTERNS = (
    ("a PEM private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("an AWS secret access key", re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40}")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b")),
    ("an OpenAI API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}\b")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z]{34,}\b")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
)
# Text each pattern cannot match without (the AWS secret's is matched in lower case): a file holding none
# of it is not searched with that pattern, which is most of the time spent on a clean file.
NEEDLES = {
    "a PEM private key": ("PRIVATE KEY",), "an AWS access key id": ("AKIA", "ASIA"),
    "an AWS secret access key": ("aws_secret_access_key",),
    "a GitHub token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), "a Slack token": ("xox",),
    "an OpenAI API key": ("sk-",), "a Hugging Face token": ("hf_",), "a Google API key": ("AIza",),
}
OCI_CONFIG_KEYS = re.compile(r"(?m)^\s*(fingerprint|key_file|tenancy|user|pass_phrase|security_token_file)\s*=")
ENV_SECRET = re.compile(
    r"(?m)^[ \t]*(?:export[ \t]+)?([A-Za-z0-9_]*(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY|"
    r"CREDENTIAL)[A-Za-z0-9_]*)[ \t]*=[ \t]*(['\"]?)([^\s'\"#]{4,})"
)
BOMB_RATIO = 500
BOMB_MIN_SIZE = 100 * 1024 * 1024


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _span(text: str, start: int, end: int) -> Span:
    line, column = _position(text, start)
    end_line, end_column = _position(text, end)
    return Span.of(line, column, end_line, end_column)


def find_secrets(name: str, text: str) -> list[tuple[str, int, int]]:
    """(what, start, end) for every secret-looking thing in a text file; the value itself is never kept."""
    lower = text.lower()
    found = [(label, m.start(), m.end()) for label, pattern in SECRET_PATTERNS
             if any(needle in (lower if label == "an AWS secret access key" else text) for needle in NEEDLES[label])
             for m in pattern.finditer(text)]
    keys = {m.group(1) for m in OCI_CONFIG_KEYS.finditer(text)} if "fingerprint" in text else set()
    if {"fingerprint", "key_file"} <= keys or ({"fingerprint", "tenancy", "user"} <= keys):
        match = OCI_CONFIG_KEYS.search(text)
        found.append(("an OCI API-key config", match.start(1), match.end(1)))
    if name == ".env" or name.endswith(".env"):
        found += [("a secret in a .env file", m.start(1), m.end(1)) for m in ENV_SECRET.finditer(text)]
    return sorted(found, key=lambda item: item[1])


class SecretInArtifact(Rule):
    """A private key, cloud credentials, a token or a .env secret is inside the artifact.

    ## What it does
    Scans the artifact's text files (binary files and files over 2 MiB are skipped) for PEM
    private keys, OCI API-key configs, AWS keys, GitHub/Slack/OpenAI/Hugging Face/Google tokens
    and secret-looking assignments in `.env` files. Findings say what was found and where, never
    the value.

    ## Why it matters
    An artifact is uploaded to the model catalog, where anyone with read access to the model can
    download it; a key copied in by accident (`cp -r ~/project artifact/`) leaks with it.

    ## Example
    `oci_api_key.pem` or `.env` with `HF_TOKEN=...` in the artifact folder.

    ## Fix
    Delete the file from the artifact and rotate the credential; give the deployment what it
    needs through resource principals or the OCI Vault.
    """

    code, name, severity = "SEC001", "secret-in-artifact", Severity.ERROR
    default_path = "oci_api_key.pem"
    valid = [Case(artifact()),
             Case(artifact({".env": "MODEL_NAME=churn\nTOKEN=\n", "notes.txt": "rotate the AWS key monthly\n"}))]
    invalid = [
        Case(artifact({"oci_api_key.pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"}),
             expect=[(1, 1)]),
        Case(artifact({".env": "MODEL_NAME=churn\nexport HF_TOKEN='hf_abcdefghijklmnopqrstuvwxyzabcdefgh'\n"}),
             expect=[(".env", 2, 8), (".env", 2, 18)]),
        Case(artifact({"config": "[DEFAULT]\nuser=ocid1.user.oc1..aaa\nfingerprint=aa:bb\nkey_file=~/.oci/key.pem\n"
                                 "tenancy=ocid1.tenancy.oc1..aaa\nregion=us-ashburn-1\n"}), expect=[("config", 2, 1)]),
    ]

    def check(self, ctx):
        budget = MAX_SCANNED_TOTAL
        for path, entry in sorted(ctx.artifact.entries.items()):
            if entry.kind != "file" or entry.size > MAX_SCANNED_FILE or budget <= 0:
                continue
            try:
                with ctx.artifact.open_binary(path) as stream:
                    data = stream.read(BINARY_PROBE)
                    if b"\0" in data:
                        continue  # binary: a model, not a credentials file (and not read further)
                    data += stream.read(MAX_SCANNED_FILE - len(data))
            except (ReadError, OSError):
                continue
            budget -= len(data)
            text = data.decode("utf-8", "replace")
            for label, start, end in find_secrets(PurePosixPath(path).name, text)[:MAX_FINDINGS_PER_FILE]:
                yield self.diagnostic(path, _span(text, start, end),
                                      f"{path} holds {label} (value not shown); anyone who can read the model can "
                                      f"download it: remove it and rotate the credential", excerpt=False)


class UnsafeZip(Rule):
    """A zip member would escape the folder it is extracted to, repeats, is a symlink, or looks like a bomb.

    ## What it does
    Reads the zip's central directory without extracting anything: absolute member names,
    names holding `..` or backslashes, repeated names, symlink members, and members whose
    compression ratio is over 500 for more than 100 MiB.

    ## Why it matters
    Such members are rejected by careful extractors, overwrite files elsewhere with careless
    ones (zip slip), or fill the disk of whatever unpacks the artifact. The same names from a
    repeated member make which file is deployed depend on the extractor.

    ## Example
    A member named `../../home/datascience/.bashrc`.

    ## Fix
    Rebuild the zip from the artifact folder (`cd artifact && zip -r ../model.zip .`).
    """

    code, name, severity = "SEC002", "unsafe-zip", Severity.ERROR
    default_path = "../evil.py"
    valid = [Case(artifact(), container="zip")]
    invalid = [Case(artifact({"../evil.py": "x = 1\n"}), container="zip", expect=[("../evil.py", None)])]

    def check(self, ctx):
        artifact = ctx.artifact
        if not isinstance(artifact, ZipArtifact):
            return
        for name in sorted(set(artifact.duplicate_members)):
            yield self.diagnostic(name, None, f"{name} appears more than once in the zip; which copy is deployed "
                                              f"depends on the extractor")
        for info in artifact.members():
            name = info.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
                problem = "is an absolute path"
            elif ".." in parts:
                problem = "climbs out of the extraction folder with .."
            elif "\\" in name:
                problem = "uses backslashes, which extractors treat as part of the name or as folders, inconsistently"
            elif stat.S_ISLNK(info.external_attr >> 16):
                problem = "is a symlink, which can point anywhere once extracted"
            elif info.file_size > BOMB_MIN_SIZE and info.file_size > BOMB_RATIO * max(info.compress_size, 1):
                problem = (f"expands from {format_size(info.compress_size)} to {format_size(info.file_size)}, a ratio "
                           f"that suggests a zip bomb")
            else:
                continue
            yield self.diagnostic(name, None, f"zip member {name} {problem}")
