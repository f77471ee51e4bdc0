"""Finding the still stand and the calibration bends in a recording."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from winkmon.calibration._params import ADVICE, BoolArray, CalibrationParams, FloatArray
from winkmon.calibration._tracks import (
    _bends,
    _check_window,
    _drop_cm,
    _runs,
    _still,
    _still_mask,
    _tilt_deg,
    _Track,
    _tracks,
    _unit,
    _up_vectors,
)
from winkmon.errors import CalibrationError
from winkmon.profiles import (
    Window,
)
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch


@dataclass(frozen=True, slots=True)
class CalibrationWindows:
    """The static and functional windows, and whether winkmon found them itself."""

    static: Window
    functional: Window
    automatic: bool = False


def _bend_threshold(tracks: Mapping[Role, _Track], p: CalibrationParams) -> float:
    return p.min_bend_deg if Role.LUMBAR in tracks else p.sacrum_only_bend_deg


def _find_bends_after(
    tracks: Mapping[Role, _Track],
    static: Window,
    p: CalibrationParams,
    still_t: FloatArray,
    still: BoolArray,
) -> Window | None:
    """The functional window after ``static``: its first bends, or None if there are fewer
    than ``min_bends`` starting within ``bend_search_s``."""
    lo = max(float(tr.t_s[0]) for tr in tracks.values())
    hi = min(float(tr.t_s[-1]) for tr in tracks.values())
    end = min(hi, static.end_s + p.bend_search_s + 30.0)
    grid = np.arange(static.end_s, end, 0.02)
    if len(grid) < 10:
        return None
    tilt = np.zeros(len(grid))
    sacrum_up: tuple[slice, FloatArray] | None = None
    for r, tr in tracks.items():
        z = _unit(tr.acc[tr.span(static)].mean(axis=0))
        t0 = max(lo, static.start_s)
        sl, up = _up_vectors(tr, t0, end, p.method)
        if r is Role.SACRUM:
            sacrum_up = (sl, up)
        tilt = np.maximum(tilt, np.interp(grid, tr.t_s[sl], _tilt_deg(up, z)))
    found = _bends(grid, tilt, _bend_threshold(tracks, p))
    if sacrum_up is not None:  # squats are not calibration bends (their stand is the brace)
        sl, up = sacrum_up
        tr = tracks[Role.SACRUM]
        found = [
            b for b in found if _drop_cm(tr.t_s[sl], tr.acc[sl], up, b[0], b[2]) < p.squat_drop_cm
        ]
    need = max(p.min_bends, p.auto_min_bends)
    if len(found) < need or found[0][0] > static.end_s + p.bend_search_s:
        return None
    chosen = [found[0]]
    for b in found[1:]:
        if len(chosen) >= need and b[0] - chosen[-1][2] > 3.0:
            break
        chosen.append(b)
    if len(chosen) < need:
        return None
    # end: back to rest (tilt small or both sensors still), at most 1.5 s after the last bend
    last = chosen[-1][2]
    after = grid >= last
    rest = after & ((tilt < 3.0) | (np.interp(grid, still_t, still.astype(np.float64)) > 0.999))
    stop = float(grid[np.flatnonzero(rest)[0]]) if rest.any() else last
    stop = min(max(stop, last) + 0.2, last + 1.5, hi)
    return Window(static.end_s, stop)


def _stillest(
    tracks: Mapping[Role, _Track], t_a: float, t_b: float, p: CalibrationParams
) -> Window | None:
    """The latest window of a still stretch that passes the stillness checks.

    The stretch's last ``max_static_s`` come first (the stand right before the bends); when
    they include a slow lean (setting up for a squat), earlier windows are tried, 0.5 s apart.
    """
    s_end = t_b - p.edge_s
    first = t_a + p.edge_s
    while s_end - first >= min(p.auto_static_s, p.max_static_s) - 2 * p.edge_s:
        w = Window(max(first, s_end - p.max_static_s), s_end)
        try:
            for tr in tracks.values():
                _still(tr, w, p)
        except CalibrationError:
            s_end -= 0.5
            continue
        return w
    return None


def find_windows(
    samples: Mapping[Role, SampleBatch], params: CalibrationParams | None = None
) -> CalibrationWindows:
    """Find the static and functional windows in a recording (see the module docstring)."""
    p = params or CalibrationParams()
    return _resolve_windows(_tracks(samples), None, None, p)


def _resolve_windows(
    tracks: Mapping[Role, _Track],
    static: Window | None,
    functional: Window | None,
    p: CalibrationParams,
) -> CalibrationWindows:
    if static is not None and functional is not None:
        return CalibrationWindows(static, functional, automatic=False)
    lo = max(float(tr.t_s[0]) for tr in tracks.values())
    hi = min(float(tr.t_s[-1]) for tr in tracks.values())
    if hi - lo < 1.0:
        raise CalibrationError("the sensors' data overlap by less than a second")
    grid = np.arange(lo, hi, 0.02)
    still = np.ones(len(grid), dtype=bool)
    for tr in tracks.values():
        still &= _still_mask(tr, p, grid)
    if static is not None:
        _check_window(static, "static", tracks, p.min_static_s)
        fn = _find_bends_after(tracks, static, p, grid, still)
        if fn is None:
            raise CalibrationError(
                f"could not find a forward bend within {p.bend_search_s:g} s after the "
                f"static window {static}; give the bends with --functional C:D, or {ADVICE}"
            )
        return CalibrationWindows(static, fn, automatic=True)
    candidate: CalibrationWindows | None = None
    for a, b in _runs(still):
        t_a, t_b = float(grid[a]), float(grid[b - 1])
        if t_b - t_a < p.auto_static_s:
            continue
        if functional is not None and t_b > functional.start_s + 1.0:
            continue
        found = _stillest(tracks, t_a, t_b, p)
        st = found or Window(max(t_a + p.edge_s, t_b - p.edge_s - p.max_static_s), t_b - p.edge_s)
        if functional is not None:
            # the still stretch closest before the given bends wins: keep looking
            candidate = CalibrationWindows(st, functional, automatic=True)
            continue
        fn = _find_bends_after(tracks, st, p, grid, still)
        if fn is not None:
            return CalibrationWindows(st, fn, automatic=True)
    if candidate is not None:
        return candidate
    raise CalibrationError(
        "could not find the calibration in the recording: no still stand of at least "
        f"{p.auto_static_s:g} s followed by forward bends (or give the windows with --static "
        "A:B --functional C:D)"
    )
