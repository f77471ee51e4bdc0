"""The session the dashboard shows, as a plain object the GUI polls (no Qt, no asyncio here).

A :class:`SessionController` owns one :class:`ResultSource` (live sensors, the demo, a replay)
and the ring buffers of the pipeline's output. The window's frame timer calls :meth:`poll`
30-60 times a second; ``poll`` pulls whatever the source produced since the last call, writes
the samples into the ring buffers and returns the new events. The widgets then read the
latest seconds straight from the buffers (contiguous views, no copies). Nothing here emits a
Qt signal per sample: the data rate and the frame rate are decoupled.

The same controller serves every source: live, demo and replay differ only in the source.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from winkmon.gui.ringbuffer import RingBuffer
from winkmon.pipeline.events import (
    Alert,
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
from winkmon.session.contract import LinkState

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Int8Array = npt.NDArray[np.int8]


class SourceKind(enum.StrEnum):
    LIVE = "live"  #: the athlete's own sensors
    DEMO = "demo"  #: virtual sensors / simulated athlete
    REPLAY = "replay"  #: a recording


@dataclass(frozen=True, slots=True)
class SensorStatus:
    """What the sensor panel shows for one sensor."""

    role: Role
    link: LinkState
    rate_hz: float = 0.0  #: samples per second received over the last seconds
    loss_pct: float = 0.0  #: samples lost, percent of those expected
    battery_pct: float | None = None  #: None when unknown
    name: str = ""  #: device name or address
    kind: str = ""  #: sensor kind when not a winkmon sensor (``polar-verity``, ...), else ""


class ResultSource(Protocol):
    """Where a session's pipeline output comes from.

    All methods run on the GUI's thread (the qasync loop). ``pull`` must be quick: it is called
    every frame. ``now_s`` is a monotonic wall clock in seconds; the source paces itself on it.
    """

    kind: SourceKind
    thresholds: Thresholds

    def start(self, now_s: float) -> None:
        """Begin producing (start the sensors, the clock, ...)."""
        ...

    def pull(self, now_s: float) -> StepResult:
        """Everything produced since the previous call (session time base, seconds)."""
        ...

    def sensors(self) -> Mapping[Role, SensorStatus]:
        """The current state of each sensor."""
        ...

    def close(self) -> None:
        """Stop and release everything (idempotent)."""
        ...


@dataclass(slots=True)
class SetSummary:
    """The reps of one set, in coach terms."""

    number: int
    reps: list[Rep] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.reps)

    def verdict_counts(self) -> dict[Verdict, int]:
        counts = dict.fromkeys(Verdict, 0)
        for rep in self.reps:
            counts[rep.verdict] += 1
        return counts

    @property
    def worst_peak_deg(self) -> float | None:
        return max((r.peak_flexion_deg for r in self.reps), default=None)

    @property
    def mean_depth_cm(self) -> float | None:
        return float(np.mean([r.depth_cm for r in self.reps])) if self.reps else None

    @property
    def first_wink_rep(self) -> int | None:
        """The first rep (number within the set, 1-based) that went into flexion."""
        for i, rep in enumerate(self.reps, 1):
            if rep.verdict is Verdict.FLEXION:
                return i
        return None

    @property
    def wink_onset_depth_cm(self) -> float | None:
        """The shallowest depth at which the back went into flexion in this set."""
        depths = [r.flexion_onset_depth_cm for r in self.reps if r.flexion_onset_depth_cm]
        return min(depths) if depths else None


@dataclass(frozen=True, slots=True)
class PollResult:
    """What changed since the previous poll."""

    events: tuple[Event, ...] = ()
    #: The controller's state was rebuilt (a replay seek): redraw tables from scratch, and do
    #: not cue: the events of a rebuild are history, not news.
    reset: bool = False
    new_samples: int = 0


@dataclass(frozen=True, slots=True)
class Current:
    """The latest output sample, for the big number."""

    t_s: float
    angle_deg: float  #: NaN when a sensor is missing
    depth_cm: float
    phase: Phase
    zone: Zone


class SessionController:
    """Owns a source and the buffers the dashboard draws from (see the module doc).

    ``window_s`` is how much history the ring buffers keep (the trace shows the last 10 s of
    it); ``rate_hz`` is the pipeline's output rate, used only to size the buffers.
    ``set_break_s``: a rep that starts this long after the previous one ended begins a new set.
    """

    def __init__(
        self,
        source: ResultSource,
        window_s: float = 60.0,
        rate_hz: float = 100.0,
        set_break_s: float = 20.0,
        clock: Clock | None = None,
    ) -> None:
        self.source = source
        self.set_break_s = set_break_s
        self._clock: Clock = clock or time.monotonic
        cap = max(16, int(window_s * rate_hz * 1.25))
        self.t_s = RingBuffer(cap)
        self.angle_deg = RingBuffer(cap)
        self.depth_cm = RingBuffer(cap)
        self.phase = RingBuffer(cap, np.int8)
        self.zone = RingBuffer(cap, np.int8)
        self.sets: list[SetSummary] = []
        self.alerts: list[Alert] = []
        self.gaps: list[Gap] = []
        self.rep_in_progress: RepStarted | None = None
        self._last_rep_end_s: float | None = None
        self._started = False
        self._pending_reset = False

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if not self._started:
            self.source.start(self._clock())
            self._started = True

    def close(self) -> None:
        self.source.close()

    def replace_source(self, source: ResultSource) -> None:
        """Show another source (a new demo, a recording); the old one is closed."""
        self.source.close()
        self.source = source
        self._started = False
        self.clear()
        self.start()

    def clear(self) -> None:
        """Forget all data (the next poll reports a reset)."""
        for rb in (self.t_s, self.angle_deg, self.depth_cm, self.phase, self.zone):
            rb.clear()
        self.sets.clear()
        self.alerts.clear()
        self.gaps.clear()
        self.rep_in_progress = None
        self._last_rep_end_s = None
        self._pending_reset = True

    # -- the frame tick --------------------------------------------------------------------
    def poll(self, now_s: float | None = None) -> PollResult:
        """Pull what the source produced since the last call; return the new events."""
        now = self._clock() if now_s is None else now_s
        if not self._started:
            self.source.start(now)
            self._started = True
        # A replay that seeked hands the history up to the new position on the next pull.
        if getattr(self.source, "consume_reset", _no)():
            self.clear()
        reset, self._pending_reset = self._pending_reset, False
        result = self.source.pull(now)
        self.ingest(result)
        return PollResult(result.events, reset, len(result.angles))

    def ingest(self, result: StepResult) -> None:
        """Write a pipeline result into the buffers and the rep/alert lists."""
        block = result.angles
        if len(block):
            self.t_s.extend(block.t_s)
            self.angle_deg.extend(block.lumbopelvic_deg)
            self.depth_cm.extend(block.depth_cm)
            self.phase.extend(block.phase)
            self.zone.extend(block.zone)
        for event in result.events:
            self._on_event(event)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, RepStarted):
            last_end = self._last_rep_end_s
            if not self.sets or (last_end is not None and event.t_s - last_end > self.set_break_s):
                self.sets.append(SetSummary(len(self.sets) + 1))
            self.rep_in_progress = event
        elif isinstance(event, Rep):
            if not self.sets:
                self.sets.append(SetSummary(1))
            self.sets[-1].reps.append(event)
            self._last_rep_end_s = event.end_s
            self.rep_in_progress = None
        elif isinstance(event, Alert):
            self.alerts.append(event)
        elif isinstance(event, Gap):
            self.gaps.append(event)

    # -- what the widgets read -------------------------------------------------------------
    @property
    def thresholds(self) -> Thresholds:
        return self.source.thresholds

    @property
    def current_set(self) -> SetSummary | None:
        return self.sets[-1] if self.sets else None

    @property
    def all_reps(self) -> list[Rep]:
        return [rep for s in self.sets for rep in s.reps]

    def window(self, seconds: float) -> tuple[FloatArray, FloatArray, FloatArray, Int8Array]:
        """``(t_s, angle_deg, depth_cm, phase)`` of the last ``seconds`` (views, oldest first)."""
        t = self.t_s.last()
        if t.size == 0:
            empty = np.empty(0)
            return empty, empty, empty, np.empty(0, np.int8)
        first = int(np.searchsorted(t, t[-1] - seconds, side="left"))
        n = t.size - first
        return (
            t[first:],
            self.angle_deg.last(n),
            self.depth_cm.last(n),
            self.phase.last(n),  # type: ignore[return-value]
        )

    def current(self) -> Current | None:
        """The latest output sample (None before any)."""
        if len(self.t_s) == 0:
            return None
        return Current(
            t_s=float(self.t_s.last(1)[0]),
            angle_deg=float(self.angle_deg.last(1)[0]),
            depth_cm=float(self.depth_cm.last(1)[0]),
            phase=Phase(int(self.phase.last(1)[0])),
            zone=Zone(int(self.zone.last(1)[0])),
        )

    @property
    def loss_line_deg(self) -> float | None:
        """The extension-lost threshold of the rep in progress (None between reps)."""
        rep = self.rep_in_progress
        if rep is None:
            return None
        return rep.set_angle_deg + self.thresholds.loss_deg

    def sensors(self) -> Mapping[Role, SensorStatus]:
        return self.source.sensors()


class Clock(Protocol):
    def __call__(self) -> float: ...


def _no() -> bool:
    return False
