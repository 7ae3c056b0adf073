"""Re-parse every fixed text before anything is written: a fix that would break its file is dropped.

Python must still compile; YAML must still compose and load, keep every anchor, alias and explicit
tag it had, and load to the values the fix intends (`Fix.expect`); JSON must still parse. Only a
file that parsed before is held to it: a fix never makes a file worse, but one that was already
broken does not block the fixes that do not depend on its syntax.
"""

from __future__ import annotations

import ast
from collections import Counter

Expectation = tuple[tuple[str, ...], object]  # key path in the loaded YAML -> the value it must have
_MISSING = object()


def breakage(path: str, before: str | None, after: str, expect: list[Expectation]) -> str | None:
    """Why `after` (the fixed text of `path`) must not be written, or None when it is sound."""
    if path.endswith(".py"):
        return _python(before, after)
    if path.endswith((".yaml", ".yml")):
        return _yaml(before, after, expect)
    if path.endswith(".json"):
        return _json(before, after)
    return None


def _python_error(text: str) -> str | None:
    try:
        ast.parse(text)
    except SyntaxError as error:
        return f"{error.msg} at line {error.lineno}"
    except (ValueError, RecursionError, MemoryError) as error:
        return str(error) or type(error).__name__
    return None


def _python(before: str | None, after: str) -> str | None:
    error = _python_error(after)
    if error is None or (before is not None and _python_error(before) is not None):
        return None
    return f"leave invalid Python ({error})"


def _yaml_facts(text: str):
    """(loaded value, anchors, aliases, explicit tags), or the parse error's first line as a str."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    anchors, aliases, tags = Counter(), Counter(), Counter()
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                aliases[event.anchor] += 1
            elif isinstance(event, yaml.NodeEvent):
                if event.anchor is not None:
                    anchors[event.anchor] += 1
                if getattr(event, "tag", None) is not None:  # the parser gives a tag only when one is written
                    tags[event.tag] += 1
        loaded = yaml.load(text, Loader=loader)
    except yaml.YAMLError as error:
        return (str(error).strip().splitlines() or ["not YAML"])[0]
    except (RecursionError, MemoryError):
        return "nested too deeply to load"
    return loaded, anchors, aliases, tags


def _yaml(before: str | None, after: str, expect: list[Expectation]) -> str | None:
    facts = _yaml_facts(after)
    old = _yaml_facts(before) if before is not None else None
    if isinstance(facts, str):
        return None if isinstance(old, str) else f"leave YAML that does not load ({facts})"
    loaded, *kept = facts
    if old is not None and not isinstance(old, str):
        for label, had, has in zip(("anchor &", "alias *", "tag "), old[1:], kept, strict=True):
            lost = had - has
            if lost:
                return f"drop the {label}{sorted(lost)[0]}"
    for key_path, wanted in expect:
        value = _dig(loaded, key_path)
        if value is _MISSING or type(value) is not type(wanted) or value != wanted:
            found = "nothing" if value is _MISSING else repr(value)
            return f"load {'.'.join(key_path)} as {found} instead of {wanted!r}"
    return None


def _dig(loaded: object, key_path: tuple[str, ...]) -> object:
    for key in key_path:
        if not isinstance(loaded, dict) or key not in loaded:
            return _MISSING
        loaded = loaded[key]
    return loaded


def _json(before: str | None, after: str) -> str | None:
    from artifact_lint.parsers.jsondoc import JsonError, parse_json

    def error_of(text: str) -> str | None:
        try:
            parse_json(text)
        except JsonError as error:
            return str(error)
        return None

    error = error_of(after)
    if error is None or (before is not None and error_of(before) is not None):
        return None
    return f"leave invalid JSON ({error})"
