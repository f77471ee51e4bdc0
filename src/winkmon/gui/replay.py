"""Replay: a recorded session's pipeline output, revealed by a seekable clock (no Qt here).

The whole recording goes through the same :class:`~winkmon.pipeline.Pipeline` as live data,
once, when it is opened (:func:`winkmon.gui.sources.analyse_recording`); the replay then shows
that output as if it were arriving: a clock with a speed factor (0.25x-8x) decides how much of
it has "happened". Seeking is instant: the controller is rebuilt from the history before the
new position (the trace's window and every event), and no cue fires for history.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from winkmon.errors import InputError
from winkmon.gui.controller import LinkState, SensorStatus, SourceKind
from winkmon.pipeline.events import (
    Alert,
    AngleBlock,
    Event,
    Gap,
    Rep,
    RepStarted,
    StepResult,
)
from winkmon.pipeline.model import Thresholds
from winkmon.protocol.constants import Role

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


def event_time(event: Event) -> float:
    """When an event was reported (a rep when it ended, a gap when it started)."""
    if isinstance(event, Rep):
        return event.end_s
    if isinstance(event, Gap):
        return event.start_s
    return event.t_s


def slice_block(block: AngleBlock, start: int, stop: int) -> AngleBlock:
    return AngleBlock(
        block.t_s[start:stop],
        block.lumbopelvic_deg[start:stop],
        block.depth_cm[start:stop],
        block.phase[start:stop],
        block.zone[start:stop],
    )


@dataclass(frozen=True, slots=True)
class SessionAnalysis:
    """A whole session's pipeline output, plus what the sensor panel shows about it."""

    angles: AngleBlock
    events: tuple[Event, ...]
    rates_hz: Mapping[Role, float]
    loss_pct: Mapping[Role, float]
    thresholds: Thresholds = field(default_factory=Thresholds)
    title: str = ""
    athlete_name: str = ""


class ReplaySource:
    """A :class:`~winkmon.gui.controller.ResultSource` over a :class:`SessionAnalysis`."""

    kind = SourceKind.REPLAY

    def __init__(self, analysis: SessionAnalysis, history_s: float = 60.0) -> None:
        self.analysis = analysis
        self.thresholds = analysis.thresholds
        self.title = analysis.title
        self.athlete_name = analysis.athlete_name
        self.history_s = history_s
        self._t = analysis.angles.t_s
        self._events = sorted(analysis.events, key=event_time)
        self._event_t = [event_time(e) for e in self._events]
        self.start_s = float(self._t[0]) if self._t.size else 0.0
        self.duration_s = float(self._t[-1]) if self._t.size else 0.0
        self.position_s = self.start_s
        self.speed = 1.0
        self.playing = True
        self._last_now: float | None = None
        self._emitted_t = -np.inf  # samples and events up to here were handed out
        self._reset = False

    # -- ResultSource ----------------------------------------------------------------------
    def start(self, now_s: float) -> None:
        self._last_now = now_s

    def close(self) -> None:
        self.playing = False

    def sensors(self) -> Mapping[Role, SensorStatus]:
        a = self.analysis
        return {
            role: SensorStatus(
                role, LinkState.REPLAY, a.rates_hz.get(role, 0.0), a.loss_pct.get(role, 0.0)
            )
            for role in (Role.SACRUM, Role.LUMBAR)
        }

    def consume_reset(self) -> bool:
        reset, self._reset = self._reset, False
        return reset

    def pull(self, now_s: float) -> StepResult:
        if self._last_now is None:
            self._last_now = now_s
        if self.playing:
            self.position_s += (now_s - self._last_now) * self.speed
            if self.position_s >= self.duration_s:
                self.position_s = self.duration_s
                self.playing = False
        self._last_now = now_s
        lo_t = self._emitted_t
        if lo_t == -np.inf:  # after a seek: the history the trace and tables need
            lo_t = self.position_s - self.history_s
        first = int(np.searchsorted(self._t, lo_t, side="right"))
        last = int(np.searchsorted(self._t, self.position_s, side="right"))
        ev_first = (
            0 if self._emitted_t == -np.inf else bisect.bisect_right(self._event_t, self._emitted_t)
        )
        ev_last = bisect.bisect_right(self._event_t, self.position_s)
        self._emitted_t = self.position_s
        return StepResult(
            slice_block(self.analysis.angles, first, max(first, last)),
            tuple(self._events[ev_first:ev_last]),
        )

    # -- transport -------------------------------------------------------------------------
    def seek(self, t_s: float) -> None:
        self.position_s = min(max(t_s, self.start_s), self.duration_s)
        self._emitted_t = -np.inf
        self._reset = True

    def set_speed(self, speed: float) -> None:
        if not 0.25 <= speed <= 8.0:
            raise InputError("replay speed must be within 0.25x..8x")
        self.speed = speed

    def play(self) -> None:
        if self.position_s >= self.duration_s:
            self.seek(self.start_s)
        self.playing = True

    def pause(self) -> None:
        self.playing = False

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    # -- markers ---------------------------------------------------------------------------
    @property
    def reps(self) -> list[Rep]:
        return [e for e in self._events if isinstance(e, Rep)]

    @property
    def alerts(self) -> list[Alert]:
        return [e for e in self._events if isinstance(e, Alert)]

    def rep_starts(self) -> list[float]:
        starts = [e.t_s for e in self._events if isinstance(e, RepStarted)]
        return starts or [r.start_s for r in self.reps]

    def _jump(self, times: list[float], forward: bool, offset_s: float) -> float | None:
        """Seek to ``offset_s`` from the next/previous marker time; return the marker time."""
        pos = self.position_s
        if forward:
            later = [t for t in times if t + offset_s > pos + 0.05]
            target = min(later) if later else None
        else:
            earlier = [t for t in times if t + offset_s < pos - 0.25]
            target = max(earlier) if earlier else None
        if target is None:
            return None
        self.seek(target + offset_s)
        return target

    #: Where a jump lands: just before a rep starts; just after an alert (its marker in view).
    REP_OFFSET_S = -0.5
    ALERT_OFFSET_S = 0.3

    def next_rep(self) -> float | None:
        return self._jump(self.rep_starts(), True, self.REP_OFFSET_S)

    def previous_rep(self) -> float | None:
        return self._jump(self.rep_starts(), False, self.REP_OFFSET_S)

    def next_alert(self) -> float | None:
        return self._jump([a.t_s for a in self.alerts], True, self.ALERT_OFFSET_S)

    def previous_alert(self) -> float | None:
        return self._jump([a.t_s for a in self.alerts], False, self.ALERT_OFFSET_S)
