"""Scaffolding for missing artifact files (score.py, runtime.yaml, schemas); installed as
`artifact_lint.generators`."""
