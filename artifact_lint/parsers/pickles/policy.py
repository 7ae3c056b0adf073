"""Which callables a model file may make its loader call: denied (runs code), allowed (frameworks), or unknown.

The denylist names what no model needs at load time: processes and shells, code execution and
code-object construction, import machinery, the network, file removal, ctypes and nested pickle
loads. The allowlist is what scikit-learn, XGBoost, LightGBM, numpy, pandas, scipy, PyTorch,
cloudpickle, dill and joblib really pickle: their own packages, plus the exact standard-library
names their pickles use (tests/test_model_code.py re-derives both by pickling real models). The
denylist wins over the allowlist: `numpy.load` lives in an allowed package but loads a nested pickle.
"""

from __future__ import annotations

from enum import Enum

# Packages whose own globals their pickles reference (module prefixes).
FRAMEWORK_PACKAGES = {
    "scikit-learn": ("sklearn",), "xgboost": ("xgboost",), "lightgbm": ("lightgbm",), "numpy": ("numpy",),
    "pandas": ("pandas", "pyarrow"), "scipy": ("scipy",), "torch": ("torch", "__torch__"), "joblib": ("joblib",),
    "cloudpickle": ("cloudpickle",), "dill": ("dill",),
}
# Standard-library names the frameworks' pickles use, as recorded from real models (protocols 0-5) by
# tests/test_model_code.py, and plain data types a model's attributes may hold.
RECORDED_NAMES = frozenset({
    "builtins.bytearray", "builtins.getattr", "builtins.set", "builtins.setattr", "builtins.slice",
    "builtins.object", "builtins.frozenset", "builtins.complex", "collections.OrderedDict", "collections.defaultdict",
    "copyreg._reconstructor", "_codecs.encode",
    "builtins.type",  # cloudpickle's metaclass for a class it stores by value (ADS GenericModel's own classes)
})
DATA_TYPES = frozenset({
    "builtins.list", "builtins.dict", "builtins.tuple", "builtins.range", "builtins.bytes", "builtins.str",
    "builtins.int", "builtins.float", "builtins.bool", "collections.deque", "collections.Counter",
    "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta", "datetime.timezone",
    "decimal.Decimal", "fractions.Fraction", "uuid.UUID", "pathlib.PosixPath", "pathlib.PurePosixPath",
})
ALLOWED_NAMES = RECORDED_NAMES | DATA_TYPES
# Modules and names that run code, spawn processes, reach the network, delete files or load more pickles.
DENIED_MODULES = (
    "os", "posix", "nt", "subprocess", "pty", "socket", "ssl", "ctypes", "_ctypes", "webbrowser", "runpy", "code",
    "codeop", "importlib", "imp", "pickle", "_pickle", "cPickle", "pickletools", "marshal", "shutil", "multiprocessing",
    "asyncio", "http", "urllib", "urllib2", "httplib", "ftplib", "smtplib", "telnetlib", "poplib", "imaplib",
    "xmlrpc", "socketserver", "requests", "httpx", "aiohttp", "paramiko", "pdb", "bdb", "timeit", "cProfile",
    "profile", "trace", "signal", "sys", "platform", "_posixsubprocess", "pydoc", "zipimport", "pkgutil",
    "tempfile", "glob", "threading", "_thread", "sqlite3", "dbm", "shelve",
    "types.CodeType", "types.FunctionType", "numpy.testing", "numpy.f2py", "numpy.distutils", "numpy.ctypeslib",
    "torch.hub", "torch.jit", "torch.package", "torch.utils.cpp_extension", "torch.serialization",
    "torch.load", "torch._dynamo", "torch.compile", "sklearn.utils._testing", "pandas.io.pickle",
    "pandas.read_pickle", "pandas.eval", "pandas.core.computation", "joblib.load", "joblib.numpy_pickle.load",
    "joblib.numpy_pickle_compat", "joblib.parallel", "joblib._parallel_backends", "numpy.load", "numpy.lib.npyio.load",
    "numpy.lib._npyio_impl.load", "dill.load", "dill.loads", "dill._dill.load", "dill._dill.loads", "cloudpickle.load",
    "cloudpickle.loads", "torch.storage._load_from_bytes_unsafe", "lightgbm.basic._load_pandas_categorical",
)
DENIED_NAMES = frozenset({
    "builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__", "builtins.open", "builtins.breakpoint",
    "builtins.input", "builtins.globals", "builtins.locals", "builtins.vars",
    "builtins.execfile", "builtins.apply", "builtins.memoryview", "io.open", "io.FileIO", "_io.open", "_io.FileIO",
    "codecs.open",
})
# Attribute names that run code whatever they are looked up on (getattr on an object the scan cannot name).
DANGEROUS_ATTRIBUTES = frozenset({
    "system", "popen", "popen2", "spawn", "spawnl", "spawnv", "spawnve", "spawnlp", "spawnvp", "execv", "execve",
    "execl", "execlp", "execvp", "execvpe", "fork", "forkpty", "kill", "Popen", "run", "call", "check_call",
    "check_output", "getoutput", "getstatusoutput", "exec", "eval", "compile", "__import__", "import_module",
    "rmtree", "remove", "unlink", "rmdir", "removedirs", "load", "loads", "open", "open_new", "open_new_tab",
    "create_connection", "connect", "urlopen", "run_path", "run_module", "interact", "runcode", "runsource",
    "CDLL", "LoadLibrary", "cdll", "windll", "dlopen", "__setstate__",
})
# Names a function stored by value may use that run code even without a module in front.
DANGEROUS_BUILTINS = frozenset({"exec", "eval", "__import__", "breakpoint", "execfile"})


class Verdict(Enum):
    DENIED = "denied"
    ALLOWED = "allowed"
    UNKNOWN = "unknown"


def _under(dotted: str, prefixes) -> bool:
    return any(dotted == prefix or dotted.startswith(prefix + ".") for prefix in prefixes)


ALLOWED_PACKAGES = tuple(prefix for prefixes in FRAMEWORK_PACKAGES.values() for prefix in prefixes)


def judge(dotted: str) -> Verdict:
    """The verdict on one global (or resolved attribute path) that a load imports or calls."""
    if dotted in DENIED_NAMES or _under(dotted, DENIED_MODULES):
        return Verdict.DENIED
    if dotted.startswith("<object>."):
        last = dotted.rsplit(".", 1)[-1]
        return Verdict.DENIED if last in DANGEROUS_ATTRIBUTES else Verdict.UNKNOWN
    if dotted in ALLOWED_NAMES or _under(dotted, ALLOWED_PACKAGES):
        return Verdict.ALLOWED
    return Verdict.UNKNOWN


# Modules ordinary functions stored by value import (what they call is judged from their code).
HARMLESS_IMPORTS = frozenset({"os", "sys", "pathlib", "math", "re", "json", "functools", "itertools", "collections",
                              "datetime", "operator", "string", "typing", "random", "statistics", "platform", "time"})
# Modules whose mere use in a function stored by value means it can run or reach outside code.
CODE_MODULES = frozenset({"subprocess", "pty", "socket", "ctypes", "webbrowser", "runpy", "marshal", "pickle", "shutil",
                          "importlib", "code", "multiprocessing"})


def judge_import(module: str) -> Verdict:
    """The verdict on a module imported by call (`subimport("numpy")` in a cloudpickled function's globals)."""
    if module.split(".")[0] in HARMLESS_IMPORTS:
        return Verdict.ALLOWED
    return judge(module)


def code_dangers(names: tuple[str, ...], modules: set[str]) -> list[str]:
    """Dangerous calls a function's code could make, from its co_names and the modules it can reach.

    `import os; os.system(...)` compiles to co_names ('os', 'system'); a module in the function's globals
    (cloudpickle's `subimport("os")`) counts as reachable too.
    """
    found = [f"builtins.{name}" for name in names if name in DANGEROUS_BUILTINS]
    for module in sorted(set(names) | modules):
        for name in names:
            if name != module and name in DANGEROUS_ATTRIBUTES and judge(f"{module}.{name}") is Verdict.DENIED:
                found.append(f"{module}.{name}")
    found += [name for name in names if name in CODE_MODULES]
    return list(dict.fromkeys(found))
