"""One sensor's samples on a uniform grid, and the signal helpers calibration uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from winkmon import quaternion as quat
from winkmon.calibration._params import _ROLE_NAMES, BoolArray, CalibrationParams, FloatArray
from winkmon.errors import CalibrationError
from winkmon.orientation import estimate
from winkmon.profiles import (
    ROLES,
    Window,
)
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch


@dataclass(frozen=True, slots=True, eq=False)
class _Track:
    """One sensor's samples on its own uniform grid (lost samples interpolated)."""

    role: Role
    t_s: FloatArray
    acc: FloatArray
    gyr: FloatArray
    rate_hz: float

    def index(self, t: float) -> int:
        return int(np.clip(np.searchsorted(self.t_s, t), 0, len(self.t_s)))

    def span(self, w: Window) -> slice:
        return slice(self.index(w.start_s), int(np.searchsorted(self.t_s, w.end_s, "right")))


def _track(role: Role, batch: SampleBatch) -> _Track:
    name = _ROLE_NAMES.get(role, role.label)
    if len(batch) < 2:
        raise CalibrationError(f"the recording has no data from the {name} sensor")
    idx, first = np.unique(np.asarray(batch.index, dtype=np.int64), return_index=True)
    t = np.asarray(batch.t_s, dtype=np.float64)[first]
    acc = np.asarray(batch.acc_m_s2, dtype=np.float64)[first]
    gyr = np.asarray(batch.gyr_rad_s, dtype=np.float64)[first]
    full = np.arange(idx[0], idx[-1] + 1)
    if len(full) != len(idx):  # fill lost samples so the filter sees a uniform stream
        t = np.interp(full, idx, t)
        acc = np.stack([np.interp(full, idx, acc[:, k]) for k in range(3)], axis=1)
        gyr = np.stack([np.interp(full, idx, gyr[:, k]) for k in range(3)], axis=1)
    rate = float(batch.rate_hz)
    if rate <= 0:
        rate = (len(full) - 1) / max(float(t[-1] - t[0]), 1e-9)
    return _Track(role, t, acc, gyr, rate)


def _tracks(samples: Mapping[Role, SampleBatch]) -> dict[Role, _Track]:
    """Both sensors' tracks, or the sacrum's alone (a sacrum-only calibration)."""
    have = [r for r in ROLES if r in samples and len(samples[r]) >= 2]
    if Role.SACRUM not in have:
        raise CalibrationError(
            "the recording has no data from the sacrum sensor; calibration needs at least the "
            "sacrum sensor streaming"
        )
    return {r: _track(r, samples[r]) for r in have}


def _unit(v: FloatArray) -> FloatArray:
    return v / np.linalg.norm(v)


def _angle_deg(a: FloatArray, b: FloatArray) -> float:
    c = float(np.dot(_unit(a), _unit(b)))
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def _up_vectors(tr: _Track, start_s: float, end_s: float, method: str) -> tuple[slice, FloatArray]:
    """Earth's up axis in sensor coordinates from the orientation filter over a span."""
    sl = slice(tr.index(start_s), int(np.searchsorted(tr.t_s, end_s, "right")))
    q = estimate(tr.gyr[sl], tr.acc[sl], tr.rate_hz, method=method)
    return sl, quat.up_in_sensor(q)


def _tilt_deg(up: FloatArray, z: FloatArray) -> FloatArray:
    return np.degrees(np.arccos(np.clip(up @ z, -1.0, 1.0)))


def _bends(t: FloatArray, tilt: FloatArray, hi: float) -> list[tuple[float, float, float]]:
    """Distinct excursions above ``hi``: (start, peak value, end) with hysteresis ``hi / 2``."""
    lo = 0.5 * hi
    out: list[tuple[float, float, float]] = []
    above = tilt > hi
    below = tilt < lo
    i, n = 0, len(tilt)
    while i < n:
        nxt = np.flatnonzero(above[i:])
        if not nxt.size:
            break
        s = i + int(nxt[0])
        back = np.flatnonzero(below[s:])
        e = s + int(back[0]) if back.size else n - 1
        # extend the start back to where the tilt left the resting range
        pre = np.flatnonzero(below[i:s])
        b = i + int(pre[-1]) if pre.size else i
        out.append((float(t[b]), float(np.max(tilt[s : e + 1])), float(t[e])))
        i = e + 1
    return out


def _moving_mean(x: FloatArray, n: int) -> FloatArray:
    n = max(1, min(n, len(x)))
    c = np.concatenate([[0.0], np.cumsum(x)])
    out = (c[n:] - c[:-n]) / n
    pad_l = (n - 1) // 2
    return np.concatenate([np.full(pad_l, out[0]), out, np.full(n - 1 - pad_l, out[-1])])


def _still_mask(tr: _Track, p: CalibrationParams, grid: FloatArray) -> BoolArray:
    n = max(3, round(0.5 * tr.rate_hz))
    g = _moving_mean(np.linalg.norm(tr.gyr, axis=1), n)
    var = np.zeros(len(tr.acc))
    for k in range(3):
        m = _moving_mean(tr.acc[:, k], n)
        var += np.maximum(_moving_mean(tr.acc[:, k] ** 2, n) - m * m, 0.0)
    still = (g < p.auto_still_gyro_rad_s) & (np.sqrt(var) < p.auto_still_acc_m_s2)
    return np.interp(grid, tr.t_s, still.astype(np.float64)) > 0.999


def _runs(mask: BoolArray) -> list[tuple[int, int]]:
    """(start, end) index pairs, end exclusive, of the True runs of ``mask``."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def _drop_cm(t: FloatArray, acc: FloatArray, up: FloatArray, t0: float, t1: float) -> float:
    """How far a sensor went down between two moments at rest, cm (vertical acceleration,
    integrated twice, the velocity drift removed so that it is at rest at both ends)."""
    m = (t >= t0 - 0.3) & (t <= t1 + 0.3)
    if m.sum() < 10:
        return 0.0
    tt = t[m]
    dt = np.diff(tt, prepend=tt[0])
    a = np.sum(acc[m] * up[m], axis=1)
    a = a - a.mean()  # at rest at both ends: the mean vertical acceleration is gravity
    v = np.cumsum(a * dt)
    v = v - np.interp(tt, [tt[0], tt[-1]], [v[0], v[-1]])
    x = np.cumsum(v * dt)
    return float(100.0 * (x.max() - x.min()))


def _check_window(w: Window, what: str, tracks: Mapping[Role, _Track], min_s: float) -> None:
    lo = max(float(tr.t_s[0]) for tr in tracks.values())
    hi = min(float(tr.t_s[-1]) for tr in tracks.values())
    if w.start_s < lo - 0.05 or w.end_s > hi + 0.05:
        raise CalibrationError(
            f"the {what} window {w} is outside the recording, where the sensors have data "
            f"from {lo:.2f} to {hi:.2f} s"
        )
    if w.duration_s < min_s:
        raise CalibrationError(f"the {what} window {w} is too short: it needs at least {min_s:g} s")


@dataclass(frozen=True, slots=True)
class _Still:
    z: FloatArray
    gyro_bias: FloatArray
    gyro_rms_deg_s: float
    acc_std_m_s2: float
    drift_deg: float


def _still(tr: _Track, w: Window, p: CalibrationParams) -> _Still:
    sl = tr.span(w)
    acc, gyr = tr.acc[sl], tr.gyr[sl]
    if len(acc) < 10:
        raise CalibrationError(f"the static window {w} holds too few samples")
    bias = gyr.mean(axis=0)
    rms = float(np.degrees(np.sqrt(np.mean(np.sum((gyr - bias) ** 2, axis=1)))))
    std = float(np.sqrt(np.sum(acc.var(axis=0))))
    half = len(acc) // 2
    drift = _angle_deg(acc[:half].mean(axis=0), acc[half:].mean(axis=0))
    name = _ROLE_NAMES[tr.role]
    problems = []
    if rms > p.still_gyro_rms_deg_s:
        problems.append(f"turning {rms:.1f} deg/s RMS, limit {p.still_gyro_rms_deg_s:g}")
    if std > p.still_acc_std_m_s2:
        problems.append(f"shaking {std:.2f} m/s^2, limit {p.still_acc_std_m_s2:g}")
    if drift > p.still_drift_deg:
        problems.append(f"leaning {drift:.1f} deg during the window, limit {p.still_drift_deg:g}")
    if problems:
        raise CalibrationError(
            f"not still enough: the {name} sensor moved in the static window {w} "
            f"({'; '.join(problems)}); stand tall and hold still for 3 s before bending"
        )
    return _Still(_unit(acc.mean(axis=0)), bias, rms, std, drift)


@dataclass(frozen=True, slots=True)
class _Motion:
    """One sensor's up trajectory through one bend or squat descent."""

    up: FloatArray  #: (N, 3) up in sensor coordinates over the bend
    start: FloatArray  #: up where the bend started
    peak_deg: float  #: the sensor's largest tilt from where the bend started


def _motion(up: FloatArray) -> _Motion:
    """A bend's up trajectory, measured from where it started."""
    start = _unit(up[: max(1, min(5, len(up)))].mean(axis=0))
    tilt = _tilt_deg(up, start)
    return _Motion(up, start, float(tilt.max()) if tilt.size else 0.0)


def _on_grid(up: FloatArray, t: FloatArray, grid: FloatArray) -> FloatArray:
    """Up vectors at times ``t`` resampled on ``grid`` (unit length again)."""
    out = np.stack([np.interp(grid, t, up[:, k]) for k in range(3)], axis=1)
    return out / np.linalg.norm(out, axis=1, keepdims=True)
