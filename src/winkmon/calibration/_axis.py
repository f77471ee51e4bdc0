"""The medio-lateral axis of one sensor, with its uncertainty (see the package docstring)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from winkmon.calibration._params import _ROLE_NAMES, ADVICE, CalibrationParams, FloatArray
from winkmon.calibration._tracks import _angle_deg, _Motion, _unit
from winkmon.errors import CalibrationError
from winkmon.protocol.constants import Role


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


def _wrap_deg(a: float) -> float:
    return (a + 180.0) % 360.0 - 180.0


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
