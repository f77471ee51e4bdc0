"""Per-athlete calibration: sensor mounts, with their uncertainty, from whatever motion there is.

The procedure (for athletes and coaches: ``calibration/README.md``):

1. **Neutral** — each sensor's vertical: the mean accelerometer direction in a still stand
   (~3 s), which is the segment's ``z`` in neutral (see :mod:`winkmon.pipeline.model` for the
   segment frames). Without a stand: the athlete's stored profile, when the sensors still sit
   where it says, else the upright moments between squat reps (and the result says so).
2. **Medio-lateral axis** ``y`` (only its heading about ``z`` is unknown), from two sources:

   * the *prior*: a sensor's face (its ``z_s``) points out of the back, or into it (a clip, a
     pouch), roughly on the midline, so the face normal lies near the sagittal plane and
     ``y ⊥ {z, z_s}``. A face turned sideways on the skin by ``face_roll_deg`` (1 sigma) turns
     that axis by ``atan(tan(roll) / cos(face tilt))``: the prior's uncertainty;
   * the *motion*: in each forward bend (or squat descent) the up axis, seen from the sensor,
     moves towards the segment's posterior ``-x``. The summed displacement of up (projected
     off ``z``) gives ``-x`` per bend, with uncertainty ``atan(bend_side_deg / tilt)``: the
     sideways movement that goes with any real bend, relative to the bend's size. Gravity,
     unlike the gyroscope, tells forward from backward, so this also gives the sign — which
     is how a sensor facing *into* the body is found.

   The heading estimates are combined as independent Gaussians (inverse-variance weights): a
   big, clean bend dominates; a small pelvic tilt (8 deg) still helps; the prior carries the
   rest. A prior that disagrees with the bends by more than 3 sigma is dropped (warning).
3. **Quality** — the axis's 1-sigma uncertainty and what it does to the segment's inclination
   at 30 deg of flexion with 3 deg of side bend (:func:`angle_error_deg`); the lumbopelvic
   error combines both sensors'. Calibration refuses only when that exceeds
   ``max_angle_error_deg`` (1 deg), saying what to do.

The mount is the rotation whose columns are ``x = y × z``, ``y``, ``z`` in sensor coordinates;
both segments' inclination, and so the lumbopelvic angle, is 0 in neutral by construction.

Checks (each raises :class:`~winkmon.errors.CalibrationError` saying what to do; no profile
is produced): *not still enough* (in the stand); *no bend found*; *sensors swapped* (the
sacrum sensor turned clearly more than the lumbar one: the lower back always turns at least
as much as the pelvis in a forward bend, lumbar- or hip-dominant); *twisting* (more rotation
about the vertical than about horizontal axes); *not straight forward* (bends whose directions
disagree, or all sideways); *axis uncertain* (the 1 deg limit above).

**One sensor**: with only the sacrum sensor, calibration gives the sacrum's mount and a record
saying the lumbopelvic angle is unavailable (``lumbopelvic_available`` False).

**No separate calibration**: when a recording has no stand followed by bends, the session's
squats calibrate it (``motion_source`` ``"squats"``): their descents tilt the pelvis 15-30 deg
(a movement counts as a squat when the pelvis goes down ``squat_drop_cm`` or more; pick-ups
and bends do not); the upright moments between reps, still in the filter's inclination
(``upright_spread_deg``) rather than in raw gyroscope terms (~7 deg/s there), give the
vertical. Squats are not instructed, so an odd one is skipped rather than refused.

**Refinement**: :func:`refine` combines a stored profile's axes (their stated uncertainty as
the prior) with a session's squats and returns the profile's next revision, the previous
calibration kept in its history.

:func:`find_windows` finds a stand and its bends when they are not given: the first still
stretch (passing the stillness checks) followed by ``auto_min_bends`` bends that are not
squats.

Measured with ``bench/calibration.py`` (see ``calibration/README.md`` for the figures).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

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

#: What to do when the axes are not good enough, in a coach's words (no blame).
ADVICE = (
    "do two slow forward bends as if reaching for your shins, standing up fully in between, or "
    "simply start squatting: the first squats refine it"
)


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
    #: A bend is found when the most-turning sensor (the lumbar one) tilts at least this, deg.
    min_bend_deg: float = 15.0
    #: With the sacrum sensor only, a bend is found when it tilts at least this, deg.
    sacrum_only_bend_deg: float = 6.0
    #: A sensor must tilt at least this in a bend for that bend to tell its axis, deg.
    min_sensor_bend_deg: float = 3.0
    #: Bends needed (the tilt must come back below half the detection threshold between).
    min_bends: int = 1
    #: The automatic search takes a stand followed by at least this many bends (one bend
    #: after a stand is as likely a pick-up, with its twist, as a calibration).
    auto_min_bends: int = 2
    #: Prior: sideways turn of a sensor's face on the skin, 1 sigma, deg.
    face_roll_deg: float = 12.0
    #: Sideways movement (side bend, roll) that goes with a forward bend, 1 sigma, deg.
    bend_side_deg: float = 2.0
    #: Refuse when the lumbopelvic error at 30 deg of flexion would exceed this, deg.
    max_angle_error_deg: float = 1.0
    #: Twisting: RMS rotation rate about the vertical over that about horizontal axes.
    max_twist_ratio: float = 1.0
    #: Bends disagreeing by more than this many sigma (and ``min_outlier_deg``) are refused.
    outlier_sigma: float = 3.0
    #: ... and by more than this, deg.
    min_outlier_deg: float = 25.0
    #: Bends more than this from the prior are sideways, not forward: refused, deg.
    max_prior_offset_deg: float = 60.0
    #: Sensors swapped when the sacrum sensor's bend exceeds the lumbar's by more than this, deg.
    swap_margin_deg: float = 5.0
    #: A movement whose pelvis goes down at least this is a squat, not a calibration bend, cm.
    squat_drop_cm: float = 15.0
    #: Squats: a descent is found when the most-turning sensor tilts at least this, deg.
    squat_bend_deg: float = 10.0
    #: Squats: upright moments are within this of the upright direction, deg.
    upright_tilt_deg: float = 6.0
    #: Squats: upright moments turn at most this on average (0.5 s mean gyro norm), deg/s.
    upright_gyro_deg_s: float = 15.0
    #: Squats: the filter's up direction over the upright moments spreads at most this, deg RMS.
    upright_spread_deg: float = 3.0
    #: Squats: the upright moments must add up to at least this, s.
    min_upright_s: float = 1.0
    #: Squats: a stored profile's vertical is used when within this of the upright one, deg.
    profile_neutral_max_deg: float = 25.0
    #: Squats: analyse at most this much of the recording from its start, s.
    squat_search_s: float = 300.0
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
    """The result of :func:`calibrate`: per-sensor mounts, neutral and quality, and a record.

    ``notes`` say where the calibration came from when it is not a stand and bends (squats,
    a stored neutral, one sensor); ``warnings`` flag data that were used with caution.
    """

    sensors: dict[Role, SensorCalibration]
    record: CalibrationRecord
    warnings: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())

    @property
    def mounts(self) -> dict[Role, Mount]:
        return {r: c.mount for r, c in self.sensors.items()}

    @property
    def lumbopelvic_available(self) -> bool:
        return self.record.lumbopelvic_available

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


def angle_error_deg(
    axis_sigma_deg: float, flexion_deg: float = 30.0, side_deg: float = 3.0
) -> float:
    """How far a segment's inclination reads off when its axis heading is off by the given
    angle, at ``flexion_deg`` of forward flexion with ``side_deg`` of side bend, degrees.

    The heading error ``d`` turns the estimated ``x`` towards ``y``: a pure flexion ``θ`` reads
    ``atan(tan θ cos d)`` (second order in ``d``), and a side bend leaks in as about
    ``side · sin d`` (first order). The larger of both signs of ``d`` is returned.
    """
    th, ph, d = (math.radians(v) for v in (flexion_deg, side_deg, axis_sigma_deg))
    # up in segment coordinates after flexion about y then side bend about x: R^T e_z
    ry = np.array([[math.cos(th), 0, math.sin(th)], [0, 1, 0], [-math.sin(th), 0, math.cos(th)]])
    rx = np.array([[1, 0, 0], [0, math.cos(ph), -math.sin(ph)], [0, math.sin(ph), math.cos(ph)]])
    u = (ry @ rx).T @ np.array([0.0, 0.0, 1.0])
    true = math.atan2(-u[0], u[2])
    worst = 0.0
    for sign in (-1.0, 1.0):
        xe = math.cos(d) * u[0] + sign * math.sin(d) * u[1]
        worst = max(worst, abs(math.atan2(-xe, u[2]) - true))
    return math.degrees(worst)


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


# ---------------------------------------------------------------------- the axis estimate
def _wrap_deg(a: float) -> float:
    return (a + 180.0) % 360.0 - 180.0


@dataclass(frozen=True, slots=True)
class _Motion:
    """One sensor's up trajectory through one bend or squat descent."""

    up: FloatArray  #: (N, 3) up in sensor coordinates over the bend
    start: FloatArray  #: up where the bend started
    peak_deg: float  #: the sensor's largest tilt from where the bend started


@dataclass(frozen=True, slots=True)
class _Axis:
    x: FloatArray
    y: FloatArray
    sigma_deg: float
    facing_in: bool
    prior_sigma_deg: float | None  #: None when there was no usable prior (or it was dropped)
    bend_sigma_deg: float
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Prior:
    """An earlier calibration's axis: the segment's anterior ``x`` and its uncertainty."""

    x: FloatArray
    sigma_deg: float


def _estimate_axis(
    role: Role,
    z: FloatArray,
    motions: Sequence[_Motion],
    p: CalibrationParams,
    earlier: _Prior | None = None,
    *,
    drop_outliers: bool = False,
) -> _Axis:
    """The medio-lateral axis of one sensor (see the module docstring, step 2); ``z`` is the
    neutral vertical. Each motion's up displacement is measured from where it started.

    ``earlier`` (refining a stored profile) replaces the face's prior by that calibration's
    axis, sign included. ``drop_outliers`` skips motions that disagree with the others (a
    session's squats) instead of refusing (instructed bends)."""
    name = _ROLE_NAMES[role]
    face = np.array([0.0, 0.0, 1.0])
    pf = face - np.dot(face, z) * z
    pf_norm = float(np.linalg.norm(pf))
    if earlier is not None:
        e1 = -_unit(earlier.x - np.dot(earlier.x, z) * z)  # posterior
        prior_sigma: float | None = earlier.sigma_deg
    elif pf_norm > 0.2:
        e1 = pf / pf_norm
        prior_sigma = math.degrees(math.atan(math.tan(math.radians(p.face_roll_deg)) / pf_norm))
    else:  # the face is nearly horizontal: its normal says nothing about the axis
        e1 = _unit(np.cross(z, [1.0, 0.0, 0.0] if abs(z[0]) < 0.9 else [0.0, 1.0, 0.0]))
        prior_sigma = None
    e2 = np.cross(z, e1)
    heads: list[tuple[float, float]] = []
    for m in motions:
        if m.peak_deg < p.min_sensor_bend_deg:
            continue
        d = (m.up - m.start).sum(axis=0)
        d = d - np.dot(d, z) * z
        if float(np.linalg.norm(d)) < 1e-9:
            continue
        h = math.degrees(math.atan2(float(np.dot(d, e2)), float(np.dot(d, e1))))
        heads.append((h, math.degrees(math.atan2(p.bend_side_deg, m.peak_deg))))
    if not heads:
        top = max((m.peak_deg for m in motions), default=0.0)
        raise CalibrationError(
            f"the {name} sensor hardly turned in the bends (at most {top:.0f}°), so its "
            "side-to-side axis is unknown; check that it is taped firmly to the skin, then "
            f"{ADVICE}"
        )
    dropped = 0
    while True:
        w = [1.0 / sig**2 for _, sig in heads]
        cx = sum(wi * math.cos(math.radians(h)) for wi, (h, _) in zip(w, heads, strict=True))
        cy = sum(wi * math.sin(math.radians(h)) for wi, (h, _) in zip(w, heads, strict=True))
        hb = math.degrees(math.atan2(cy, cx))
        sb = 1.0 / math.sqrt(sum(w))
        excess = [
            abs(_wrap_deg(h - hb)) / max(p.outlier_sigma * math.hypot(sig, sb), p.min_outlier_deg)
            for h, sig in heads
        ]
        worst = int(np.argmax(excess))
        if excess[worst] <= 1.0:
            break
        if drop_outliers and len(heads) > 2:  # squats are not instructed: skip an odd one
            del heads[worst]
            dropped += 1
            continue
        off = abs(_wrap_deg(heads[worst][0] - hb))
        raise CalibrationError(
            f"the bends were not straight forward: the {name} sensor turned {off:.0f}° "
            "away from its other bends' direction, as in leaning or twisting to the side. "
            "Bend straight forward, without twisting or leaning sideways, and calibrate again"
        )
    warnings: list[str] = []
    if dropped:
        warnings.append(f"the {name} sensor: {dropped} movement(s) unlike the others were skipped")
    # the prior: posterior along +e1 (face out) or -e1 (face in); the bends pick which
    prior_h = 0.0 if earlier is not None or abs(_wrap_deg(hb)) <= 90.0 else 180.0
    h, sigma = hb, sb
    if prior_sigma is not None:
        off = _wrap_deg(hb - prior_h)
        if abs(off) > p.max_prior_offset_deg and sb < 0.5 * abs(off):
            raise CalibrationError(
                f"the {name} sensor turned sideways in the bends, not forward (its face points "
                f"{abs(off):.0f}° away from the direction it moved). Either the bends leaned to "
                "one side, or the sensor sits far off the middle of the back: put it on the "
                "spine, face out of or into the back, then bend straight forward"
            )
        if abs(off) > p.outlier_sigma * math.hypot(sb, prior_sigma):
            warnings.append(
                f"the {name} sensor's axis moved {abs(off):.0f}° from the earlier calibration's: "
                "it comes from this session's motion alone"
                if earlier is not None
                else f"the {name} sensor's face is turned {abs(off):.0f}° sideways: its axis "
                "comes from the motion alone"
            )
            prior_sigma = None
        else:
            wb, wp = 1.0 / sb**2, 1.0 / prior_sigma**2
            h = prior_h + wb * off / (wb + wp)
            sigma = 1.0 / math.sqrt(wb + wp)
    post = math.cos(math.radians(h)) * e1 + math.sin(math.radians(h)) * e2
    x = -_unit(post)
    y = np.cross(z, x)
    return _Axis(
        x=x,
        y=y,
        sigma_deg=sigma,
        facing_in=bool(np.dot(face, x) > 0.0),
        prior_sigma_deg=prior_sigma,
        bend_sigma_deg=sb,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True, slots=True)
class _GyroAxis:
    ratio: float
    up_angle_deg: float
    axis: FloatArray
    twist_ratio: float


def _gyro_axis(gyr: FloatArray, z: FloatArray) -> _GyroAxis:
    """The dominant rotation axis of the (bias-free) gyroscope, and how much was twisting."""
    if len(gyr) < 3:
        return _GyroAxis(1.0, 90.0, np.array([0.0, 1.0, 0.0]), 0.0)
    _, sv, vt = np.linalg.svd(gyr, full_matrices=False)
    ratio = float(sv[1] / sv[0]) if sv[0] > 0 else 1.0
    up_angle = _angle_deg(vt[0], z)
    vert = gyr @ z
    horiz = gyr - np.outer(vert, z)
    twist = float(np.sqrt(np.mean(vert**2)) / max(np.sqrt(np.mean(np.sum(horiz**2, 1))), 1e-9))
    return _GyroAxis(ratio, min(up_angle, 180.0 - up_angle), vt[0], twist)


# ---------------------------------------------------------------------- the calibration
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


def refine(
    profile: AthleteProfile,
    samples: Mapping[Role, SampleBatch],
    *,
    params: CalibrationParams | None = None,
    source: str | None = None,
) -> tuple[AthleteProfile, Calibration]:
    """The profile's axes refined by a session's squats, as the profile's next revision.

    The neutral stays the profile's; each sensor's axis combines the profile's (with its
    stated uncertainty; 3 deg for profiles that have none) with the squats' descents. The
    previous calibration is kept in the profile's history with what changed (see
    :meth:`AthleteProfile.updated`). Raises :class:`CalibrationError` when the sensors no
    longer sit as the profile says (taped on again) or the squats cannot be used.
    """
    p = params or CalibrationParams()
    tracks = _tracks(samples)
    missing = [r for r in tracks if r not in profile.sensors]
    if missing:
        tracks = {r: t for r, t in tracks.items() if r in profile.sensors}
    src = _from_squats(tracks, p, profile, neutral_from_profile=True)
    earlier = {
        r: _Prior(
            x=profile.sensors[r].mount.matrix[:, 0],
            sigma_deg=profile.sensors[r].quality.axis_uncertainty_deg or 3.0,
        )
        for r in tracks
    }
    cal = _finish(tracks, src, p, source, earlier)
    newer = cal.profile(profile.name, thresholds=profile.thresholds)
    if set(profile.sensors) - set(newer.sensors):  # a sensor without data keeps its mount
        sensors = {**profile.sensors, **newer.sensors}
        record = replace(
            newer.calibration,
            lumbopelvic_available=Role.LUMBAR in sensors,
            axis_uncertainty_deg={
                r.label: c.quality.axis_uncertainty_deg for r, c in sensors.items()
            },
        )
        newer = replace(newer, sensors=sensors, calibration=record)
    reason = f"refined from the squats in {source or 'a session'}"
    return profile.updated(newer, reason), cal


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


def _bend_threshold(tracks: Mapping[Role, _Track], p: CalibrationParams) -> float:
    return p.min_bend_deg if Role.LUMBAR in tracks else p.sacrum_only_bend_deg


def calibrate(
    samples: Mapping[Role, SampleBatch],
    static: Window | None = None,
    functional: Window | None = None,
    *,
    params: CalibrationParams | None = None,
    source: str | None = None,
    profile: AthleteProfile | None = None,
) -> Calibration:
    """Sensor mounts from a stand and bends, or from the session's squats.

    ``samples`` holds each sensor's samples on the session time base (``t_s``); windows are
    in those seconds. Without windows, a stand followed by bends is looked for
    (:func:`find_windows`), and failing that the session's squats calibrate it, with the
    neutral from ``profile`` (the athlete's stored profile) when its sensors still sit where
    it says, else from the upright stance between reps. With only the sacrum's samples the
    result says the lumbopelvic angle is unavailable. Raises :class:`CalibrationError` when
    a check fails (see the module docstring).
    """
    p = params or CalibrationParams()
    tracks = _tracks(samples)
    if static is not None or functional is not None:
        windows = _resolve_windows(tracks, static, functional, p)
        return _finish(tracks, _from_stand_and_bends(tracks, windows, p), p, source)
    try:
        windows = _resolve_windows(tracks, None, None, p)
        return _finish(tracks, _from_stand_and_bends(tracks, windows, p), p, source)
    except CalibrationError as first:
        # no usable stand and bends (or a stand and a pick-up that failed a check): the
        # session's own squats may calibrate it; if not, the first reason is the one to give
        try:
            return _finish(tracks, _from_squats(tracks, p, profile), p, source)
        except CalibrationError as second:
            if str(first).startswith("could not find the calibration"):
                raise CalibrationError(f"{first}. Nor could the squats: {second}") from None
            raise first from None


def _finish(
    tracks: Mapping[Role, _Track],
    src: _Source,
    p: CalibrationParams,
    source: str | None,
    earlier: Mapping[Role, _Prior] | None = None,
) -> Calibration:
    roles = [r for r in ROLES if r in tracks]
    amplitude = {r: max(src.peaks[r], default=0.0) for r in roles}
    # how far each sensor turned from where each bend started (a squat starts braced)
    turned = {r: max((m.peak_deg for m in src.motions[r]), default=0.0) for r in roles}
    margin = 0.0
    if Role.LUMBAR in tracks:
        margin = turned[Role.LUMBAR] - turned[Role.SACRUM]
        if margin < -p.swap_margin_deg:
            raise CalibrationError(
                "sensors swapped: the lumbar sensor seems to be on the sacrum (in the "
                f"{src.motion_source} the sacrum sensor tilted {turned[Role.SACRUM]:.0f}°, the "
                f"lumbar sensor only {turned[Role.LUMBAR]:.0f}°, but the lower back always "
                "turns at least as much as the pelvis); swap the two sensors, or their roles, "
                "and calibrate again"
            )
    sensors: dict[Role, SensorCalibration] = {}
    static_incl: dict[Role, float] = {}
    warnings: list[str] = []
    errors: dict[Role, float] = {}
    for r in roles:
        z = src.z[r]
        name = _ROLE_NAMES[r]
        g = _gyro_axis(src.gyro[r], z)
        if g.twist_ratio > p.max_twist_ratio:
            raise CalibrationError(
                f"twisting instead of bending: the {name} sensor turned more about the vertical "
                f"than forward ({g.twist_ratio:.1f} times as much). Bend straight forward, "
                "without twisting, and calibrate again"
            )
        ax = _estimate_axis(
            r,
            z,
            src.motions[r],
            p,
            (earlier or {}).get(r),
            drop_outliers=src.motion_source == "squats",
        )
        warnings += ax.warnings
        x, y = ax.x, ax.y
        mount = Mount(np.column_stack([x, y, z]))
        up_st = src.static_incl_up[r]
        static_incl[r] = float(np.mean(mount.inclination_deg(up_st))) if len(up_st) else 0.0
        err = angle_error_deg(ax.sigma_deg)
        errors[r] = err
        gy = g.axis - np.dot(g.axis, z) * z
        agreement = _angle_deg(gy, y) if np.linalg.norm(gy) > 1e-9 else 90.0
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
                still_gyro_rms_deg_s=src.still_gyro_rms_deg_s[r],
                still_acc_std_m_s2=src.still_acc_std_m_s2[r],
                bend_amplitude_deg=amplitude[r],
                bend_peaks_deg=tuple(src.peaks[r]),
                axis_ratio=g.ratio,
                axis_up_angle_deg=g.up_angle_deg,
                axis_agreement_deg=min(agreement, 180.0 - agreement),
                axis_uncertainty_deg=ax.sigma_deg,
                angle_error_deg=err,
                facing_in=ax.facing_in,
            ),
        )
        log.debug("%s mount (±%.1f deg):\n%s", r.label, ax.sigma_deg, mount.matrix)
    if len(sensors) == 2 and all(c.quality.facing_in for c in sensors.values()):
        warnings.append(
            "both sensors face into the body, as found from the motion; if they face out of "
            "the back instead, the athlete bent backwards: calibrate again bending forward"
        )
    total = math.sqrt(sum(e * e for e in errors.values()))
    if total > p.max_angle_error_deg:
        worst = max(errors, key=lambda r: errors[r])
        q = sensors[worst].quality
        raise CalibrationError(
            f"not enough movement yet to place the {_ROLE_NAMES[worst]} sensor's side-to-side "
            f"axis: it is known to ±{q.axis_uncertainty_deg:.0f}°, which could put the angle "
            f"{total:.1f}° off at 30° of flexion (limit {p.max_angle_error_deg:g}°). To finish "
            f"the calibration, {ADVICE}"
        )
    lumbar = Role.LUMBAR in tracks
    notes = list(src.notes)
    if not lumbar:
        notes.append(
            "only the sacrum sensor: pelvic tilt, reps and depth are available, the lumbopelvic "
            "angle is not"
        )
    record = CalibrationRecord(
        static=src.static,
        functional=src.functional,
        automatic=src.automatic,
        static_angle_deg=(static_incl[Role.LUMBAR] - static_incl[Role.SACRUM]) if lumbar else 0.0,
        bend_margin_deg=margin,
        method=p.method,
        source=source,
        motion_source=src.motion_source,
        neutral_source=src.neutral_source,
        angle_error_deg=total if lumbar else None,
        lumbopelvic_available=lumbar,
        axis_uncertainty_deg={r.label: sensors[r].quality.axis_uncertainty_deg for r in roles},
    )
    return Calibration(sensors=sensors, record=record, warnings=tuple(warnings), notes=tuple(notes))


def _motion(up: FloatArray) -> _Motion:
    """A bend's up trajectory, measured from where it started."""
    start = _unit(up[: max(1, min(5, len(up)))].mean(axis=0))
    tilt = _tilt_deg(up, start)
    return _Motion(up, start, float(tilt.max()) if tilt.size else 0.0)


def _on_grid(up: FloatArray, t: FloatArray, grid: FloatArray) -> FloatArray:
    """Up vectors at times ``t`` resampled on ``grid`` (unit length again)."""
    out = np.stack([np.interp(grid, t, up[:, k]) for k in range(3)], axis=1)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


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
