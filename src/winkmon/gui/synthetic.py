"""A scripted athlete that produces pipeline *output* directly: the dashboard's test double.

:class:`SyntheticSource` skips sensors and the pipeline: it writes the angle, depth, phase and
zone an athlete doing sets of squats would produce, with reps, alerts and an occasional sensor
gap, on the pipeline's 100 Hz grid. It is deterministic (a pure function of the seed and the
time), paced by the clock it is given, and quick, so GUI tests and screenshots need neither
the simulator nor the pipeline. The demo uses the real chain (:mod:`winkmon.gui.sources`) when
it is available; this class is its fallback and the GUI tests' fixed script.

Script: each 48 s cycle is one set: 3 s standing, five 4 s reps, 25 s of rest. Within a set the
reps go good, good, good, extension lost, butt wink (the fatigue pattern), with a small
per-rep variation drawn from the seed. The lumbar sensor drops out for 0.6 s during each rest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from winkmon.gui.controller import LinkState, SensorStatus, SourceKind
from winkmon.pipeline.events import (
    Alert,
    AlertLevel,
    AngleBlock,
    Event,
    Gap,
    Phase,
    Rep,
    RepStarted,
    StepResult,
    Verdict,
    Zone,
)
from winkmon.pipeline.model import Thresholds
from winkmon.protocol.constants import Role

RATE_HZ = 100.0
CYCLE_S = 48.0
LEAD_S = 3.0
REP_S = 4.0
REPS_PER_SET = 5
DESCENT_S, BOTTOM_S, ASCENT_S = 1.3, 0.4, 1.1
GAP_START_S, GAP_S = 35.0, 0.6
PATTERN = (Verdict.OK, Verdict.OK, Verdict.OK, Verdict.EXTENSION_LOST, Verdict.FLEXION)


def _smooth(s: np.ndarray) -> np.ndarray:
    s = np.clip(s, 0.0, 1.0)
    return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)


@dataclass(frozen=True, slots=True)
class _RepPlan:
    set_angle_deg: float
    depth_cm: float
    rise_deg: float  #: how far the angle rises from the set angle at the bottom


class SyntheticSource:
    """Scripted pipeline output paced by a clock (see the module doc)."""

    kind = SourceKind.DEMO

    def __init__(
        self,
        seed: int = 0,
        thresholds: Thresholds | None = None,
        speed: float = 1.0,
        start_offset_s: float = 0.0,
    ) -> None:
        self.seed = seed
        self.thresholds = thresholds or Thresholds()
        self.speed = speed
        self._offset = start_offset_s
        self._t0: float | None = None
        self._next_k = math.ceil(start_offset_s * RATE_HZ)
        self._rep_number = 0
        self._rep_open: tuple[int, int] | None = None  # (cycle, rep) of the rep in progress
        self._rep_stats: dict[str, float] = {}
        self._alerted: set[AlertLevel] = set()
        self._dwell: dict[AlertLevel, int] = {}
        self._session_s = 0.0
        self._gap_open = False

    # -- ResultSource ----------------------------------------------------------------------
    def start(self, now_s: float) -> None:
        self._t0 = now_s

    def close(self) -> None:
        pass

    def sensors(self) -> Mapping[Role, SensorStatus]:
        t = self._session_s
        gap = self._in_gap(np.array([t]))[0]
        return {
            Role.SACRUM: SensorStatus(
                Role.SACRUM, LinkState.CONNECTED, 400.0, 0.2, max(5.0, 92.0 - t / 120), "sim-S"
            ),
            Role.LUMBAR: SensorStatus(
                Role.LUMBAR,
                LinkState.RECONNECTING if gap else LinkState.CONNECTED,
                0.0 if gap else 400.0,
                0.6,
                max(5.0, 71.0 - t / 100),
                "sim-L",
            ),
        }

    def pull(self, now_s: float) -> StepResult:
        if self._t0 is None:
            self.start(now_s)
        assert self._t0 is not None
        self._session_s = self._offset + (now_s - self._t0) * self.speed
        last_k = math.floor(self._session_s * RATE_HZ)
        if last_k < self._next_k:
            return StepResult(AngleBlock.empty(), ())
        k = np.arange(self._next_k, last_k + 1)
        self._next_k = last_k + 1
        return self.generate(k / RATE_HZ)

    # -- the script ------------------------------------------------------------------------
    def _plan(self, cycle: int, rep: int) -> _RepPlan:
        rng = np.random.default_rng([self.seed, cycle, rep])
        set_rng = np.random.default_rng([self.seed, cycle])
        set_angle = float(set_rng.uniform(-12.0, -9.0) + rng.normal(0.0, 0.5))
        depth = float(set_rng.uniform(40.0, 52.0) + rng.normal(0.0, 1.5))
        kind = PATTERN[(rep + cycle) % REPS_PER_SET] if cycle % 2 else PATTERN[rep]
        loss, flex = self.thresholds.loss_deg, self.thresholds.flexion_deg
        if kind is Verdict.OK:
            rise = float(rng.uniform(1.0, 0.6 * loss))
        elif kind is Verdict.EXTENSION_LOST:
            rise = float(min(loss + rng.uniform(1.5, 3.0), -set_angle + flex - 1.0))
        else:
            rise = float(-set_angle + flex + rng.uniform(3.0, 6.0))
        return _RepPlan(set_angle, depth, rise)

    def _in_gap(self, t: np.ndarray) -> np.ndarray:
        tc = np.mod(t, CYCLE_S)
        return (tc >= GAP_START_S) & (tc < GAP_START_S + GAP_S)

    def generate(self, t: np.ndarray) -> StepResult:
        """Output samples at times ``t`` (increasing, continuing the previous call)."""
        n = t.size
        cycle = np.floor(t / CYCLE_S).astype(int)
        tc = t - cycle * CYCLE_S
        in_set = (tc >= LEAD_S) & (tc < LEAD_S + REPS_PER_SET * REP_S)
        rep = np.where(in_set, np.floor((tc - LEAD_S) / REP_S), -1).astype(int)
        u = tc - LEAD_S - rep * REP_S
        angle = np.empty(n)
        depth = np.zeros(n)
        phase = np.zeros(n, np.int8)
        # Quiet standing/rest: near the athlete's relaxed posture, with sway.
        rest_angle = -4.0 + 1.5 * np.sin(2 * np.pi * t / 7.0) + 0.8 * np.sin(2 * np.pi * t / 2.3)
        angle[:] = rest_angle
        for i in range(n):
            c, tci = int(cycle[i]), float(tc[i])
            if rep[i] < 0:
                # Standing before the set (bracing into the first rep's set angle) or resting.
                if tci < LEAD_S:
                    w = float(_smooth(np.array((tci - 1.0) / 1.5)))
                    target = self._plan(c, 0).set_angle_deg
                else:
                    w = 1.0 - float(_smooth(np.array((tci - LEAD_S - REPS_PER_SET * REP_S) / 1.5)))
                    target = self._plan(c, REPS_PER_SET - 1).set_angle_deg
                angle[i] = rest_angle[i] + (target - rest_angle[i]) * w
                continue
            plan = self._plan(c, int(rep[i]))
            ui = float(u[i])
            descent = float(_smooth(np.array(ui / DESCENT_S)))
            ascent = float(_smooth(np.array((ui - DESCENT_S - BOTTOM_S) / ASCENT_S)))
            depth[i] = plan.depth_cm * (descent - ascent)
            # The back holds its set angle and gives way late in the descent, if at all.
            wink = float(_smooth(np.array((ui - 0.5) / (DESCENT_S - 0.3)))) - ascent
            base = plan.set_angle_deg
            if rep[i] + 1 < REPS_PER_SET and ui > REP_S - 0.8:  # re-brace for the next rep
                nxt = self._plan(c, int(rep[i]) + 1).set_angle_deg
                base += (nxt - base) * float(_smooth(np.array((ui - REP_S + 0.8) / 0.6)))
            angle[i] = base + 0.4 * np.sin(2 * np.pi * t[i] / 2.3) + plan.rise_deg * max(0.0, wink)
            if ui < DESCENT_S:
                phase[i] = Phase.DESCENT
            elif ui < DESCENT_S + BOTTOM_S:
                phase[i] = Phase.BOTTOM
            elif ui < DESCENT_S + BOTTOM_S + ASCENT_S:
                phase[i] = Phase.ASCENT
        rng = np.random.default_rng([self.seed, 7, int(t[0] * RATE_HZ) if n else 0])
        angle += rng.normal(0.0, 0.15, n)
        gap = self._in_gap(t)
        angle[gap] = np.nan
        zone, events = self._zones_and_events(t, angle, depth, phase, rep, cycle, gap)
        block = AngleBlock(t.astype(np.float64), angle, depth, phase, zone)
        return StepResult(block, tuple(events))

    def _zones_and_events(
        self,
        t: np.ndarray,
        angle: np.ndarray,
        depth: np.ndarray,
        phase: np.ndarray,
        rep: np.ndarray,
        cycle: np.ndarray,
        gap: np.ndarray,
    ) -> tuple[np.ndarray, list[Event]]:
        th = self.thresholds
        zone = np.full(t.size, Zone.EXTENSION, np.int8)
        events: list[Event] = []
        dwell_n = max(1, round(th.dwell_s * RATE_HZ))
        for i in range(t.size):
            if gap[i]:
                zone[i] = Zone.UNKNOWN
                if not self._gap_open:
                    self._gap_open = True
                    events.append(Gap(Role.LUMBAR, float(t[i]), float(t[i]) + GAP_S))
                continue
            self._gap_open = False
            key = (int(cycle[i]), int(rep[i]))
            active = rep[i] >= 0 and phase[i] != Phase.IDLE
            if active and self._rep_open != key:
                self._rep_number += 1
                self._rep_open = key
                plan = self._plan(*key)
                self._rep_stats = {
                    "start": float(t[i]),
                    "set": plan.set_angle_deg,
                    "peak": -np.inf,
                    "peak_s": float(t[i]),
                    "depth": 0.0,
                    "bottom": float(t[i]),
                    "onset": np.nan,
                    "onset_depth": np.nan,
                    "peak_phase": 0.0,
                }
                self._alerted = set()
                self._dwell = {}
                events.append(RepStarted(self._rep_number, float(t[i]), plan.set_angle_deg))
            a = float(angle[i])
            if a > th.flexion_deg:
                zone[i] = Zone.FLEXION
            elif self._rep_open is not None and a > self._rep_stats["set"] + th.loss_deg:
                zone[i] = Zone.EXTENSION_LOST
            if self._rep_open is None:
                continue
            st = self._rep_stats
            if a > st["peak"]:
                st["peak"], st["peak_s"], st["peak_phase"] = a, float(t[i]), float(phase[i])
            if depth[i] > st["depth"]:
                st["depth"], st["bottom"] = float(depth[i]), float(t[i])
            if zone[i] == Zone.FLEXION and np.isnan(st["onset"]):
                st["onset"], st["onset_depth"] = float(t[i]), float(depth[i])
            for level, z in ((AlertLevel.EXTENSION_LOST, 2), (AlertLevel.FLEXION, 3)):
                if zone[i] >= z and level not in self._alerted:
                    self._dwell[level] = self._dwell.get(level, 0) + 1
                    if self._dwell[level] >= dwell_n:
                        self._alerted.add(level)
                        events.append(Alert(level, float(t[i]), self._rep_number, a, st["set"]))
                elif zone[i] < z:
                    self._dwell[level] = 0
            if not active:
                events.append(self._close_rep(float(t[i])))
        return zone, events

    def _close_rep(self, t_end: float) -> Rep:
        st = self._rep_stats
        self._rep_open = None
        th = self.thresholds
        if st["peak"] > th.flexion_deg:
            verdict = Verdict.FLEXION
        elif st["peak"] > st["set"] + th.loss_deg:
            verdict = Verdict.EXTENSION_LOST
        else:
            verdict = Verdict.OK
        onset = None if np.isnan(st["onset"]) else st["onset"]
        onset_depth = None if np.isnan(st["onset_depth"]) else st["onset_depth"]
        phase_name = {1: "descent", 2: "bottom", 3: "ascent"}.get(int(st["peak_phase"]), "bottom")
        return Rep(
            number=self._rep_number,
            start_s=st["start"],
            bottom_s=st["bottom"],
            end_s=t_end,
            depth_cm=st["depth"],
            set_angle_deg=st["set"],
            peak_flexion_deg=st["peak"],
            peak_s=st["peak_s"],
            verdict=verdict,
            flexion_onset_s=onset,
            flexion_onset_depth_cm=onset_depth,
            peak_phase=phase_name,
        )
