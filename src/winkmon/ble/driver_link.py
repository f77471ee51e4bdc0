"""The link to one vendor device (Polar, MetaWear, Movella, WitMotion) through bleak.

:class:`DriverLink` does for any :class:`~winkmon.drivers.spec.LinkDriver` what
:class:`~winkmon.ble.link.SensorLink` does for a winkmon sensor: connect (under the hub's
shared lock), let the driver configure and start the stream, stamp every DATA notification
with the host clock in the callback, reconnect with backoff when the link drops, and emit
:class:`~winkmon.session.contract.LinkChanged`. Notifications that arrive while the driver is
still starting are held and delivered right after the segment's
:class:`~winkmon.session.contract.StreamStarted` (whose parameters, e.g. a scale factor, may
come in the device's reply to the start command), so the session never sees data before it
knows how to decode it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Protocol

from bleak import BleakClient
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError

from winkmon.ble.config import HubConfig
from winkmon.ble.link import LinkCounters, Sink
from winkmon.drivers.spec import LinkDriver
from winkmon.errors import BleError
from winkmon.protocol.constants import Role
from winkmon.session.contract import LinkChanged, LinkState, Notification, StreamStarted

log = logging.getLogger(__name__)


class DeviceLink(Protocol):
    """What the hub needs of a link, whatever the device kind (:class:`DriverLink` and
    :class:`~winkmon.ble.link.SensorLink` implement it)."""

    role: Role
    address: str
    state: LinkState
    counters: LinkCounters

    @property
    def is_connected(self) -> bool: ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...


class DriverLink:
    """The link to one vendor device bound to ``role`` (see module doc). Parameters as
    :class:`~winkmon.ble.link.SensorLink`, plus the ``driver`` of the device's kind."""

    def __init__(
        self,
        role: Role,
        target: BLEDevice | str,
        driver: LinkDriver,
        config: HubConfig,
        sink: Sink,
        connect_lock: asyncio.Lock,
        client_backend: type[BaseBleakClient] | None,
        clock_ns: Callable[[], int],
    ) -> None:
        self.role = role
        self.target = target
        self.address = target.address if isinstance(target, BLEDevice) else target
        self.driver = driver
        self.config = config
        self._sink = sink
        self._lock = connect_lock
        self._backend = client_backend
        self._clock_ns = clock_ns
        self.counters = LinkCounters()
        self.state = LinkState.DISCONNECTED
        self._client: BleakClient | None = None
        self._stack: AsyncExitStack | None = None
        self._held: list[Notification] | None = None  # notifications while starting
        self._reconnect_task: asyncio.Task[None] | None = None
        self._closing = False
        self._gap_start_ns: int | None = None
        self._segments = 0

    @property
    def kind(self) -> str:
        return self.driver.kind

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def open(self) -> None:
        """Connect and start streaming; raises :class:`BleError` if that fails."""
        self._closing = False
        self._emit_state(LinkState.CONNECTING, f"connecting to {self.address} ({self.kind})")
        try:
            await self._connect_once()
        except BaseException:
            await self._teardown()
            raise

    async def close(self) -> None:
        """Stop streaming (best effort), disconnect."""
        self._closing = True
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reconnect_task
        client = self._client
        if client is not None and client.is_connected:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.driver.stop(client), 1.0)
        await self._teardown()
        if self.state is not LinkState.DISCONNECTED:
            self._emit_state(LinkState.DISCONNECTED, "closed")

    # ------------------------------------------------------------------ connect
    async def _connect_once(self) -> None:
        stack = AsyncExitStack()
        self._stack = stack
        client = BleakClient(
            self.target,
            disconnected_callback=self._on_disconnected,
            timeout=self.config.connect_timeout_s,
            backend=self._backend,
        )
        async with self._lock:
            try:
                await stack.enter_async_context(client)
            except (BleakError, TimeoutError, OSError) as exc:
                self.counters.connect_failures += 1
                raise BleError(
                    f"{self.role.label}: cannot connect to {self.kind} {self.address}: {exc}"
                ) from exc
        self._client = client
        self.counters.mtu = client.mtu_size
        try:
            await self._start(client)
        except (BleakError, TimeoutError) as exc:
            raise BleError(
                f"{self.role.label}: starting {self.kind} {self.address} failed: {exc}"
            ) from exc
        self.counters.connects += 1

    async def _start(self, client: BleakClient) -> None:
        with contextlib.suppress(BleakError, TimeoutError):
            self.counters.battery_pct = await self.driver.battery_pct(client)
        t_start = self._clock_ns()
        self._held = []
        try:
            spec = await asyncio.wait_for(
                self.driver.start(client, self._on_data), self.config.connect_timeout_s
            )
        except BaseException:
            self._held = None
            raise
        self._segments += 1
        info: dict[str, object] = {"kind": self.kind, **dict(spec.info)}
        info["battery_pct"] = self.counters.battery_pct
        params: dict[str, object] = {**dict(spec.params), "mtu": client.mtu_size}
        self._sink(
            StreamStarted(
                self.role,
                t_start,
                spec.decoder,
                spec.rate_hz,
                params,
                "start" if self._segments == 1 else "reconnect",
                self.address,
                info,
            )
        )
        held, self._held = self._held, None
        for note in held or ():
            self._sink(note)
        detail = f"{self.kind} {self.address}, {spec.rate_hz:g} Hz, MTU {client.mtu_size}"
        if self._gap_start_ns is not None:
            gap_s = (self._clock_ns() - self._gap_start_ns) / 1e9
            self.counters.gap_s_total += gap_s
            detail += f", gap {gap_s:.2f} s"
            self._gap_start_ns = None
        self._emit_state(LinkState.CONNECTED, detail)

    async def _teardown(self) -> None:
        stack, self._stack = self._stack, None
        self._client = None
        self._held = None
        if stack is not None:
            with contextlib.suppress(Exception):
                await stack.aclose()

    # ------------------------------------------------------------------ reconnect
    def _on_disconnected(self, client: BleakClient) -> None:
        if self._closing or client is not self._client:
            return
        self._gap_start_ns = self._clock_ns()
        self._emit_state(LinkState.RECONNECTING, f"{self.address} dropped the link")
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        await self._teardown()
        delay = self.config.reconnect_initial_s
        give_up = self.config.reconnect_give_up_s
        started = self._clock_ns()
        while not self._closing:
            await asyncio.sleep(delay)
            try:
                await self._connect_once()
                self.counters.reconnects += 1
                return
            except (BleError, BleakError, TimeoutError) as exc:
                await self._teardown()
                log.info("%s: reconnect failed (%s); next try in %.1f s", self.role, exc, delay)
            if give_up is not None and (self._clock_ns() - started) / 1e9 > give_up:
                self._emit_state(LinkState.DISCONNECTED, f"gave up after {give_up:.0f} s")
                return
            delay = min(delay * 2, self.config.reconnect_max_s)

    # ------------------------------------------------------------------ callbacks (loop)
    def _on_data(self, data: bytes) -> None:
        note = Notification(self.role, self._clock_ns(), bytes(data))
        if self._held is not None:
            self._held.append(note)
        else:
            self._sink(note)

    def _emit_state(self, state: LinkState, detail: str) -> None:
        self.state = state
        log.info("%s: %s (%s)", self.role.label, state.value, detail)
        self._sink(LinkChanged(self.role, self._clock_ns(), state, detail))


__all__ = ["DeviceLink", "DriverLink"]
