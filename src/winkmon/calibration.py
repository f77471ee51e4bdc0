"""Per-athlete calibration: sensor mounts from a still stand and two forward bends.

The procedure (for athletes and coaches: ``calibration/README.md``):

1. **Static window** — stand tall in neutral for ~3 s. The mean accelerometer direction in
   each sensor's frame is the earth's up axis, which is the segment's ``z`` in neutral (see
   :mod:`winkmon.pipeline.model` for the segment frames).
2. **Functional window** — bend forward from the hips twice, standing up fully in between.
   Both segments rotate about their medio-lateral axis ``y``. We take the dominant axis of the
   gyroscope (principal axis of the angular-rate samples, the static gyro mean removed as the
   bias) and make it orthogonal to ``z``. The gyroscope gives the axis without a sign; its
   sign comes from gravity: in a forward bend the up axis, seen from the sensor, turns
   towards the segment's *posterior* ``-x``, so ``y = z × x`` follows from the direction in
   which up moved (a heading-free quantity from the orientation filter). This makes forward
   bending a positive rotation about ``+y`` whatever the sensor's orientation on the skin.
3. The mount is the rotation whose columns are ``x = y × z``, ``y``, ``z`` in sensor
   coordinates. With it, both segments' inclination, and so the lumbopelvic angle, is 0 in
   the static window by construction.

Nominal mount: the sensor's ``z`` points out of the back (posterior); nothing else is
assumed — any rotation about that axis, and the sacrum sensor's surface tilted ~20-40 deg.

Checks (each raises :class:`~winkmon.errors.CalibrationError` saying what to redo; no profile
is produced):

* *not still enough* — gyroscope RMS, accelerometer spread or a drift of the gravity direction
  in the static window above :class:`CalibrationParams`' limits;
* *bends too small* — fewer than two distinct bends of at least ``min_bend_deg`` on a sensor;
* *axis ambiguous* — no dominant rotation axis (second singular value too close to the
  first), or the axis close to vertical (the athlete twisted instead of bending);
* *sensors swapped* — the lumbar segment rotates more than the pelvis in a forward bend
  (lumbar = pelvis + lumbopelvic flexion), so a sacrum-role sensor that tilts clearly more than
  the lumbar-role one is on the lumbar spine;
* *sensor facing* — forward, as found from the bends, points along the sensor's ``z`` instead
  of against it: the athlete bent backwards or a sensor is taped face-down.

:func:`find_windows` finds both windows when they are not given: the first still stretch of
at least ``auto_static_s`` (both sensors still: low gyroscope norm and accelerometer spread)
followed within ``bend_search_s`` by two large forward excursions of the inclination.

Accuracy (``tests/test_calibration.py``): on synthetic sessions with random mounts (any spin
about the sensor's ``z``, sacrum face tilt 20-40 deg, a few degrees of misalignment, sensor
noise and bias), the recovered mount is within 0.5 deg of the truth (mean 0.3). On the
simulator's sessions (:mod:`winkmon.sim`), whose bends carry a little twist and side bend that
move with the forward bend, within ~1.8 deg (mean 0.8): that coupling tilts the apparent bend
axis, and neither the gyroscope nor gravity can tell it apart.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from winkmon import quaternion as quat
from winkmon.errors import CalibrationError
from winkmon.orientation import DEFAULT_METHOD, estimate
from winkmon.pipeline.model import Mount, Thresholds
from winkmon.profiles import (
    ROLES,
    AthleteProfile,
    CalibrationRecord,
    SensorCalibration,
    SensorNeutral,
    SensorQuality,
    Window,
    utc_now_iso,
)
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_ROLE_NAMES = {Role.SACRUM: "sacrum", Role.LUMBAR: "lumbar (L1)"}


@dataclass(frozen=True, slots=True)
class CalibrationParams:
    """Limits of the calibration checks and the window search. Units in the field names."""

    #: A static window given by the user must last at least this long, s.
    min_static_s: float = 1.0
    #: A functional window given by the user must last at least this long, s.
    min_functional_s: float = 2.0
    #: Stillness: gyroscope RMS about its mean in the static window at most this, deg/s.
    still_gyro_rms_deg_s: float = 5.0
    #: Stillness: accelerometer standard deviation (norm over axes) at most this, m/s^2.
    still_acc_std_m_s2: float = 0.35
    #: Stillness: the gravity direction may move at most this between the two halves, deg.
    still_drift_deg: float = 3.0
    #: A forward bend must tilt each sensor by at least this, deg.
    min_bend_deg: float = 20.0
    #: Distinct bends needed (the tilt must come back below half of ``min_bend_deg`` between).
    min_bends: int = 2
    #: Largest accepted ratio of the gyroscope's second to first singular value.
    max_axis_ratio: float = 0.5
    #: Smallest accepted angle between the bend axis and the vertical, deg.
    min_axis_up_angle_deg: float = 60.0
    #: Sensors swapped when the sacrum sensor's bend exceeds the lumbar's by more than this, deg.
    swap_margin_deg: float = 5.0
    #: Largest accepted cosine between "anterior" (from the bends) and the sensor's ``+z``.
    max_facing_cos: float = 0.3
    #: Automatic search: a still stretch must last at least this long, s.
    auto_static_s: float = 2.5
    #: Automatic search: use at most the last this many seconds of the still stretch, s.
    max_static_s: float = 4.0
    #: Automatic search: seconds trimmed off both ends of the still stretch.
    edge_s: float = 0.3
    #: Automatic search: the first bend must start within this after the still stretch, s.
    bend_search_s: float = 15.0
    #: Automatic search: gyroscope norm (0.5 s mean) below this counts as still, rad/s.
    auto_still_gyro_rad_s: float = 0.12
    #: Automatic search: accelerometer spread (0.5 s) below this counts as still, m/s^2.
    auto_still_acc_m_s2: float = 0.3
    #: Orientation filter (see :mod:`winkmon.orientation`).
    method: str = DEFAULT_METHOD


@dataclass(frozen=True, slots=True)
class CalibrationWindows:
    """The static and functional windows, and whether winkmon found them itself."""

    static: Window
    functional: Window
    automatic: bool = False


@dataclass(frozen=True, slots=True)
class Calibration:
    """The result of :func:`calibrate`: per-sensor mounts, neutral and quality, and a record."""

    sensors: dict[Role, SensorCalibration]
    record: CalibrationRecord
    warnings: tuple[str, ...] = field(default=())

    @property
    def mounts(self) -> dict[Role, Mount]:
        return {r: c.mount for r, c in self.sensors.items()}

    def profile(
        self,
        name: str,
        thresholds: Thresholds | None = None,
        addresses: Mapping[Role, str | None] | None = None,
        created_utc: str | None = None,
    ) -> AthleteProfile:
        """An athlete profile holding this calibration."""
        prof = AthleteProfile(
            name=name,
            sensors=dict(self.sensors),
            calibration=self.record,
            thresholds=thresholds or Thresholds(),
            created_utc=created_utc or utc_now_iso(),
        )
        return prof.with_addresses(addresses) if addresses else prof


# ---------------------------------------------------------------------- uniform tracks
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
    missing = [_ROLE_NAMES[r] for r in ROLES if r not in samples or len(samples[r]) < 2]
    if missing:
        raise CalibrationError(
            f"the recording has no data from the {' and '.join(missing)} sensor; calibration "
            "needs both sensors streaming"
        )
    return {r: _track(r, samples[r]) for r in ROLES}


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


# ---------------------------------------------------------------------- the calibration
def _check_window(w: Window, what: str, tracks: Mapping[Role, _Track], min_s: float) -> None:
    lo = max(float(tr.t_s[0]) for tr in tracks.values())
    hi = min(float(tr.t_s[-1]) for tr in tracks.values())
    if w.start_s < lo - 0.05 or w.end_s > hi + 0.05:
        raise CalibrationError(
            f"the {what} window {w} is outside the recording, where both sensors have data "
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


def calibrate(
    samples: Mapping[Role, SampleBatch],
    static: Window | None = None,
    functional: Window | None = None,
    *,
    params: CalibrationParams | None = None,
    source: str | None = None,
) -> Calibration:
    """Sensor mounts of both segments from a static and a functional window.

    ``samples`` holds each sensor's samples on the session time base (``t_s``); windows are
    in those seconds. A missing window is found automatically (:func:`find_windows`).
    Raises :class:`CalibrationError` when a check fails (see the module docstring).
    """
    p = params or CalibrationParams()
    tracks = _tracks(samples)
    windows = _resolve_windows(tracks, static, functional, p)
    st, fn = windows.static, windows.functional
    _check_window(st, "static", tracks, p.min_static_s)
    _check_window(fn, "functional", tracks, p.min_functional_s)

    still = {r: _still(tracks[r], st, p) for r in ROLES}

    # Orientation over both windows. The filter starts at the static window when that comes
    # first: its first sample, taken standing still, gives it the exact inclination at once.
    t0 = st.start_s if st.start_s <= fn.start_s else fn.start_s - 5.0
    t1 = max(st.end_s, fn.end_s)
    ups: dict[Role, tuple[FloatArray, FloatArray]] = {}
    for r in ROLES:
        tr = tracks[r]
        sl, up = _up_vectors(tr, max(float(tr.t_s[0]), t0), t1, p.method)
        ups[r] = (tr.t_s[sl], up)

    # Bends: tilt of the up axis away from its neutral direction.
    bends: dict[Role, list[tuple[float, float, float]]] = {}
    amplitude: dict[Role, float] = {}
    fmask: dict[Role, BoolArray] = {}
    for r in ROLES:
        t, up = ups[r]
        m = (t >= fn.start_s) & (t <= fn.end_s)
        fmask[r] = m
        tilt = _tilt_deg(up[m], still[r].z)
        amplitude[r] = float(np.max(tilt)) if tilt.size else 0.0
        bends[r] = _bends(t[m], tilt, p.min_bend_deg)
    for r in ROLES:
        if len(bends[r]) < p.min_bends:
            peaks = ", ".join(f"{b[1]:.0f}°" for b in bends[r])
            found = f"{len(bends[r])} bend(s) of {p.min_bend_deg:g}° or more" + (
                f" (peaks {peaks})" if peaks else ""
            )
            raise CalibrationError(
                f"bends too small: the {_ROLE_NAMES[r]} sensor tilted at most "
                f"{amplitude[r]:.0f}° in the functional window {fn}, with {found}; "
                f"{p.min_bends} are needed. Bend forward from the hips {p.min_bends} times as "
                "far as is comfortable, standing up fully in between"
            )
    margin = amplitude[Role.LUMBAR] - amplitude[Role.SACRUM]
    if margin < -p.swap_margin_deg:
        raise CalibrationError(
            "sensors swapped: the lumbar sensor seems to be on the sacrum (in the bends the "
            f"sacrum sensor tilted {amplitude[Role.SACRUM]:.0f}°, the lumbar sensor only "
            f"{amplitude[Role.LUMBAR]:.0f}°, but the lower back always turns more than the "
            "pelvis); swap the two sensors, or their roles, and calibrate again"
        )

    sensors: dict[Role, SensorCalibration] = {}
    static_incl: dict[Role, float] = {}
    for r in ROLES:
        tr = tracks[r]
        z = still[r].z
        gyr = tr.gyr[tr.span(fn)] - still[r].gyro_bias
        _, sv, vt = np.linalg.svd(gyr, full_matrices=False)
        axis = vt[0]
        ratio = float(sv[1] / sv[0]) if sv[0] > 0 else 1.0
        up_angle = _angle_deg(axis, z)
        up_angle = min(up_angle, 180.0 - up_angle)
        name = _ROLE_NAMES[r]
        if ratio > p.max_axis_ratio or up_angle < p.min_axis_up_angle_deg:
            why = (
                f"its turning had no single main axis (ratio {ratio:.2f}, "
                f"limit {p.max_axis_ratio:g})"
                if ratio > p.max_axis_ratio
                else f"its main axis was only {up_angle:.0f}° from vertical, as in a twist"
            )
            raise CalibrationError(
                f"axis ambiguous: the {name} sensor did not turn about one side-to-side axis "
                f"in the bends ({why}); bend straight forward, without twisting or leaning "
                "sideways, and calibrate again"
            )
        # Sign from gravity: in a forward bend, up (seen from the sensor) moves towards -x.
        t, up = ups[r]
        uf = up[fmask[r]]
        proj = uf - np.outer(uf @ z, z)
        x_grav = -_unit(proj.sum(axis=0))
        y_grav = np.cross(z, x_grav)
        y = _unit(axis - np.dot(axis, z) * z)
        if np.dot(y, y_grav) < 0:
            y = -y
        x = np.cross(y, z)
        facing = float(np.dot(x, [0.0, 0.0, 1.0]))
        if facing > p.max_facing_cos:
            raise CalibrationError(
                f"the {name} sensor moved as if the athlete bent backwards, or it is taped "
                "face-down (its face should point out of the back); check the sensor and bend "
                "forward, not backward, then calibrate again"
            )
        mount = Mount(np.column_stack([x, y, z]))
        smask = (t >= st.start_s) & (t <= st.end_s)
        static_incl[r] = float(np.mean(mount.inclination_deg(up[smask]))) if smask.any() else 0.0
        sensors[r] = SensorCalibration(
            mount=mount,
            neutral=SensorNeutral(
                up_sensor=(float(z[0]), float(z[1]), float(z[2])),
                face_tilt_deg=float(np.degrees(np.arcsin(np.clip(z[2], -1, 1)))),
                rotation_on_skin_deg=float(np.degrees(np.arctan2(z[0], z[1]))),
                side_tilt_deg=float(np.degrees(np.arcsin(np.clip(y[2], -1, 1)))),
                inclination_deg=static_incl[r],
            ),
            quality=SensorQuality(
                still_gyro_rms_deg_s=still[r].gyro_rms_deg_s,
                still_acc_std_m_s2=still[r].acc_std_m_s2,
                bend_amplitude_deg=amplitude[r],
                bend_peaks_deg=tuple(b[1] for b in bends[r]),
                axis_ratio=ratio,
                axis_up_angle_deg=up_angle,
                axis_agreement_deg=_angle_deg(y, _unit(y_grav)),
            ),
        )
        log.debug("%s mount:\n%s", r.label, mount.matrix)
    record = CalibrationRecord(
        static=st,
        functional=fn,
        automatic=windows.automatic,
        static_angle_deg=static_incl[Role.LUMBAR] - static_incl[Role.SACRUM],
        bend_margin_deg=margin,
        method=p.method,
        source=source,
    )
    warnings = []
    for r in ROLES:
        q = sensors[r].quality
        if q.axis_agreement_deg > 10.0:
            warnings.append(
                f"the {_ROLE_NAMES[r]} sensor's bend axis from the gyroscope and from gravity "
                f"differ by {q.axis_agreement_deg:.0f}°: the bends were not straight forward"
            )
    return Calibration(sensors=sensors, record=record, warnings=tuple(warnings))


# ---------------------------------------------------------------------- automatic windows
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
    for tr in tracks.values():
        z = _unit(tr.acc[tr.span(static)].mean(axis=0))
        t0 = max(lo, static.start_s)
        sl, up = _up_vectors(tr, t0, end, p.method)
        tilt = np.maximum(tilt, np.interp(grid, tr.t_s[sl], _tilt_deg(up, z)))
    found = _bends(grid, tilt, p.min_bend_deg)
    if len(found) < p.min_bends or found[0][0] > static.end_s + p.bend_search_s:
        return None
    chosen = [found[0]]
    for b in found[1:]:
        if len(chosen) >= p.min_bends and b[0] - chosen[-1][2] > 3.0:
            break
        chosen.append(b)
    if len(chosen) < p.min_bends:
        return None
    # end: back to rest (tilt small or both sensors still), at most 1.5 s after the last bend
    last = chosen[-1][2]
    after = grid >= last
    rest = after & ((tilt < 3.0) | (np.interp(grid, still_t, still.astype(np.float64)) > 0.999))
    stop = float(grid[np.flatnonzero(rest)[0]]) if rest.any() else last
    stop = min(max(stop, last) + 0.2, last + 1.5, hi)
    return Window(static.end_s, stop)


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
        raise CalibrationError("the two sensors' data overlap by less than a second")
    grid = np.arange(lo, hi, 0.02)
    still = np.ones(len(grid), dtype=bool)
    for tr in tracks.values():
        still &= _still_mask(tr, p, grid)
    if static is not None:
        _check_window(static, "static", tracks, p.min_static_s)
        fn = _find_bends_after(tracks, static, p, grid, still)
        if fn is None:
            raise CalibrationError(
                f"could not find two forward bends within {p.bend_search_s:g} s after the "
                f"static window {static}; give the bends with --functional C:D, or record the "
                "calibration again (stand tall 3 s, then bend forward twice)"
            )
        return CalibrationWindows(static, fn, automatic=True)
    candidate: CalibrationWindows | None = None
    for a, b in _runs(still):
        t_a, t_b = float(grid[a]), float(grid[b - 1])
        if t_b - t_a < p.auto_static_s:
            continue
        if functional is not None and t_b > functional.start_s + 1.0:
            continue
        s_end = t_b - p.edge_s
        s_start = max(t_a + p.edge_s, s_end - p.max_static_s)
        st = Window(s_start, s_end)
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
        f"{p.auto_static_s:g} s followed by two forward bends. Record it again (stand tall "
        "and still for 3 s, then bend forward twice) or give the windows with --static A:B "
        "--functional C:D"
    )
