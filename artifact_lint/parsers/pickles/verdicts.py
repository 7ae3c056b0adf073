"""What a scanned pickle would do when loaded, judged: denied calls, unknown globals, dangerous stored code."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from artifact_lint.parsers.pickles.calls import UNKNOWN_OBJECT, render
from artifact_lint.parsers.pickles.policy import Verdict, code_dangers, judge, judge_import
from artifact_lint.parsers.pickles.scan import PickleScan
from artifact_lint.parsers.pickles.values import Code

_MAX_SHOWN = 3
# Modules that pickles name for what the user wrote as `os.X` (os re-exports them).
_SHOWN_AS = {"posix.": "os.", "nt.": "os."}


def shown(text: str) -> str:
    """A call's text as the user would have written it: posix.system(...) reads os.system(...)."""
    for real, alias in _SHOWN_AS.items():
        if text.startswith(real):
            return alias + text[len(real):]
    return text


class Finding(NamedTuple):
    """One thing a pickle's load would do that is denied or unknown."""

    verdict: Verdict  # DENIED or UNKNOWN
    target: str  # the dotted global (or "function NAME")
    text: str  # what the load would do, as a sentence fragment: "calls os.system('id')"


def judge_scan(scan: PickleScan, is_own: Callable[[str], bool]) -> list[Finding]:
    """Denied findings first, then unknown globals (not those of modules `is_own` says the artifact ships)."""
    denied: dict[str, Finding] = {}
    called: set[str] = set()
    for call in scan.calls:
        called.add(call.target)
        if call.target not in denied and judge(call.target) is Verdict.DENIED:
            verb = "sets attributes of" if call.how == "BUILD" else "calls"
            text = call.target.removesuffix(".__setstate__") if call.how == "BUILD" else call.text
            denied[call.target] = Finding(Verdict.DENIED, call.target, f"{verb} {shown(text)}")
    for module in scan.imported:
        if module not in denied and judge_import(module) is Verdict.DENIED:
            denied[module] = Finding(Verdict.DENIED, module, f"imports {module}")
    unknown: dict[str, Finding] = {}
    for module, name in scan.globals:
        dotted = f"{module}.{name}"
        verdict = judge(dotted)
        if verdict is Verdict.DENIED and dotted not in denied and dotted not in called:
            denied[dotted] = Finding(Verdict.DENIED, dotted, f"imports {shown(dotted)} and hands it to the objects it builds")
        elif verdict is Verdict.UNKNOWN and not is_own(module) and dotted not in unknown:
            unknown[dotted] = Finding(Verdict.UNKNOWN, dotted, f"imports {dotted}")
    for function in scan.functions:
        if function.code is None:
            continue
        dangers = _code_dangers(function.code, set(scan.imported))
        if dangers:
            runs = any(call.target == f"function {function.name} (stored by value)" for call in scan.calls)
            constants = [render(text) for code in function.code.walk() for text in code.strings if text.strip()]
            detail = f"; its constants include {', '.join(constants[:_MAX_SHOWN])}" if constants else ""
            target = f"function {function.name}"
            denied.setdefault(target, Finding(
                Verdict.DENIED, target, f"{'calls' if runs else 'stores'} function {function.name} (stored by value) whose "
                                        f"code calls {', '.join(map(shown, dangers[:_MAX_SHOWN]))}{detail}"))
    return list(denied.values()) + [finding for finding in unknown.values() if not finding.target.startswith(UNKNOWN_OBJECT)]


def _code_dangers(code: Code, imported: set[str]) -> list[str]:
    names = tuple(dict.fromkeys(name for part in code.walk() for name in part.names))
    return code_dangers(names, imported)


def judge_code(code: Code) -> list[str]:
    """Dangerous calls in a code object read from elsewhere (a Keras Lambda layer's marshalled function)."""
    return _code_dangers(code, set())
