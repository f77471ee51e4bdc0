"""Body kinematics of the simulated athlete: frames, the lumbopelvic angle, smooth channels.

Frames
------
*World*: ENU, metres; ``x`` east, ``y`` north, ``z`` up. Gravity is ``-9.80665 * z``.

*Segment frames* (pelvis and lumbar segment) are anatomical and defined by the athlete's
**neutral standing posture** (the posture held in the static calibration): ``x`` anterior,
``y`` left (medio-lateral), ``z`` up (superior). In neutral standing both segment frames have
the same orientation, that of the *heading frame* (the world frame turned by the heading).

*Pelvis*: origin at the midpoint between the hip joint centres; position ``p`` (world) and
orientation ``R_wp = Rz(heading) @ Ry(tilt) @ Rx(roll)``. ``tilt`` > 0 is anterior pelvic tilt
(the top of the pelvis moves forward, as in a forward bend); ``roll`` > 0 drops the right side.

*Lumbar segment* (upper lumbar spine, ~L1, relative to the pelvis)::

    R_wl = R_wp @ Ry(theta) @ Rx(phi) @ Rz(psi)

* ``theta``: the **lumbopelvic flexion angle**, the rotation of the lumbar segment about the
  pelvis's medio-lateral axis ``y_p``. With ``y`` pointing left, a positive rotation about
  ``y`` turns ``z`` (up) towards ``x`` (anterior): the top of the lumbar segment moves forward
  and down relative to the pelvis, i.e. **positive = flexion** (the trunk bends forward over the
  pelvis, or the pelvis tucks under the trunk as in a butt wink), **negative = extension**
  (arching), **0 = neutral standing**.
* ``phi``: lateral bend (> 0: the top moves to the athlete's right); ``psi``: axial twist
  about the lumbar long axis (> 0: the front turns to the left). Both are a few degrees.

Given segment orientations (from any source), :func:`lumbopelvic_angles_deg` recovers the
three angles from ``R_pl = R_wp.T @ R_wl``; ``theta = atan2(R_pl[0, 2], R_pl[2, 2])`` is the
angle of the lumbar long axis projected on the pelvis's sagittal (``x``-``z``) plane, measured
from ``z_p`` towards ``x_p``. This is the quantity the pipeline must estimate.

Motion is described by :class:`Channel` objects: scalar signals of continuous time made of
minimum-jerk transitions between keyframes (zero velocity and acceleration at every keyframe,
so position, velocity and acceleration are continuous) plus smoothly windowed sinusoids. They
can be evaluated at any time, which is what lets the IMU model take exact-enough derivatives
by central differences at each sensor's own (drifting) sample times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from winkmon.errors import InputError
from winkmon.sim.rotation import FloatArray, euler_yxz, euler_zyx, matmul33, matvec33


def _smooth(s: FloatArray) -> FloatArray:
    """Minimum-jerk (quintic) step from 0 to 1 on ``s`` in [0, 1]."""
    s = np.clip(s, 0.0, 1.0)
    return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)


class Channel:
    """A scalar signal of time: min-jerk keyframe transitions plus windowed sinusoids.

    Build it with :meth:`to`, :meth:`hold_until` and :meth:`oscillate` while scripting (times
    in seconds, strictly increasing keyframes), then evaluate it at any times with ``ch(t)``.
    Before the first keyframe and after the last the value is held.
    """

    __slots__ = ("_arrays", "_cruise", "_kt", "_kv", "_osc")

    def __init__(self, value: float = 0.0) -> None:
        self._kt: list[float] = [0.0]
        self._kv: list[float] = [value]
        self._osc: list[tuple[float, float, float, float, float, float]] = []
        self._cruise: list[tuple[float, float, float, float]] = []
        self._arrays: tuple[FloatArray, FloatArray, FloatArray, FloatArray] | None = None

    @property
    def last_t(self) -> float:
        return self._kt[-1]

    @property
    def last_value(self) -> float:
        return self._kv[-1]

    def to(self, t_s: float, value: float) -> None:
        """Move (min-jerk) from the last keyframe to ``value``, arriving at ``t_s``."""
        if t_s <= self._kt[-1] + 1e-9:
            if abs(t_s - self._kt[-1]) < 1e-9:
                self._kv[-1] = value
                self._arrays = None
                return
            raise InputError(f"keyframe at {t_s:.3f} s is before the last one ({self.last_t:.3f})")
        self._kt.append(t_s)
        self._kv.append(value)
        self._arrays = None

    def hold_until(self, t_s: float) -> None:
        """Keep the last value until ``t_s`` (no-op if ``t_s`` is not after the last keyframe)."""
        if t_s > self._kt[-1] + 1e-9:
            self.to(t_s, self._kv[-1])

    def oscillate(
        self,
        t0_s: float,
        t1_s: float,
        freq_hz: float,
        amplitude: float,
        phase_rad: float = 0.0,
        ramp_s: float = 0.3,
    ) -> None:
        """Add ``amplitude * sin(2 pi f (t - t0) + phase)`` on ``[t0, t1]`` with smooth ramps."""
        if t1_s > t0_s and amplitude != 0.0:
            ramp = max(1e-3, min(ramp_s, 0.5 * (t1_s - t0_s)))
            self._osc.append((t0_s, t1_s, freq_hz, amplitude, phase_rad, ramp))
            self._arrays = None

    def cruise(self, t0_s: float, t1_s: float, rate: float, ramp_s: float = 0.8) -> None:
        """Add a ramp at ``rate`` per second on ``[t0, t1]`` (smooth start and stop).

        The rate rises and falls with min-jerk ramps of ``ramp_s``, so the value changes by
        ``rate * (t1 - t0 - ramp_s)`` in total and keeps that offset afterwards. Used for
        walking at a steady speed. Cruise intervals of one channel must not overlap.
        """
        if t1_s <= t0_s or rate == 0.0:
            return
        if self._cruise and t0_s < self._cruise[-1][1]:
            raise InputError("cruise intervals of a channel must not overlap")
        ramp = max(1e-3, min(ramp_s, 0.5 * (t1_s - t0_s)))
        self._cruise.append((t0_s, t1_s, rate, ramp))
        self._arrays = None

    def _freeze(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        if self._arrays is None:
            kt = np.asarray(self._kt, dtype=np.float64)
            kv = np.asarray(self._kv, dtype=np.float64)
            osc = np.asarray(self._osc, dtype=np.float64).reshape(-1, 6)
            cr = np.asarray(self._cruise, dtype=np.float64).reshape(-1, 4)
            self._arrays = (kt, kv, osc, cr)
        return self._arrays

    def __call__(self, t_s: npt.ArrayLike) -> FloatArray:
        kt, kv, osc, cr = self._freeze()
        t = np.asarray(t_s, dtype=np.float64)
        if kt.size == 1:
            out = np.full(t.shape, kv[0])
        else:
            i = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, kt.size - 2)
            t0, t1 = kt[i], kt[i + 1]
            out = kv[i] + (kv[i + 1] - kv[i]) * _smooth((t - t0) / (t1 - t0))
        if osc.shape[0] and t.size:
            lo, hi = float(np.min(t)), float(np.max(t))
            active = osc[(osc[:, 1] >= lo) & (osc[:, 0] <= hi)]
            ordered = t.ndim == 1 and active.shape[0] > 1 and bool(np.all(t[1:] >= t[:-1]))
            for t0, t1, f, a, ph, ramp in active:
                sel: slice | npt.NDArray[np.bool_]
                if ordered:
                    i0 = int(np.searchsorted(t, t0, side="left"))
                    sel = slice(i0, int(np.searchsorted(t, t1, side="right")))
                else:
                    sel = (t >= t0) & (t <= t1)
                tm = t[sel]
                if tm.size == 0:
                    continue
                env = _smooth(np.minimum(tm - t0, t1 - tm) / ramp)
                out[sel] += a * env * np.sin(2.0 * np.pi * f * (tm - t0) + ph)
        if cr.shape[0] and t.size:
            out += _cruise_value(cr, t)
        return out


def _ramp_integral(u: FloatArray) -> FloatArray:
    """Integral of the min-jerk step from 0 to ``u`` (u clipped to [0, 1]); 0.5 at u = 1."""
    u = np.clip(u, 0.0, 1.0)
    return u**4 * (2.5 - 3.0 * u + u * u)


def _cruise_value(cr: FloatArray, t: FloatArray) -> FloatArray:
    t0, t1, rate, ramp = cr[:, 0], cr[:, 1], cr[:, 2], cr[:, 3]
    totals = rate * (t1 - t0 - ramp)
    done = np.concatenate([[0.0], np.cumsum(totals)])
    j = np.searchsorted(t1, t, side="right")  # cruises finished by t (they are sequential)
    out = done[j]
    jj = np.minimum(j, cr.shape[0] - 1)
    live = (j < cr.shape[0]) & (t > t0[jj])
    if np.any(live):
        k = jj[live]
        tl = t[live]
        a, b, r, rr = t0[k], t1[k], rate[k], ramp[k]
        mid = np.clip(tl - a - rr, 0.0, None) - np.clip(tl - (b - rr), 0.0, None)
        part = rr * _ramp_integral((tl - a) / rr) + mid
        part += np.where(tl > b - rr, rr * (0.5 - _ramp_integral((b - tl) / rr)), 0.0)
        out[live] += r * part
    return out


@dataclass(frozen=True, slots=True)
class BodyGeometry:
    """Where the lumbar segment's origin sits on the pelvis (pelvis frame, metres)."""

    lumbar_origin_m: tuple[float, float, float] = (-0.05, 0.0, 0.10)  #: ~L5/S1, from hip centre


@dataclass(frozen=True, slots=True, eq=False)
class BodyPose:
    """Segment poses at N times: positions (N, 3) in m, orientations (N, 3, 3) world<-segment."""

    pelvis_pos_m: FloatArray
    r_world_pelvis: FloatArray
    lumbar_origin_m: FloatArray
    r_world_lumbar: FloatArray


class BodyMotion:
    """The athlete's whole-session motion as channels (angles in degrees, positions in m).

    ``x_m``/``y_m`` are the world position of the pelvis keyframed by the script; ``fwd_m`` and
    ``left_m`` are oscillations in the heading frame (gait sway, stance sway) added on top.
    """

    def __init__(
        self, geometry: BodyGeometry, standing_height_m: float, heading_deg: float = 0.0
    ) -> None:
        self.geometry = geometry
        self.standing_height_m = standing_height_m
        self.x_m = Channel()
        self.y_m = Channel()
        self.z_m = Channel(standing_height_m)
        self.fwd_m = Channel()
        self.left_m = Channel()
        self.heading_deg = Channel(heading_deg)
        self.tilt_deg = Channel()
        self.roll_deg = Channel()
        self.flexion_deg = Channel()
        self.lateral_deg = Channel()
        self.twist_deg = Channel()

    def channels(self) -> tuple[Channel, ...]:
        return (
            self.x_m,
            self.y_m,
            self.z_m,
            self.fwd_m,
            self.left_m,
            self.heading_deg,
            self.tilt_deg,
            self.roll_deg,
            self.flexion_deg,
            self.lateral_deg,
            self.twist_deg,
        )

    def hold_all_until(self, t_s: float) -> None:
        for ch in self.channels():
            ch.hold_until(t_s)

    def pose(self, t_s: npt.ArrayLike) -> BodyPose:
        t = np.asarray(t_s, dtype=np.float64)
        heading = np.radians(self.heading_deg(t))
        fwd, left = self.fwd_m(t), self.left_m(t)
        ch, sh = np.cos(heading), np.sin(heading)
        pos = np.stack(
            [self.x_m(t) + ch * fwd - sh * left, self.y_m(t) + sh * fwd + ch * left, self.z_m(t)],
            axis=-1,
        )
        r_wp = euler_zyx(heading, np.radians(self.tilt_deg(t)), np.radians(self.roll_deg(t)))
        r_pl = euler_yxz(
            np.radians(self.flexion_deg(t)),
            np.radians(self.lateral_deg(t)),
            np.radians(self.twist_deg(t)),
        )
        r_wl = matmul33(r_wp, r_pl)
        lumbar_origin = pos + matvec33(r_wp, np.asarray(self.geometry.lumbar_origin_m))
        return BodyPose(pos, r_wp, lumbar_origin, r_wl)


def lumbopelvic_angles_deg(
    r_world_pelvis: FloatArray, r_world_lumbar: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Flexion (+) / extension (-), lateral bend and twist, degrees, from segment orientations.

    Inverts ``R_pl = Ry(theta) @ Rx(phi) @ Rz(psi)`` (see the module docstring); the inputs are
    stacked world<-segment rotation matrices.
    """
    r = np.swapaxes(r_world_pelvis, -1, -2) @ r_world_lumbar
    theta = np.arctan2(r[..., 0, 2], r[..., 2, 2])
    phi = -np.arcsin(np.clip(r[..., 1, 2], -1.0, 1.0))
    psi = np.arctan2(r[..., 1, 0], r[..., 1, 1])
    return np.degrees(theta), np.degrees(phi), np.degrees(psi)
