"""Facts about Python and the ML stack that score.py rules need: builtins and stdlib per version,
module -> distribution names, and the packages Oracle's general ML conda packs provide."""

from __future__ import annotations

import builtins
import sys

RUNNING_MINOR = sys.version_info.minor  # the Python that runs artifact-lint (and parses score.py)

# Builtins that appeared in a given 3.x minor version (the running interpreter may be newer or older).
BUILTINS_ADDED = {
    "aiter": 10, "anext": 10, "EncodingWarning": 10,
    "BaseExceptionGroup": 11, "ExceptionGroup": 11,
    "PythonFinalizationError": 13, "_IncompleteInputError": 13,
}
# Names every module has besides the builtins.
MODULE_NAMES = frozenset({
    "__file__", "__name__", "__doc__", "__spec__", "__loader__", "__package__", "__builtins__",
    "__annotations__", "__cached__", "__path__", "__dict__",
})

# Standard-library modules removed in a 3.x minor version (PEP 594, PEP 632 and friends).
STDLIB_REMOVED = {
    "distutils": 12, "imp": 12, "asynchat": 12, "asyncore": 12, "smtpd": 12,
    "aifc": 13, "audioop": 13, "cgi": 13, "cgitb": 13, "chunk": 13, "crypt": 13, "imghdr": 13, "mailcap": 13,
    "msilib": 13, "nis": 13, "nntplib": 13, "ossaudiodev": 13, "pipes": 13, "sndhdr": 13, "spwd": 13,
    "sunau": 13, "telnetlib": 13, "uu": 13, "xdrlib": 13, "lib2to3": 13,
}
# Standard-library modules added in a 3.x minor version.
STDLIB_ADDED = {"zoneinfo": 9, "graphlib": 9, "tomllib": 11, "_interpreters": 13}

# Import name -> distribution name, where they differ or are commonly confused.
DISTRIBUTIONS = {
    "sklearn": "scikit-learn", "skimage": "scikit-image", "cv2": "opencv-python", "PIL": "pillow",
    "yaml": "pyyaml", "bs4": "beautifulsoup4", "dateutil": "python-dateutil", "dotenv": "python-dotenv",
    "jwt": "PyJWT", "Crypto": "pycryptodome", "attr": "attrs", "google": "protobuf", "ads": "oracle-ads",
    "sentence_transformers": "sentence-transformers", "tensorflow_hub": "tensorflow-hub",
    "catboost": "catboost", "xgboost": "xgboost", "lightgbm": "lightgbm", "torch": "torch",
    "torchvision": "torchvision", "tensorflow": "tensorflow", "keras": "keras", "onnx": "onnx",
    "onnxruntime": "onnxruntime", "transformers": "transformers", "numpy": "numpy", "pandas": "pandas",
    "scipy": "scipy", "joblib": "joblib", "cloudpickle": "cloudpickle", "statsmodels": "statsmodels",
    "requests": "requests", "oci": "oci", "pyspark": "pyspark", "fastparquet": "fastparquet",
    "pyarrow": "pyarrow", "skl2onnx": "skl2onnx", "nltk": "nltk", "spacy": "spacy", "gensim": "gensim",
    "prophet": "prophet", "shap": "shap", "huggingface_hub": "huggingface-hub", "tokenizers": "tokenizers",
    "dill": "dill", "matplotlib": "matplotlib", "seaborn": "seaborn", "tqdm": "tqdm", "boto3": "boto3",
    "mlflow": "mlflow", "category_encoders": "category-encoders", "imblearn": "imbalanced-learn",
    "sklearn_pandas": "sklearn-pandas", "Levenshtein": "python-Levenshtein", "magic": "python-magic",
    "docx": "python-docx", "jsonschema": "jsonschema", "pptx": "python-pptx", "lxml": "lxml", "orjson": "orjson",
    "ujson": "ujson",
}
# What Oracle's general machine learning service packs ship, so importing it needs no remark.
PROVIDED_BY_SERVICE_PACKS = frozenset({
    "numpy", "pandas", "scipy", "sklearn", "joblib", "cloudpickle", "xgboost", "lightgbm", "torch",
    "tensorflow", "keras", "onnx", "onnxruntime", "ads", "oci", "requests", "yaml", "dateutil", "pyarrow",
    "fastparquet", "statsmodels", "matplotlib", "seaborn", "tqdm", "PIL", "skl2onnx", "transformers",
    "tokenizers", "huggingface_hub", "catboost", "shap", "dill", "pyspark", "attr", "six", "packaging",
    "typing_extensions", "setuptools", "pkg_resources", "urllib3", "certifi", "cryptography", "jinja2",
    "pydantic", "tensorflow_hub", "torchvision", "sentence_transformers", "nltk", "lxml", "orjson", "jsonschema",
})


def builtin_names(minor: int | None) -> frozenset[str]:
    """The builtins of Python 3.`minor` (the running interpreter's when unknown), worked out once per minor."""
    names = _BUILTINS.get(minor)
    if names is None:
        names = set(dir(builtins)) | set(BUILTINS_ADDED)
        if minor is not None:
            names -= {name for name, added in BUILTINS_ADDED.items() if minor < added}
        names = _BUILTINS[minor] = frozenset(names)
    return names


_BUILTINS: dict[int | None, frozenset[str]] = {}


def builtin_added_after(name: str, minor: int | None) -> int | None:
    """The minor version that introduced builtin `name`, when the declared Python is older."""
    added = BUILTINS_ADDED.get(name)
    return added if added is not None and minor is not None and minor < added else None


def is_stdlib(module: str, minor: int | None) -> bool:
    top = module.split(".")[0]
    if minor is not None:
        if top in STDLIB_ADDED:
            return minor >= STDLIB_ADDED[top]
        if top in STDLIB_REMOVED:
            return minor < STDLIB_REMOVED[top]
    return top in sys.stdlib_module_names or top in STDLIB_REMOVED or top in STDLIB_ADDED


def distribution_of(module: str) -> str | None:
    return DISTRIBUTIONS.get(module.split(".")[0])
