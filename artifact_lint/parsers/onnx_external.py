"""Where an ONNX model's tensors keep their external data, read from the protobuf without loading it.

ONNX keeps big tensors in external files named in each TensorProto's `external_data`; the protobuf
is walked field by field (graph initializers, node attributes, subgraphs, functions) and tensor
payloads are seeked past, so a model of any size costs a few reads.
"""

from __future__ import annotations

import posixpath
from typing import BinaryIO

# Field numbers of onnx.proto3 messages the walk descends into.
_MODEL_GRAPH, _MODEL_FUNCTIONS = 7, 25
_GRAPH_NODE, _GRAPH_INITIALIZER, _GRAPH_SPARSE = 1, 5, 15
_NODE_ATTRIBUTE, _FUNCTION_NODE = 5, 7
_ATTR_T, _ATTR_G, _ATTR_TENSORS, _ATTR_GRAPHS = 5, 6, 10, 11
_SPARSE_VALUES, _SPARSE_INDICES = 1, 2
_TENSOR_EXTERNAL = 13
_ENTRY_KEY, _ENTRY_VALUE = 1, 2
_DESCEND = {
    "model": {_MODEL_GRAPH: "graph", _MODEL_FUNCTIONS: "function"},
    "graph": {_GRAPH_NODE: "node", _GRAPH_INITIALIZER: "tensor", _GRAPH_SPARSE: "sparse"},
    "function": {_FUNCTION_NODE: "node"},
    "node": {_NODE_ATTRIBUTE: "attribute"},
    "attribute": {_ATTR_T: "tensor", _ATTR_G: "graph", _ATTR_TENSORS: "tensor", _ATTR_GRAPHS: "graph"},
    "sparse": {_SPARSE_VALUES: "tensor", _SPARSE_INDICES: "tensor"},
    "tensor": {_TENSOR_EXTERNAL: "entry"},
}
MAX_FIELDS = 5_000_000


class ProtobufError(ValueError):
    """The bytes are not a protobuf message."""


def _varint(raw: BinaryIO) -> int | None:
    value, shift = 0, 0
    while True:
        byte = raw.read(1)
        if not byte:
            if shift:
                raise ProtobufError("truncated varint")
            return None
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def onnx_external_locations(raw: BinaryIO, size: int) -> list[str]:
    """The `location` of every external-data entry of the ONNX model in `raw` (tensor payloads are seeked past)."""
    locations: list[str] = []
    stack = [("model", size)]  # (message kind, end offset)
    entry_key = entry_value = None
    fields = 0
    while stack:
        kind, end = stack[-1]
        if raw.tell() >= end:
            stack.pop()
            if kind == "entry" and entry_key == "location" and entry_value is not None:
                locations.append(entry_value)
            continue
        fields += 1
        if fields > MAX_FIELDS:
            raise ProtobufError("too many fields")
        tag = _varint(raw)
        if tag is None:
            raise ProtobufError("truncated message")
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            _varint(raw)
        elif wire == 1:
            raw.seek(8, 1)
        elif wire == 5:
            raw.seek(4, 1)
        elif wire == 2:
            length = _varint(raw)
            if length is None or raw.tell() + length > end:
                raise ProtobufError("a field runs past its message")
            child = _DESCEND.get(kind, {}).get(number)
            if child is not None:
                if child == "entry":
                    entry_key = entry_value = None
                stack.append((child, raw.tell() + length))
            elif kind == "entry" and number in (_ENTRY_KEY, _ENTRY_VALUE) and length <= 4096:
                text = raw.read(length).decode("utf-8", "replace")
                if number == _ENTRY_KEY:
                    entry_key = text
                else:
                    entry_value = text
            else:
                raw.seek(length, 1)
        else:
            raise ProtobufError(f"wire type {wire} is not used by ONNX")
    return locations


def leaves_folder(location: str, folder: str) -> bool:
    """Whether an external-data location, relative to the model's folder, points outside the artifact root."""
    if location.startswith(("/", "\\")) or (len(location) > 1 and location[1] == ":"):
        return True
    joined = posixpath.normpath(posixpath.join(folder or ".", location.replace("\\", "/")))
    return joined == ".." or joined.startswith("../")
