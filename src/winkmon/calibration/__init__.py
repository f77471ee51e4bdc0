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
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from winkmon.calibration._axis import _estimate_axis, _gyro_axis, _Prior, angle_error_deg
from winkmon.calibration._params import _ROLE_NAMES, ADVICE, CalibrationParams
from winkmon.calibration._sources import _from_squats, _from_stand_and_bends, _Source
from winkmon.calibration._tracks import _angle_deg, _Track, _tracks
from winkmon.calibration._windows import CalibrationWindows, _resolve_windows, find_windows
from winkmon.errors import CalibrationError
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

__all__ = [
    "ADVICE",
    "Calibration",
    "CalibrationParams",
    "CalibrationWindows",
    "angle_error_deg",
    "calibrate",
    "find_windows",
    "refine",
]

log = logging.getLogger(__name__)


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
