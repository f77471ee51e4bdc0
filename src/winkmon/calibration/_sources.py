"""What a calibration is computed from: a stand and bends, or a session's squats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from winkmon.calibration._params import _ROLE_NAMES, ADVICE, CalibrationParams, FloatArray
from winkmon.calibration._tracks import (
    _angle_deg,
    _bends,
    _check_window,
    _drop_cm,
    _Motion,
    _motion,
    _moving_mean,
    _on_grid,
    _runs,
    _still,
    _still_mask,
    _tilt_deg,
    _Track,
    _unit,
    _up_vectors,
)
from winkmon.calibration._windows import CalibrationWindows, _bend_threshold, _stillest
from winkmon.errors import CalibrationError
from winkmon.profiles import (
    AthleteProfile,
    Window,
)
from winkmon.protocol.constants import Role


@dataclass(frozen=True, slots=True)
class _Source:
    """What a calibration is computed from, whatever found it (stand and bends, or squats)."""

    static: Window
    functional: Window
    automatic: bool
    motion_source: str  #: "bends" or "squats"
    neutral_source: str  #: "stand", "profile" or "upright"
    z: dict[Role, FloatArray]  #: neutral vertical per sensor
    motions: dict[Role, list[_Motion]]
    peaks: dict[Role, list[float]]  #: per bend, per sensor
    gyro: dict[Role, FloatArray]  #: bias-free gyroscope over the motions
    still_gyro_rms_deg_s: dict[Role, float]
    still_acc_std_m_s2: dict[Role, float]
    static_incl_up: dict[Role, FloatArray]  #: up vectors in the neutral window
    notes: tuple[str, ...] = ()


def _no_bend_error(where: str, top: float, threshold: float) -> CalibrationError:
    return CalibrationError(
        f"no calibration bend found {where}: the back turned at most {top:.0f}° (a bend "
        f"counts from {threshold:g}°). To calibrate, {ADVICE}"
    )


def _from_stand_and_bends(
    tracks: Mapping[Role, _Track], windows: CalibrationWindows, p: CalibrationParams
) -> _Source:
    st, fn = windows.static, windows.functional
    _check_window(st, "static", tracks, p.min_static_s)
    _check_window(fn, "functional", tracks, p.min_functional_s)
    still = {r: _still(tr, st, p) for r, tr in tracks.items()}
    # The filter starts at the static window when that comes first: its first sample, taken
    # standing still, gives it the exact inclination at once.
    t0 = st.start_s if st.start_s <= fn.start_s else fn.start_s - 5.0
    t1 = max(st.end_s, fn.end_s)
    grid = np.arange(fn.start_s, fn.end_s, 0.01)
    ups: dict[Role, tuple[FloatArray, FloatArray]] = {}
    ref_tilt = np.zeros(len(grid))
    for r, tr in tracks.items():
        sl, up = _up_vectors(tr, max(float(tr.t_s[0]), t0), t1, p.method)
        ups[r] = (tr.t_s[sl], up)
        tilt = _tilt_deg(up, still[r].z)
        ref_tilt = np.maximum(ref_tilt, np.interp(grid, tr.t_s[sl], tilt))
    threshold = _bend_threshold(tracks, p)
    found = _bends(grid, ref_tilt, threshold)
    if len(found) < p.min_bends:
        top = float(ref_tilt.max()) if ref_tilt.size else 0.0
        raise _no_bend_error(f"in the functional window {fn}", top, threshold)
    motions: dict[Role, list[_Motion]] = {r: [] for r in tracks}
    peaks: dict[Role, list[float]] = {r: [] for r in tracks}
    for b0, _, b1 in found:
        for r in tracks:
            t, up = ups[r]
            m = (t >= b0) & (t <= b1)
            tilt = _tilt_deg(up[m], still[r].z)
            if not m.any():
                continue
            motions[r].append(_motion(up[m]))
            peaks[r].append(float(tilt.max()))
    gyro = {r: tr.gyr[tr.span(fn)] - still[r].gyro_bias for r, tr in tracks.items()}
    static_up = {}
    for r in tracks:
        t, up = ups[r]
        sm = (t >= st.start_s) & (t <= st.end_s)
        static_up[r] = up[sm]
    z = {r: still[r].z for r in tracks}
    return _Source(
        static=st,
        functional=fn,
        automatic=windows.automatic,
        motion_source="bends",
        neutral_source="stand",
        z=z,
        motions=motions,
        peaks=peaks,
        gyro=gyro,
        still_gyro_rms_deg_s={r: still[r].gyro_rms_deg_s for r in tracks},
        still_acc_std_m_s2={r: still[r].acc_std_m_s2 for r in tracks},
        static_incl_up=static_up,
    )


def _from_squats(
    tracks: Mapping[Role, _Track],
    p: CalibrationParams,
    profile: AthleteProfile | None,
    *,
    neutral_from_profile: bool = False,
) -> _Source:
    """Calibrate from a session's own squats (see the module docstring). With
    ``neutral_from_profile`` the neutral must come from ``profile`` (refining it)."""
    lo = max(float(tr.t_s[0]) for tr in tracks.values())
    hi = min(min(float(tr.t_s[-1]) for tr in tracks.values()), lo + p.squat_search_s)
    if hi - lo < 3.0:
        raise CalibrationError("the recording is too short to calibrate from")
    grid = np.arange(lo, hi, 0.02)
    ups: dict[Role, FloatArray] = {}
    quiet = np.ones(len(grid), dtype=bool)
    own: dict[Role, tuple[slice, FloatArray]] = {}
    for r, tr in tracks.items():
        sl, up = _up_vectors(tr, lo, hi, p.method)
        own[r] = (sl, up)
        ups[r] = _on_grid(up, tr.t_s[sl], grid)
        n = max(3, round(0.5 * tr.rate_hz))
        rate = np.degrees(_moving_mean(np.linalg.norm(tr.gyr, axis=1), n))
        quiet &= np.interp(grid, tr.t_s, rate) < p.upright_gyro_deg_s
    if quiet.sum() < 10:
        raise CalibrationError("the athlete never stood upright for a moment in the recording")
    z0 = {r: _unit(np.median(ups[r][quiet], axis=0)) for r in tracks}
    ref_tilt = np.max([_tilt_deg(ups[r], z0[r]) for r in tracks], axis=0)
    descents = _bends(grid, ref_tilt, p.squat_bend_deg)
    sl, up = own[Role.SACRUM]
    sac = tracks[Role.SACRUM]
    # squats only: a pick-up or a bend is not a squat descent (and may twist)
    descents = [
        b for b in descents if _drop_cm(sac.t_s[sl], sac.acc[sl], up, b[0], b[2]) >= p.squat_drop_cm
    ]
    if not descents:
        raise CalibrationError(
            f"no calibration bend and no squat found in the recording. To calibrate, {ADVICE}"
        )
    upright = quiet & (ref_tilt < p.upright_tilt_deg)
    if upright.sum() * 0.02 < p.min_upright_s:
        raise CalibrationError(
            "no upright moments between the reps: stand tall for a moment before the first rep"
        )
    z_up = {r: _unit(ups[r][upright].mean(axis=0)) for r in tracks}
    for r in tracks:
        spread = float(np.sqrt(np.mean(_tilt_deg(ups[r][upright], z_up[r]) ** 2)))
        if spread > p.upright_spread_deg:
            raise CalibrationError(
                f"not still enough between the reps: the {_ROLE_NAMES[r]} sensor's inclination "
                f"wandered {spread:.1f}° RMS while upright (limit {p.upright_spread_deg:g}°); "
                "stand tall and still for a moment before the set, or record a 3 s stand"
            )
    notes = [
        "no calibration bends: the axes come from the session's squats "
        f"({len(descents)} descent(s) from {descents[0][0]:.1f} s)"
    ]
    # neutral: a still stand if there is one, else the stored profile, else upright moments
    still = np.ones(len(grid), dtype=bool)
    for tr in tracks.values():
        still &= _still_mask(tr, p, grid)
    stand: Window | None = None
    for a, b in [] if neutral_from_profile else _runs(still):
        t_a, t_b = float(grid[a]), float(grid[b - 1])
        if t_b - t_a >= p.auto_static_s:
            stand = _stillest(tracks, t_a, t_b, p)
            if stand is not None:
                break
    up_t = grid[upright]
    upright_w = Window(float(up_t[0]), max(float(up_t[-1]), float(up_t[0]) + 0.02))
    still_rms: dict[Role, float] = {}
    still_std: dict[Role, float] = {}
    static_up: dict[Role, FloatArray] = {}
    if stand is not None:
        st = {r: _still(tr, stand, p) for r, tr in tracks.items()}
        z = {r: st[r].z for r in tracks}
        neutral, static_w = "stand", stand
        still_rms = {r: st[r].gyro_rms_deg_s for r in tracks}
        still_std = {r: st[r].acc_std_m_s2 for r in tracks}
        static_up = {r: ups[r][(grid >= stand.start_s) & (grid <= stand.end_s)] for r in tracks}
        notes.append(f"neutral from the still stand at {stand}")
    else:
        usable = profile is not None and all(
            r in profile.sensors
            and _angle_deg(np.asarray(profile.sensors[r].neutral.up_sensor), z_up[r])
            <= p.profile_neutral_max_deg
            for r in tracks
        )
        if neutral_from_profile and not usable:
            raise CalibrationError(
                "the sensors sit differently from the stored profile (taped on again?): "
                "calibrate again instead of refining"
            )
        if usable and profile is not None:
            z = {r: _unit(np.asarray(profile.sensors[r].neutral.up_sensor)) for r in tracks}
            neutral = "profile"
            notes.append(f"neutral from {profile.name}'s stored profile (no still stand)")
        else:
            z = dict(z_up)
            neutral = "upright"
            why = (
                "the sensors sit differently from the stored profile"
                if profile is not None
                else "no stored profile"
            )
            notes.append(
                f"neutral from the upright stance between reps ({why}, no still stand): angles "
                "read relative to the braced top of the squat, not to relaxed standing"
            )
        static_w = upright_w
        static_up = {r: ups[r][upright] for r in tracks}
    gyro: dict[Role, FloatArray] = {}
    motions: dict[Role, list[_Motion]] = {r: [] for r in tracks}
    peaks: dict[Role, list[float]] = {r: [] for r in tracks}
    for r, tr in tracks.items():
        up_mask = np.interp(tr.t_s, grid, upright.astype(np.float64)) > 0.5
        bias = tr.gyr[up_mask].mean(axis=0) if up_mask.any() else np.zeros(3)
        if r not in still_rms:
            g = tr.gyr[up_mask] - bias
            still_rms[r] = float(np.degrees(np.sqrt(np.mean(np.sum(g**2, axis=1)))))
            still_std[r] = float(np.sqrt(np.sum(tr.acc[up_mask].var(axis=0))))
        parts = []
        for b0, _, b1 in descents:
            m = (grid >= b0) & (grid <= b1)
            motions[r].append(_motion(ups[r][m]))
            peaks[r].append(float(_tilt_deg(ups[r][m], z_up[r]).max()))
            parts.append(tr.gyr[tr.span(Window(b0, max(b1, b0 + 0.02)))] - bias)
        gyro[r] = np.concatenate(parts) if parts else np.zeros((0, 3))
    return _Source(
        static=static_w,
        functional=Window(descents[0][0], max(descents[-1][2], descents[0][0] + 0.02)),
        automatic=True,
        motion_source="squats",
        neutral_source=neutral,
        z=z,
        motions=motions,
        peaks=peaks,
        gyro=gyro,
        still_gyro_rms_deg_s=still_rms,
        still_acc_std_m_s2=still_std,
        static_incl_up=static_up,
        notes=tuple(notes),
    )
