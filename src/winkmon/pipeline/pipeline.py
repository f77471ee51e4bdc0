"""The whole processing chain as one plain object.

``Pipeline`` is fed sample batches (decoded by the one
:class:`~winkmon.session.session.Session`), in arrival order, in chunks of any size, and returns
what became ready: the angle on a uniform grid and events (reps, alerts, gaps). Live, demo,
replay and offline reports use it unchanged; only the source differs. Feeding a session in one
batch or in random chunks gives identical angles, reps and alerts (tested).

::

    sample batches -> SensorChain (orientation, inclination, vertical acc)  -- per sensor
                  -> GridAligner (both sensors on one time grid)
                  -> SquatTracker (depth, reps, verdicts, alerts)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from winkmon.errors import WinkmonError
from winkmon.orientation import DEFAULT_METHOD, FilterFactory
from winkmon.pipeline.align import GridAligner, GridBlock
from winkmon.pipeline.chain import ChainOutput, SensorChain
from winkmon.pipeline.events import AngleBlock, Event, Gap, StepResult
from winkmon.pipeline.model import AthleteModel
from winkmon.pipeline.squat import SquatTracker
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch

ROLES = (Role.SACRUM, Role.LUMBAR)
#: Shorter holes (a lost notification or two) are packet loss, counted in the stream stats,
#: not gaps worth an event.
MIN_GAP_S = 0.25


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Processing settings (the athlete's own settings live in their profile)."""

    #: Orientation filter: "vqf" (default), "madgwick", "mahony" or "ekf", or a factory
    #: ``rate_hz -> OrientationFilter`` of one's own (:func:`~winkmon.orientation.filter_factory`).
    orientation: str | FilterFactory = DEFAULT_METHOD
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
    ) -> None:
        self.model = model
        self.config = config or PipelineConfig()
        cfg = self.config
        self.roles = tuple(r for r in ROLES if r in rates_hz)
        if not self.roles:
            raise WinkmonError("a pipeline needs at least one sensor (sacrum or lumbar)")
        self.rates_hz = {r: float(rates_hz[r]) for r in self.roles}
        self.has_angle = model.has_angle and len(self.roles) == 2
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
    def feed_batch(self, batch: SampleBatch) -> StepResult:
        """Samples of one sensor (decoded by the session); what became ready."""
        self.push(batch)
        return self.pull()

    def push(self, batch: SampleBatch) -> None:
        """Samples of one sensor, without pulling the output (see :meth:`pull`)."""
        if len(batch) == 0 or batch.role not in self.chains:
            return
        self.aligner.push(batch.role, self.chains[batch.role].process(batch))

    def push_chained(self, role: Role, output: ChainOutput) -> None:
        """What :meth:`push` gives the aligner, for a batch put through a copy of this
        pipeline's chain for ``role`` elsewhere (a decoding process; the chain's output
        depends only on its sensor's batches in order)."""
        if len(output) == 0 or role not in self.chains:
            return
        self.aligner.push(role, output)

    def pull(self) -> StepResult:
        """What the samples pushed so far made ready."""
        return self._pull(final=False)

    def finish(self) -> StepResult:
        """End of input: everything still buffered."""
        return self._pull(final=True)

    # ------------------------------------------------------------------ internals
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
