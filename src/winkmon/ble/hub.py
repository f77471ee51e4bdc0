"""The two-sensor hub: what the rest of winkmon uses to get live data.

::

    async with SensorHub(HubConfig(sacrum=..., lumbar=...)) as hub:   # connects both
        async for event in hub.events():
            match event:
                case Notification(batch=batch) if batch is not None: ...
                case LinkState(state=LinkStateKind.RECONNECTING): ...   # a gap starts
        await hub.buzz(Role.SACRUM, BuzzPattern.TRIPLE_LONG)

Connects are serialised with one lock (BlueZ cannot connect two devices at once) and each
sensor has its own exit stack (:class:`~winkmon.ble.link.SensorLink`). Notification callbacks
only stamp the host time and queue; :meth:`SensorHub.events` is the consumer: it decodes DATA
through one :class:`~winkmon.stream.SensorStream` per sensor (loss accounting, unwrapping,
compact frames, clock mapping), parses STATUS, feeds TIME_SYNC round trips into the stream's
clock, and yields frozen event records (:mod:`winkmon.ble.events`).

Host clock: :func:`time.monotonic_ns` unless ``clock_ns`` is given; ``session_start_ns`` (by
default the hub's creation time) is the zero of the session time base ``SampleBatch.t_s``.

After a reconnect the sensor restarts its sample indices (START), so the hub starts a new
stream *segment* for it: counters carry on (they are summed across segments), the clock model
carries on (the device clock does not restart), and the gap is announced by the
RECONNECTING/CONNECTED pair of :class:`~winkmon.ble.events.LinkState` events.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType

from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import BaseBleakScanner

from winkmon.ble.config import HubConfig
from winkmon.ble.events import HubEvent, LinkState, Notification, StatusUpdate, TimeSync
from winkmon.ble.link import (
    LinkCounters,
    NewSegment,
    RawData,
    RawItem,
    RawStatus,
    RawSync,
    SensorLink,
)
from winkmon.ble.scan import discover_sensors
from winkmon.clock import ClockModel, EnvelopeClock
from winkmon.errors import BleError, FrameError
from winkmon.protocol.constants import BuzzPattern, CtrlStatus, Op, Role
from winkmon.protocol.records import SensorStatus
from winkmon.stream import SensorStream, StreamStats

log = logging.getLogger(__name__)

ROLES: tuple[Role, Role] = (Role.SACRUM, Role.LUMBAR)


class _Closed:
    """Queue sentinel: the hub closed."""


_CLOSED = _Closed()


@dataclass(frozen=True, slots=True)
class SensorCounters:
    """A snapshot of one sensor's counters (stream counters summed over reconnects)."""

    role: Role
    address: str
    connected: bool
    stream: StreamStats
    link: LinkCounters
    status_bad: int

    @property
    def loss_pct(self) -> float:
        return self.stream.loss_pct


def _add_stats(a: StreamStats, b: StreamStats) -> StreamStats:
    out = StreamStats()
    for f in dataclasses.fields(StreamStats):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        setattr(out, f.name, (vb or va) if isinstance(va, str) else va + vb)
    return out


def _unwrap32(value: int, previous: int | None) -> int:
    if previous is None:
        return value
    delta = (value - previous) % (1 << 32)
    if delta >= 1 << 31:
        delta -= 1 << 32
    return previous + delta


class SensorHub:
    """Connects the sacrum and lumbar sensors and streams their events (see module doc).

    Parameters
    ----------
    config:
        Addresses (or discovery by advertised role), START parameters, timeouts, backoff.
    client_backend, scanner_backend:
        bleak backend classes; None picks the platform's (BlueZ, CoreBluetooth, WinRT). Tests
        and the demo pass the bumble backends of :mod:`winkmon.virtual`.
    clock_ns:
        Host clock for arrival stamps, ns (default :func:`time.monotonic_ns`).
    session_start_ns:
        Zero of the session time base, on ``clock_ns`` (default: now).
    clock_factory:
        Makes each sensor's device-to-session clock model (default :class:`EnvelopeClock`).
    """

    def __init__(
        self,
        config: HubConfig | None = None,
        *,
        client_backend: type[BaseBleakClient] | None = None,
        scanner_backend: type[BaseBleakScanner] | None = None,
        clock_ns: Callable[[], int] = time.monotonic_ns,
        session_start_ns: int | None = None,
        clock_factory: Callable[[], ClockModel] = EnvelopeClock,
    ) -> None:
        self.config = config if config is not None else HubConfig()
        self._client_backend = client_backend
        self._scanner_backend = scanner_backend
        self._clock_ns = clock_ns
        self.session_start_ns = clock_ns() if session_start_ns is None else session_start_ns
        self._clock_factory = clock_factory
        self._queue: asyncio.Queue[RawItem | _Closed] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self.links: dict[Role, SensorLink] = {}
        self.clocks: dict[Role, ClockModel] = {}
        self.streams: dict[Role, SensorStream] = {}
        self._past: dict[Role, StreamStats] = {}
        self._status_bad: dict[Role, int] = {}
        self._last_dev_us: dict[Role, int] = {}
        self._closed = False

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> SensorHub:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        """Find (if no address is configured), connect and start the sensors
        (``config.roles``: both, or the sacrum alone).

        Raises :class:`BleError` (after closing what was opened) if a sensor cannot be found,
        connected or started, or speaks an incompatible protocol version.
        """
        targets = await self._resolve_targets()
        for role in self.config.roles:
            self.clocks[role] = self._clock_factory()
            self.streams[role] = self._new_stream(role, float(self.config.start.rate_hz))
            self._past[role] = StreamStats()
            self._status_bad[role] = 0
            self.links[role] = SensorLink(
                role,
                targets[role],
                self.config,
                self._queue.put_nowait,
                self._lock,
                self._client_backend,
                self._clock_ns,
            )
        try:
            # Both connect concurrently; the shared lock serialises the radio part.
            await asyncio.gather(*(link.open() for link in self.links.values()))
        except BaseException:
            await self.close()
            raise

    async def _resolve_targets(self) -> dict[Role, BLEDevice | str]:
        targets: dict[Role, BLEDevice | str] = {}
        missing: list[Role] = []
        for role in self.config.roles:
            address = self.config.address(role)
            if address:
                targets[role] = address
            else:
                missing.append(role)
        if missing:
            found = await discover_sensors(
                timeout_s=self.config.scan_timeout_s,
                scanner_backend=self._scanner_backend,
                want_roles=frozenset(missing),
            )
            for role in missing:
                match = [f for f in found if f.role is role]
                if not match:
                    names = ", ".join(f"{f.name} ({f.address})" for f in found) or "none"
                    raise BleError(
                        f"no {role.label} sensor found in {self.config.scan_timeout_s:.0f} s "
                        f"(winkmon sensors seen: {names}); wake it up, or give its address"
                    )
                best = max(match, key=lambda f: f.rssi)
                targets[role] = best.device if best.device is not None else best.address
        return targets

    async def close(self) -> None:
        """Stop and disconnect both sensors; ends :meth:`events`."""
        if self._closed:
            return
        self._closed = True
        await asyncio.gather(*(link.close() for link in self.links.values()))
        self._queue.put_nowait(_CLOSED)

    # ------------------------------------------------------------------ events
    async def events(self) -> AsyncIterator[HubEvent]:
        """Events from both sensors in arrival order, until :meth:`close`.

        There must be one consumer at a time: decoding (and so the counters) happens here.
        """
        while True:
            item = await self._queue.get()
            if isinstance(item, _Closed):
                self._queue.put_nowait(item)  # a later events() call ends at once too
                return
            event = self._consume(item)
            if event is not None:
                yield event

    def _consume(self, item: RawItem) -> HubEvent | None:
        if isinstance(item, RawData):
            stream = self.streams[item.role]
            batch = stream.feed(item.t_host_ns, item.payload)
            if batch is not None:
                self._last_dev_us[item.role] = int(batch.t_dev_us[-1])
            return Notification(item.role, item.t_host_ns, item.payload, batch)
        if isinstance(item, RawStatus):
            try:
                status = SensorStatus.from_bytes(item.payload)
            except FrameError as exc:
                self._status_bad[item.role] += 1
                log.debug("%s: malformed STATUS: %s", item.role.label, exc)
                return None
            return StatusUpdate(item.role, item.t_host_ns, status, item.payload)
        if isinstance(item, NewSegment):
            old = self.streams[item.role]
            if old.stats.frames_ok or old.stats.frames_bad:
                self._past[item.role] = _add_stats(self._past[item.role], old.stats)
                self.streams[item.role] = self._new_stream(item.role, item.rate_hz)
            return None
        if isinstance(item, RawSync):
            t_dev = _unwrap32(item.t_dev_us_wrapped, self._last_dev_us.get(item.role))
            event = TimeSync(item.role, item.t_recv_ns, item.t_send_ns, t_dev)
            clock = self.clocks.get(item.role)
            observe_sync = getattr(clock, "observe_sync", None)
            if observe_sync is not None:
                observe_sync(t_dev, (event.mid_ns - self.session_start_ns) / 1e9)
            return event
        return item  # LinkState

    def _new_stream(self, role: Role, rate_hz: float) -> SensorStream:
        return SensorStream(
            role, rate_hz, clock=self.clocks[role], session_start_ns=self.session_start_ns
        )

    # ------------------------------------------------------------------ control
    async def buzz(self, role: Role, pattern: BuzzPattern, duration_ms: int = 400) -> CtrlStatus:
        """Buzz the sensor in ``role`` (the athlete's cue). Returns the sensor's status code;
        ``UNSUPPORTED`` if it has no motor. Raises :class:`BleError` if it is not connected."""
        params = bytes([int(pattern)]) + int(duration_ms).to_bytes(2, "little")
        try:
            resp = await self._link(role).request(Op.BUZZ, params)
        except TimeoutError as exc:
            raise BleError(str(exc)) from exc
        return resp.status

    async def identify(self, role: Role, seconds: int = 3) -> CtrlStatus:
        """Blink/buzz the sensor in ``role`` so the athlete can tell which is which."""
        resp = await self._link(role).request(Op.IDENTIFY, bytes([max(0, min(seconds, 255))]))
        return resp.status

    def _link(self, role: Role) -> SensorLink:
        link = self.links.get(role)
        if link is None:
            raise BleError(f"no {role.label} sensor in this session")
        return link

    # ------------------------------------------------------------------ counters
    def counters(self, role: Role) -> SensorCounters:
        """Counters of one sensor: loss, malformed frames, reconnects, time syncs, ..."""
        link = self._link(role)
        stream = self.streams[role]
        return SensorCounters(
            role=role,
            address=link.address,
            connected=link.is_connected,
            stream=_add_stats(self._past[role], stream.stats),
            link=dataclasses.replace(link.counters),
            status_bad=self._status_bad[role],
        )

    def all_counters(self) -> dict[Role, SensorCounters]:
        return {role: self.counters(role) for role in self.links}


@contextlib.asynccontextmanager
async def open_hub(
    config: HubConfig | None = None,
    *,
    client_backend: type[BaseBleakClient] | None = None,
    scanner_backend: type[BaseBleakScanner] | None = None,
) -> AsyncIterator[SensorHub]:
    """A connected :class:`SensorHub`, closed on exit."""
    hub = SensorHub(config, client_backend=client_backend, scanner_backend=scanner_backend)
    async with hub:
        yield hub


__all__ = ["ROLES", "LinkState", "SensorCounters", "SensorHub", "open_hub"]
