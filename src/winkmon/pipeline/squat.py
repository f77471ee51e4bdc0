"""Squat reps, depth, verdicts and live alerts, one grid sample at a time.

Depth is the vertical travel of the pelvis, from the sacrum sensor's vertical acceleration:

- *Quiet* moments (small vertical acceleration and angular rate for 0.3 s) reset the vertical
  velocity to zero; standing quietly also tracks the accelerometer's vertical bias.
- Between reps the integrated velocity and height leak back to zero (time constants 1 s and
  2 s), so walking and swaying never build up a false depth.
- A rep starts when the pelvis moves down faster than 0.15 m/s; its start is back-dated to when
  the downward motion began. A candidate that stops going down before it is 10 cm deep (a
  step, a sway) is dropped. It has a descent, a bottom (velocity near zero) and an ascent,
  and ends when the athlete is back up and nearly at rest.
- At the end the depth is recomputed over the whole rep with zero-velocity corrections at both
  ends (the pelvis is at rest before and after), which removes most of the integration drift.
- A movement counts as a rep only if the pelvis went down at least ``min_depth_cm``: walking,
  turning and a shallow bend to pick something up do not.

The angle during a rep gives the verdict (see :class:`~winkmon.pipeline.events.Verdict`):

- ``set_angle_deg``: the median angle over the 0.5 s before the descent began (the brace);
- ``peak_flexion_deg``: the largest angle during the rep;
- the verdict uses the *sustained* angle (the lowest value over the last ``dwell_s``), the same
  signal as the live alerts, so a single noisy sample neither alerts nor changes a verdict:
  ``flexion`` if it exceeds the flexion threshold, ``extension_lost`` if it rises more than the
  loss threshold above the set angle while staying below the flexion threshold, else ``ok``;
  ``unknown`` if the angle was missing (a sensor out) for most of the rep.

Alerts fire during the rep, at most one per level per rep, once the pelvis has gone down at
least ``min_depth_cm`` (so a pick-up bend never alerts), stamped with the grid time at which the
sustained angle crossed the threshold.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import numpy.typing as npt

from winkmon.pipeline.events import Alert, AlertLevel, Event, Phase, Rep, RepStarted, Verdict, Zone
from winkmon.pipeline.model import Thresholds

FloatArray = npt.NDArray[np.float64]

V_START_M_S = 0.15  #: downward speed that starts a rep candidate
V_SLOW_M_S = 0.05  #: "not moving" vertically
COMMIT_DEPTH_M = 0.10  #: a candidate must get this deep before it may turn upwards
QUIET_ACC_M_S2 = 0.25
QUIET_GYR_RAD_S = 0.15
QUIET_S = 0.30
LEAK_TAU_S = 2.0  #: height leaks back to standing between reps
V_LEAK_TAU_S = 1.0  #: so does vertical velocity (walking never builds up drift)
MAX_REP_S = 15.0
ALTERNATION_M_S2 = 0.4  #: vertical acceleration sign changes counted beyond this, m/s^2
MAX_ALTERNATIONS = 8  #: more within one movement is walking, not a squat
#: A rep whose drift-corrected depth ends below this fraction of ``min_depth_cm`` is dropped.
REFINED_DEPTH_MARGIN = 0.75
SETTLED_S = 0.8  #: quiet this long while coming up: the rep is over
MAX_DEPTH_M = 1.0  #: deeper than any squat: the integration ran away
MAX_SPEED_M_S = 2.5  #: faster than any squat
#: Longest plausible descent (slow eccentrics), pause at the bottom and ascent, seconds.
MAX_PHASE_S = {Phase.IDLE: math.inf, Phase.DESCENT: 6.0, Phase.BOTTOM: 5.0, Phase.ASCENT: 5.0}
SET_WINDOW_S = 0.5
ZONE_UNKNOWN, ZONE_EXTENSION = int(Zone.UNKNOWN), int(Zone.EXTENSION)
ZONE_LOST, ZONE_FLEXION = int(Zone.EXTENSION_LOST), int(Zone.FLEXION)


class SquatTracker:
    """Rep detection, depth, verdicts and alerts (see module doc)."""

    def __init__(self, thresholds: Thresholds, out_rate_hz: float) -> None:
        self.th = thresholds
        self.dt = 1.0 / out_rate_hz
        self.rep_count = 0
        self._dwell_n = max(1, round(thresholds.dwell_s * out_rate_hz))
        h = thresholds.hysteresis_deg
        self._flex_on, self._flex_off = thresholds.flexion_deg, thresholds.flexion_deg - h
        self._loss_on, self._loss_off = thresholds.loss_deg, thresholds.loss_deg - h
        self._tail = np.full(self._dwell_n - 1, np.nan)  # the previous block's last angles
        self._history: deque[tuple[float, float]] = deque(
            maxlen=round((SET_WINDOW_S + 1.5) * out_rate_hz)
        )
        self._recent_acc: deque[tuple[float, float]] = deque(maxlen=round(4 * out_rate_hz))
        self._v = 0.0
        self._z = 0.0
        self._bias = 0.0
        self._bias_alt = 0.0
        self._quiet_n = 0
        self._phase = Phase.IDLE
        self._red = False
        self._amber = False
        self._slow_t = 0.0  # last time the pelvis was not moving down
        self._slow_z = 0.0
        self._slow_v = 0.0  # vertical velocity at _slow_t (not 0 when a rep runs into the next)
        self._rep: _RepState | None = None

    # ------------------------------------------------------------------ public
    def step(
        self,
        t_s: FloatArray,
        angle_deg: FloatArray,
        a_vert: FloatArray,
        gyr_norm: FloatArray,
        a_vert_alt: FloatArray | None = None,
    ) -> tuple[FloatArray, npt.NDArray[np.int8], npt.NDArray[np.int8], list[Event]]:
        """Process grid samples; ``a_vert_alt`` (the lumbar sensor's vertical acceleration)
        stands in for the sacrum's while the sacrum's data is missing."""
        n = len(t_s)
        events: list[Event] = []
        if n == 0:
            return np.empty(0), np.empty(0, np.int8), np.empty(0, np.int8), events
        sustained = self._sustained(angle_deg).tolist()
        ts, angles, accs, gyrs = (
            t_s.tolist(),
            angle_deg.tolist(),
            a_vert.tolist(),
            gyr_norm.tolist(),
        )
        alts = a_vert_alt.tolist() if a_vert_alt is not None else [math.nan] * n
        depth: list[float] = [math.nan] * n
        phase: list[int] = [0] * n
        zone: list[int] = [0] * n
        step = self._step
        for i in range(n):
            depth[i], phase[i], zone[i] = step(
                ts[i], angles[i], accs[i], gyrs[i], alts[i], sustained[i], events
            )
        return (
            np.array(depth, dtype=np.float64),
            np.array(phase, dtype=np.int8),
            np.array(zone, dtype=np.int8),
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

    def _step(
        self,
        t: float,
        angle: float,
        acc: float,
        gyr: float,
        alt: float,
        sustained: float,
        events: list[Event],
    ) -> tuple[float, int, int]:
        dt = self.dt
        have_acc = acc == acc  # not NaN
        if have_acc:
            a = acc - self._bias
        elif alt == alt:
            # The sacrum's data is lost for a moment: the lumbar sensor travels with it.
            a, have_acc, gyr = alt - self._bias_alt, True, math.inf
        else:
            a = 0.0
        if have_acc and -QUIET_ACC_M_S2 < a < QUIET_ACC_M_S2 and gyr < QUIET_GYR_RAD_S:
            self._quiet_n += 1
        else:
            self._quiet_n = 0
        quiet_long = self._quiet_n * dt >= QUIET_S

        v = self._v + a * dt
        if quiet_long:
            v = 0.0
        self._z += v * dt
        rep = self._rep
        if rep is None:
            self._z *= 1.0 - dt / LEAK_TAU_S
            v *= 1.0 - dt / V_LEAK_TAU_S
            if quiet_long and self._quiet_n * dt >= 0.5:
                self._bias += 0.02 * (acc - self._bias)
                if alt == alt:
                    self._bias_alt += 0.02 * (alt - self._bias_alt)
            self._recent_acc.append((t, a))
        self._v = v
        if angle == angle:
            self._history.append((t, angle))

        if rep is None:
            if v > -V_SLOW_M_S:
                self._slow_t, self._slow_z, self._slow_v = t, self._z, 0.0
            elif v < -V_START_M_S and have_acc:
                rep = self._rep = _RepState(self._slow_t, self._slow_z, self._set_angle())
                rep.v0 = self._slow_v
                # Depth is integrated from the moment the pelvis began to move down.
                rep.acc.extend(x for (tt, x) in self._recent_acc if tt > self._slow_t)
                rep.acc.pop()  # _track appends this sample
                self._phase = Phase.DESCENT
        if rep is not None:
            self._track(rep, t, angle, sustained, a, have_acc, quiet_long, events)

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

    def _track(
        self,
        rep: _RepState,
        t: float,
        angle: float,
        sustained: float,
        a: float,
        have_acc: bool,
        quiet_long: bool,
        events: list[Event],
    ) -> None:
        th = self.th
        rep.acc.append(a)
        if not have_acc:
            rep.missing_acc += 1
        # Walking (a re-rack, steps) rocks the pelvis up and down twice a step; a squat changes
        # the sign of its vertical acceleration only a few times.
        if a > ALTERNATION_M_S2 and rep.acc_sign <= 0:
            rep.acc_sign, rep.alternations = 1, rep.alternations + 1
        elif a < -ALTERNATION_M_S2 and rep.acc_sign >= 0:
            rep.acc_sign, rep.alternations = -1, rep.alternations + 1
        if rep.alternations > MAX_ALTERNATIONS:
            self._finish(rep, t, complete=False, events=events)
            return
        depth = rep.z0 - self._z
        v = self._v
        phase = self._phase
        if depth > rep.max_depth:
            rep.max_depth, rep.bottom_s = depth, t
        if rep.max_depth < COMMIT_DEPTH_M and v > -V_SLOW_M_S:
            # Stopped going down before getting anywhere: a step, a sway, a bounce.
            self._finish(rep, t, complete=False, events=events)
            return
        if phase == Phase.DESCENT and v > -V_SLOW_M_S and depth > 0.05:
            phase = Phase.BOTTOM
            rep.phase_start = t
        elif phase == Phase.BOTTOM and v > 2 * V_SLOW_M_S:
            phase = Phase.ASCENT
            rep.phase_start = t
        elif phase == Phase.BOTTOM and v < -V_START_M_S:
            phase = Phase.DESCENT
            rep.phase_start = t
        self._phase = phase

        deep = rep.max_depth * 100 >= th.min_depth_cm
        if deep and not rep.confirmed:
            rep.confirmed = True
            self.rep_count += 1
            rep.number = self.rep_count
            events.append(RepStarted(rep.number, rep.start_s, rep.set_angle))
        rep.samples += 1
        if math.isnan(angle):
            rep.missing_angle += 1
        else:
            if angle > rep.peak:
                rep.peak, rep.peak_s, rep.peak_phase = angle, t, phase
        if not math.isnan(sustained):
            rep.sustained_max = max(rep.sustained_max, sustained)
            if sustained > th.flexion_deg and rep.onset_s is None:
                rep.onset_s, rep.onset_depth = t, depth
            if deep and not rep.alerted_flexion and sustained > th.flexion_deg:
                rep.alerted_flexion = True
                events.append(Alert(AlertLevel.FLEXION, t, rep.number, sustained, rep.set_angle))
            lost = not math.isnan(rep.set_angle) and sustained - rep.set_angle > th.loss_deg
            if deep and lost and sustained <= th.flexion_deg and not rep.alerted_loss:
                rep.alerted_loss = True
                events.append(
                    Alert(AlertLevel.EXTENSION_LOST, t, rep.number, sustained, rep.set_angle)
                )

        back_up = depth < 0.5 * rep.max_depth
        ended = phase == Phase.ASCENT and back_up and (v < V_SLOW_M_S or quiet_long)
        # Standing still after coming up, though the drifting height says otherwise.
        settled = phase == Phase.ASCENT and self._quiet_n * self.dt >= SETTLED_S
        down_again = phase == Phase.ASCENT and v < -V_START_M_S  # the next rep has begun
        too_long = (
            t - rep.start_s > MAX_REP_S
            or depth > MAX_DEPTH_M  # integration ran away (lost data): not a real squat
            or abs(v) > MAX_SPEED_M_S
            or t - rep.phase_start > MAX_PHASE_S[phase]
        )
        lost_sacrum = rep.missing_acc * self.dt > 0.3
        if ended or settled or down_again or too_long or lost_sacrum:
            # A counted rep that came back up, or whose data then stopped, is reported with
            # what was measured.
            complete = ended or settled or down_again or (lost_sacrum and rep.confirmed)
            self._finish(rep, t, complete=complete, events=events, keep_motion=down_again)

    def _finish(
        self,
        rep: _RepState,
        t: float,
        complete: bool,
        events: list[Event],
        keep_motion: bool = False,
    ) -> None:
        self._rep = None
        self._phase = Phase.IDLE
        if not keep_motion:
            # The athlete is upright again: restart the integration from rest.
            self._v = self._z = 0.0
        self._slow_t, self._slow_z, self._slow_v = t, self._z, self._v
        if not (complete and rep.confirmed):
            return
        if rep.v0 == 0.0 and not (keep_motion or rep.missing_acc):
            depth_cm = _refined_depth_cm(rep.acc, self.dt)
        else:  # it did not start or end at rest: the live estimate is all there is
            depth_cm = math.nan
        if not math.isfinite(depth_cm):
            depth_cm = rep.max_depth * 100
        th = self.th
        if depth_cm < th.min_depth_cm * REFINED_DEPTH_MARGIN:
            return  # measured over the whole movement, it was too shallow for a squat
        s = rep.sustained_max
        if rep.missing_angle > 0.5 * rep.samples or math.isinf(s):
            verdict = Verdict.UNKNOWN
        elif s > th.flexion_deg:
            verdict = Verdict.FLEXION
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
                end_s=t,
                depth_cm=depth_cm,
                set_angle_deg=rep.set_angle,
                peak_flexion_deg=peak,
                peak_s=rep.peak_s,
                verdict=verdict,
                flexion_onset_s=rep.onset_s if verdict is Verdict.FLEXION else None,
                flexion_onset_depth_cm=(
                    rep.onset_depth * 100
                    if verdict is Verdict.FLEXION and rep.onset_depth is not None
                    else None
                ),
                peak_phase=Phase(rep.peak_phase).name.lower(),
            )
        )

    def _set_angle(self) -> float:
        t_end = self._slow_t
        vals = [a for (t, a) in self._history if t_end - SET_WINDOW_S <= t <= t_end]
        return float(np.median(vals)) if vals else math.nan


class _RepState:
    __slots__ = (
        "acc",
        "acc_sign",
        "alerted_flexion",
        "alerted_loss",
        "alternations",
        "bottom_s",
        "confirmed",
        "max_depth",
        "missing_acc",
        "missing_angle",
        "number",
        "onset_depth",
        "onset_s",
        "peak",
        "peak_phase",
        "peak_s",
        "phase_start",
        "samples",
        "set_angle",
        "start_s",
        "sustained_max",
        "v0",
        "z0",
    )

    def __init__(self, start_s: float, z0: float, set_angle: float) -> None:
        self.start_s = start_s
        self.z0 = z0
        self.set_angle = set_angle
        self.acc: list[float] = []
        self.max_depth = 0.0
        self.bottom_s = start_s
        self.confirmed = False
        self.number = 0
        self.samples = 0
        self.missing_acc = 0
        self.missing_angle = 0
        self.peak = -math.inf
        self.peak_s = start_s
        self.peak_phase = int(Phase.DESCENT)
        self.sustained_max = -math.inf
        self.phase_start = start_s
        self.acc_sign = 0
        self.alternations = 0
        self.v0 = 0.0  #: vertical velocity when the rep began (0: it began at rest)
        self.onset_s: float | None = None
        self.onset_depth: float | None = None
        self.alerted_flexion = False
        self.alerted_loss = False


def _refined_depth_cm(acc: list[float], dt: float) -> float:
    """Depth over a whole rep, with the pelvis at rest (v = 0) at both ends."""
    if len(acc) < 3:
        return math.nan
    a = np.asarray(acc)
    v = np.cumsum(a) * dt
    v -= np.linspace(0.0, v[-1], len(v))  # zero velocity at the end too
    z = np.cumsum(v) * dt
    z -= np.linspace(0.0, z[-1], len(z))  # back at standing height at the end
    return float(-z.min() * 100)
