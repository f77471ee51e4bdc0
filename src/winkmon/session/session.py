"""The one session: any source's events -> decode -> clock -> pipeline -> outputs and recorder.

::

    source events ──► Session.handle ──► recorder (every event, as received)
                         │
                         ├─ StreamStarted  → make / restart the sensor's decoder
                         ├─ Notification   → decoder → SampleBatch → batch listeners, pipeline
                         ├─ NotificationBlock (many, a recording read fast): the same, per sensor
                         └─ LinkChanged    → the sensor panel's view (gaps, state)
                      pipeline output ──► step listeners (GUI ring buffers, terminal, alerts)

It is a plain object (no asyncio, no Qt): :func:`winkmon.session.run.run_source` drives it from
an asynchronous source, the player's :meth:`~winkmon.session.player.RecordingPlayer.iter_events`
drives it offline. The live dashboard, ``winkmon demo``, ``record``, ``replay``, ``report``,
calibration and the demo's own calibration all go through it, so a recording replays exactly
what was seen live (tested across loss and reconnects, device clocks running on or reset).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress

import numpy as np

from winkmon.clock import ClockModel, EnvelopeClock
from winkmon.packed import IntColumn, PackedPayloads
from winkmon.pipeline.events import AngleBlock, StepResult
from winkmon.pipeline.pipeline import Pipeline
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch
from winkmon.session.contract import (
    Channel,
    LinkChanged,
    LinkState,
    Notification,
    NotificationBlock,
    SourceEvent,
    StreamStarted,
)
from winkmon.session.decode import Decoder, make_decoder
from winkmon.stream import StreamStats

log = logging.getLogger(__name__)

ROLES = (Role.SACRUM, Role.LUMBAR)


@dataclass(slots=True)
class SensorView:
    """What the session knows of one sensor, for the sensor panel and the terminal."""

    role: Role
    state: LinkState = LinkState.CONNECTING
    detail: str = ""
    battery_pct: float | None = None
    gaps: int = 0  #: times the link dropped
    decoder: str = ""  #: notification format (driver) of the current segment
    rate_hz: float = 0.0  #: configured sample rate of the current segment
    address: str = ""
    segments: int = 0  #: stream segments so far (START and each reconnect)


class Session:
    """Decodes a source's events and runs them through the pipeline (see module doc).

    Parameters
    ----------
    pipeline:
        The analysis; None decodes only (calibration, sample exports): batch listeners still
        get every sample batch.
    session_start_ns:
        Zero of the session time base, on the host clock of the events' ``t_host_ns``.
    roles:
        The sensors of the session when there is no pipeline (default: sacrum and lumbar).
        With a pipeline: the pipeline's. Notifications of other sensors are recorded, not
        decoded (counted in :attr:`orphans`).
    clock_factory:
        Makes each sensor's device-to-session clock model (default
        :class:`~winkmon.clock.EnvelopeClock`).
    """

    def __init__(
        self,
        pipeline: Pipeline | None,
        *,
        session_start_ns: int = 0,
        roles: Iterable[Role] | None = None,
        clock_factory: Callable[[], ClockModel] = EnvelopeClock,
    ) -> None:
        self.pipeline = pipeline
        self.session_start_ns = int(session_start_ns)
        if pipeline is not None:
            self.roles: tuple[Role, ...] = pipeline.roles
        else:
            wanted = set(ROLES if roles is None else roles)
            self.roles = tuple(r for r in Role if r in wanted)
        self.clock_factory = clock_factory
        self.decoders: dict[Role, Decoder] = {}
        self.sensors: dict[Role, SensorView] = {r: SensorView(r) for r in self.roles}
        self.orphans: dict[Role, int] = {}
        #: Called with every pipeline result that has new output.
        self.step_listeners: list[Callable[[StepResult], None]] = []
        #: Called with every decoded sample batch (calibration listens here).
        self.batch_listeners: list[Callable[[SampleBatch], None]] = []
        #: Called with every source event after it was handled (rates on the sensor panel).
        self.event_listeners: list[Callable[[SourceEvent], None]] = []
        #: Gets every source event first, exactly as received (see :meth:`start_recording`).
        self.recorder: Callable[[SourceEvent], None] | None = None
        self._segments: dict[Role, StreamStarted] = {}
        self._ended = False

    # ------------------------------------------------------------------ input
    def handle(self, event: SourceEvent) -> StepResult | None:
        """One source event; the pipeline's new output (None if nothing new)."""
        if self.recorder is not None:
            self.recorder(event)
        step: StepResult | None = None
        if isinstance(event, Notification):
            if event.channel is Channel.DATA:
                step = self._data(event.role, event.t_host_ns, event.payload)
            else:
                self._status(event)
        elif isinstance(event, NotificationBlock):
            step = self._block(event)
        elif isinstance(event, StreamStarted):
            self._started(event)
        elif isinstance(event, LinkChanged):
            self._link(event)
        for listener in self.event_listeners:
            listener(event)
        if step is not None and (len(step.angles) or step.events):
            for out in self.step_listeners:
                out(step)
            return step
        return None

    def run(self, events: Iterable[SourceEvent]) -> StepResult:
        """Every event of a synchronous source (a player's :meth:`iter_events`), then
        :meth:`finish`. Returns the last output."""
        for event in events:
            self.handle(event)
        return self.finish()

    def finish(self) -> StepResult:
        """End of input: the pipeline's remaining output (once)."""
        if self._ended or self.pipeline is None:
            return StepResult(AngleBlock.empty(), ())
        self._ended = True
        step = self.pipeline.finish()
        if len(step.angles) or step.events:
            for out in self.step_listeners:
                out(step)
        return step

    # ------------------------------------------------------------------ state
    @property
    def stats(self) -> dict[Role, StreamStats]:
        """Decoding counters per sensor (loss, malformed, duplicates, restarts), summed over
        the session's segments."""
        return {r: d.stats for r, d in self.decoders.items()}

    @property
    def segments(self) -> dict[Role, StreamStarted]:
        """The stream segment each sensor is in."""
        return dict(self._segments)

    def start_recording(self, recorder: Callable[[SourceEvent], None]) -> None:
        """From now on ``recorder`` gets every event. A session already under way first tells
        it the segment each sensor is in, so the recording decodes from its first frame."""
        for started in self._segments.values():
            recorder(started)
        self.recorder = recorder

    def stop_recording(self) -> None:
        self.recorder = None

    # ------------------------------------------------------------------ internals
    def _started(self, event: StreamStarted) -> None:
        role = event.role
        self._segments[role] = event
        view = self.sensors.get(role)
        if view is not None:
            view.decoder, view.rate_hz = event.decoder, event.rate_hz
            view.segments += 1
            if event.address:
                view.address = event.address
            battery = event.info.get("battery_pct")
            if isinstance(battery, int | float) and not isinstance(battery, bool):
                view.battery_pct = float(battery)
        if role not in self.roles:
            return
        decoder = self.decoders.get(role)
        if decoder is None:
            self.decoders[role] = make_decoder(event, self.clock_factory, self.session_start_ns)
        else:
            decoder.restart(event)

    def _decoder(self, role: Role, n: int) -> Decoder | None:
        decoder = self.decoders.get(role)
        if decoder is None:
            if role in self.roles:
                log.debug("%s: %d notification(s) before the stream started", role.label, n)
            self.orphans[role] = self.orphans.get(role, 0) + n
        return decoder

    def _data(self, role: Role, t_host_ns: int, payload: bytes) -> StepResult | None:
        decoder = self._decoder(role, 1)
        if decoder is None:
            return None
        batch = decoder.feed(t_host_ns, payload)
        if batch is None:
            return None
        return self._samples([batch])

    def _block(self, block: NotificationBlock) -> StepResult | None:
        if len(block) == 0:
            return None
        role_arr = np.asarray(block.roles)
        batches = []
        # the roles present, in order (not np.unique: it imports numpy.ma, 20 ms of every
        # command's start-up)
        for r in np.flatnonzero(np.bincount(role_arr)).tolist():
            role = Role(r)
            hit = role_arr == r
            count = int(np.count_nonzero(hit))
            decoder = self._decoder(role, count)
            if decoder is None:
                continue
            times: IntColumn
            rows: Sequence[bytes]
            if count == len(block):
                times, rows = block.t_host_ns, block.payloads
            else:  # this sensor's notifications of a block holding both (C-speed picks)
                if isinstance(block.t_host_ns, np.ndarray):
                    times = block.t_host_ns[hit]
                else:
                    times = list(compress(block.t_host_ns, hit.tolist()))
                if isinstance(block.payloads, PackedPayloads):
                    rows = block.payloads.take(np.flatnonzero(hit))
                else:
                    rows = list(compress(block.payloads, hit.tolist()))
            batch = decoder.feed_many(times, rows)
            if batch is not None:
                batches.append(batch)
        return self._samples(batches) if batches else None

    def _samples(self, batches: list[SampleBatch]) -> StepResult | None:
        for batch in batches:
            for listener in self.batch_listeners:
                listener(batch)
        if self.pipeline is None:
            return None
        for batch in batches:
            self.pipeline.push(batch)
        return self.pipeline.pull()

    def _status(self, event: Notification) -> None:
        decoder = self.decoders.get(event.role)
        view = self.sensors.get(event.role)
        if decoder is None or view is None:
            return
        status = decoder.status(event.payload)
        if status is not None and status.battery_pct is not None:
            view.battery_pct = status.battery_pct

    def _link(self, event: LinkChanged) -> None:
        view = self.sensors.get(event.role)
        if view is None:
            return
        if event.state is LinkState.RECONNECTING and view.state is not LinkState.RECONNECTING:
            view.gaps += 1
        view.state, view.detail = event.state, event.detail


__all__ = ["ROLES", "SensorView", "Session"]
