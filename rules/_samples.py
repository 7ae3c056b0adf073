"""Known-good artifact files that rule cases start from and then break one thing in.

These are our own minimal files in the shape ADS writes, not ADS templates.
"""

SERVICE_PACK_PATH = (
    "oci://service-conda-packs@id19sfcrra6z/service_pack/cpu/"
    "General_Machine_Learning_for_CPUs_on_Python_3.11/1.0/generalml_p311_cpu_x86_64_v1"
)

PROVENANCE = """\
MODEL_PROVENANCE:
  PROJECT_OCID: ''
  TENANCY_OCID: ''
  TRAINING_CODE:
    ARTIFACT_DIRECTORY: /home/datascience/my-model
  TRAINING_COMPARTMENT_OCID: ''
  TRAINING_CONDA_ENV:
    TRAINING_ENV_PATH: ''
    TRAINING_ENV_SLUG: ''
    TRAINING_ENV_TYPE: ''
    TRAINING_PYTHON_VERSION: ''
  TRAINING_REGION: ''
  TRAINING_RESOURCE_OCID: ''
  USER_OCID: ''
  VM_IMAGE_INTERNAL_ID: ''
"""


def runtime_yaml(
    path: str = SERVICE_PACK_PATH,
    slug: str = "generalml_p311_cpu_x86_64_v1",
    env_type: str = "data_science",
    python: str = "'3.11'",
    version: str = "'3.0'",
    provenance: str = PROVENANCE,
) -> str:
    """A runtime.yaml laid out as ADS writes it (line 1 MODEL_ARTIFACT_VERSION, line 7 the Python version)."""
    return (
        f"MODEL_ARTIFACT_VERSION: {version}\n"
        "MODEL_DEPLOYMENT:\n"
        "  INFERENCE_CONDA_ENV:\n"
        f"    INFERENCE_ENV_PATH: {path}\n"
        f"    INFERENCE_ENV_SLUG: {slug}\n"
        f"    INFERENCE_ENV_TYPE: {env_type}\n"
        f"    INFERENCE_PYTHON_VERSION: {python}\n"
        f"{provenance}"
    )


RUNTIME_YAML = runtime_yaml()

SCORE_PY = '''\
import json
import os

import joblib

model_name = "model.joblib"


def load_model(model_file_name=model_name):
    """Load the model that sits next to this file."""
    model_dir = os.path.dirname(os.path.realpath(__file__))
    with open(os.path.join(model_dir, model_file_name), "rb") as handle:
        return joblib.load(handle)


def predict(data, model=load_model()):
    payload = json.loads(data) if isinstance(data, (bytes, str)) else data
    return {"prediction": model.predict(payload).tolist()}
'''


def artifact(changes: dict | None = None) -> dict:
    """A valid artifact with some files replaced, added, or removed (a value of None removes)."""
    files = {"score.py": SCORE_PY, "runtime.yaml": RUNTIME_YAML, "model.joblib": b"\x80\x04K\x01."}
    for name, content in (changes or {}).items():
        if content is None:
            files.pop(name, None)
        else:
            files[name] = content
    return files


def with_helper(helper: str, score: str | None = None) -> dict:
    """The sample artifact plus helpers.py, which score.py imports at the top (`import helpers`, line 5)."""
    text = score if score is not None else SCORE_PY.replace("import joblib\n", "import joblib\nimport helpers\n")
    return artifact({"score.py": text, "helpers.py": helper})
