"""The simulator as a source: a simulated athlete's notifications, without a radio.

:class:`SimulatorSource` wraps a :class:`~winkmon.sim.SimStream` (the simulated sensors' DATA
notifications with their host arrival times, in the ``winkmon`` format) in the input contract:
one :class:`~winkmon.session.contract.StreamStarted` per sensor, then the notifications in
arrival order. :meth:`advance` hands out what has arrived up to a session time (the dashboard's
timer paces it), :meth:`events` paces itself on the event loop. The demo's virtual sensors on
bumble are the other way to run the simulator: through the radio, bleak and the hub.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from winkmon.protocol.constants import Role
from winkmon.session.contract import NotificationBlock, SourceEvent, StreamStarted
from winkmon.session.decode import WINKMON_DECODER
from winkmon.sim import SimStream


class SimulatorSource:
    """A :class:`~winkmon.session.contract.NotificationSource` on the simulator."""

    def __init__(self, stream: SimStream, *, speed: float = 1.0, step_s: float = 0.02) -> None:
        self.stream = stream
        self.speed = speed
        self.step_s = step_s
        self.session_start_ns = 0  # the simulator's host clock starts at the session start
        self.roles: tuple[Role, ...] = tuple(r for r in Role if r in stream.sensors)
        self._announced = False
        self._closed = False

    def started(self) -> list[StreamStarted]:
        """Each sensor's stream segment (the simulated sensors start once)."""
        out = []
        for role in self.roles:
            start = self.stream.start_params[role]
            info = self.stream.infos[role]
            doc: dict[str, object] = dict(info.as_dict())
            doc["raw_hex"] = bytes(info).hex()
            params: dict[str, object] = {"rate_hz": start.rate_hz, "raw_hex": bytes(start).hex()}
            out.append(
                StreamStarted(
                    role, 0, WINKMON_DECODER, float(start.rate_hz), params, "start", "", doc
                )
            )
        return out

    def advance(self, t_s: float) -> list[SourceEvent]:
        """Events that arrived up to session time ``t_s`` (seconds) and were not handed out."""
        events: list[SourceEvent] = []
        if not self._announced:
            self._announced = True
            events.extend(self.started())
        frames = self.stream.advance(min(t_s, self.stream.end_s))
        if frames:
            events.append(
                NotificationBlock(
                    [int(f.role) for f in frames],
                    [f.t_host_ns for f in frames],
                    [f.payload for f in frames],
                )
            )
        return events

    @property
    def done(self) -> bool:
        return self.stream.done

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Paced at :attr:`speed` x real time, in steps of :attr:`step_s`."""
        t0 = time.monotonic()
        while not self._closed and not self.stream.done:
            await asyncio.sleep(self.step_s)
            for event in self.advance((time.monotonic() - t0) * self.speed):
                yield event

    async def close(self) -> None:
        self._closed = True


__all__ = ["SimulatorSource"]
