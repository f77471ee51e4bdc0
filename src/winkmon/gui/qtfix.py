"""A workaround for reference-counting bugs of PySide6 6.12 on CPython 3.11.

Found here, with PySide6 6.12.0 / CPython 3.11.7:

* every ``Signal.emit`` from Python that carries ``True`` or ``False`` — directly, or inside a
  list such as pyqtgraph's ``sigRangeChanged(self, range, [True, False])`` — drops one
  reference to that bool;
* ``QObject.property(name)`` of a missing property returns ``None`` without the reference it
  owes (pyqtgraph calls ``self.property("styleWasChanged")`` in every ``setData``).

A dashboard at 60 fps takes those refcounts to zero within seconds and CPython aborts with
``Fatal Python error: bool_dealloc`` (or ``none_dealloc``). PySide6 6.12 appears to assume
that these singletons are immortal, which they are on CPython 3.12+ (PEP 683) but not 3.11.

:func:`apply` probes for the bugs and, only if one is present, gives the interpreter's static
singletons (None, True, False, Ellipsis, NotImplemented, the small ints, the empty tuple,
string and bytes) a 2**40 reference head start: by hand, what PEP 683 does on 3.12. At
thousands of lost references a second that lasts for centuries. Remove this module when
PySide6 is fixed, or when the project requires Python 3.12.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_HEAD_START = 1 << 40
_applied = False


def bug_present() -> bool:
    """Whether PySide6 loses references to None/True/False (see the module doc)."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        fired = Signal(object)

    probe = _Probe()
    payload = [True, False]
    singletons = (None, True, False)
    before = [sys.getrefcount(o) for o in singletons]
    for _ in range(4):
        probe.fired.emit(payload)
        probe.property("winkmon-missing")
    lost = [b - sys.getrefcount(o) for o, b in zip(singletons, before, strict=True)]
    for obj, n in zip(singletons, lost, strict=True):
        if n > 0:
            _add_refs(obj, n)  # undo what the probe itself took
    return any(n > 0 for n in lost)


def _add_refs(obj: object, n: int) -> None:
    ref = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is PyObject's first field
    ref.value += n


def _singletons() -> list[object]:
    return [None, True, False, Ellipsis, NotImplemented, (), "", b"", *range(-5, 257)]


def apply() -> bool:
    """Protect ``True``/``False`` if this PySide6 needs it; return whether it did (idempotent)."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return _applied
    if bug_present():
        import PySide6

        log.info(
            "PySide6 %s loses references to None/True/False: applying the workaround",
            PySide6.__version__,
        )
        for obj in _singletons():
            _add_refs(obj, _HEAD_START)
        _applied = True
    return _applied
