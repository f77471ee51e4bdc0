"""The common part of the vendor-device emulators (Polar, MetaWear, Movella, WitMotion).

A :class:`VendorEmulator` is a bumble peripheral that advertises a vendor's name and service,
accepts one central, and runs a sampling loop on its own (drifting) clock once the vendor's
start command arrived: every ``notify_interval_s`` it takes the samples that are due from a
:class:`~winkmon.virtual.source.SampleSource` and hands them to the subclass, which frames them
in the vendor's format (:meth:`VendorEmulator.send_samples`). Subclasses declare the GATT
table (:meth:`VendorEmulator.services`) and answer the vendor's commands.

For the timing bench, :attr:`VendorEmulator.starts` keeps, per START, the host time of sample 0
and the sample period in host ns: the truth the decoded times are compared with.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from bumble import gatt
from bumble.core import UUID, AdvertisingData
from bumble.device import (
    AdvertisingEventProperties,
    AdvertisingParameters,
    AdvertisingSet,
    Connection,
    Device,
)

from winkmon.errors import InputError
from winkmon.protocol.constants import Role
from winkmon.virtual.source import ImuSamples, SampleSource

log = logging.getLogger(__name__)

_SAME_EVENT_S = 0.005  #: notifications queued this soon after a connection event share it


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """One emulated device. Every field has a default a test can override."""

    role: Role = Role.SACRUM  #: whose samples the source gives it (where it is worn)
    address: str = "E0:00:00:00:00:01"
    name: str = ""  #: advertised name; "" = the kind's default
    battery_pct: int = 80
    drift_ppm: float = 0.0  #: device crystal error, ppm (positive: the device clock runs fast)
    clock_offset_ns: int = 0  #: device clock at host monotonic 0, ns
    drop_probability: float = 0.0  #: chance each DATA notification is lost (0..1)
    seed: int = 0
    max_mtu: int = 247  #: largest ATT MTU the device accepts
    reset_clock_on_restart: bool = False  #: the device clock starts again at each new START
    #: DATA notifications leave only at connection events, this far apart (0: at once), ms
    connection_interval_ms: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.drop_probability <= 1.0:
            raise InputError("drop_probability is a probability (0..1)")


@dataclass(slots=True)
class EmulatorStats:
    notifications_sent: int = 0
    notifications_dropped: int = 0
    samples_sent: int = 0
    starts: int = 0
    connections: int = 0
    commands: int = 0
    refused: int = 0  #: commands answered with an error
    #: per START: (host ns of sample 0, host ns per sample)
    starts_truth: list[tuple[int, float]] = field(default_factory=list)


class VendorEmulator:
    """A vendor device on bumble (see module doc). Subclasses set :attr:`kind`,
    :attr:`default_name`, :attr:`service_uuid` and implement :meth:`services` and
    :meth:`send_samples`."""

    kind = ""
    default_name = ""
    service_uuid = ""
    #: how often the sampling loop wakes up and sends what is due, s
    notify_interval_s = 0.05

    def __init__(
        self, device: Device, source: SampleSource, config: EmulatorConfig | None = None
    ) -> None:
        self.device = device
        self.source = source
        self.config = config if config is not None else EmulatorConfig()
        self.stats = EmulatorStats()
        self._rng = random.Random(self.config.seed)
        self.connection: Connection | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started = False
        self._away_until = 0.0
        self._adv_set: AdvertisingSet | None = None
        self._clock_shift_ns = 0
        self.rate_hz = 0.0
        self.device.name = self.name
        for service in self.services():
            self.device.add_service(service)
        self.device.gatt_server.max_mtu = self.config.max_mtu

    # ------------------------------------------------------------------ for subclasses
    def services(self) -> list[gatt.Service]:
        raise NotImplementedError

    async def send_samples(self, first: int, samples: ImuSamples, t_first_dev_ns: int) -> None:
        """Frame and notify samples ``first ..`` (the first taken at ``t_first_dev_ns``)."""
        raise NotImplementedError

    def on_stream_stopped(self) -> None:
        """The stream stopped (STOP or disconnect)."""

    # ------------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        return self.config.name or self.default_name

    @property
    def address(self) -> str:
        return self.config.address

    @property
    def role(self) -> Role:
        return self.config.role

    @property
    def is_streaming(self) -> bool:
        return self._stream_task is not None and not self._stream_task.done()

    def device_time_ns(self) -> int:
        """The device clock now, ns."""
        host = time.monotonic_ns()
        raw = int(host * (1.0 + self.config.drift_ppm * 1e-6)) + self.config.clock_offset_ns
        return raw - self._clock_shift_ns

    @property
    def mtu_payload(self) -> int:
        conn = self.connection
        return (int(conn.att_mtu) if conn is not None else 23) - 3

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)
        await self.device.power_on()
        await self._advertise()

    def _advertising_data(self) -> bytes:
        """Flags, the vendor's 128-bit service UUID and the name, in one extended PDU."""
        return bytes(
            AdvertisingData(
                [
                    (AdvertisingData.FLAGS, bytes([0x06])),
                    (
                        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                        bytes(UUID(self.service_uuid)),
                    ),
                    (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
                ]
            )
        )

    async def _advertise(self) -> None:
        params = AdvertisingParameters(
            advertising_event_properties=AdvertisingEventProperties(
                is_connectable=True, is_legacy=False
            ),
            primary_advertising_interval_min=20.0,
            primary_advertising_interval_max=20.0,
        )
        self._adv_set = await self.device.create_advertising_set(
            advertising_parameters=params, advertising_data=self._advertising_data()
        )

    async def _stop_advertising(self) -> None:
        adv_set, self._adv_set = self._adv_set, None
        if adv_set is not None:
            await adv_set.stop()
            await adv_set.remove()

    async def close(self) -> None:
        self._started = False
        self.stop_stream()
        conn = self.connection
        if conn is not None:
            try:
                await asyncio.wait_for(conn.disconnect(), 2.0)
            except Exception as exc:  # the link may be gone already
                log.debug("%s: disconnect on close: %s", self.name, exc)
            self.connection = None
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)
        try:
            await self._stop_advertising()
        except Exception as exc:
            log.debug("%s: stop advertising on close: %s", self.name, exc)
        for task in list(self._tasks):
            task.cancel()
        self.device.remove_listener(self.device.EVENT_CONNECTION, self._on_connection)

    async def outage(self, seconds: float) -> None:
        """Go out of range for ``seconds`` (drop the link, stop advertising), then come back."""
        self._away_until = asyncio.get_running_loop().time() + seconds
        conn = self.connection
        if conn is None:
            self.spawn(self._readvertise())
            return
        await conn.disconnect()

    async def disconnect(self) -> None:
        conn = self.connection
        if conn is not None:
            await conn.disconnect()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_connection(self, connection: Connection) -> None:
        if self.connection is not None:
            self.spawn(connection.disconnect())
            return
        self.connection = connection
        self.stats.connections += 1
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)

    def _on_disconnection(self, reason: int) -> None:
        self.connection = None
        self.stop_stream()
        if self._started:
            self.spawn(self._readvertise())

    async def _readvertise(self) -> None:
        try:
            await self._stop_advertising()
        except Exception as exc:
            log.debug("%s: stop advertising: %s", self.name, exc)
        away_s = self._away_until - asyncio.get_running_loop().time()
        if away_s > 0:
            await asyncio.sleep(away_s)
        if self._started:
            await self._advertise()

    # ------------------------------------------------------------------ streaming
    def start_stream(self, rate_hz: float) -> None:
        """Start sampling at ``rate_hz`` (device clock) from now."""
        self.stop_stream()
        self.stats.starts += 1
        if self.config.reset_clock_on_restart and self.stats.starts > 1:
            self._clock_shift_ns += self.device_time_ns()
        self.rate_hz = float(rate_hz)
        t0_dev = self.device_time_ns()
        scale = 1.0 + self.config.drift_ppm * 1e-6
        self.stats.starts_truth.append((time.monotonic_ns(), 1e9 / rate_hz / scale))
        self._stream_task = asyncio.ensure_future(self._stream(t0_dev))

    def stop_stream(self) -> None:
        if self._stream_task is not None:
            self._stream_task.cancel()
            self._stream_task = None
            self.on_stream_stopped()

    def batch_size(self) -> int:
        """Samples per call of :meth:`send_samples` (default: all that are due)."""
        return 0

    async def _stream(self, t0_dev_ns: int) -> None:
        period_ns = 1e9 / self.rate_hz
        sent = 0
        batch = self.batch_size()
        try:
            while True:
                await asyncio.sleep(self.notify_interval_s)
                due = int((self.device_time_ns() - t0_dev_ns) / period_ns) + 1
                while due - sent >= max(1, batch):
                    n = batch if batch > 0 else due - sent
                    samples = self.source.samples(self.role, sent, n, self.rate_hz)
                    await self.send_samples(sent, samples, t0_dev_ns + round(sent * period_ns))
                    sent += n
                    self.stats.samples_sent += n
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug in a subclass must not pass silently
            log.exception("%s: sampling loop failed", self.name)
            raise

    async def notify(self, char: gatt.Characteristic[bytes], value: bytes, data: bool) -> None:
        """Notify ``value`` on ``char``; DATA notifications may be dropped (faults)."""
        conn = self.connection
        if conn is None:
            return
        if data:
            p = self.config.drop_probability
            if p > 0 and self._rng.random() < p:
                self.stats.notifications_dropped += 1
                return
            self.stats.notifications_sent += 1
            interval_s = self.config.connection_interval_ms / 1000.0
            if interval_s > 0:
                # Wait for the next connection event; what is queued by then leaves in it too.
                phase = asyncio.get_running_loop().time() % interval_s
                if phase > _SAME_EVENT_S:
                    await asyncio.sleep(interval_s - phase)
        try:
            await self.device.notify_subscriber(conn, char, value)
        except Exception as exc:  # the link went away under us
            log.debug("%s: notify failed: %s", self.name, exc)

    async def indicate(self, char: gatt.Characteristic[bytes], value: bytes) -> None:
        conn = self.connection
        if conn is None:
            return
        try:
            await self.device.indicate_subscriber(conn, char, value)
        except Exception as exc:
            log.debug("%s: indicate failed: %s", self.name, exc)


__all__ = ["EmulatorConfig", "EmulatorStats", "VendorEmulator"]
