"""Code a Keras model config carries: Lambda layers' marshalled bytecode and custom objects' modules.

Keras writes its model config as JSON (`config.json` in a `.keras` zip; the `model_config` attribute
of an `.h5` file, found here by its bytes without an HDF5 library). A Lambda layer's function is
marshalled bytecode, read as data by `pickles.marshal_code`; a custom object or function names a
module the load imports. Nothing is loaded or run.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, BinaryIO, NamedTuple

from artifact_lint.parsers.pickles.marshal_code import MarshalError, read_code
from artifact_lint.parsers.pickles.policy import Verdict, judge
from artifact_lint.parsers.pickles.verdicts import judge_code

MAX_CONFIG = 32 * 1024 * 1024
H5_SEARCHED = 64 * 1024 * 1024  # Keras writes model_config near the start; weights follow
_CHUNK = 1024 * 1024
_CLASS_NAME = b'"class_name": '
_KEY_REACH = 512  # how far before "class_name" the config's opening brace may be
KERAS_MODULES = ("keras", "tf_keras", "tensorflow")


class Payload(NamedTuple):
    """One piece of code a Keras config carries, with its verdict."""

    verdict: Verdict | None  # DENIED, UNKNOWN, or None for "not judged" (an info)
    text: str



def keras_v3_config(raw: BinaryIO) -> Any:
    import zipfile  # only a .keras model needs it

    with zipfile.ZipFile(raw) as archive:
        info = archive.getinfo("config.json")
        if info.file_size > MAX_CONFIG:
            return None
        return json.loads(archive.read(info).decode("utf-8"))


def keras_h5_config(raw: BinaryIO) -> Any:
    """The JSON model config stored in a Keras HDF5 file, found by its bytes (None when not found).

    The config's first key is "class_name" (Keras 2) or "module" (tf.keras 2.13+), so the search looks for
    the first `"class_name": ` and decodes from the outermost `{` shortly before it.
    """
    searched, tail = 0, b""
    while searched < H5_SEARCHED:
        chunk = raw.read(_CHUNK)
        if not chunk:
            return None
        window = tail + chunk
        index = window.find(_CLASS_NAME)
        if index >= 0:
            found = raw.tell() - len(window) + index
            start = max(found - _KEY_REACH, 0)
            raw.seek(start)
            text = raw.read(MAX_CONFIG).decode("utf-8", "replace")
            marker = text.find(_CLASS_NAME.decode())
            for brace in (position for position, char in enumerate(text[:marker]) if char == "{"):
                try:
                    config = json.JSONDecoder().raw_decode(text, brace)[0]
                except ValueError:
                    continue
                if isinstance(config, dict) and "class_name" in config:
                    return config
            return None
        searched += len(chunk)
        tail = window[-len(_CLASS_NAME):]
    return None


def keras_payloads(config: Any) -> list[Payload]:
    """Lambda layers (their bytecode judged) and custom objects (their module judged) in a Keras model config."""
    found: list[Payload] = []
    pending = [config]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        pending.extend(node.values())
        class_name = node.get("class_name")
        inner = node.get("config") if isinstance(node.get("config"), dict) else {}
        if class_name == "Lambda":
            found.append(_lambda(inner))
        elif class_name == "__lambda__":
            continue  # judged with its Lambda layer
        elif class_name == "function" and isinstance(node.get("module"), str) and isinstance(node.get("config"), str):
            found.extend(_module_object(f"{node['module']}.{node['config']}", "function"))
        elif isinstance(node.get("module"), str) and isinstance(class_name, str) and "registered_name" in node:
            found.extend(_module_object(f"{node['module']}.{class_name}", "custom object"))
    return found


def _lambda(config: dict) -> Payload:
    name = config.get("name", "?")
    function = config.get("function")
    code_text = None
    if isinstance(function, list) and function and isinstance(function[0], str):
        code_text = function[0]  # Keras 2: [base64 marshal, defaults, closure]
    elif isinstance(function, dict) and isinstance(function.get("config"), dict):
        code_text = function["config"].get("code")  # Keras 3: {"class_name": "__lambda__", "config": {"code": ...}}
    elif isinstance(function, dict) and function.get("class_name") == "function":
        return Payload(None, f"has a Lambda layer {name!r} calling {function.get('module')}.{function.get('config')}")
    if not isinstance(code_text, str):
        return Payload(Verdict.UNKNOWN, f"has a Lambda layer {name!r} whose function is not stored as bytecode the "
                                        f"tool can read; it runs when the model is loaded or called")
    try:
        code = read_code(base64.b64decode(code_text.encode("ascii"), validate=False))
    except (MarshalError, binascii.Error, ValueError, UnicodeEncodeError):
        return Payload(Verdict.UNKNOWN, f"has a Lambda layer {name!r} carrying Python bytecode the tool cannot read; "
                                        f"it runs when the model is loaded or called")
    dangers = judge_code(code)
    if dangers:
        constants = [repr(text)[:80] for part in code.walk() for text in part.strings if text.strip()][:3]
        detail = f"; its constants include {', '.join(constants)}" if constants else ""
        return Payload(Verdict.DENIED, f"has a Lambda layer {name!r} whose bytecode calls {', '.join(dangers[:3])}{detail}")
    return Payload(None, f"has a Lambda layer {name!r} carrying Python bytecode (function {code.name}); nothing "
                         f"dangerous was found in it, but it runs with the model")


def _module_object(dotted: str, what: str) -> list[Payload]:
    if dotted.split(".")[0] in KERAS_MODULES:
        return []
    verdict = judge(dotted)
    if verdict is Verdict.DENIED:
        return [Payload(Verdict.DENIED, f"names the {what} {dotted}, which the load resolves and calls")]
    if verdict is Verdict.UNKNOWN:
        return [Payload(Verdict.UNKNOWN, f"names the {what} {dotted}; the load imports its module and runs it")]
    return []
