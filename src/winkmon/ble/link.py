"""One sensor's link: connect, negotiate, START, subscribe, CTRL requests, time sync, reconnect.

:class:`SensorLink` talks to a sensor only through bleak's public API (``BleakClient``), with
the backend bleak picks for the platform or one passed in (the bumble backend in tests).

Threading: everything runs on one asyncio loop. Notification callbacks (DATA, STATUS, CTRL)
run on that loop, called by bleak; they only take the host time and queue the bytes. DATA and
STATUS go to the hub's queue (the hub's consumer decodes them); CTRL responses go to this
link's own queue, whose dispatcher task matches them to pending requests by ``req_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError

from winkmon.ble.availability import no_bluetooth
from winkmon.ble.config import HubConfig
from winkmon.errors import BleError, FrameError, FrameErrorKind
from winkmon.protocol.constants import (
    BATTERY_LEVEL_UUID,
    CTRL_UUID,
    DATA_UUID,
    INFO_UUID,
    PROTOCOL_VERSION,
    STATUS_UUID,
    CtrlStatus,
    Op,
    Role,
)
from winkmon.protocol.records import CtrlRequest, CtrlResponse, SensorInfo, StartParams
from winkmon.session.contract import (
    Channel,
    LinkChanged,
    LinkState,
    Notification,
    SourceEvent,
    StreamStarted,
)
from winkmon.session.decode import WINKMON_DECODER

log = logging.getLogger(__name__)


#: Where a link puts what it receives (the hub's queue ``put_nowait``); called on the loop.
Sink = Callable[[SourceEvent], None]


class IncompatibleSensorError(BleError):
    """The sensor speaks a protocol version this host does not; retrying will not help."""


@dataclass(slots=True)
class LinkCounters:
    """Link-level counters of one sensor (stream counters live in the hub)."""

    connects: int = 0
    reconnects: int = 0
    connect_failures: int = 0
    ctrl_timeouts: int = 0
    status_updates: int = 0
    time_syncs: int = 0
    best_rtt_ms: float | None = None
    mtu: int = 0
    battery_pct: int | None = None
    gap_s_total: float = 0.0


class SensorLink:
    """The link to one sensor bound to ``role`` (see module doc).

    Parameters
    ----------
    role:
        The role this sensor is bound to.
    target:
        A :class:`BLEDevice` from a scan, or a Bluetooth address.
    config:
        The hub's configuration (START parameters, timeouts, reconnect backoff, time sync).
    sink:
        Receives DATA/STATUS bytes, time-sync round trips and link-state changes, in order.
    connect_lock:
        Shared by all links: connects never overlap (BlueZ needs that).
    client_backend:
        bleak backend class, or None for the platform's.
    clock_ns:
        The host clock (default :func:`time.monotonic_ns`).
    """

    def __init__(
        self,
        role: Role,
        target: BLEDevice | str,
        config: HubConfig,
        sink: Sink,
        connect_lock: asyncio.Lock,
        client_backend: type[BaseBleakClient] | None,
        clock_ns: Callable[[], int],
    ) -> None:
        self.role = role
        self.target = target
        self.address = target.address if isinstance(target, BLEDevice) else target
        self.config = config
        self._sink = sink
        self._lock = connect_lock
        self._backend = client_backend
        self._clock_ns = clock_ns
        self.counters = LinkCounters()
        self.info: SensorInfo | None = None
        self.state = LinkState.DISCONNECTED
        self.sync_rtts_ms: deque[float] = deque(maxlen=64)
        self._client: BleakClient | None = None
        self._stack: AsyncExitStack | None = None
        self._ctrl_queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
        self._pending: dict[int, asyncio.Future[tuple[int, CtrlResponse]]] = {}
        self._req_ids = itertools.cycle(range(1, 256))
        self._tasks: set[asyncio.Task[Any]] = set()
        self._dispatcher: asyncio.Task[None] | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._closing = False
        self._gap_start_ns: int | None = None
        self._segments = 0  # stream segments started (the first START, each reconnect)
        #: The last TIME_SYNC round trip: (host send ns, host receive ns, device µs wrapped).
        self.last_sync: tuple[int, int, int] | None = None

    # ------------------------------------------------------------------ public
    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def open(self) -> None:
        """Connect and start streaming; raises :class:`BleError` if that fails."""
        self._closing = False
        if self._dispatcher is None:
            self._dispatcher = asyncio.create_task(self._dispatch_ctrl())
        self._emit_state(LinkState.CONNECTING, f"connecting to {self.address}")
        try:
            await self._connect_once()
        except BaseException:
            await self._teardown()
            raise

    async def close(self) -> None:
        """Stop streaming (best effort), disconnect, stop all tasks."""
        self._closing = True
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
        if self.is_connected:
            with contextlib.suppress(Exception):
                await self.request(Op.STOP, timeout_s=0.5)
        await self._teardown()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None
        for task in list(self._tasks):
            task.cancel()
        if self.state is not LinkState.DISCONNECTED:
            self._emit_state(LinkState.DISCONNECTED, "closed")

    async def request(
        self, op: Op, params: bytes = b"", timeout_s: float | None = None
    ) -> CtrlResponse:
        """Send one CTRL request and wait for its response (matched by ``req_id``)."""
        _, response = await self._request_timed(op, params, timeout_s)
        return response

    async def time_sync(self) -> float:
        """One TIME_SYNC round trip; returns the round-trip time in ms."""
        t_send = self._clock_ns()
        t_lo = (t_send // 1000) & 0xFFFFFFFF
        t_recv, resp = await self._request_timed(Op.TIME_SYNC, t_lo.to_bytes(4, "little"))
        if resp.status is not CtrlStatus.OK or len(resp.data) != 8:
            raise BleError(f"{self.role.label}: TIME_SYNC answered {resp.status.name}")
        if int.from_bytes(resp.data[:4], "little") != t_lo:
            raise BleError(f"{self.role.label}: TIME_SYNC echoed another host time")
        t_dev = int.from_bytes(resp.data[4:8], "little")
        self.last_sync = (t_send, t_recv, t_dev)
        rtt_ms = (t_recv - t_send) / 1e6
        self.sync_rtts_ms.append(rtt_ms)
        c = self.counters
        c.time_syncs += 1
        c.best_rtt_ms = rtt_ms if c.best_rtt_ms is None else min(c.best_rtt_ms, rtt_ms)
        return rtt_ms

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
                machine = no_bluetooth(exc)  # no stack or no adapter: not this sensor's fault
                if machine is not None:
                    raise machine from exc
                raise BleError(
                    f"{self.role.label}: cannot connect to {self.address}: {exc}"
                ) from exc
        self._client = client
        self.counters.mtu = client.mtu_size
        try:
            await self._negotiate(client)
        except (BleakError, TimeoutError) as exc:
            raise BleError(f"{self.role.label}: setting up {self.address} failed: {exc}") from exc
        self.counters.connects += 1

    async def _negotiate(self, client: BleakClient) -> None:
        info = await self._read_info(client)
        self.info = info
        with contextlib.suppress(BleakError, TimeoutError):
            level = await client.read_gatt_char(BATTERY_LEVEL_UUID)
            self.counters.battery_pct = level[0] if level else None
        await client.start_notify(CTRL_UUID, self._on_ctrl)
        await client.start_notify(STATUS_UUID, self._on_status)
        await client.start_notify(DATA_UUID, self._on_data)
        if self.config.set_role and info.role is not self.role:
            resp = await self.request(Op.SET_ROLE, bytes([int(self.role)]))
            log.info(
                "%s: sensor %s stored role %s, set to %s: %s",
                self.role.label,
                self.address,
                info.role.label,
                self.role.label,
                resp.status.name,
            )
        start = self.config.start
        self._sink(self._segment(info, start))
        resp = await self.request(Op.START, bytes(start))
        if resp.status is not CtrlStatus.OK:
            raise BleError(
                f"{self.role.label}: sensor {self.address} refused START ({resp.status.name}) "
                f"with rate {start.rate_hz} Hz, ranges acc {start.acc_range} gyr {start.gyr_range}"
            )
        now = self._clock_ns()
        detail = f"{self.address}, MTU {client.mtu_size}"
        if self._gap_start_ns is not None:
            gap_s = (now - self._gap_start_ns) / 1e9
            self.counters.gap_s_total += gap_s
            detail += f", gap {gap_s:.2f} s"
            self._gap_start_ns = None
        self._emit_state(LinkState.CONNECTED, detail)

    async def _read_info(self, client: BleakClient) -> SensorInfo:
        raw = await client.read_gatt_char(INFO_UUID)
        try:
            return SensorInfo.from_bytes(raw)
        except FrameError as exc:
            if exc.kind is FrameErrorKind.BAD_VERSION:
                theirs = raw[0] if raw else "?"
                raise IncompatibleSensorError(
                    f"{self.role.label} sensor {self.address} speaks protocol version {theirs}, "
                    f"this winkmon speaks version {PROTOCOL_VERSION}: update the sensor firmware "
                    "or winkmon so both speak the same version"
                ) from exc
            raise BleError(
                f"{self.role.label}: unreadable INFO from {self.address}: {exc}"
            ) from exc

    async def _teardown(self) -> None:
        stack, self._stack = self._stack, None
        self._client = None
        if stack is not None:
            with contextlib.suppress(Exception):
                await stack.aclose()
        for fut in self._pending.values():
            if not fut.done():
                fut.cancel()
        self._pending.clear()

    # ------------------------------------------------------------------ reconnect
    def _on_disconnected(self, client: BleakClient) -> None:
        """bleak's disconnected callback (on the loop): start reconnecting."""
        if self._closing or client is not self._client:
            return
        self._gap_start_ns = self._clock_ns()
        self._emit_state(LinkState.RECONNECTING, f"{self.address} dropped the link")
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = self._spawn(self._reconnect())

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
            except IncompatibleSensorError as exc:
                await self._teardown()
                self._emit_state(LinkState.DISCONNECTED, str(exc))
                return
            except (BleError, BleakError, TimeoutError) as exc:
                await self._teardown()
                log.info("%s: reconnect failed (%s); next try in %.1f s", self.role, exc, delay)
            if give_up is not None and (self._clock_ns() - started) / 1e9 > give_up:
                self._emit_state(LinkState.DISCONNECTED, f"gave up after {give_up:.0f} s")
                return
            delay = min(delay * 2, self.config.reconnect_max_s)

    # ------------------------------------------------------------------ CTRL
    async def _request_timed(
        self, op: Op, params: bytes = b"", timeout_s: float | None = None
    ) -> tuple[int, CtrlResponse]:
        client = self._client
        if client is None or not client.is_connected:
            raise BleError(f"{self.role.label}: not connected")
        req_id = next(self._req_ids)
        fut: asyncio.Future[tuple[int, CtrlResponse]] = asyncio.get_running_loop().create_future()
        self._pending[req_id] = fut
        timeout = self.config.ctrl_timeout_s if timeout_s is None else timeout_s
        try:
            async with asyncio.timeout(timeout):
                await client.write_gatt_char(
                    CTRL_UUID, bytes(CtrlRequest(op, req_id, params)), response=True
                )
                return await fut
        except TimeoutError:
            self.counters.ctrl_timeouts += 1
            raise TimeoutError(f"{self.role.label}: no response to {op.name}") from None
        finally:
            self._pending.pop(req_id, None)

    async def _dispatch_ctrl(self) -> None:
        while True:
            t_ns, payload = await self._ctrl_queue.get()
            try:
                resp = CtrlResponse.from_bytes(payload)
            except FrameError as exc:
                log.warning("%s: malformed CTRL response: %s", self.role.label, exc)
                continue
            fut = self._pending.get(resp.req_id)
            if fut is None or fut.done():
                log.debug("%s: unmatched CTRL response %s", self.role.label, resp)
                continue
            fut.set_result((t_ns, resp))

    # ------------------------------------------------------------------ callbacks (loop)
    def _on_ctrl(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        self._ctrl_queue.put_nowait((self._clock_ns(), bytes(data)))

    def _on_data(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        self._sink(Notification(self.role, self._clock_ns(), bytes(data)))

    def _on_status(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        self.counters.status_updates += 1
        self._sink(Notification(self.role, self._clock_ns(), bytes(data), Channel.STATUS))

    # ------------------------------------------------------------------ helpers
    def _emit_state(self, state: LinkState, detail: str) -> None:
        self.state = state
        log.info("%s: %s (%s)", self.role.label, state.value, detail)
        self._sink(LinkChanged(self.role, self._clock_ns(), state, detail))

    def _segment(self, info: SensorInfo, start: StartParams) -> StreamStarted:
        """The stream segment START is about to open (sample indices restart at 0)."""
        self._segments += 1
        params: dict[str, object] = {
            "rate_hz": start.rate_hz,
            "acc_range": start.acc_range,
            "gyr_range": start.gyr_range,
            "mag_on": start.mag_on,
            "max_batch": start.max_batch,
            "flush_ms": start.flush_ms,
            "mtu": self.counters.mtu,
            "raw_hex": bytes(start).hex(),
        }
        doc: dict[str, object] = dict(info.as_dict())
        doc["raw_hex"] = bytes(info).hex()
        doc["battery_pct"] = self.counters.battery_pct  # read at connect (Battery service)
        return StreamStarted(
            self.role,
            self._clock_ns(),
            WINKMON_DECODER,
            float(start.rate_hz),
            params,
            "start" if self._segments == 1 else "reconnect",
            self.address,
            doc,
        )

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
