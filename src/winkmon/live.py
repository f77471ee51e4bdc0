"""A live session: sensor hub events in, pipeline results out, optionally recorded.

:class:`LiveSession` is the glue between a connected :class:`~winkmon.ble.hub.SensorHub` (real
or virtual sensors) and the :class:`~winkmon.pipeline.pipeline.Pipeline`. It knows asyncio (it
awaits the hub) but nothing of Qt: the GUI, ``winkmon demo --headless`` and tests use it alike.
Every result goes to ``on_step``; alerts also buzz the sensor that has a motor, so the athlete
under the bar feels them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from winkmon.ble.events import LinkState, LinkStateKind, Notification, StatusUpdate
from winkmon.ble.hub import SensorHub
from winkmon.pipeline.events import Alert, AlertLevel, StepResult
from winkmon.pipeline.pipeline import Pipeline
from winkmon.protocol.constants import BuzzPattern, Role
from winkmon.recording import RecordingWriter

log = logging.getLogger(__name__)


@dataclass(slots=True)
class LinkView:
    """What the sensor panel shows of one sensor."""

    state: str = "connecting"
    battery_pct: int | None = None
    detail: str = ""
    gaps: int = 0


@dataclass(slots=True)
class LiveSession:
    """Feeds a hub's decoded sample batches to a pipeline (see module doc); the hub's streams
    decode, count loss and map the clocks, so the pipeline's own streams stay unused.

    ``on_step`` is called on the event loop's thread for every pipeline result with new output;
    ``on_hub_event`` for every hub event (notifications, link and status changes) after it
    was handled; ``recorder`` (a
    :class:`~winkmon.recording.RecordingWriter` or None) gets every raw notification.
    """

    hub: SensorHub
    pipeline: Pipeline
    on_step: Callable[[StepResult], None]
    on_hub_event: Callable[[object], None] | None = None
    recorder: RecordingWriter | None = None
    buzz: bool = True
    links: dict[Role, LinkView] = field(
        default_factory=lambda: {Role.SACRUM: LinkView(), Role.LUMBAR: LinkView()}
    )
    _buzz_tasks: set[asyncio.Task[object]] = field(default_factory=set)

    def __post_init__(self) -> None:
        # Only the pipeline's sensors are part of the session (one sensor: the sacrum).
        self.links = {r: self.links.get(r, LinkView()) for r in self.pipeline.roles}

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Until ``stop`` is set (or the hub closes)."""
        stop = stop or asyncio.Event()
        events = self.hub.events()
        stopper = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                nxt = asyncio.ensure_future(anext(events))
                done, _ = await asyncio.wait({nxt, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if nxt not in done:
                    nxt.cancel()
                    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                        await nxt
                    break
                try:
                    event = nxt.result()
                except StopAsyncIteration:
                    break
                self.handle(event)
        finally:
            stopper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopper
            closer = getattr(events, "aclose", None)
            if closer is not None:
                await closer()

    def handle(self, event: object) -> None:
        """One hub event (public so tests can drive a session without a hub loop)."""
        rec = self.recorder
        if isinstance(event, Notification):
            if rec is not None:
                rec.write_frame(event.role, event.t_host_ns, event.payload)
            if event.batch is not None:
                step = self.pipeline.feed_batch(event.batch)
                if len(step.angles) or step.events:
                    self._alerts(step)
                    self.on_step(step)
        elif isinstance(event, StatusUpdate) and event.role in self.links:
            self.links[event.role].battery_pct = event.status.battery_pct
            if rec is not None and event.payload:
                rec.write_status(event.role, event.t_host_ns, event.payload)
        elif isinstance(event, LinkState) and event.role in self.links:
            view = self.links[event.role]
            view.state, view.detail = event.state.value, event.detail
            if event.state is LinkStateKind.RECONNECTING:
                view.gaps += 1
                if rec is not None:
                    rec.flush()  # no more frames may come for a while: commit what we have
                    rec.mark_gap(
                        event.role,
                        self._t_s(event.t_host_ns),
                        "disconnect",
                        event.detail,
                    )
            elif event.state is LinkStateKind.CONNECTED and view.gaps and rec is not None:
                rec.mark_gap(
                    event.role,
                    self._t_s(event.t_host_ns),
                    "reconnect",
                    event.detail,
                )
        if self.on_hub_event is not None:
            self.on_hub_event(event)

    def _t_s(self, t_host_ns: int) -> float:
        return (t_host_ns - self.hub.session_start_ns) / 1e9

    def _alerts(self, step: StepResult) -> None:
        if not self.buzz:
            return
        for e in step.events:
            if isinstance(e, Alert):
                pattern = (
                    BuzzPattern.TRIPLE_LONG if e.level is AlertLevel.FLEXION else BuzzPattern.SHORT
                )
                for role in (Role.LUMBAR, Role.SACRUM):
                    task = asyncio.ensure_future(self._buzz(role, pattern))
                    self._buzz_tasks.add(task)
                    task.add_done_callback(self._buzz_tasks.discard)

    async def _buzz(self, role: Role, pattern: BuzzPattern) -> None:
        try:
            await self.hub.buzz(role, pattern)
        except Exception as exc:  # a sensor without a motor, or one that is reconnecting
            log.debug("buzz %s on %s: %s", pattern.name, role.label, exc)
