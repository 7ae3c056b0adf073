"""artifact-lint: lint OCI Data Science model artifacts before they are uploaded."""

__version__ = "0.1.0"
