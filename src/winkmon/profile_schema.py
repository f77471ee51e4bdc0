"""Checks an athlete profile document must pass before any maths sees it.

Profiles are shared between people (and embedded in recordings), so a profile is untrusted
input. Every field is checked for its JSON type (a boolean is never read as a number, a
number never as a boolean), finite value and plausible range; a mount must be a proper
rotation (orthonormal and det +1 within :data:`ROTATION_TOL`) before it is
re-orthonormalised. A failed check raises ``ValueError`` naming the field, which
:mod:`winkmon.profiles` turns into a one-line :class:`~winkmon.errors.ProfileError`.

Athlete names are kept as given (Unicode, exact); :func:`check_name` refuses only what cannot
be a name (empty, no letter or digit of any script, control characters, absurd length).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

ROTATION_TOL = 1e-3  #: largest |M^T M - I| entry and |det M - 1| of a stored mount
MAX_NAME_CHARS = 100
MAX_LIST = 1000  #: longest list in a profile (bend peaks, history)
_MISSING = object()


def _where(key: str | int, at: str) -> str:
    return f"{at}.{key}" if at else str(key)


def number(
    d: Mapping[str, Any],
    key: str,
    *,
    lo: float,
    hi: float,
    at: str = "",
    default: Any = _MISSING,
) -> float:
    """``d[key]`` as a finite float in ``[lo, hi]`` (``default`` if absent, may be None)."""
    if key not in d or (d[key] is None and default is None):
        if default is _MISSING:
            raise ValueError(f"missing field {_where(key, at)}")
        return default
    return as_number(d[key], _where(key, at), lo=lo, hi=hi)


def as_number(value: Any, where: str, *, lo: float, hi: float) -> float:
    """``value`` as a finite float in ``[lo, hi]``; booleans and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where} must be a number, not {type(value).__name__}")
    try:
        x = float(value)
    except OverflowError:
        raise ValueError(f"{where} is too large") from None
    if not math.isfinite(x):
        raise ValueError(f"{where} must be a finite number, not {x}")
    if not lo <= x <= hi:
        raise ValueError(f"{where} = {x:g} is out of range [{lo:g}, {hi:g}]")
    return x


def optional_number(
    d: Mapping[str, Any], key: str, *, lo: float, hi: float, at: str = ""
) -> float | None:
    """``d[key]`` as in :func:`number`, or None when absent or null."""
    value: float | None = number(d, key, lo=lo, hi=hi, at=at, default=None)
    return value


def boolean(d: Mapping[str, Any], key: str, *, default: bool, at: str = "") -> bool:
    """``d[key]`` as a JSON boolean (``default`` if absent or null)."""
    value = d.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ValueError(f"{_where(key, at)} must be true or false, not {value!r:.40}")
    return value


def text(
    d: Mapping[str, Any], key: str, *, default: Any = _MISSING, at: str = "", max_len: int = 10_000
) -> Any:
    """``d[key]`` as a string (``default`` if absent or null)."""
    value = d.get(key)
    if value is None:
        if default is _MISSING:
            raise ValueError(f"missing field {_where(key, at)}")
        return default
    if not isinstance(value, str):
        raise ValueError(f"{_where(key, at)} must be text, not {type(value).__name__}")
    if len(value) > max_len:
        raise ValueError(f"{_where(key, at)} is longer than {max_len} characters")
    return value


def mapping(
    d: Mapping[str, Any], key: str, *, at: str = "", default: Any = _MISSING
) -> Mapping[str, Any]:
    """``d[key]`` as a JSON object."""
    value = d.get(key)
    if value is None and default is not _MISSING:
        return default
    if not isinstance(value, Mapping):
        if key not in d:
            raise ValueError(f"missing field {_where(key, at)}")
        raise ValueError(f"{_where(key, at)} must be an object, not {type(value).__name__}")
    return value


def as_mapping(value: Any, where: str) -> Mapping[str, Any]:
    """``value`` as a JSON object."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be an object, not {type(value).__name__}")
    return value


def array(value: Any, where: str, *, max_len: int = MAX_LIST) -> Sequence[Any]:
    """``value`` as a JSON array of at most ``max_len`` items."""
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a list, not {type(value).__name__}")
    if len(value) > max_len:
        raise ValueError(f"{where} has {len(value)} items (at most {max_len})")
    return value


def vector(value: Any, where: str, n: int, *, lo: float, hi: float) -> list[float]:
    """``value`` as a list of exactly ``n`` numbers in ``[lo, hi]``."""
    items = array(value, where)
    if len(items) != n:
        raise ValueError(f"{where} must have {n} numbers, not {len(items)}")
    return [as_number(v, f"{where}[{i}]", lo=lo, hi=hi) for i, v in enumerate(items)]


def rotation(value: Any, where: str) -> npt.NDArray[np.float64]:
    """A stored 3x3 mount: each row 3 numbers, orthonormal with det +1 within
    :data:`ROTATION_TOL`; returned re-orthonormalised (the stored values are rounded)."""
    rows = array(value, where)
    if len(rows) != 3:
        raise ValueError(f"{where} must be a 3x3 matrix")
    m = np.array(
        [
            vector(r, f"{where}[{i}]", 3, lo=-1.0 - ROTATION_TOL, hi=1.0 + ROTATION_TOL)
            for i, r in enumerate(rows)
        ],
        dtype=np.float64,
    )
    err = float(np.max(np.abs(m.T @ m - np.eye(3))))
    det = float(np.linalg.det(m))
    if err > ROTATION_TOL or abs(det - 1.0) > ROTATION_TOL:
        raise ValueError(
            f"{where} is not a rotation (orthonormality error {err:.3g}, determinant "
            f"{det:.3g}); calibrate again"
        )
    u, _, vt = np.linalg.svd(m)
    r: npt.NDArray[np.float64] = u @ vt
    return r


def check_name(name: Any, where: str = "athlete name") -> str:
    """An athlete name as given; refuses non-text, empty, control characters, > 100 chars."""
    if not isinstance(name, str):
        raise ValueError(f"{where} must be text, not {type(name).__name__}")
    if not name.strip():
        raise ValueError(f"{where} is empty")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"{where} is longer than {MAX_NAME_CHARS} characters")
    bad = [c for c in name if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp")]
    if bad:
        raise ValueError(f"{where} {name!r} contains control characters")
    if not any(unicodedata.category(c)[0] in "LN" for c in name):
        raise ValueError(f"{where} {name!r} has no letters or digits")
    return name
