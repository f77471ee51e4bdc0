"""Squat reps, depth, verdicts and live alerts, one grid sample at a time.

Depth is the vertical travel of the pelvis, from the sacrum sensor's vertical acceleration
(gravity removed using the orientation filter's inclination, which needs no calibration: a
sensor worn at any angle, facing out of or into the body, gives the same depth). Real sets do
not stop between reps (the next descent starts as the last ascent ends) and start a second after
the unrack, so nothing here waits for a still moment (the tunables named below are
fields of :class:`RepParams`):

- The accelerometer's vertical offset (0.1-0.3 m/s^2 on real sensors) is tracked all the time
  as the slow mean of the vertical acceleration (two cascaded first-order low-passes of
  ``bias_tau_s`` each; at start-up the mean so far, drawn towards zero): over whole reps the
  pelvis does not accelerate on average, so the mean is the offset, and the cascade attenuates
  the reps themselves (~0.2-1 Hz) about a hundredfold. Quiet standing pulls it faster.
- Velocity is the integral of the corrected acceleration with a slow leak (``v_leak_tau_s``,
  ``rep_v_leak_tau_s``; none while at the bottom); height leaks back to standing between
  reps. A quiet moment sets the velocity to zero.
- A rep starts when the pelvis moves down faster than ``v_start_m_s`` *and* was pushed down
  (a downward acceleration of ``descent_acc_m_s2``; a velocity that only drifted is not a
  descent); its start is back-dated to the push's onset. It has a descent, a bottom (any pause
  there is fine), an ascent, and it ends at the next *top*, where the upward motion stopped,
  confirmed when the pelvis is pushed down again (the next rep, back to back), stays up for
  ``top_hold_s``, or is quiet. "Came back up" is judged by the integrated height or, drift-free,
  by the pelvis's tilt (the sensor's up axis; no mount needed).
- At the end the depth is measured again over the whole rep, top to top, with the pelvis at
  rest at both tops and at the same height (every rep passes through an upright moment), with
  the rest before the start (``pre_roll_s``) and the hold after the top when there are some:
  a constant offset and a linear drift cancel. Straight into the next rep, the true top is
  where that holds for any constant offset (:func:`_true_top`). The bottom is the deepest
  point of that height. A movement counts as a rep only if that depth is at least
  ``refined_depth_margin`` x ``min_depth_cm``, and a long one (``slow_rep_s``) only if the
  pelvis tilted ``min_rep_tilt_deg``: walking, turning, re-racking and a bend to pick
  something up do not count.
- ``pelvis_tuck_deg``: how far the pelvis tilted back between its largest forward tilt in the
  descent and the bottom; butt wink seen from the pelvis alone, a hint when there is no angle.

Known limit (measured in the README): a slow rep (4-9 s) with a long pause at the bottom can
be missed; the velocity's leak leaves it reading upwards at the bottom of a slow descent.

The angle during a rep gives the verdict (see :class:`~winkmon.pipeline.events.Verdict`):

- ``set_angle_deg``: the median angle over the 0.5 s before the descent began (the brace);
- ``peak_flexion_deg``: the largest angle during the rep;
- the verdict uses the *sustained* angle (the lowest value over the last ``dwell_s``), the same
  signal as the live alerts, so a single noisy sample neither alerts nor changes a verdict:
  ``flexion`` if it exceeds the flexion threshold, ``extension_lost`` if it rises more than the
  loss threshold above the set angle while staying below the flexion threshold, else ``ok``;
  ``unknown`` if the angle was missing (a sensor out) for most of the rep, or around its
  bottom with no wink seen; ``unavailable`` if the session has no angle at all (one sensor,
  or not calibrated).

Alerts fire during the rep, at most one per level per rep, once the pelvis has gone down at
least ``min_depth_cm`` (so a pick-up bend never alerts), stamped with the grid time at which the
sustained angle crossed the threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from librt.vecs import append, extend, pop, vec
from mypy_extensions import u8

from winkmon.pipeline.events import Alert, AlertLevel, Event, Phase, Rep, RepStarted, Verdict, Zone
from winkmon.pipeline.model import Thresholds

FloatArray = npt.NDArray[np.float64]
#: Per-sample floats: ``librt.vecs.vec[float]`` (mypyc's runtime library) holds them unboxed,
#: so the compiled tracker reads and writes them as C doubles (a list would box every one),
#: and numpy shares their memory through the buffer protocol. Uncompiled, they work like lists.
Floats = vec[float]


@dataclass(frozen=True, slots=True)
class RepParams:
    """How reps are found and measured: the tracker's tunables, with their units (in the
    names) and defaults. The defaults are the ones measured on real back-to-back sets
    (``bench/real_reps.py``) and the simulator (``bench/accuracy.py``); an athlete's own
    settings are their :class:`~winkmon.pipeline.model.Thresholds`."""

    #: downward speed that starts a rep candidate
    v_start_m_s: float = 0.10
    #: "not moving" vertically
    v_slow_m_s: float = 0.05
    #: Downward speed that starts the next rep straight from the top of one (back to back): a
    #: little above ``v_start_m_s``, as the velocity after an ascent carries its braking error.
    v_next_m_s: float = 0.15
    #: upward speed that starts the ascent
    v_ascent_m_s: float = 0.10
    #: A descent begins with a downward acceleration of at least this (a 3 s eccentric to 50 cm
    #: starts at 0.27), m/s^2
    descent_acc_m_s2: float = 0.15
    #: a back-to-back rep's true top is looked for this far around, s
    top_search_s: float = 0.4
    #: rest before a rep's start included in its top-to-top depth, s
    pre_roll_s: float = 0.5
    #: a rep's start is looked for at most this long before it is detected, s
    back_date_s: float = 1.0
    #: a candidate must get this deep before it may turn upwards
    commit_depth_m: float = 0.10
    #: Quiet: the vertical acceleration (offset removed) is within this, m/s^2 ...
    quiet_acc_m_s2: float = 0.25
    #: ... varies less than this about its recent mean, m/s^2 ...
    quiet_acc_std_m_s2: float = 0.15
    #: ... and the sensor turns slower than this, rad/s ...
    quiet_gyr_rad_s: float = 0.15
    #: ... for this long.
    quiet_s: float = 0.30
    #: time constant of the running mean and variance behind "quiet", s
    quiet_tau_s: float = 0.15
    #: each of the two low-passes that track the vertical acceleration offset, s
    bias_tau_s: float = 3.0
    #: until then the offset is the plain mean of all samples so far, s
    bias_start_s: float = 6.0
    #: weight of the start-up prior (no offset), in seconds of samples
    bias_prior_s: float = 1.0
    #: the offset's time constant while standing quietly, s
    bias_quiet_tau_s: float = 0.5
    #: the velocity's leak during a rep, s
    rep_v_leak_tau_s: float = 3.0
    #: height leaks back to standing between reps
    leak_tau_s: float = 2.0
    #: velocity leaks to zero (bounds what an offset error can do)
    v_leak_tau_s: float = 3.0
    #: no new high point for this long after the ascent: the athlete is up
    top_hold_s: float = 0.5
    #: a rep that tilts the pelvis this much can tell "back up" by tilt
    min_swing_tilt_deg: float = 8.0
    #: back up: the tilt is back below this fraction of its swing
    back_up_tilt_fraction: float = 0.4
    #: Longest rep: a 6 s tempo with a 2 s pause at the bottom, and some margin, s.
    max_rep_s: float = 10.0
    #: A squat tilts the pelvis: a rep longer than ``slow_rep_s`` whose sacrum sensor tilts less
    #: than this is not one, deg (real back-to-back squats of 25-70 cm: 11.5 deg at the least;
    #: simulated walking whose height integrated to a false 30 cm over 8-13 s: 4-9 deg).
    min_rep_tilt_deg: float = 8.0
    slow_rep_s: float = 5.0
    #: A rep whose top-to-top depth is below this fraction of ``min_depth_cm`` is dropped.
    refined_depth_margin: float = 0.85
    #: deeper than any squat: the integration ran away
    max_depth_m: float = 1.2
    #: faster than any squat
    max_speed_m_s: float = 2.5
    #: A rep whose angle was missing for more than this fraction of the window around its bottom
    #: gets ``unknown``, not ``ok`` (the bottom is where a wink peaks).
    bottom_window_s: float = 1.0
    bottom_missing_fraction: float = 0.3
    set_window_s: float = 0.5
    #: Longest plausible descent, pause at the bottom and ascent, s.
    max_descent_s: float = 6.0
    max_bottom_s: float = 5.0
    max_ascent_s: float = 5.0

    @property
    def max_phase_s(self) -> dict[Phase, float]:
        return {
            Phase.IDLE: math.inf,
            Phase.DESCENT: self.max_descent_s,
            Phase.BOTTOM: self.max_bottom_s,
            Phase.ASCENT: self.max_ascent_s,
        }


#: A pelvic tuck at the bottom (``Rep.pelvis_tuck_deg``) of at least this is the one-sensor
#: wink cue, degrees (see the README for what it is worth on real sets).
PELVIS_TUCK_CUE_DEG = 5.0

ZONE_UNKNOWN, ZONE_EXTENSION = int(Zone.UNKNOWN), int(Zone.EXTENSION)
ZONE_LOST, ZONE_FLEXION = int(Zone.EXTENSION_LOST), int(Zone.FLEXION)
# The phases as plain ints (the values of :class:`Phase`; a test checks): the tracker compares
# them for every sample, and compiled code compares ints natively, enum members not.
IDLE: Final = 0
DESCENT: Final = 1
BOTTOM: Final = 2
ASCENT: Final = 3


class SquatTracker:
    """Rep detection, depth, verdicts and alerts (see module doc)."""

    def __init__(
        self,
        thresholds: Thresholds,
        out_rate_hz: float,
        angle_available: bool = True,
        params: RepParams | None = None,
    ) -> None:
        self.th = thresholds
        self.p = params if params is not None else RepParams()
        self.dt = 1.0 / out_rate_hz
        self.angle_available = angle_available
        self.rep_count = 0
        self._dwell_n = max(1, round(thresholds.dwell_s * out_rate_hz))
        h = thresholds.hysteresis_deg
        self._flex_on, self._flex_off = thresholds.flexion_deg, thresholds.flexion_deg - h
        self._loss_on, self._loss_off = thresholds.loss_deg, thresholds.loss_deg - h
        self._tail = np.full(self._dwell_n - 1, np.nan)  # the previous block's last angles
        # The last angles (time, angle; NaN times are empty slots), a ring: the set angle's
        # window and then some.
        size = round((self.p.set_window_s + 1.5) * out_rate_hz)
        self._hist_t, self._hist_a = _nans(size), _nans(size)
        self._hist_pos = 0
        self._recent = _Recent(round(4 * out_rate_hz))  # while no rep is open
        dt = self.dt
        self._k_quiet = dt / self.p.quiet_tau_s
        self._k_bias = dt / self.p.bias_tau_s
        self._k_bias_quiet = dt / self.p.bias_quiet_tau_s
        self._v_keep = 1.0 - dt / self.p.v_leak_tau_s
        mp = self.p.max_phase_s
        self._max_phase_s = [mp[Phase(k)] for k in (IDLE, DESCENT, BOTTOM, ASCENT)]
        # The tunables the per-sample paths read, as plain attributes (read for every sample).
        p = self.p
        self._v_slow, self._v_start, self._v_ascent = p.v_slow_m_s, p.v_start_m_s, p.v_ascent_m_s
        self._v_next, self._descent_acc = p.v_next_m_s, p.descent_acc_m_s2
        self._commit_depth, self._max_depth = p.commit_depth_m, p.max_depth_m
        self._max_speed, self._max_rep_s, self._top_hold_s = (
            p.max_speed_m_s,
            p.max_rep_s,
            p.top_hold_s,
        )
        self._min_swing, self._back_up_fraction = p.min_swing_tilt_deg, p.back_up_tilt_fraction
        self._flexion_deg, self._loss_deg = thresholds.flexion_deg, thresholds.loss_deg
        self._min_depth_cm = thresholds.min_depth_cm
        self._v_keep_rep = 1.0 - dt / self.p.rep_v_leak_tau_s
        self._z_keep = 1.0 - dt / self.p.leak_tau_s
        self._v = 0.0
        self._z = 0.0
        # Offset tracking, per sensor (sacrum, lumbar stand-in): two cascaded low-passes.
        self._b1 = [0.0, 0.0]
        self._bias = [0.0, 0.0]
        self._bias_n = [0, 0]  # samples seen: the first seconds use their plain mean
        self._sum = [0.0, 0.0]
        self._qm = 0.0  # running mean and variance of the vertical acceleration ("quiet")
        self._qv = 1.0
        self._quiet_n = 0
        self._phase = IDLE
        self._red = False
        self._amber = False
        self._slow_t = 0.0  # last time the pelvis was not moving down (the top)
        self._slow_z = 0.0
        self._last_end_t = -math.inf  # when the last rep (or candidate) ended
        self._up_ref: tuple[float, float, float] | None = None  # the upright up axis
        self._rep: _RepState | None = None

    # ------------------------------------------------------------------ public
    def step(
        self,
        t_s: FloatArray,
        angle_deg: FloatArray,
        a_vert: FloatArray,
        gyr_norm: FloatArray,
        a_vert_alt: FloatArray | None = None,
        up: FloatArray | None = None,
    ) -> tuple[FloatArray, npt.NDArray[np.int8], npt.NDArray[np.int8], list[Event]]:
        """Process grid samples; ``a_vert_alt`` (the lumbar sensor's vertical acceleration)
        stands in for the sacrum's while the sacrum's data is missing. ``up`` (N x 3, the
        earth's up axis in the sacrum sensor's frame) times the tops of reps exactly."""
        n = len(t_s)
        events: list[Event] = []
        if n == 0:
            return np.empty(0), np.empty(0, np.int8), np.empty(0, np.int8), events
        sustained = _floats(self._sustained(angle_deg))
        ts, angles, accs, gyrs = (
            _floats(t_s),
            _floats(angle_deg),
            _floats(a_vert),
            _floats(gyr_norm),
        )
        alts = _floats(a_vert_alt) if a_vert_alt is not None else _nans(n)
        tilts = self._tilt(up) if up is not None else _nans(n)
        depth = _nans(n)
        phase = vec[u8](np.zeros(n, np.uint8))
        zone = vec[u8](np.zeros(n, np.uint8))
        self._run(ts, angles, accs, gyrs, alts, tilts, sustained, events, depth, phase, zone)
        return (
            np.frombuffer(memoryview(depth), dtype=np.float64).copy(),
            np.frombuffer(memoryview(phase), dtype=np.uint8).astype(np.int8),
            np.frombuffer(memoryview(zone), dtype=np.uint8).astype(np.int8),
            events,
        )

    # ------------------------------------------------------------------ internals
    def _sustained(self, angle: FloatArray) -> FloatArray:
        """The lowest angle over the last ``dwell_s`` at each sample (NaN if any is missing)."""
        k = self._dwell_n
        full = np.concatenate((self._tail, angle))
        self._tail = full[len(full) - (k - 1) :] if k > 1 else full[:0]
        if k == 1:
            return angle
        n = len(angle)
        return np.minimum.reduce([full[i : i + n] for i in range(k)])  # NaN propagates

    def _tilt(self, up: FloatArray) -> Floats:
        """Tilt of the sacrum sensor from the first up axis it reported, degrees (no mount
        needed; only changes of tilt within a rep are used).

        The rep tracker must give the same reps however its input is chunked (live
        notification by notification, replay in blocks), so every sample's tilt is computed
        the same way wherever it falls in a block: element-wise products, sums (in a fixed
        order), square roots and divisions (IEEE-exact whatever the SIMD width), and the
        arc cosine by ``math.acos`` one sample at a time (numpy's may take a vector kernel
        for some elements and a scalar one for the rest). No dot product: BLAS may round a
        sample differently by its place in the block."""
        u = np.asarray(up, dtype=np.float64)
        x, y, z = u[:, 0], u[:, 1], u[:, 2]
        with np.errstate(invalid="ignore", divide="ignore"):
            norm = np.sqrt(x * x + y * y + z * z)
        valid = np.isfinite(norm) & (norm != 0.0)
        if self._up_ref is None:
            first = np.flatnonzero(valid)
            if len(first) == 0:
                return _nans(len(u))
            k = int(first[0])
            nk = float(norm[k])
            self._up_ref = (float(x[k]) / nk, float(y[k]) / nk, float(z[k]) / nk)
        r0, r1, r2 = self._up_ref
        with np.errstate(invalid="ignore", divide="ignore"):
            c = (x * r0 + y * r1 + z * r2) / norm
        c = np.minimum(1.0, np.maximum(-1.0, c))
        c[~valid] = np.nan
        rad_to_deg = 180.0 / math.pi  # the very constant math.degrees multiplies by
        tilt = _floats(c)
        for i in range(len(tilt)):
            cos_i = tilt[i]
            if cos_i == cos_i:  # not NaN
                tilt[i] = math.acos(cos_i) * rad_to_deg
        return tilt

    def _finish_sample(
        self,
        t: float,
        angle: float,
        sustained: float,
        a: float,
        raw: float,
        tilt: float,
        have_acc: bool,
        quiet_long: bool,
        events: list[Event],
    ) -> tuple[float, int, int]:
        """The rest of a sample once its motion is integrated: reps, depth and zone."""
        v = self._v
        rep = self._rep
        if rep is None:
            if v > -self._v_slow:
                self._slow_t, self._slow_z = t, self._z
            elif v < -self._v_start and have_acc and self._back_date():
                rep = self._rep = _RepState(self._slow_t, self._slow_z, self._set_angle())
                # Depth is integrated from the moment the pelvis began to move down, with up
                # to ``pre_roll_s`` of the rest before it (a slow descent's start is vague;
                # the rest before it is not).
                t_pre = max(self._last_end_t, self._slow_t - self.p.pre_roll_s)
                r = self._recent
                for j in range(r.n):
                    k = r.at(j)
                    tt = r.t[k]
                    if tt > t_pre:
                        rep.acc = append(rep.acc, r.raw[k])
                        rep.z = append(rep.z, r.z[k])
                        rep.g = append(rep.g, r.g[k])
                        rep.pre += tt <= self._slow_t
                if len(rep.acc):  # _track appends this sample
                    rep.acc = pop(rep.acc)[0]
                    rep.z = pop(rep.z)[0]
                    rep.g = pop(rep.g)[0]
                self._phase = DESCENT
        if rep is not None:
            self._track(rep, t, angle, sustained, a, raw, tilt, have_acc, quiet_long, events)

        rep = self._rep
        if not have_acc:
            depth_cm = math.nan
        elif rep is not None:
            depth_cm = (rep.z0 - self._z) * 100
        else:
            depth_cm = -self._z * 100

        # Colour zone, with hysteresis (inline: this runs for every output sample).
        if angle != angle:
            return depth_cm, self._phase, ZONE_UNKNOWN
        red = angle > (self._flex_off if self._red else self._flex_on)
        self._red = red
        if red:
            return depth_cm, self._phase, ZONE_FLEXION
        if rep is not None and rep.set_angle == rep.set_angle:
            amber = angle - rep.set_angle > (self._loss_off if self._amber else self._loss_on)
            self._amber = amber
            if amber:
                return depth_cm, self._phase, ZONE_LOST
        else:
            self._amber = False
        return depth_cm, self._phase, ZONE_EXTENSION

    def _run(
        self,
        ts: Floats,
        angles: Floats,
        accs: Floats,
        gyrs: Floats,
        alts: Floats,
        tilts: Floats,
        sustained: Floats,
        events: list[Event],
        depth: Floats,
        phase: vec[u8],
        zone: vec[u8],
    ) -> None:
        """Every sample, in order: the motion (offsets, quiet, velocity, height) in one loop
        over local variables; where a rep is open or may start, the state it needs goes back
        to ``self`` and :meth:`_finish_sample` does the rest of that sample. Tight, because it
        runs for every output sample (100 a second)."""
        p = self.p
        dt = self.dt
        quiet_s, bias_start_s = p.quiet_s, p.bias_start_s
        prior_n = p.bias_prior_s / dt
        k_bias, k_bias_quiet, k_quiet = self._k_bias, self._k_bias_quiet, self._k_quiet
        qa, qstd2, qg = p.quiet_acc_m_s2, p.quiet_acc_std_m_s2**2, p.quiet_gyr_rad_s
        v_keep, v_keep_rep, z_keep = self._v_keep, self._v_keep_rep, self._z_keep
        v_slow, v_start = p.v_slow_m_s, p.v_start_m_s
        flex_on, flex_off = self._flex_on, self._flex_off
        b1_0, b1_1 = self._b1
        b2_0, b2_1 = self._bias
        n_0, n_1 = self._bias_n
        sum_0, sum_1 = self._sum
        qm, qv, quiet_n = self._qm, self._qv, self._quiet_n
        v, z, red, amber = self._v, self._z, self._red, self._amber
        slow_t, slow_z = self._slow_t, self._slow_z
        rep, ph = self._rep, self._phase
        ring = self._recent
        ring_t, ring_a, ring_raw, ring_z, ring_g = ring.t, ring.a, ring.raw, ring.z, ring.g
        ring_size = ring.size
        hist_t, hist_a, hist_pos = self._hist_t, self._hist_a, self._hist_pos
        hist_size = len(hist_t)
        bias = self._bias
        inf, nan = math.inf, math.nan
        idle, bottom = IDLE, BOTTOM
        for i in range(len(ts)):
            t, angle, acc, gyr, alt, tilt = ts[i], angles[i], accs[i], gyrs[i], alts[i], tilts[i]
            # Offsets of the vertical accelerations (sacrum; lumbar, which stands in for it
            # while the sacrum's data is lost): two cascaded low-passes each; the first
            # seconds use the plain mean of everything so far, drawn towards zero as if the
            # first ``RepParams.bias_prior_s`` had read zero (a set may begin at once).
            have_acc = acc == acc  # not NaN
            quiet_prev = quiet_n * dt >= quiet_s
            if have_acc:
                raw = acc
                n_0 += 1
                sum_0 += acc
                if not quiet_prev and n_0 * dt < bias_start_s:
                    b1_0 = b2_0 = sum_0 / (n_0 + prior_n)
                elif quiet_prev:
                    b1_0 += k_bias_quiet * (acc - b1_0)
                    b2_0 += k_bias_quiet * (acc - b2_0)
                else:
                    b1_0 += k_bias * (acc - b1_0)
                    b2_0 += k_bias * (b1_0 - b2_0)
                a = acc - b2_0
            if alt == alt:
                n_1 += 1
                sum_1 += alt
                if not quiet_prev and n_1 * dt < bias_start_s:
                    b1_1 = b2_1 = sum_1 / (n_1 + prior_n)
                elif quiet_prev:
                    b1_1 += k_bias_quiet * (alt - b1_1)
                    b2_1 += k_bias_quiet * (alt - b2_1)
                else:
                    b1_1 += k_bias * (alt - b1_1)
                    b2_1 += k_bias * (b1_1 - b2_1)
                if not have_acc:
                    raw = alt
                    a, have_acc, gyr = alt - b2_1, True, inf
            elif not have_acc:
                a = raw = 0.0
            # "Quiet": little vertical acceleration, steady, hardly turning, for quiet_s.
            if have_acc:
                d = a - qm
                qm += k_quiet * d
                qv += k_quiet * (d * d - qv)
            if have_acc and -qa < a < qa and qv < qstd2 and gyr < qg:
                quiet_n += 1
            else:
                quiet_n = 0
            quiet_long = quiet_n * dt >= quiet_s
            # Velocity and height. The velocity leaks (bounding what an offset error can
            # do), but not at a rep's bottom, where a pause must not read as the ascent.
            v = v + a * dt
            if rep is None:
                v *= v_keep
            elif ph != bottom:
                v *= v_keep_rep
            if quiet_long:
                v = 0.0
            z += v * dt
            if rep is None:
                z *= z_keep  # height leaks back to standing between reps
                k = ring.pos  # the ring of recent motion (_Recent.add, inline)
                ring_t[k], ring_a[k], ring_raw[k], ring_z[k], ring_g[k] = t, a, raw, z, tilt
                ring.pos = k + 1 if k + 1 < ring_size else 0
                if ring.n < ring_size:
                    ring.n += 1
            if angle == angle:
                hist_t[hist_pos], hist_a[hist_pos] = t, angle
                hist_pos = hist_pos + 1 if hist_pos + 1 < hist_size else 0
            if rep is None:
                if v > -v_slow:
                    slow_t, slow_z = t, z
                if v > -v_slow or not (v < -v_start and have_acc):
                    # Standing, walking, between reps: no rep can start here.
                    depth[i] = -z * 100 if have_acc else nan
                    phase[i] = idle
                    if angle != angle:
                        zone[i] = ZONE_UNKNOWN
                    else:
                        red = angle > (flex_off if red else flex_on)
                        if red:
                            zone[i] = ZONE_FLEXION
                        else:
                            amber = False
                            zone[i] = ZONE_EXTENSION
                    continue
            self._v, self._z, self._red, self._amber = v, z, red, amber
            self._slow_t, self._slow_z = slow_t, slow_z
            bias[0] = b2_0
            depth[i], phase[i], zone[i] = self._finish_sample(
                t, angle, sustained[i], a, raw, tilt, have_acc, quiet_long, events
            )
            rep, ph = self._rep, self._phase
            red, amber = self._red, self._amber
            slow_t, slow_z = self._slow_t, self._slow_z
        self._b1[0], self._b1[1] = b1_0, b1_1
        bias[0], bias[1] = b2_0, b2_1
        self._bias_n[0], self._bias_n[1] = n_0, n_1
        self._sum[0], self._sum[1] = sum_0, sum_1
        self._qm, self._qv, self._quiet_n = qm, qv, quiet_n
        self._v, self._z, self._red, self._amber = v, z, red, amber
        self._slow_t, self._slow_z = slow_t, slow_z
        self._hist_pos = hist_pos

    def _track(
        self,
        rep: _RepState,
        t: float,
        angle: float,
        sustained: float,
        a: float,
        raw: float,
        tilt: float,
        have_acc: bool,
        quiet_long: bool,
        events: list[Event],
    ) -> None:
        rep.acc = append(rep.acc, raw)
        rep.z = append(rep.z, self._z)
        rep.g = append(rep.g, tilt)
        if tilt == tilt:
            if rep.tilt0 != rep.tilt0:
                # the rep's first tilt (it may have begun before this sample)
                known = [x for x in rep.g if x == x]
                rep.tilt0, rep.tilt_max = known[0], max(known)
            if tilt > rep.tilt_max:  # max(), without the call
                rep.tilt_max = tilt
        if not have_acc:
            rep.missing_acc += 1
        depth = rep.z0 - self._z
        v = self._v
        phase = self._phase
        if depth > rep.max_depth:
            rep.max_depth, rep.bottom_s, rep.bottom_i = depth, t, len(rep.acc) - 1
        if phase == DESCENT and rep.max_depth < self._commit_depth and v > -self._v_slow:
            # Stopped going down before getting anywhere: a step, a sway, a bounce.
            self._finish(rep, t, complete=False, events=events)
            return
        if phase == DESCENT and v > -self._v_slow:
            phase = BOTTOM
            rep.phase_start = t
        elif phase == BOTTOM and v > self._v_ascent:
            phase = ASCENT
            rep.phase_start = t
            rep.top_z, rep.top_s, rep.top_i = self._z, t, len(rep.acc)
            rep.arrived = False
        elif phase == BOTTOM and v < -self._v_start:
            phase = DESCENT
            rep.phase_start = t
        elif phase == ASCENT:
            if rep.arrived and a < -self._descent_acc:
                rep.pushed_down = True  # accelerating down again after the top
            if v > self._v_slow or not rep.arrived:
                # Still going up: the top is where the upward motion stops.
                rep.top_z, rep.top_s, rep.top_i = self._z, t, len(rep.acc)
                rep.arrived = v <= self._v_slow
                rep.pushed_down = False
            elif depth > 0.7 * rep.max_depth and v < -self._v_start:
                # Barely came up before going down again: still the same rep (a bounce).
                phase = DESCENT
                rep.phase_start = t
        self._phase = phase

        deep = rep.max_depth * 100 >= self._min_depth_cm
        if deep and not rep.confirmed:
            self._confirm(rep, events)
        rep.samples += 1
        if angle != angle:  # NaN
            rep.missing_angle += 1
            rep.missing_t.append(t)
        else:
            if angle > rep.peak:
                rep.peak, rep.peak_s, rep.peak_phase = angle, t, phase
        if sustained == sustained and self.angle_available:
            if sustained > rep.sustained_max:  # max(), without the call
                rep.sustained_max = sustained
            flexion_deg = self._flexion_deg
            if sustained > flexion_deg and rep.onset_s is None:
                rep.onset_s, rep.onset_depth = t, depth
            if deep and not rep.alerted_flexion and sustained > flexion_deg:
                rep.alerted_flexion = True
                events.append(Alert(AlertLevel.FLEXION, t, rep.number, sustained, rep.set_angle))
            set_angle = rep.set_angle
            lost = set_angle == set_angle and sustained - set_angle > self._loss_deg
            if deep and lost and sustained <= flexion_deg and not rep.alerted_loss:
                rep.alerted_loss = True
                events.append(
                    Alert(AlertLevel.EXTENSION_LOST, t, rep.number, sustained, rep.set_angle)
                )

        if phase == ASCENT:
            # Came at least halfway up: by the integrated height, or, drift-free, by the
            # pelvis's tilt (when the rep tilts it enough to tell).
            swing = rep.tilt_max - rep.tilt0
            back_up = rep.top_z - rep.z0 > -0.5 * rep.max_depth or (
                swing >= self._min_swing and tilt - rep.tilt0 < self._back_up_fraction * swing
            )
            # The next rep has begun (back to back), or the athlete stands at the top.
            # (A velocity that only drifts below zero after the ascent is not a descent: the
            # pelvis must be accelerating down.)
            down_again = back_up and v < -self._v_next and rep.pushed_down
            at_top = back_up and (t - rep.top_s >= self._top_hold_s or quiet_long)
            if down_again or at_top:
                self._finish(rep, rep.top_s, complete=True, events=events, next_rep=down_again)
                return
        too_long = (
            t - rep.start_s > self._max_rep_s
            or depth > self._max_depth  # integration ran away (lost data): not a real squat
            or abs(v) > self._max_speed
            or t - rep.phase_start > self._max_phase_s[phase]
        )
        lost_sacrum = rep.missing_acc * self.dt > 0.3
        if too_long or lost_sacrum:
            # A counted rep whose data then stopped is reported with what was measured.
            if phase == ASCENT and rep.top_i > 0:
                self._finish(rep, rep.top_s, complete=lost_sacrum, events=events)
            else:
                self._finish(rep, t, complete=lost_sacrum and rep.confirmed, events=events)

    def _back_date(self) -> bool:
        """Find where a descent began: when the pelvis started to accelerate downwards (the
        last sample before the push without a clear downward acceleration), but not before
        the velocity last read "not moving down", at most ``RepParams.back_date_s`` back and not
        before the last rep ended (each cue alone can be early: sway, drift). False if
        there was no push: a velocity that merely drifted below zero is not a squat."""
        r = self._recent
        last = r.n - 1
        t_now = r.t[r.at(last)]
        pushed = False
        onset: tuple[float, float] | None = None
        k = last
        while k >= 0:
            i = r.at(k)
            tt = r.t[i]
            if tt < t_now - self.p.back_date_s or tt < self._last_end_t:
                break
            if r.a[i] < -self._descent_acc:
                pushed = True
            elif pushed and k < last:
                onset = (tt, r.z[i])
                break
            k -= 1
        if not pushed:
            return False
        if onset is None:  # pushing down all through the window: start at its beginning
            first = r.at(min(k + 1, last))
            onset = (r.t[first], r.z[first])
        if onset[0] > self._slow_t:
            self._slow_t, self._slow_z = onset
        return True

    def _uncount(self, rep: _RepState) -> None:
        """A rep counted live turned out not to be one: its number goes to the next."""
        if rep.confirmed and rep.number == self.rep_count:
            self.rep_count -= 1

    def _confirm(self, rep: _RepState, events: list[Event]) -> None:
        rep.confirmed = True
        self.rep_count += 1
        rep.number = self.rep_count
        events.append(RepStarted(rep.number, rep.start_s, rep.set_angle))

    def _finish(
        self,
        rep: _RepState,
        t_end: float,
        complete: bool,
        events: list[Event],
        next_rep: bool = False,
    ) -> None:
        self._rep = None
        self._phase = IDLE
        self._last_end_t = t_end
        top_i = rep.top_i
        if next_rep and not rep.missing_acc:
            # Straight into the next rep there is no rest at the top to lean on: the
            # integrated velocity crosses zero early or late by whatever offset is left, but
            # at the true top the pelvis is at rest and back at its starting height, which
            # pins the top down for any constant offset.
            top_i = _true_top(rep.acc, self.dt, top_i - 1, rep.bottom_i, self.p.top_search_s) + 1
            t_end = rep.start_s + (top_i - rep.pre) * self.dt
        if next_rep:
            # Back to back: the next rep began at this rep's top; it is already on its way
            # down, with the samples since the top.
            z_top = rep.z[top_i - 1]
            set_angle = _median_before(self._hist_t, self._hist_a, t_end, self.p.set_window_s)
            nxt = _RepState(t_end, z_top, set_angle)
            nxt.acc = extend(nxt.acc, rep.acc[top_i:])
            nxt.z = extend(nxt.z, rep.z[top_i:])
            nxt.g = extend(nxt.g, rep.g[top_i:])
            self._rep = nxt
            self._phase = DESCENT
            self._slow_t, self._slow_z = t_end, z_top
        else:
            self._slow_t, self._slow_z = t_end, self._z
            # What came after the top belongs to whatever comes next (a slow descent that
            # began during the hold at the top).
            # The ascent's braking may run on past the top: a next descent's push can only
            # begin after it.
            bias = self._bias[0]
            recent = self._recent
            recent.n = 0
            braking = True
            for i in range(top_i, len(rep.acc)):
                t_i = rep.start_s + float(i + 1 - rep.pre) * self.dt
                a_i = rep.acc[i] - bias
                recent.add(t_i, a_i, rep.acc[i], rep.z[i], rep.g[i])
                if braking and a_i > -self._descent_acc:
                    braking = False
                    self._last_end_t = t_i
        if not complete:
            self._uncount(rep)
            return
        # Top to top, with the rest before (pre-roll) and after (the hold at the top) when
        # the rep began or ended at rest; straight into the next rep, the top is the end.
        acc = rep.acc if top_i == 0 or not next_rep else rep.acc[:top_i]
        depth_cm = math.nan
        if not rep.missing_acc:
            depth_cm, k_bottom = _refined_depth_cm(acc, self.dt)
            if math.isfinite(depth_cm):
                # the deepest point of the top-to-top height (the live one leads it)
                rep.bottom_i = k_bottom
                rep.bottom_s = rep.start_s + (k_bottom + 1 - rep.pre) * self.dt
        if not math.isfinite(depth_cm):
            depth_cm = rep.max_depth * 100
        th = self.th
        if depth_cm < th.min_depth_cm * self.p.refined_depth_margin:
            self._uncount(rep)  # counted live, but too shallow measured top to top
            return
        swing = _swing_deg(rep.g)
        if (
            swing is not None
            and swing < self.p.min_rep_tilt_deg
            and t_end - rep.start_s > self.p.slow_rep_s
        ):
            # A long movement in which the pelvis barely tilted: steps, a re-rack, whose
            # integrated height wandered; not a squat.
            self._uncount(rep)
            return
        if not rep.confirmed:
            self._confirm(rep, events)
        s = rep.sustained_max
        if not self.angle_available:
            verdict = Verdict.UNAVAILABLE
        elif rep.missing_angle > 0.5 * rep.samples or math.isinf(s):
            verdict = Verdict.UNKNOWN
        elif s > th.flexion_deg:
            verdict = Verdict.FLEXION  # seen: a wink is a wink, whatever was missed
        elif _missed_bottom(
            rep.missing_t,
            rep.bottom_s,
            self.dt,
            self.p.bottom_window_s,
            self.p.bottom_missing_fraction,
        ):
            # Not seen at its bottom, where a wink peaks: no "ok" for a rep whose back
            # winkmon did not watch there.
            verdict = Verdict.UNKNOWN
        elif not math.isnan(rep.set_angle) and s - rep.set_angle > th.loss_deg:
            verdict = Verdict.EXTENSION_LOST
        else:
            verdict = Verdict.OK
        peak = rep.peak if math.isfinite(rep.peak) else math.nan
        events.append(
            Rep(
                number=rep.number,
                start_s=rep.start_s,
                bottom_s=rep.bottom_s,
                end_s=t_end,
                depth_cm=depth_cm,
                set_angle_deg=rep.set_angle,
                peak_flexion_deg=peak,
                peak_s=rep.peak_s,
                verdict=verdict,
                flexion_onset_s=rep.onset_s if verdict is Verdict.FLEXION else None,
                # The onset's depth is the live estimate, the rep's depth the refined top-to-
                # top one: the back cannot turn deeper than the rep went, so clip to it.
                flexion_onset_depth_cm=(
                    min(rep.onset_depth * 100, depth_cm)
                    if verdict is Verdict.FLEXION and rep.onset_depth is not None
                    else None
                ),
                peak_phase=Phase(rep.peak_phase).name.lower(),
                pelvis_tuck_deg=_tuck_deg(rep.g, rep.pre, rep.bottom_i),
            )
        )

    def _set_angle(self) -> float:
        return _median_before(self._hist_t, self._hist_a, self._slow_t, self.p.set_window_s)


def _floats(a: FloatArray) -> Floats:
    """A 1-D array's values as a vec (one copy of the memory)."""
    return vec[float](np.ascontiguousarray(a, dtype=np.float64))


def _nans(n: int) -> Floats:
    return vec[float](np.full(n, np.nan))


class _Recent:
    """The motion of the last samples while no rep is open, a ring of ``size``: time, vertical
    acceleration (offset removed), the raw one, height and tilt. The tracker's loop adds to
    it inline; :meth:`at` turns an age order (0: the oldest) into a slot."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.t, self.a, self.raw = _nans(self.size), _nans(self.size), _nans(self.size)
        self.z, self.g = _nans(self.size), _nans(self.size)
        self.pos = 0  # the next slot written
        self.n = 0  # how many slots hold samples

    def at(self, j: int) -> int:
        k = self.pos - self.n + j
        return k + self.size if k < 0 else k

    def add(self, t: float, a: float, raw: float, z: float, g: float) -> None:
        k = self.pos
        self.t[k], self.a[k], self.raw[k], self.z[k], self.g[k] = t, a, raw, z, g
        self.pos = k + 1 if k + 1 < self.size else 0
        if self.n < self.size:
            self.n += 1


def _median_before(times: Floats, angles: Floats, t_end: float, window_s: float) -> float:
    """The median of the ``angles`` whose ``times`` lie within ``window_s`` up to ``t_end``
    (NaN if none): what ``np.median`` gives (the middle value, or the mean of the two middle
    ones), without its per-call cost."""
    t_start = t_end - window_s
    vals = sorted([angles[i] for i in range(len(times)) if t_start <= times[i] <= t_end])
    n = len(vals)
    if n == 0:
        return math.nan
    mid = n // 2
    return vals[mid] if n % 2 else (vals[mid - 1] + vals[mid]) / 2


class _RepState:
    __slots__ = (
        "acc",
        "alerted_flexion",
        "alerted_loss",
        "arrived",
        "bottom_i",
        "bottom_s",
        "confirmed",
        "g",
        "max_depth",
        "missing_acc",
        "missing_angle",
        "missing_t",
        "number",
        "onset_depth",
        "onset_s",
        "peak",
        "peak_phase",
        "peak_s",
        "phase_start",
        "pre",
        "pushed_down",
        "samples",
        "set_angle",
        "start_s",
        "sustained_max",
        "tilt0",
        "tilt_max",
        "top_i",
        "top_s",
        "top_z",
        "z",
        "z0",
    )

    def __init__(self, start_s: float, z0: float, set_angle: float) -> None:
        self.start_s = start_s
        self.z0 = z0
        self.set_angle = set_angle
        #: Vertical acceleration since the start, one per sample, with the running offset
        #: estimate removed (what is left, constant or slow, the top-to-top depth undoes).
        self.acc: Floats = vec[float]()
        #: How many of ``acc``'s first samples are rest before ``start_s`` (pre-roll).
        self.pre = 0
        self.z: Floats = vec[float]()  #: the running height estimate at the same samples
        #: The sacrum sensor's tilt from its upright reference at the same samples, deg.
        self.g: Floats = vec[float]()
        self.bottom_i = 0  #: index into ``acc`` of the deepest point so far
        self.max_depth = 0.0
        self.bottom_s = start_s
        self.confirmed = False
        self.number = 0
        self.samples = 0
        self.missing_acc = 0
        self.missing_angle = 0
        self.missing_t: list[float] = []  #: when the angle was missing
        self.peak = -math.inf
        self.peak_s = start_s
        self.peak_phase = DESCENT
        self.sustained_max = -math.inf
        self.phase_start = start_s
        self.onset_s: float | None = None
        self.onset_depth: float | None = None
        self.alerted_flexion = False
        self.alerted_loss = False
        self.top_z = -math.inf  #: where the ascent's upward motion stopped (the next top)
        self.top_s = start_s
        self.top_i = 0  #: index into ``acc`` of that point (0: no ascent yet)
        self.arrived = False  #: the upward motion has stopped at ``top_s``
        self.pushed_down = False  #: accelerating downwards since ``top_s``
        self.tilt0 = math.nan  #: the sacrum sensor's tilt at the start, deg
        self.tilt_max = math.nan  #: and its largest tilt in the rep, deg


def _refined_depth_cm(acc: Floats, dt: float) -> tuple[float, int]:
    """Depth over a whole rep, top to top, and the index of its deepest point: the pelvis at
    rest (v = 0) and at the same height at both ends, so a constant offset and a linear
    drift of the velocity cancel."""
    if len(acc) < 3:
        return math.nan, 0
    a = np.frombuffer(memoryview(acc), dtype=np.float64)
    v = np.cumsum(a) * dt
    v -= np.linspace(0.0, v[-1], len(v))  # zero velocity at the end too
    z = np.cumsum(v) * dt
    z -= np.linspace(0.0, z[-1], len(z))  # back at the same height at the end
    k = int(np.argmin(z))
    return float(-z[k] * 100), k


def _true_top(acc: Floats, dt: float, k_hint: int, k_bottom: int, search_s: float) -> int:
    """The index where a rep that began at rest (before index 0) really ends, near
    ``k_hint`` (any rest before the start is part of ``acc``).

    With a constant offset ``b`` in ``acc``, raw integration from the start gives, at the
    true end ``T`` (at rest, back at the starting height), ``v(T) = b T`` and
    ``z(T) = b T^2 / 2``, so ``z(T) - T v(T) / 2 = 0`` there whatever ``b`` is. The zero
    crossing of that residual closest to the hint, after the bottom and within
    ``RepParams.top_search_s``, is the end; without one the hint stands."""
    n = len(acc)
    w = round(search_s / dt)
    lo, hi = max(k_bottom + 1, k_hint - w), min(n - 1, k_hint + w)
    if hi - lo < 2:
        return k_hint
    v = np.cumsum(np.frombuffer(memoryview(acc[: hi + 1]), dtype=np.float64)) * dt
    z = np.cumsum(v) * dt
    t = (np.arange(hi + 1) + 1) * dt
    r = (z - 0.5 * t * v)[lo : hi + 1]
    cross = np.flatnonzero(np.signbit(r[:-1]) != np.signbit(r[1:]))
    if not cross.size:
        return k_hint
    k = lo + cross
    k = np.where(np.abs(r[cross + 1]) < np.abs(r[cross]), k + 1, k)
    return int(k[np.argmin(np.abs(k - k_hint))])


def _tuck_deg(tilt: Floats, first: int, bottom: int) -> float | None:
    """Pelvis-only wink cue: the largest tilt from the start to the bottom minus the tilt at
    the bottom (a posterior tilt at the bottom shows as a positive value), degrees."""
    seg = [x for x in tilt[first : bottom + 1] if x == x]
    if len(seg) < 3 or tilt[bottom] != tilt[bottom]:
        return None
    return max(seg) - tilt[bottom]


def _swing_deg(tilt: Floats) -> float | None:
    """How far the pelvis's tilt moved during a rep, degrees (None without tilt data)."""
    seg = [x for x in tilt if x == x]
    return max(seg) - min(seg) if len(seg) > 2 else None


def _missed_bottom(
    missing_t: list[float], bottom_s: float, dt: float, window_s: float, fraction: float
) -> bool:
    """The angle was missing for more than ``RepParams.bottom_missing_fraction`` of the
    ``RepParams.bottom_window_s`` around the rep's bottom."""
    if not missing_t:
        return False
    lo, hi = bottom_s - window_s / 2, bottom_s + window_s / 2
    n = sum(1 for t in missing_t if lo <= t <= hi)
    return n * dt > fraction * window_s
