"""Turn a :class:`~winkmon.sim.script.SessionScript` into body motion and labelled truth.

The composer walks through the activities, keyframing the channels of a
:class:`~winkmon.sim.kinematics.BodyMotion` (see that module for frames and the angle
convention) and recording what happened: phases, calibration windows and squat reps with their
truth verdicts. Rep outcomes keep a margin from the thresholds so the truth is unambiguous:
an ``ok`` rep rises at most ~3 deg above its set angle, an ``extension_lost`` rep rises at
least ~7 deg and peaks at or below about -1.5 deg, a ``flexion`` rep peaks at +4..+15 deg.

Classic sets stand still between reps. Flowing sets (training style, see
:class:`~winkmon.sim.script.SquatSet`) start soon after the unrack and, back to back, go from
one ascent straight into the next descent: the lifter re-braces to the next rep's set angle
during the ascent, so each rep's truth (set angle at its start, peak, depth from its start)
is as unambiguous as in a classic set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from winkmon.sim.config import AthleteParams, SimConfig
from winkmon.sim.kinematics import BodyGeometry, BodyMotion
from winkmon.sim.script import (
    Activity,
    Calibrate,
    Phase,
    PickUp,
    Rerack,
    SessionScript,
    SquatSet,
    Stand,
    Turn,
    Verdict,
    Walk,
)


@dataclass(frozen=True, slots=True)
class SimRep:
    """The truth about one squat rep (times on the session time base, seconds)."""

    start_s: float  #: the descent starts (pelvis begins to drop)
    bottom_s: float  #: middle of the pause at the bottom
    end_s: float  #: the ascent ends (pelvis back at standing height)
    depth_cm: float  #: pelvis drop from the start of the rep to its lowest point
    set_angle_deg: float  #: lumbopelvic angle at the start of the descent
    peak_flexion_deg: float  #: highest (most flexed) lumbopelvic angle during the rep
    verdict: Verdict  #: from the truth and the config's thresholds
    set_index: int  #: which set (0-based, in script order)
    rep_index: int  #: which rep of its set (0-based)


def classify(
    set_angle_deg: float, peak_deg: float, flexion_threshold_deg: float, loss_threshold_deg: float
) -> Verdict:
    """The verdict rule: flexion past the threshold wins, then a rise beyond the loss threshold."""
    if peak_deg > flexion_threshold_deg:
        return Verdict.FLEXION
    if peak_deg - set_angle_deg > loss_threshold_deg:
        return Verdict.EXTENSION_LOST
    return Verdict.OK


@dataclass(frozen=True, slots=True, eq=False)
class Choreography:
    """Body motion of a whole session plus what the script made happen."""

    body: BodyMotion
    duration_s: float
    reps: tuple[SimRep, ...]
    phases: tuple[tuple[float, float, Phase], ...]  #: (start_s, end_s, phase), in order
    static_s: tuple[float, float] | None  #: first calibration's still standing window
    functional_s: tuple[float, float] | None  #: first calibration's forward bends


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


class _Composer:
    def __init__(self, config: SimConfig, rng: np.random.Generator, t0_s: float) -> None:
        self.cfg = config
        self.ath: AthleteParams = config.athlete
        self.rng = rng
        self.heading_deg = _u(rng, -180.0, 180.0)
        self.body = BodyMotion(BodyGeometry(), self.ath.standing_height_m, self.heading_deg)
        self.t = t0_s
        self.phases: list[tuple[float, float, Phase]] = []
        self.pending: list[tuple[float, float, float, int, int]] = []
        self.static_s: tuple[float, float] | None = None
        self.functional_s: tuple[float, float] | None = None
        self.n_sets = 0

    # ------------------------------------------------------------------ helpers
    @property
    def h(self) -> float:
        return self.ath.standing_height_m

    def begin(self) -> None:
        self.body.hold_all_until(self.t)

    def phase(self, t0: float, t1: float, phase: Phase) -> None:
        if t1 > t0:
            self.phases.append((t0, t1, phase))

    def move_local(self, t_s: float, fwd_m: float, left_m: float) -> None:
        """Keyframe the pelvis position ``fwd``/``left`` of where it is (heading frame)."""
        hd = np.radians(self.heading_deg)
        c, s = float(np.cos(hd)), float(np.sin(hd))
        b = self.body
        b.x_m.to(t_s, b.x_m.last_value + c * fwd_m - s * left_m)
        b.y_m.to(t_s, b.y_m.last_value + s * fwd_m + c * left_m)

    def sway(self, t0: float, t1: float, scale: float) -> None:
        """Quiet-stance postural sway: a few slow random sinusoids on every channel."""
        r, b = self.rng, self.body
        amps = (
            (b.fwd_m, 0.004),
            (b.left_m, 0.003),
            (b.z_m, 0.0015),
            (b.tilt_deg, 0.5),
            (b.roll_deg, 0.3),
            (b.flexion_deg, 0.5),
            (b.lateral_deg, 0.4),
            (b.twist_deg, 0.4),
            (b.heading_deg, 0.5),
        )
        for ch, amp in amps:
            for _ in range(2):
                ch.oscillate(
                    t0,
                    t1,
                    _u(r, 0.1, 0.6),
                    amp * scale * _u(r, 0.3, 0.8),
                    _u(r, 0.0, 2 * np.pi),
                    ramp_s=0.5,
                )

    def gait(self, t0: float, t1: float, freq_hz: float, scale: float) -> None:
        """Gait oscillations of the pelvis and the lumbar segment."""
        r, b = self.rng, self.body
        ph = _u(r, 0.0, 2 * np.pi)
        step, stride = freq_hz, 0.5 * freq_hz
        comps = (
            (b.z_m, step, _u(r, 0.015, 0.025), 0.0),
            (b.z_m, 2 * step, _u(r, 0.002, 0.004), 0.3),
            (b.left_m, stride, _u(r, 0.015, 0.025), 1.2),
            (b.fwd_m, step, _u(r, 0.005, 0.01), 1.7),
            (b.heading_deg, stride, _u(r, 3.0, 5.0), 0.4),
            (b.roll_deg, stride, _u(r, 2.0, 4.0), 1.0),
            (b.tilt_deg, step, _u(r, 1.0, 2.0), 2.0),
            (b.flexion_deg, step, _u(r, 1.0, 2.0), 2.5),
            (b.lateral_deg, stride, _u(r, 1.0, 2.0), 2.2),
            (b.twist_deg, stride, _u(r, 2.0, 4.0), 3.4),
        )
        for ch, f, amp, lag in comps:
            ch.oscillate(t0, t1, f, amp * scale, ph + lag, ramp_s=0.6)

    def cruise(self, t0: float, t1: float, speed_m_s: float, ramp_s: float) -> None:
        hd = np.radians(self.heading_deg)
        self.body.x_m.cruise(t0, t1, speed_m_s * float(np.cos(hd)), ramp_s)
        self.body.y_m.cruise(t0, t1, speed_m_s * float(np.sin(hd)), ramp_s)

    def to_posture(
        self,
        t_s: float,
        tilt: float,
        flex: float,
        lateral: float = 0.0,
        twist: float = 0.0,
        roll: float = 0.0,
    ) -> None:
        b = self.body
        b.tilt_deg.to(t_s, tilt)
        b.flexion_deg.to(t_s, flex)
        b.lateral_deg.to(t_s, lateral)
        b.twist_deg.to(t_s, twist)
        b.roll_deg.to(t_s, roll)

    # ------------------------------------------------------------------ activities
    def stand(self, act: Stand) -> None:
        self.begin()
        t0, t1 = self.t, self.t + max(0.1, act.duration_s)
        self.sway(t0, t1, self.ath.sway_scale)
        self.phase(t0, t1, Phase.STAND)
        self.t = t1

    def calibrate(self, act: Calibrate) -> None:
        r, b = self.rng, self.body
        self.begin()
        t0 = self.t
        s0 = t0 + 1.0
        self.to_posture(s0, 0.0, 0.0)
        b.z_m.to(s0, self.h)
        static = act.static_s if act.static_s is not None else _u(r, 3.0, 4.0)
        s1 = s0 + static
        self.body.hold_all_until(s1)
        self.sway(s0, s1, 0.15 * self.ath.sway_scale)
        self.phase(t0, s0, Phase.STAND)
        self.phase(s0, s1, Phase.CALIB_STATIC)
        t = s1 + 0.3
        self.t = t
        self.begin()
        f0 = t
        for _ in range(max(1, act.bends)):
            down, hold, up = _u(r, 1.0, 1.5), _u(r, 0.3, 0.8), _u(r, 1.0, 1.5)
            back = _u(r, 0.03, 0.08)
            self.to_posture(
                t + down,
                _u(r, *self.ath.bend_pelvis_deg),
                _u(r, *self.ath.bend_flexion_deg),
                _u(r, -2.0, 2.0),
                _u(r, -2.0, 2.0),
                _u(r, -1.5, 1.5),
            )
            b.z_m.to(t + down, self.h - _u(r, 0.02, 0.05))
            self.move_local(t + down, -back, 0.0)
            t += down + hold
            self.body.hold_all_until(t)
            t += up
            self.to_posture(t, 0.0, 0.0)
            b.z_m.to(t, self.h)
            self.move_local(t, back, 0.0)
            f1 = t
            t += _u(r, 0.6, 1.0)
            self.body.hold_all_until(t)
        self.phase(f0, f1, Phase.CALIB_BEND)
        self.phase(f1, t, Phase.STAND)
        if self.static_s is None:
            self.static_s = (s0, s1)
            self.functional_s = (f0, f1)
        self.t = t

    def walk(self, act: Walk) -> None:
        r = self.rng
        self.begin()
        t0, t1 = self.t, self.t + max(1.0, act.duration_s)
        speed = act.speed_m_s if act.speed_m_s is not None else _u(r, *self.ath.walk_speed_m_s)
        self.cruise(t0, t1, speed, ramp_s=min(1.0, 0.4 * (t1 - t0)))
        self.gait(t0, t1, _u(r, *self.ath.step_freq_hz), 1.0)
        self.phase(t0, t1, Phase.WALK)
        self.t = t1

    def turn(self, act: Turn) -> None:
        self.begin()
        t0 = self.t
        t1 = t0 + 0.8 + abs(act.angle_deg) / 120.0
        self.heading_deg += act.angle_deg
        self.body.heading_deg.to(t1, self.heading_deg)
        self.gait(t0, t1, _u(self.rng, 1.6, 1.9), 0.4)
        self.phase(t0, t1, Phase.TURN)
        self.t = t1

    def rerack(self, act: Rerack) -> None:
        r = self.rng
        self.begin()
        t0 = self.t
        dist = act.distance_m if act.distance_m is not None else _u(r, 0.4, 0.9)
        speed, ramp = 0.5, 0.6
        walk = dist / speed + ramp
        self.cruise(t0, t0 + walk, speed, ramp)
        self.gait(t0, t0 + walk, _u(r, 1.5, 1.8), 0.5)
        t = t0 + walk
        self.t = t
        self.begin()
        pause = _u(r, 1.0, 2.5)
        self.sway(t, t + pause, 0.5)
        t += pause
        self.t = t
        self.begin()
        self.cruise(t, t + walk, -speed, ramp)
        self.gait(t, t + walk, _u(r, 1.5, 1.8), 0.5)
        self.t = t + walk
        self.phase(t0, self.t, Phase.RERACK)

    def pickup(self, act: PickUp) -> None:
        r, b = self.rng, self.body
        self.begin()
        t0 = t = self.t
        drop_m = (act.drop_cm if act.drop_cm is not None else _u(r, 6.0, 15.0)) / 100.0
        down, hold, up = _u(r, 0.9, 1.3), _u(r, 0.4, 1.0), _u(r, 0.9, 1.3)
        back = _u(r, 0.05, 0.10)
        tilt0, flex0 = b.tilt_deg.last_value, b.flexion_deg.last_value
        self.to_posture(
            t + down,
            _u(r, 40.0, 70.0),
            _u(r, 10.0, 30.0),
            _u(r, -4.0, 4.0),
            _u(r, -5.0, 5.0),
            _u(r, -2.0, 2.0),
        )
        b.z_m.to(t + down, self.h - drop_m)
        self.move_local(t + down, -back, 0.0)
        t += down + hold
        b.hold_all_until(t)
        t += up
        self.to_posture(t, tilt0, flex0)
        b.z_m.to(t, self.h)
        self.move_local(t, back, 0.0)
        self.phase(t0, t, Phase.PICKUP)
        self.t = t

    def _draw_outcomes(self, n: int) -> tuple[Verdict, ...]:
        out = []
        for i in range(n):
            fatigue = 2.0 * (i + 1) / (n + 1)  # mean 1 over the set, rising
            p_flex = min(0.9, self.ath.wink_propensity * fatigue)
            p_loss = min(0.9 - p_flex, self.ath.loss_propensity * fatigue)
            u = self.rng.uniform()
            out.append(
                Verdict.FLEXION
                if u < p_flex
                else Verdict.EXTENSION_LOST
                if u < p_flex + p_loss
                else Verdict.OK
            )
        return tuple(out)

    def _rep_angle(self, base: float, outcome: Verdict) -> float:
        """The set angle of one rep: near the set's, well extended if it will lose extension."""
        s_i = float(np.clip(base + _u(self.rng, -1.0, 1.0), -18.0, -3.0))
        if outcome is Verdict.EXTENSION_LOST and s_i > -10.0:
            s_i = _u(self.rng, -15.0, -10.0)
        return s_i

    def _rise(self, outcome: Verdict, s_i: float) -> float:
        """How far the angle rises above the set angle, with a margin from each threshold."""
        r = self.rng
        if outcome is Verdict.OK:
            return _u(r, 0.0, 3.0)
        if outcome is Verdict.EXTENSION_LOST:
            return _u(r, 7.0, min(12.0, -s_i - 1.5))
        return _u(r, 4.0, 15.0) - s_i

    def _rep_depth_m(self, depth_cm: float) -> float:
        # reps of a set at least 25 cm deep stay at least 25 cm deep; partial sets go to 15
        lo = 25.0 if depth_cm >= 25.0 else 15.0
        return float(np.clip(depth_cm + _u(self.rng, -2.0, 2.0), lo, 70.0)) / 100.0

    def _rep(
        self,
        ts: float,
        phases_s: tuple[float, float, float],
        s_i: float,
        s_end: float,
        rise: float,
        d_m: float,
        tilt_top: float,
        set_index: int,
        rep_index: int,
        lean: float = 1.0,
    ) -> float:
        """Keyframe rep ``rep_index`` from ``ts``: descent, bottom, ascent (``phases_s``, s).

        The pelvis drops ``d_m``; the angle starts at ``s_i``, rises by ``rise`` at the bottom
        and ends at ``s_end`` (the next rep's set angle in a back-to-back set, else ``s_i``).
        ``lean`` scales the pelvis's forward tilt at the bottom (1: 18-32 deg at 45 cm; at
        most 65 deg). Records the rep for the truth and returns its end time.
        """
        r, b = self.rng, self.body
        dn, pa, up = phases_s
        tb0 = ts + dn
        tb1, te = tb0 + pa, tb0 + pa + up
        tilt_bot = tilt_top + lean * _u(r, 18.0, 32.0) * d_m / 0.45 - 0.6 * max(0.0, rise - 3.0)
        tilt_bot = min(tilt_bot, 65.0)
        b.z_m.to(tb0, self.h - d_m)
        self.move_local(tb0, -0.3 * d_m, 0.0)
        b.flexion_deg.to(ts + 0.55 * dn, s_i + 0.25 * rise)
        self.to_posture(
            tb0,
            tilt_bot,
            s_i + 0.85 * rise,
            _u(r, -3.0, 3.0),
            _u(r, -2.0, 2.0),
            _u(r, -2.0, 2.0),
        )
        b.flexion_deg.to(tb1, s_i + rise)
        b.hold_all_until(tb1)
        b.flexion_deg.to(tb1 + 0.45 * up, s_i + 0.3 * rise)
        self.to_posture(te, tilt_top, s_end)
        b.z_m.to(te, self.h)
        self.move_local(te, 0.3 * d_m, 0.0)
        b.flexion_deg.oscillate(ts, te, _u(r, 2.5, 4.0), 0.15, _u(r, 0.0, 6.28), 0.3)
        self.pending.append((ts, 0.5 * (tb0 + tb1), te, set_index, rep_index))
        self.phase(ts, te, Phase.SQUAT_REP)
        return te

    def squat_set(self, act: SquatSet) -> None:
        r, b = self.rng, self.body
        outcomes = act.outcomes if act.outcomes is not None else self._draw_outcomes(act.n_reps)
        depth_cm = act.depth_cm if act.depth_cm is not None else _u(r, *self.ath.depth_cm)
        base = (
            act.set_angle_deg if act.set_angle_deg is not None else _u(r, *self.ath.set_angle_deg)
        )
        tilt_top = _u(r, 2.0, 6.0)
        self.begin()
        set_index = self.n_sets
        self.n_sets += 1
        if act.flowing:
            self._flowing_set(act, outcomes, depth_cm, base, tilt_top, set_index)
            return
        t0 = t = self.t
        t += _u(r, 1.0, 1.5)
        self.to_posture(t, tilt_top, base)
        t += _u(r, 0.3, 0.8)
        b.hold_all_until(t)
        seg_start = t0
        for i, outcome in enumerate(outcomes):
            s_i = self._rep_angle(base, outcome)
            pause = _u(r, 0.4, 1.2)
            t += pause
            self.to_posture(t, tilt_top, s_i)
            b.hold_all_until(t)
            self.phase(seg_start, t, Phase.SQUAT_SET)
            rise = self._rise(outcome, s_i)
            d_m = self._rep_depth_m(depth_cm)
            dn, pa, up = _u(r, 1.0, 1.5), _u(r, 0.1, 1.0), _u(r, 0.8, 1.2)
            te = self._rep(t, (dn, pa, up), s_i, s_i, rise, d_m, tilt_top, set_index, i)
            t = seg_start = te
        self._end_set(t, seg_start)

    def _flowing_set(
        self,
        act: SquatSet,
        outcomes: tuple[Verdict, ...],
        depth_cm: float,
        base: float,
        tilt_top: float,
        set_index: int,
    ) -> None:
        """A set as in training recordings (see :class:`~winkmon.sim.script.SquatSet`)."""
        r, b = self.rng, self.body
        t0 = self.t
        lead = act.lead_s if act.lead_s is not None else _u(r, 1.3, 2.3)
        angles = [self._rep_angle(base, o) for o in outcomes]
        # real sets lean further than the classic ones: the waist sensor of the real recordings
        # turns 20-54 deg a rep (median 30-43 by style), the classic simulated pelvis 11-23
        lean = _u(r, 1.2, 1.7)
        # brace while settling under the bar, then go
        self.to_posture(t0 + 0.6 * lead, tilt_top, angles[0])
        t = t0 + lead
        b.hold_all_until(t)
        seg_start = t0
        tempo = act.tempo_s if act.tempo_s is not None else (1.9, 3.7)
        for i, outcome in enumerate(outcomes):
            s_i = angles[i]
            if i and not act.back_to_back:
                t += _u(r, 0.4, 1.2)
                self.to_posture(t, tilt_top, s_i)
                b.hold_all_until(t)
            self.phase(seg_start, t, Phase.SQUAT_SET)
            rise = self._rise(outcome, s_i)
            d_m = self._rep_depth_m(depth_cm)
            # tempo: descent + turn at the bottom + ascent; a pause replaces the turn
            total, turn = _u(r, *tempo), _u(r, 0.05, 0.3)
            dn = (total - turn) * _u(r, 0.45, 0.6)
            up = total - turn - dn
            pa = _u(r, 0.5, 2.0) if r.uniform() < act.pause_prob else turn
            last = i + 1 == len(outcomes)
            s_end = angles[i + 1] if act.back_to_back and not last else s_i
            te = self._rep(t, (dn, pa, up), s_i, s_end, rise, d_m, tilt_top, set_index, i, lean)
            t = seg_start = te
        self._end_set(t, seg_start)

    def _end_set(self, t: float, seg_start: float) -> None:
        """Hold at the top, then relax towards neutral: the set is over."""
        t += _u(self.rng, 0.5, 1.0)
        self.body.hold_all_until(t)
        t += 1.0
        self.to_posture(t, 0.0, _u(self.rng, -1.0, 1.0))
        self.phase(seg_start, t, Phase.SQUAT_SET)
        self.t = t

    def run(self, activity: Activity) -> None:
        if isinstance(activity, Stand):
            self.stand(activity)
        elif isinstance(activity, Calibrate):
            self.calibrate(activity)
        elif isinstance(activity, Walk):
            self.walk(activity)
        elif isinstance(activity, Turn):
            self.turn(activity)
        elif isinstance(activity, Rerack):
            self.rerack(activity)
        elif isinstance(activity, PickUp):
            self.pickup(activity)
        else:
            self.squat_set(activity)

    def reps(self) -> tuple[SimRep, ...]:
        out = []
        b = self.body
        for ts, tb, te, si, ri in self.pending:
            t = np.linspace(ts, te, max(50, int((te - ts) * 1000)))
            flex = b.flexion_deg(t)
            z = b.z_m(t)
            set_angle, peak = float(flex[0]), float(np.max(flex))
            out.append(
                SimRep(
                    start_s=ts,
                    bottom_s=tb,
                    end_s=te,
                    depth_cm=float((z[0] - np.min(z)) * 100.0),
                    set_angle_deg=set_angle,
                    peak_flexion_deg=peak,
                    verdict=classify(
                        set_angle, peak, self.cfg.flexion_threshold_deg, self.cfg.loss_threshold_deg
                    ),
                    set_index=si,
                    rep_index=ri,
                )
            )
        return tuple(out)


def compose(script: SessionScript, config: SimConfig, lead_in_s: float = 0.5) -> Choreography:
    """Script the body motion of a whole session (cheap: keyframes, no sampling)."""
    rng = np.random.default_rng([config.seed, 0x5C41])
    comp = _Composer(config, rng, lead_in_s)
    for activity in script.activities:
        comp.run(activity)
    comp.begin()
    duration = comp.t + 0.5
    comp.body.hold_all_until(duration)
    comp.phase(0.0, lead_in_s, Phase.STAND)
    phases = tuple(sorted(comp.phases, key=lambda p: p[0]))
    return Choreography(
        body=comp.body,
        duration_s=duration,
        reps=comp.reps(),
        phases=phases,
        static_s=comp.static_s,
        functional_s=comp.functional_s,
    )
