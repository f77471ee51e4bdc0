"""The two-sensor hub: live sensors as a source of raw notifications.

::

    async with SensorHub(HubConfig(sacrum=..., lumbar=...)) as hub:   # connects both
        session = Session(pipeline, session_start_ns=hub.session_start_ns)
        await run_source(hub, session, stop)
        await hub.buzz(Role.SACRUM, BuzzPattern.TRIPLE_LONG)

:class:`SensorHub` implements :class:`~winkmon.session.contract.NotificationSource` and
:class:`~winkmon.session.contract.Actuator`. Connects are serialised with one lock (BlueZ
cannot connect two devices at once) and each sensor has its own exit stack
(:class:`~winkmon.ble.link.SensorLink`). Notification callbacks only stamp the host time and
queue; :meth:`SensorHub.events` hands the queued events out in arrival order, undecoded:
decoding is the session's job. Every START (the first, and after each reconnect) is announced
by a :class:`~winkmon.session.contract.StreamStarted` event before its first frame.

Host clock: :func:`time.monotonic_ns` unless ``clock_ns`` is given; ``session_start_ns`` (by
default the hub's creation time) is the zero of the session time base ``SampleBatch.t_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable
from types import TracebackType

from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import BaseBleakScanner

from winkmon.ble.config import HubConfig
from winkmon.ble.driver_link import DeviceLink, DriverLink
from winkmon.ble.link import LinkCounters, SensorLink
from winkmon.ble.scan import discover_devices, discover_sensors
from winkmon.drivers import WINKMON_KIND, device_kind
from winkmon.errors import BleError
from winkmon.protocol.constants import BuzzPattern, CtrlStatus, Op, Role
from winkmon.session.contract import SourceEvent

log = logging.getLogger(__name__)

ROLES: tuple[Role, Role] = (Role.SACRUM, Role.LUMBAR)


class _Closed:
    """Queue sentinel: the hub closed."""


_CLOSED = _Closed()


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
    """

    def __init__(
        self,
        config: HubConfig | None = None,
        *,
        client_backend: type[BaseBleakClient] | None = None,
        scanner_backend: type[BaseBleakScanner] | None = None,
        clock_ns: Callable[[], int] = time.monotonic_ns,
        session_start_ns: int | None = None,
    ) -> None:
        self.config = config if config is not None else HubConfig()
        self._client_backend = client_backend
        self._scanner_backend = scanner_backend
        self._clock_ns = clock_ns
        self.session_start_ns = clock_ns() if session_start_ns is None else session_start_ns
        self._queue: asyncio.Queue[SourceEvent | _Closed] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self.links: dict[Role, DeviceLink] = {}
        self._closed = False

    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(self.config.roles)

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
            self.links[role] = self._make_link(role, targets[role])
        try:
            # Both connect concurrently; the shared lock serialises the radio part.
            await asyncio.gather(*(link.open() for link in self.links.values()))
        except BaseException:
            await self.close()
            raise

    def _make_link(self, role: Role, target: BLEDevice | str) -> DeviceLink:
        """The link for the kind of sensor bound to ``role`` (``HubConfig.kinds``)."""
        kind = self.config.kind(role)
        if kind == WINKMON_KIND:
            return SensorLink(
                role,
                target,
                self.config,
                self._queue.put_nowait,
                self._lock,
                self._client_backend,
                self._clock_ns,
            )
        return DriverLink(
            role,
            target,
            device_kind(kind).make_driver(),
            self.config,
            self._queue.put_nowait,
            self._lock,
            self._client_backend,
            self._clock_ns,
        )

    async def _resolve_targets(self) -> dict[Role, BLEDevice | str]:
        targets: dict[Role, BLEDevice | str] = {}
        missing: list[Role] = []
        vendor: list[Role] = []
        for role in self.config.roles:
            address = self.config.address(role)
            if address:
                targets[role] = address
            elif self.config.kind(role) != WINKMON_KIND:
                vendor.append(role)
            else:
                missing.append(role)
        if vendor:
            targets.update(await self._find_vendor(vendor))
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

    async def _find_vendor(self, roles: list[Role]) -> dict[Role, BLEDevice | str]:
        """Vendor devices advertise no role: one role per kind can be found by scanning
        (the strongest device of that kind); two roles of one kind need addresses."""
        kinds = [self.config.kind(r) for r in roles]
        for kind in set(kinds):
            if kinds.count(kind) > 1:
                raise BleError(
                    f"two {kind} sensors: give both addresses (winkmon scan lists them), "
                    "so winkmon knows which one is on the sacrum"
                )
        found = await discover_devices(
            timeout_s=self.config.scan_timeout_s, scanner_backend=self._scanner_backend
        )
        out: dict[Role, BLEDevice | str] = {}
        for role, kind in zip(roles, kinds, strict=True):
            match = [f for f in found if f.kind == kind]
            if not match:
                raise BleError(
                    f"no {kind} sensor found for the {role.label} in "
                    f"{self.config.scan_timeout_s:.0f} s; wake it up, or give its address"
                )
            best = max(match, key=lambda f: f.rssi)
            out[role] = best.device if best.device is not None else best.address
        return out

    async def close(self) -> None:
        """Stop and disconnect both sensors; ends :meth:`events`."""
        if self._closed:
            return
        self._closed = True
        await asyncio.gather(*(link.close() for link in self.links.values()))
        self._queue.put_nowait(_CLOSED)

    # ------------------------------------------------------------------ events
    async def events(self) -> AsyncIterator[SourceEvent]:
        """Events from both sensors in arrival order, until :meth:`close` (one consumer)."""
        while True:
            item = await self._queue.get()
            if isinstance(item, _Closed):
                self._queue.put_nowait(item)  # a later events() call ends at once too
                return
            yield item

    # ------------------------------------------------------------------ control
    async def buzz(self, role: Role, pattern: BuzzPattern, duration_ms: int = 400) -> CtrlStatus:
        """Buzz the sensor in ``role`` (the athlete's cue). Returns the sensor's status code;
        ``UNSUPPORTED`` if it has no motor. Raises :class:`BleError` if it is not connected."""
        params = bytes([int(pattern)]) + int(duration_ms).to_bytes(2, "little")
        if isinstance(self.links.get(role), DriverLink):
            return CtrlStatus.UNSUPPORTED  # vendor sensors have no motor winkmon can drive
        try:
            resp = await self._link(role).request(Op.BUZZ, params)
        except TimeoutError as exc:
            raise BleError(str(exc)) from exc
        return resp.status

    async def identify(self, role: Role, seconds: int = 3) -> CtrlStatus:
        """Blink/buzz the sensor in ``role`` so the athlete can tell which is which."""
        if isinstance(self.links.get(role), DriverLink):
            return CtrlStatus.UNSUPPORTED
        resp = await self._link(role).request(Op.IDENTIFY, bytes([max(0, min(seconds, 255))]))
        return resp.status

    def _link(self, role: Role) -> SensorLink:
        link = self.links.get(role)
        if link is None:
            raise BleError(f"no {role.label} sensor in this session")
        if not isinstance(link, SensorLink):
            raise BleError(f"the {role.label} sensor ({self.config.kind(role)}) has no motor")
        return link

    # ------------------------------------------------------------------ counters
    def counters(self, role: Role) -> LinkCounters:
        """Link counters of one sensor: connects, reconnects, CTRL timeouts, MTU, gaps, ...
        (decoding counters, such as loss, are the session's)."""
        link = self.links.get(role)
        if link is None:
            raise BleError(f"no {role.label} sensor in this session")
        return dataclasses.replace(link.counters)


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


__all__ = ["ROLES", "SensorHub", "open_hub"]
