"""Which serialized-model format a file or folder is, from its first bytes and its layout.

Names lie (a `model.pkl` that is really a joblib file with zlib compression, a `.pt` that is
TorchScript), so the format comes from content: magic bytes, zip member names, folder shapes.
Only the first few KiB of a file are read here; nothing is loaded.
"""

from __future__ import annotations

from typing import NamedTuple


from artifact_lint.artifact import Artifact, ReadError

HEAD_BYTES = 4096
MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle", ".pt", ".pth", ".h5", ".hdf5", ".keras", ".onnx", ".ubj", ".cbm",
                  ".sav", ".safetensors", ".model", ".mojo", ".pmml", ".bin", ".tflite", ".pb", ".npy", ".npz")
# torch.save's legacy format starts with its magic number, pickled as a protocol 2 LONG1.
TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
NUMPY_MAGIC = b"\x93NUMPY"
COMPRESSION_PREFIXES = {
    b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ": "xz", b"\x5d\x00\x00": "lzma", b"\x04\x22\x4d\x18": "lz4",
    b"ZF": "zlib (joblib < 0.9.3)",
}
# Text files that sit beside models and are not models.
NOT_MODELS = {"score.py", "runtime.yaml", "input_schema.json", "output_schema.json", "model_artifact_manifest.json",
              ".model-ignore", "test_json_output.json"}


class ModelFormat(NamedTuple):
    """A model file's format as identified from its bytes, with a detail for the message."""

    kind: str  # "pickle", "joblib-compressed", "xgboost-json", "xgboost-ubj", "lightgbm-text", "onnx",
    #            "pytorch", "pytorch-legacy", "torchscript", "keras-h5", "keras-v3", "safetensors", "numpy",
    #            "numpy-npz", "spark", "huggingface", "unknown"
    detail: str = ""

    @property
    def label(self) -> str:
        names = {
            "pickle": "a pickle", "joblib-compressed": "a compressed joblib file", "xgboost-json": "an XGBoost JSON model",
            "xgboost-ubj": "an XGBoost UBJSON model", "xgboost-binary": "an XGBoost legacy binary model",
            "lightgbm-text": "a LightGBM text model", "onnx": "an ONNX model",
            "pytorch": "a PyTorch checkpoint", "pytorch-legacy": "a PyTorch checkpoint (legacy format)",
            "numpy": "a numpy array file", "numpy-npz": "a numpy .npz archive", "torchscript": "a TorchScript module",
            "keras-h5": "a Keras HDF5 model",
            "keras-v3": "a Keras v3 (.keras) model", "safetensors": "safetensors weights", "spark": "a Spark ML model folder",
            "huggingface": "a Hugging Face model folder", "unknown": "a file of unknown format",
        }
        return names.get(self.kind, self.kind) + (f" ({self.detail})" if self.detail else "")


def pickle_protocol(head: bytes) -> int | None:
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return head[1]
    return None


def identify_bytes(name: str, head: bytes, artifact: Artifact | None = None, path: str = "") -> ModelFormat:
    """The format of a file from its name and first bytes (and, for zips, its member names)."""
    lower = name.lower()
    if head.startswith(TORCH_LEGACY_MAGIC):
        return ModelFormat("pytorch-legacy")
    if head.startswith(NUMPY_MAGIC):
        return ModelFormat("numpy")
    if pickle_protocol(head) is not None:
        return ModelFormat("pickle", f"protocol {head[1]}")
    if head.startswith(b"\x78") and lower.endswith((".joblib", ".pkl", ".z", ".pickle")):
        return ModelFormat("joblib-compressed", "zlib")
    for prefix, compression in COMPRESSION_PREFIXES.items():
        if head.startswith(prefix):
            return ModelFormat("joblib-compressed", compression)
    if head.startswith(b"PK\x03\x04"):
        return _identify_zip(artifact, path) if artifact is not None else ModelFormat("unknown", "zip")
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return ModelFormat("keras-h5")
    stripped = head.lstrip()
    if stripped.startswith(b"{") and b'"learner"' in head:
        return ModelFormat("xgboost-json")
    if _is_xgboost_ubj(head):
        return ModelFormat("xgboost-ubj")
    if head.startswith((b"tree\n", b"tree\r\n")):
        return ModelFormat("lightgbm-text")
    if head.startswith(b"binf"):
        return ModelFormat("xgboost-binary", "legacy")
    if lower.endswith(".onnx") or (head[:1] == b"\x08" and b"\x12" in head[:16] and b"onnx" in head[:512].lower()):
        return ModelFormat("onnx") if head[:1] == b"\x08" else ModelFormat("unknown", "not an ONNX protobuf")
    if lower.endswith(".safetensors") and len(head) >= 9 and head[8:9] == b"{":
        return ModelFormat("safetensors")
    if lower.endswith((".pkl", ".pickle", ".joblib", ".sav")) and head[:1] in (b"(", b"]", b"}", b"c", b"\x80"):
        return ModelFormat("pickle", "protocol 0 or 1")
    return ModelFormat("unknown")


def _identify_zip(artifact: Artifact, path: str) -> ModelFormat:
    """PyTorch saves a zip whose members end in data.pkl; TorchScript adds constants.pkl and code/."""
    import zipfile  # only a model file that starts like a zip needs it

    try:
        with artifact.open_binary(path) as stream, zipfile.ZipFile(stream) as archive:
            return zip_model_kind(archive.namelist())
    except (ReadError, zipfile.BadZipFile, ValueError, OSError, EOFError):
        return ModelFormat("unknown", "broken zip")


def zip_model_kind(names: list[str]) -> ModelFormat:
    """The model a zip holds, from its member names."""
    if any(n.endswith("/constants.pkl") or "/code/" in n for n in names):
        return ModelFormat("torchscript")
    if any(n.endswith("data.pkl") for n in names):
        return ModelFormat("pytorch")
    if "config.json" in names and any(n.endswith(".weights.h5") or n == "model.weights.h5" for n in names):
        return ModelFormat("keras-v3")
    if names and all(n.endswith(".npy") for n in names):
        return ModelFormat("numpy-npz")
    return ModelFormat("unknown", "zip")


class FolderIndex:
    """Per folder, in one pass over the inventory: its children's names and Spark's save() markers."""

    def __init__(self, artifact: Artifact):
        self.children: dict[str, set[str]] = {}
        self.spark_metadata: set[str] = set()
        self.spark_data: set[str] = set()
        for path in artifact.entries:
            parent, _, name = path.rpartition("/")
            self.children.setdefault(parent, set()).add(name)
            grandparent, _, parent_name = parent.rpartition("/")
            if parent_name == "metadata" and name.startswith("part-"):
                self.spark_metadata.add(grandparent)
            if parent_name in ("stages", "data"):
                self.spark_data.add(grandparent)


HF_WEIGHTS = ("pytorch_model.bin", "model.safetensors", "tf_model.h5", "flax_model.msgpack")


def identify_folder(index: FolderIndex, folder: str) -> ModelFormat | None:
    """Spark ML's save() folder (metadata/ + stages/ or data/) or a Hugging Face save_pretrained folder."""
    if folder in index.spark_metadata and folder in index.spark_data:
        return ModelFormat("spark")
    names = index.children.get(folder, set())
    if "config.json" in names and any(weight in names or any(name.startswith(weight.split(".")[0] + "-")
                                                              for name in names) for weight in HF_WEIGHTS):
        return ModelFormat("huggingface")
    return None


def read_head(artifact: Artifact, path: str) -> bytes | None:
    try:
        entry = artifact.entries[path]
        if entry.kind not in ("file", "symlink"):
            return None
        return artifact.read_prefix(path, HEAD_BYTES)
    except (ReadError, KeyError):
        return None


def model_candidates(artifact: Artifact) -> dict[str, ModelFormat]:
    """Every file or folder of the artifact that is a serialized model, with its format (computed once per
    inventory: several rules ask)."""
    cached = artifact.__dict__.get("_model_candidates")
    if cached is not None and cached[0] is artifact.entries:
        return cached[1]
    found = _find_models(artifact)
    artifact.__dict__["_model_candidates"] = (artifact.entries, found)
    return found


def _find_models(artifact: Artifact) -> dict[str, ModelFormat]:
    index = FolderIndex(artifact)
    found: dict[str, ModelFormat] = {}
    root = artifact.root
    prefix = f"{root}/" if root else ""
    folders = {""} | {p[len(prefix):] for p, e in artifact.entries.items() if e.kind == "dir" and p.startswith(prefix)}
    for folder in sorted(folders, key=lambda f: (f.count("/"), f)):
        if any(folder == f or folder.startswith(f + "/") for f in found):
            continue
        kind = identify_folder(index, artifact.member(folder) if folder else root)
        if kind is not None:
            found[folder or "."] = kind
    for path, entry in artifact.entries.items():
        name = entry.name
        if entry.kind == "dir" or not path.startswith(prefix) or name in NOT_MODELS or name.endswith((".py", ".yaml", ".yml")):
            continue
        if any(path[len(prefix):].startswith(f + "/") for f in found if f != "."):
            continue
        head = read_head(artifact, path)
        if head is None:
            continue
        kind = identify_bytes(name, head, artifact, path)
        if kind.kind != "unknown" or name.lower().endswith(MODEL_SUFFIXES):
            found[path[len(prefix):]] = kind
    return found


UBJ_LENGTH_MARKERS = b"iUIlL"  # UBJSON integer types, one of which gives the length of each object key


def _is_xgboost_ubj(head: bytes) -> bool:
    """An UBJSON object whose first key is "learner" (XGBoost's layout): `{`, a length marker and its
    big-endian length, then the key. The length bytes may be zeros, so looking for non-ASCII bytes misses it."""
    widths = {ord("i"): 1, ord("U"): 1, ord("I"): 2, ord("l"): 4, ord("L"): 8}
    if len(head) < 3 or head[:1] != b"{" or head[1] not in UBJ_LENGTH_MARKERS:
        return False
    width = widths[head[1]]
    length = int.from_bytes(head[2:2 + width], "big")
    return head[2 + width:2 + width + length] == b"learner"
