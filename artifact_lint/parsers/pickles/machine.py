"""The unpickler's stack, marks and memo, emulated with placeholders: it builds and imports nothing.

Each opcode handler does to placeholders what pickle's C unpickler does to objects, so the walk ends
in the same state (or the same error) as a real load would, without recursion. Calls go through
`Calls`, which records and resolves them; model facts come from `model_facts` at BUILD.
"""

from __future__ import annotations

import _compat_pickle
import codecs
import pickletools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from artifact_lint.parsers.pickles.calls import Calls
from artifact_lint.parsers.pickles.decoding import MAX_LINE, Decoder
from artifact_lint.parsers.pickles.errors import Corrupt, Stop, Truncated
from artifact_lint.parsers.pickles.model_facts import array_bytes, dtype_layout, is_joblib_array, state_facts
from artifact_lint.parsers.pickles.stream import Source
from artifact_lint.parsers.pickles.values import Big, Global, Opaque, Set, key, origin

if TYPE_CHECKING:
    from artifact_lint.parsers.pickles.result import PickleScan

_MAX_ITEMS = 10_000  # elements kept per list/dict/set/tuple; the rest are counted as read, not kept
_MAX_LIVE = 2_000_000  # stack + memo entries before the scan stops to bound memory
_CHECK_EVERY = 1024  # opcodes between time/memory checks


class Machine:
    """Emulates the unpickler's stack, marks and memo with placeholders; builds and imports nothing."""

    def __init__(self, source: Source, result: PickleScan, max_opcodes: int, deadline: float):
        self.source = source
        self.decoder = Decoder(source)
        self.calls = Calls()
        self.result = result
        self.max_opcodes = max_opcodes
        self.deadline = deadline
        self.stack: list = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}
        self.proto = 0  # of the current stream, for fix_imports like pickle.Unpickler
        self.outer: list[tuple[list, list[int], dict[int, Any], int]] = []  # streams a joblib object array interrupted
        self.seen: set[tuple[str, str]] = set()

    def run(self) -> None:
        source, result, table, decoder = self.source, self.result, _TABLE, self.decoder
        while True:
            if result.opcodes >= self.max_opcodes:
                raise Stop(f"the opcode budget (max_opcodes={self.max_opcodes:,}) ran out")
            if result.opcodes % _CHECK_EVERY == 0:
                self._check_budgets()
            decoder.at = source.tell()
            code = source.byte()
            if code is None:
                if result.opcodes == 0 and not self.outer:
                    raise Corrupt("the file is empty")
                raise Truncated()
            entry = table[code]
            if entry is None:
                raise Corrupt(f"unknown opcode 0x{code:02x} at byte {self.at}")
            handler, reader = entry
            result.opcodes += 1
            if handler(self, reader(decoder) if reader is not None else None):
                return

    @property
    def at(self) -> int:
        return self.decoder.at

    def _check_budgets(self) -> None:
        if time.monotonic() > self.deadline:
            raise Stop("the time budget (max_seconds) ran out")
        live = len(self.stack) + len(self.memo) + sum(len(stack) + len(memo) for stack, _, memo, _ in self.outer)
        if live > _MAX_LIVE:
            raise Stop(f"more than {_MAX_LIVE:,} live objects (stack and memo); stopped to bound memory")

    # -- stack helpers ------------------------------------------------------------------------
    def _fence(self) -> int:
        return self.marks[-1] if self.marks else 0

    def _underflow(self) -> Corrupt:
        return Corrupt(f"stack underflow at byte {self.at}")

    def _pop(self) -> Any:
        if len(self.stack) <= self._fence():
            raise self._underflow()
        return self.stack.pop()

    def _peek(self) -> Any:
        if len(self.stack) <= self._fence():
            raise self._underflow()
        return self.stack[-1]

    def _pop_n(self, count: int) -> list:
        if len(self.stack) - self._fence() < count:
            raise self._underflow()
        items = self.stack[-count:]
        del self.stack[-count:]
        return items

    def _pop_mark(self) -> list:
        if not self.marks:
            raise Corrupt(f"no MARK before the opcode at byte {self.at}")
        index = self.marks.pop()
        items = self.stack[index:]
        del self.stack[index:]
        return items

    def _global(self, module: str, name: str) -> Global:
        if self.proto < 3:  # pickle.Unpickler's fix_imports: Python 2 names
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        if (module, name) not in self.seen:
            self.seen.add((module, name))
            self.result.globals.append((module, name))
        return Global(module, name)

    # -- opcodes: constants ---------------------------------------------------------------------
    def _push(self, value: Any) -> None:
        self.stack.append(value)

    def _op_int(self, line: bytes | None) -> None:
        self._push(False if line == b"00" else True if line == b"01" else self.decoder.int_text(line))

    def _op_long(self, line: bytes | None) -> None:
        self._push(self.decoder.int_text(line[:-1] if line and line.endswith(b"L") else line))

    _op_binint = _op_binint1 = _op_binint2 = _op_long1 = _op_long4 = _push
    _op_binbytes = _op_short_binbytes = _op_binbytes8 = _op_bytearray8 = _push
    _op_short_binunicode = _op_binunicode = _op_binunicode8 = _op_binfloat = _push

    def _op_string(self, line: bytes | None) -> None:
        if line is None:
            self._push(Big("str", MAX_LINE))
            return
        if len(line) < 2 or line[0] != line[-1] or line[0] not in b"\"'":
            raise Corrupt(f"the STRING argument at byte {self.at} is not quoted")
        try:
            self._op_binstring(codecs.escape_decode(line[1:-1])[0])
        except ValueError:
            raise Corrupt(f"invalid STRING escape at byte {self.at}") from None

    def _op_binstring(self, data: bytes | Big) -> None:
        # Python 2 str: text when it is ASCII (as pickle's default encoding decodes it), else bytes.
        if isinstance(data, bytes) and data.isascii():
            self._push(data.decode("ascii"))
        else:
            self._push(data)

    _op_short_binstring = _op_binstring

    def _op_unicode(self, line: bytes | None) -> None:
        if line is None:
            self._push(Big("str", MAX_LINE))
            return
        try:
            self._push(line.decode("raw-unicode-escape"))
        except UnicodeDecodeError:
            raise Corrupt(f"invalid UNICODE argument at byte {self.at}") from None

    def _op_float(self, line: bytes | None) -> None:
        if line is None:
            self._push(Big("float", MAX_LINE))
            return
        try:
            self._push(float(line))
        except ValueError:
            raise Corrupt(f"invalid FLOAT argument at byte {self.at}") from None

    def _op_none(self, _: None) -> None:
        self._push(None)

    def _op_newtrue(self, _: None) -> None:
        self._push(True)

    def _op_newfalse(self, _: None) -> None:
        self._push(False)

    def _op_next_buffer(self, _: None) -> None:
        self._push(Opaque(None))  # an out-of-band buffer the loader would have to supply

    def _op_readonly_buffer(self, _: None) -> None:
        self._peek()

    # -- opcodes: containers --------------------------------------------------------------------
    def _op_empty_list(self, _: None) -> None:
        self._push([])

    def _op_list(self, _: None) -> None:
        self._push(self._pop_mark()[:_MAX_ITEMS])

    def _op_append(self, _: None) -> None:
        value = self._pop()
        self._extend(self._peek(), [value])

    def _op_appends(self, _: None) -> None:
        items = self._pop_mark()
        self._extend(self._peek(), items)

    @staticmethod
    def _extend(target: Any, items: list) -> None:
        if isinstance(target, list):
            target.extend(items[:max(0, _MAX_ITEMS - len(target))])
        elif isinstance(target, Set):
            target.items.extend(items[:max(0, _MAX_ITEMS - len(target.items))])
        # anything else would call its own append/extend: an opaque object, nothing to track

    def _op_empty_tuple(self, _: None) -> None:
        self._push(())

    def _op_tuple(self, _: None) -> None:
        self._push(tuple(self._pop_mark()[:_MAX_ITEMS]))

    def _op_tuple1(self, _: None) -> None:
        self._push(tuple(self._pop_n(1)))

    def _op_tuple2(self, _: None) -> None:
        self._push(tuple(self._pop_n(2)))

    def _op_tuple3(self, _: None) -> None:
        self._push(tuple(self._pop_n(3)))

    def _op_empty_dict(self, _: None) -> None:
        self._push({})

    def _op_dict(self, _: None) -> None:
        items = self._pop_mark()
        if len(items) % 2:
            raise Corrupt(f"odd number of items for DICT at byte {self.at}")
        target: dict = {}
        self._set_items(target, items)
        self._push(target)

    def _op_setitem(self, _: None) -> None:
        items = self._pop_n(2)
        self._set_items(self._peek(), items)

    def _op_setitems(self, _: None) -> None:
        items = self._pop_mark()
        if len(items) % 2:
            raise Corrupt(f"odd number of items for SETITEMS at byte {self.at}")
        self._set_items(self._peek(), items)

    @staticmethod
    def _set_items(target: Any, items: list) -> None:
        if not isinstance(target, dict):
            return  # an opaque object's __setitem__: nothing to track
        for index in range(0, len(items), 2):
            slot = key(items[index])
            if len(target) < _MAX_ITEMS or slot in target:
                target[slot] = items[index + 1]

    def _op_empty_set(self, _: None) -> None:
        self._push(Set())

    def _op_additems(self, _: None) -> None:
        items = self._pop_mark()
        self._extend(self._peek(), items)

    def _op_frozenset(self, _: None) -> None:
        self._push(Set(self._pop_mark()[:_MAX_ITEMS]))

    # -- opcodes: stack and memo ----------------------------------------------------------------
    def _op_pop(self, _: None) -> None:
        if self.marks and self.marks[-1] == len(self.stack):
            self.marks.pop()  # like the C unpickler: POP at a mark drops the mark
        else:
            self._pop()

    def _op_dup(self, _: None) -> None:
        self._push(self._peek())

    def _op_mark(self, _: None) -> None:
        self.marks.append(len(self.stack))

    def _op_pop_mark(self, _: None) -> None:
        self._pop_mark()

    def _get(self, index: int) -> None:
        if index not in self.memo:
            raise Corrupt(f"memo entry {index} is read before it is written, at byte {self.at}")
        self._push(self.memo[index])

    def _put(self, index: int) -> None:
        self.memo[index] = self._peek()

    def _op_get(self, line: bytes | None) -> None:
        self._get(self.decoder.index(line))

    def _op_put(self, line: bytes | None) -> None:
        self._put(self.decoder.index(line))

    _op_binget = _op_long_binget = _get
    _op_binput = _op_long_binput = _put

    def _op_memoize(self, _: None) -> None:
        self._put(len(self.memo))

    # -- opcodes: globals and objects (placeholders only) -------------------------------------------
    def _op_global(self, names: tuple[str, str]) -> None:
        self._push(self._global(*names))

    def _op_stack_global(self, _: None) -> None:
        name = self._pop()
        module = self._pop()
        if isinstance(module, str) and isinstance(name, str):
            self._push(self._global(module, name))
        elif isinstance(module, (str, Big)) and isinstance(name, (str, Big)):
            raise Stop(f"the STACK_GLOBAL at byte {self.at} names a module or class too long to keep")
        else:
            raise Corrupt(f"STACK_GLOBAL at byte {self.at} needs two strings")

    def _op_inst(self, names: tuple[str, str]) -> None:
        cls = self._global(*names)
        self._push(self.calls.invoke(cls, tuple(self._pop_mark()[:_MAX_ITEMS]), "INST", self.at))

    def _op_obj(self, _: None) -> None:
        items = self._pop_mark()
        if not items:
            raise self._underflow()
        self._push(self.calls.invoke(items[0], tuple(items[1:_MAX_ITEMS]), "OBJ", self.at))

    def _op_newobj(self, _: None) -> None:
        args = self._pop()
        self._push(self._construct(self._pop(), args, "NEWOBJ"))

    def _op_newobj_ex(self, _: None) -> None:
        self._pop()  # keyword arguments
        args = self._pop()
        self._push(self._construct(self._pop(), args, "NEWOBJ_EX"))

    def _construct(self, cls: Any, args: Any, how: str) -> Opaque:
        """`cls.__new__(cls, *args)`: a call to the class, never a resolved helper's result."""
        self.calls.record(cls, args, how, self.at)
        return Opaque(origin(cls, None), args)

    def _op_reduce(self, _: None) -> None:
        args = self._pop()
        callable_ = self._pop()
        self._push(self.calls.invoke(callable_, args, "REDUCE", self.at))

    def _op_ext1(self, _: int) -> None:
        self._push(Opaque(None))  # a class from copyreg's extension registry: not in the file

    _op_ext2 = _op_ext4 = _op_ext1

    def _op_persid(self, _: bytes | None) -> None:
        self._push(Opaque(None))  # resolved by the loader's persistent_load

    def _op_binpersid(self, _: None) -> None:
        self._pop()
        self._push(Opaque(None))

    def _op_build(self, _: None) -> None:
        state = self._pop()
        target = self._peek()
        versions, features = state_facts(state)
        for library, version in versions.items():
            self.result.versions.setdefault(library, version)
        if features is not None:
            self.result.n_features = features
        if isinstance(target, Global):
            # Setting state on a class or module itself: setattr on what the load imported.
            self.calls.record(target.attribute("__setstate__"), (state,), "BUILD", self.at)
        if not isinstance(target, Opaque):
            return
        target.state = state
        if is_joblib_array(target.origin) and not self.outer:
            self._skip_joblib_array(state)

    def _skip_joblib_array(self, state: Any) -> None:
        """Step over the array data joblib writes right after a NumpyArrayWrapper's BUILD."""
        if not isinstance(state, dict):
            raise Stop(f"the joblib array at byte {self.at} has no state dict")
        itemsize, hasobject = dtype_layout(state.get("dtype"))
        if hasobject:
            # A complete nested pickle stream (its own stack and memo) follows; scan it, then resume.
            self.outer.append((self.stack, self.marks, self.memo, self.proto))
            self.stack, self.marks, self.memo, self.proto = [], [], {}, 0
            return
        size = array_bytes(state, itemsize)
        if state.get("numpy_array_alignment_bytes") is not None:
            self.source.skip(self.source.read(1)[0])  # padding length byte, then the padding
        self.source.skip(size)

    # -- opcodes: framing and control ---------------------------------------------------------------
    def _op_proto(self, protocol: int) -> None:
        if protocol > 5:
            raise Corrupt(f"unsupported pickle protocol {protocol} at byte {self.at}")
        self.proto = protocol
        if not self.outer and self.result.protocol is None:
            self.result.protocol = protocol

    def _op_frame(self, _: int) -> None:
        pass  # only a length hint: the frame's opcodes follow and are read one by one

    def _op_stop(self, _: None) -> bool:
        self._pop()
        if not self.outer:
            self.result.complete = True
            self.result.end = self.source.tell()
            return True
        self.stack, self.marks, self.memo, self.proto = self.outer.pop()
        return False


def _table() -> list[tuple[Callable, Callable | None] | None]:
    """Opcode byte -> (Machine handler, Decoder argument reader), as plain functions: built once for
    every scan, and holding no bound methods, so a finished Machine is freed at once, not by the GC."""
    table: list[tuple[Callable, Callable | None] | None] = [None] * 256
    for op in pickletools.opcodes:
        reader = getattr(Decoder, "arg_" + op.arg.name) if op.arg is not None else None
        table[ord(op.code)] = (getattr(Machine, "_op_" + op.name.lower()), reader)
    return table


_TABLE = _table()
