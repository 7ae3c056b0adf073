"""SEC: secrets travelling inside the artifact, and zips that could escape or explode on extraction."""

from __future__ import annotations

import math
import re
import posixpath
from functools import partial
from pathlib import PurePosixPath

from artifact_lint.artifact import ReadError, ZipArtifact, path_name
from artifact_lint.diagnostics import Severity, Span
from artifact_lint.registry import Case, Rule
from artifact_lint.rules._samples import artifact
from artifact_lint.zip_safety import member_problem

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
OCI_CONFIG_VALUES = re.compile(r"(?m)^[ \t]*(fingerprint|key_file|tenancy|user|pass_phrase|security_token_file)[ \t]*=(.*)$")
# Text each pattern cannot match without (the AWS secret's is matched in lower case): a file holding none
# of it is not searched with that pattern, which is most of the time spent on a clean file.
NEEDLES = {
    "a PEM private key": ("PRIVATE KEY",), "an AWS access key id": ("AKIA", "ASIA"),
    "an AWS secret access key": ("aws_secret_access_key",),
    "a GitHub token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), "a Slack token": ("xox",),
    "an OpenAI API key": ("sk-",), "a Hugging Face token": ("hf_",), "a Google API key": ("AIza",),
}
ENV_SECRET = re.compile(
    r"(?m)^[ \t]*(?:export[ \t]+)?([A-Za-z0-9_]*(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY|"
    r"CREDENTIAL)[A-Za-z0-9_]*)[ \t]*=[ \t]*(['\"]?)([^\s'\"#]{4,})"
)
# A key body for the rule's own cases (random bytes, not a key), and documentation that only shows the shapes.
KEY_BODY = "MIIEowIBAAKCAQEAu5Jq3m0V9rXcT2dF8kLpN4sYw7Ha1ZbQe6Rt0Gj5CvUo2nMx\nS8yKdE4fWq7LzP1aHb3TgVr9Nc6JmXo0Ys2Ki5Du"
DOCUMENTED_CONFIG = """\
```ini
[DEFAULT]
user=ocid1.user.oc1..<unique_ID>
fingerprint=<your-fingerprint>
key_file=~/.oci/oci_api_key.pem
tenancy=ocid1.tenancy.oc1..xxxxxxxxxxxxxxxxxxxxxxxx
```
```
-----BEGIN RSA PRIVATE KEY-----
...
-----END RSA PRIVATE KEY-----
```
export HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx  # or AWS's example key AKIAIOSFODNN7EXAMPLE
"""


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _span(text: str, start: int, end: int) -> Span:
    line, column = _position(text, start)
    end_line, end_column = _position(text, end)
    return Span.of(line, column, end_line, end_column)


def find_secrets(name: str, text: str, present=lambda path: False) -> list[tuple[str, int, int]]:
    """(what, start, end) for every real-looking secret in a text file; the value itself is never kept.

    Documentation shows the same shapes with placeholders (`<your-fingerprint>`, `ocid1.user.oc1..xxxx`,
    a PEM block with `...` for a body, `hf_xxxx`, AWS's `...EXAMPLE` key): those are not secrets.
    `present(path)` says whether a file (an OCI config's key_file) is in the artifact.
    """
    found = []
    lower = text.lower()
    for label, pattern in SECRET_PATTERNS:
        if not any(needle in (lower if label == "an AWS secret access key" else text) for needle in NEEDLES[label]):
            continue
        for match in pattern.finditer(text):
            if label == "a PEM private key" and not has_key_body(text, match.end()):
                continue
            if label != "a PEM private key" and not looks_real(match.group(0)):
                continue
            found.append((label, match.start(), match.end()))
    found += _oci_config(text, present)
    if name == ".env" or name.endswith(".env"):
        found += [("a secret in a .env file", m.start(1), m.end(1)) for m in ENV_SECRET.finditer(text)
                  if looks_real(m.group(3))]
    return sorted(found, key=lambda item: item[1])


PLACEHOLDER_MARKS = re.compile(r"<[^<>\n]*>|\.\.\.|x{4,}|X{4,}|\*{3,}|\$\{|\{\{|your|example|changeme|dummy|"
                               r"placeholder|redacted|fake|sample|replace", re.IGNORECASE)
FINGERPRINT = re.compile(r"^(?:[0-9a-f]{2}:){15}[0-9a-f]{2}$")
MIN_TOKEN_ENTROPY = 3.0  # bits per character; a typed-out example (aaaa, abcabc) stays below, random tokens above


def entropy(text: str) -> float:
    """Shannon entropy per character, to tell a random token from a typed-out example."""
    if not text:
        return 0.0
    counts = [text.count(char) for char in set(text)]
    return -sum(count / len(text) * math.log2(count / len(text)) for count in counts)


def looks_real(value: str) -> bool:
    """A token or password that is not a placeholder: no <...>, xxxx, ..., 'example'; random enough when long."""
    value = value.strip().strip("'\"")
    if not value or PLACEHOLDER_MARKS.search(value):
        return False
    return len(value) < 16 or entropy(value) >= MIN_TOKEN_ENTROPY


def has_key_body(text: str, after: int) -> bool:
    """A PEM block with a base64 body (not `...` or a description of one) before its END line."""
    end = text.find("-----END", after)
    body = text[after:end if end != -1 else after + 8192]
    characters = re.sub(r"\s+", "", body)
    return len(characters) >= 64 and re.fullmatch(r"[A-Za-z0-9+/=]+(?:Proc-Type:.*)?", characters[:4096]) is not None


def _oci_config(text: str, present) -> list[tuple[str, int, int]]:
    """An OCI API-key config with a real fingerprint, real OCIDs or a key_file the artifact holds."""
    if "fingerprint" not in text:  # both shapes need one; a substring test spares the line-anchored scan
        return []
    values = {m.group(1): (m.group(2).split("#", 1)[0].strip(), m.start(1), m.end(1)) for m in OCI_CONFIG_VALUES.finditer(text)}
    if not ({"fingerprint", "key_file"} <= set(values) or {"fingerprint", "tenancy", "user"} <= set(values)):
        return []
    fingerprint = values.get("fingerprint", ("", 0, 0))[0]
    key_file = values.get("key_file", ("", 0, 0))[0]
    real = FINGERPRINT.match(fingerprint.lower()) and len(set(fingerprint.replace(":", ""))) > 4
    real = real or (key_file and not PLACEHOLDER_MARKS.search(key_file) and present(key_file))
    if not real:
        return []
    first = min(values.values(), key=lambda item: item[1])
    return [("an OCI API-key config", first[1], first[2])]


class SecretInArtifact(Rule):
    """A private key, cloud credentials, a token or a .env secret is inside the artifact.

    ## What it does
    Scans the artifact's text files (binary files and files over 2 MiB are skipped) for PEM
    private keys, OCI API-key configs, AWS keys, GitHub/Slack/OpenAI/Hugging Face/Google tokens
    and secret-looking assignments in `.env` files. Findings say what was found and where, never
    the value.

    Only real-looking credentials count: a PEM block with a key body, an OCI config with a real
    fingerprint or a `key_file` the artifact holds, tokens random enough to be real. What
    documentation shows (`<your-fingerprint>`, `ocid1.user.oc1..xxxx`, a PEM block whose body is
    `...`, `hf_xxxx`, AWS's `AKIAIOSFODNN7EXAMPLE`) is not reported.

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
             Case(artifact({".env": "MODEL_NAME=churn\nTOKEN=\nAPI_KEY=<your-api-key>\nPASSWORD=changeme\n",
                            "notes.txt": "rotate the AWS key monthly\n"})),
             Case(artifact({"README.md": DOCUMENTED_CONFIG}), note="placeholders in documentation"),
             Case(artifact({"config": "[DEFAULT]\nuser=ocid1.user.oc1..aaa\nfingerprint=aa:bb\nkey_file=~/.oci/key.pem\n"
                                      "tenancy=ocid1.tenancy.oc1..aaa\n"}), note="no real fingerprint, no key here")]
    invalid = [
        Case(artifact({"oci_api_key.pem": f"-----BEGIN RSA PRIVATE KEY-----\n{KEY_BODY}\n-----END RSA PRIVATE KEY-----\n"}),
             expect=[(1, 1)]),
        Case(artifact({".env": "MODEL_NAME=churn\nexport HF_TOKEN='hf_abcdefghijklmnopqrstuvwxyzabcdefgh'\n"}),
             expect=[(".env", 2, 8), (".env", 2, 18)]),
        Case(artifact({"config": "[DEFAULT]\nuser=ocid1.user.oc1..aaa\nfingerprint=3f:9a:01:c4:7e:22:b8:5d:90:1e:a7:"
                                 "44:6c:0b:d3:e8\nkey_file=~/.oci/key.pem\ntenancy=ocid1.tenancy.oc1..aaa\n"}),
             expect=[("config", 2, 1)], note="a real fingerprint"),
        Case(artifact({"config": "[DEFAULT]\nuser=ocid1.user.oc1..aaa\nfingerprint=<fingerprint>\nkey_file=keys/api.pem\n",
                       "keys/api.pem": "key\n"}), expect=[("config", 2, 1)], note="key_file names a file shipped here"),
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
            present = partial(_key_file_present, ctx.artifact, path)
            for label, start, end in find_secrets(path_name(path), text, present)[:MAX_FINDINGS_PER_FILE]:
                yield self.diagnostic(path, _span(text, start, end),
                                      f"{path} holds {label} (value not shown); anyone who can read the model can "
                                      f"download it: remove it and rotate the credential", excerpt=False)


def _key_file_present(artifact, config_path: str, key_file: str) -> bool:
    """Whether an OCI config's key_file names a file of the artifact (relative to the config, or by its name)."""
    folder = str(PurePosixPath(config_path).parent)
    folder = "" if folder == "." else folder
    name = PurePosixPath(key_file.replace("\\", "/")).name
    relative = posixpath.normpath(posixpath.join(folder, key_file)) if not key_file.startswith(("/", "~")) else None
    return (relative is not None and artifact.is_file(relative)) or any(
        entry.kind == "file" and entry.name == name for entry in artifact.entries.values())


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
            problem = member_problem(info)
            if problem is not None:
                shown = info.filename or "''"
                yield self.diagnostic(info.filename, None, f"zip member {shown} {problem}")
