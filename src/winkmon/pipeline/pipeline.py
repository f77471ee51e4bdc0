"""The whole processing chain as one plain object.

``Pipeline`` is fed DATA notifications (from BLE, a recording, the simulator) or sample
batches, in arrival order, in chunks of any size, and returns what became ready: the angle on a
uniform grid and events (reps, alerts, gaps). Live, demo, replay and offline reports use it
unchanged; only the source differs. Feeding a session in one batch or in random chunks gives
identical angles, reps and alerts (tested).

::

    notifications -> SensorStream (decode, unwrap, loss, clock)  -- per sensor
                  -> SensorChain (orientation, inclination, vertical acc)
                  -> GridAligner (both sensors on one time grid)
                  -> SquatTracker (depth, reps, verdicts, alerts)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from winkmon.clock import ClockModel, EnvelopeClock
from winkmon.orientation import DEFAULT_METHOD
from winkmon.pipeline.align import GridAligner, GridBlock
from winkmon.pipeline.chain import SensorChain
from winkmon.pipeline.events import AngleBlock, Event, Gap, StepResult
from winkmon.pipeline.model import AthleteModel
from winkmon.pipeline.squat import SquatTracker
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch
from winkmon.stream import SensorStream, StreamStats

ROLES = (Role.SACRUM, Role.LUMBAR)
#: Shorter holes (a lost notification or two) are packet loss, counted in the stream stats,
#: not gaps worth an event.
MIN_GAP_S = 0.25


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Processing settings (the athlete's own settings live in their profile)."""

    #: Orientation filter: "vqf" (default), "madgwick", "mahony" or "ekf".
    orientation: str = DEFAULT_METHOD
    #: Rate of the output grid (angle, depth, phase), Hz.
    out_rate_hz: float = 100.0
    #: Gaps up to this long are bridged for the orientation filter, seconds.
    max_fill_s: float = 0.6
    #: A sensor this far behind the other no longer holds the output back, seconds.
    max_wait_s: float = 1.0


class Pipeline:
    """Two sensor streams in; lumbopelvic angle, depth, reps and alerts out.

    ``rates_hz`` names the sensors of the session: with only the sacrum sensor (or a model
    without both mounts) the pipeline still gives reps, depth, tempo and, where the sacrum is
    calibrated, the pelvic tilt; the lumbopelvic angle is NaN and verdicts ``unavailable``.
    """

    def __init__(
        self,
        model: AthleteModel,
        rates_hz: Mapping[Role, float],
        config: PipelineConfig | None = None,
        clocks: Mapping[Role, ClockModel] | None = None,
        session_start_ns: int = 0,
    ) -> None:
        self.model = model
        self.config = config or PipelineConfig()
        cfg = self.config
        self.roles = tuple(r for r in ROLES if r in rates_hz)
        if not self.roles:
            raise ValueError("a pipeline needs at least one sensor (sacrum or lumbar)")
        self.rates_hz = {r: float(rates_hz[r]) for r in self.roles}
        self.has_angle = model.has_angle and len(self.roles) == 2
        self.streams = {
            r: SensorStream(
                r,
                self.rates_hz[r],
                clock=(clocks[r] if clocks is not None else EnvelopeClock()),
                session_start_ns=session_start_ns,
            )
            for r in self.roles
        }
        self.chains = {
            r: SensorChain(
                r, self.rates_hz[r], model.mounts.get(r), cfg.orientation, cfg.max_fill_s
            )
            for r in self.roles
        }
        self.aligner = GridAligner(self.rates_hz, cfg.out_rate_hz, cfg.max_wait_s)
        self.tracker = SquatTracker(
            model.thresholds, cfg.out_rate_hz, angle_available=self.has_angle
        )
        self._gap_start: dict[Role, float | None] = dict.fromkeys(self.roles)
        self._seen: dict[Role, bool] = dict.fromkeys(self.roles, False)
        self._last_t = math.nan

    # ------------------------------------------------------------------ feeding
    def feed_notification(self, role: Role, t_host_ns: int, payload: bytes) -> StepResult:
        """One DATA notification of one sensor (the live path)."""
        stream = self.streams.get(role)
        if stream is None:
            return self._pull(final=False)  # a sensor this session does not use
        batch = stream.feed(t_host_ns, payload)
        if batch is not None:
            self._push(batch)
        return self._pull(final=False)

    def feed_notifications(self, items: Sequence[tuple[Role, int, bytes]]) -> StepResult:
        """DATA notifications of both sensors, in arrival order."""
        if not items:
            return self._pull(final=False)
        roles, times, payloads = zip(*items, strict=True)
        return self.feed_columns(roles, times, payloads)

    def feed_columns(
        self, roles: Sequence[int], t_host_ns: Sequence[int], payloads: Sequence[bytes]
    ) -> StepResult:
        """The same, column-wise (how recordings are read fastest)."""
        role_arr = np.asarray(roles)
        for role in self.roles:
            idx = np.flatnonzero(role_arr == int(role))
            if len(idx) == 0:
                continue
            if len(idx) == len(payloads):
                times, rows = t_host_ns, payloads
            else:
                sel = idx.tolist()
                times = [t_host_ns[i] for i in sel]
                rows = [payloads[i] for i in sel]
            batch = self.streams[role].feed_many(times, rows)
            if batch is not None:
                self._push(batch)
        return self._pull(final=False)

    def feed_batch(self, batch: SampleBatch) -> StepResult:
        """Samples that were decoded elsewhere (CSV, a source of its own)."""
        self._push(batch)
        return self._pull(final=False)

    def finish(self) -> StepResult:
        """End of input: everything still buffered."""
        return self._pull(final=True)

    @property
    def stats(self) -> dict[Role, StreamStats]:
        return {r: s.stats for r, s in self.streams.items()}

    # ------------------------------------------------------------------ internals
    def _push(self, batch: SampleBatch) -> None:
        if len(batch) == 0 or batch.role not in self.chains:
            return
        self.aligner.push(batch.role, self.chains[batch.role].process(batch))

    def _pull(self, final: bool) -> StepResult:
        grid = self.aligner.pull(final=final)
        if len(grid) == 0:
            return StepResult(AngleBlock.empty(), ())
        angle = grid.incl_lumbar_deg - grid.incl_pelvis_deg
        depth, phase, zone, events = self.tracker.step(
            grid.t_s,
            angle,
            grid.a_vert_m_s2,
            grid.gyr_norm_rad_s,
            grid.a_vert_lumbar_m_s2,
            grid.up_sacrum,
        )
        events = self._gaps(grid, events, final)
        return StepResult(
            AngleBlock(grid.t_s, angle, depth, phase, zone, grid.incl_pelvis_deg), tuple(events)
        )

    def _gaps(self, grid: GridBlock, events: list[Event], final: bool) -> list[Event]:
        """Gap events: stretches of at least ``MIN_GAP_S`` where a sensor gave no data."""
        extra: list[tuple[float, Event]] = []
        for role, have in (
            (Role.SACRUM, grid.a_vert_m_s2),
            (Role.LUMBAR, grid.a_vert_lumbar_m_s2),
        ):
            if role not in self._seen:
                continue
            missing = np.isnan(have)
            t = grid.t_s
            start = self._gap_start[role]
            if start is None and self._seen[role] and not missing.any():
                continue  # the usual case: data throughout, no gap open
            if not self._seen[role]:
                # Before a sensor's first sample there is nothing to call a gap.
                first = np.flatnonzero(~missing)
                if len(first) == 0:
                    continue
                self._seen[role] = True
                missing = missing.copy()
                missing[: first[0]] = False
            edges = np.flatnonzero(
                np.diff(np.concatenate(([start is not None], missing)).astype(np.int8))
            )
            for e in edges.tolist():
                if missing[e]:
                    start = float(t[e])
                elif start is not None:
                    if float(t[e]) - start >= MIN_GAP_S:
                        extra.append((float(t[e]), Gap(role, start, float(t[e]))))
                    start = None
            if final and start is not None:
                if float(t[-1]) - start >= MIN_GAP_S:
                    extra.append((float(t[-1]), Gap(role, start, float(t[-1]))))
                start = None
            self._gap_start[role] = start
        if not extra:
            return events
        merged: list[Event] = list(events)
        merged.extend(e for _, e in sorted(extra, key=lambda x: x[0]))
        return sorted(merged, key=_event_time)


def _event_time(e: Event) -> float:
    if isinstance(e, Gap):
        return e.end_s
    if hasattr(e, "end_s"):
        return float(e.end_s)
    return float(e.t_s)
