"""Rule modules, one per area; installed as `artifact_lint.rules`.

Kept import-free so that `import artifact_lint.rules` is cheap: the registry
imports the modules listed here when rules are first needed.
"""

RULE_MODULES = (
    "layout",
    "inventory",
    "runtime_yaml_structure",
    "runtime_yaml_values",
    "service_packs",
    "score_contract",
    "score_names",
    "score_syntax_version",
    "score_paths",
    "score_imports",
    "score_effects",
    "score_requests",
    "score_failures",
    "score_output",
    "model_group",
    "packaging",
    "manifest",
    "security",
    "schemas",
    "model_files",
    "model_code",
    "model_compat",
    "verify",
    "tool",
)
