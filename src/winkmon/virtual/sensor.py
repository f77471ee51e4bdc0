"""A virtual winkmon sensor: a BLE peripheral on bumble that speaks ``PROTOCOL.md`` exactly.

:class:`VirtualSensor` owns a bumble :class:`~bumble.device.Device` (on an in-memory link for
tests and the demo, or on a real controller through a bumble transport) and behaves like the
firmware:

- GATT table: the vendor service (DATA, CTRL, INFO, STATUS) plus Battery (0x180F) and Device
  Information (0x180A);
- advertising: the complete local name (``winkmon-S-1A2B``) and the 128-bit service UUID;
- CTRL requests answered by a notification on CTRL with the request id echoed and the status
  codes of the spec (bad length, bad parameters, unknown op, unsupported);
- after START: an anchor frame, then DATA frames batched to the ATT MTU (full frames, or compact
  frames with an anchor every second when ``MTU - 3 < 28``), flushed after ``flush_ms``;
- STATUS about once a second while connected.

Samples come from a :class:`~winkmon.virtual.source.SampleSource`; the sensor does the
quantisation, batching, numbering and time stamping. :class:`FaultConfig` injects the faults
tests need: lost notifications, malformed notifications, a link drop mid-stream, and (through
:class:`VirtualSensorConfig`) an incompatible protocol version or a small MTU.

Everything runs on the asyncio loop that runs bumble; nothing here blocks.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from bumble import gatt
from bumble.core import UUID, AdvertisingData
from bumble.device import (
    AdvertisingEventProperties,
    AdvertisingParameters,
    AdvertisingSet,
    Connection,
    Device,
)
from bumble.profiles.battery_service import BatteryService
from bumble.profiles.device_information_service import DeviceInformationService

from winkmon.errors import InputError
from winkmon.protocol.constants import (
    COMPACT_HEADER_BYTES,
    CTRL_UUID,
    DATA_UUID,
    FULL_HEADER_BYTES,
    INFO_UUID,
    PROTOCOL_VERSION,
    SAMPLE_BYTES_6D,
    SAMPLE_BYTES_9D,
    SERVICE_UUID,
    STATUS_UUID,
    BuzzPattern,
    Capability,
    CtrlStatus,
    FrameFlags,
    FrameType,
    Op,
    Role,
)
from winkmon.protocol.frames import DataFrame, encode_samples
from winkmon.protocol.records import (
    CtrlResponse,
    SensorInfo,
    SensorStatus,
    StartParams,
)
from winkmon.virtual.source import SampleSource

log = logging.getLogger(__name__)

_ROLE_LETTER = {Role.UNASSIGNED: "U", Role.SACRUM: "S", Role.LUMBAR: "L"}
_ATT_NOTIFY_OVERHEAD = 3
_U32 = 0xFFFFFFFF
_PARAM_BYTES = {
    Op.GET_CAPS: 0,
    Op.START: 8,
    Op.STOP: 0,
    Op.SET_ROLE: 1,
    Op.TIME_SYNC: 4,
    Op.IDENTIFY: 1,
    Op.BUZZ: 3,
}
#: Malformed DATA payloads the fault injector cycles through (short, unknown type, bad length).
_MALFORMED = (
    bytes([FrameType.DATA, PROTOCOL_VERSION, 1, 3, 0, 0]),
    bytes([0x7E, PROTOCOL_VERSION]) + bytes(18),
    bytes([FrameType.DATA, PROTOCOL_VERSION, 1, 2]) + bytes(12 + 12),
)


def advertised_name(role: Role, serial: str) -> str:
    """The complete local name a sensor advertises, e.g. ``winkmon-S-1A2B``."""
    return f"winkmon-{_ROLE_LETTER[role]}-{serial[-4:].upper()}"


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Faults a virtual sensor injects, for tests. The default injects none.

    Dropped notifications still take their sequence number (as when firmware cannot queue
    one) and are counted in STATUS ``tx_dropped``.
    """

    drop_probability: float = 0.0  #: chance each DATA notification is lost (0..1)
    drop_seqs: frozenset[int] = frozenset()  #: DATA ``seq`` values (u16) that are never delivered
    #: a malformed DATA notification goes out just before the frame with each of these ``seq``
    malformed_before_seqs: frozenset[int] = frozenset()
    #: the sensor drops the link this many seconds after the first START (once); None: never
    disconnect_after_s: float | None = None
    #: at each START after the first the device clock starts again from 0 (a reboot); else
    #: it runs on through disconnects, as a crystal does
    reset_clock_on_restart: bool = False
    seed: int = 0  #: seed of the drop-probability generator

    def __post_init__(self) -> None:
        if not 0.0 <= self.drop_probability <= 1.0:
            raise InputError("drop_probability is a probability (0..1)")


@dataclass(frozen=True, slots=True)
class VirtualSensorConfig:
    """What a virtual sensor is and can do. Every field has a firmware-like default."""

    role: Role = Role.UNASSIGNED  #: role stored in the sensor (SET_ROLE changes it)
    serial: str = "VS000001"  #: serial number; its last 4 characters go into the name
    address: str = "D0:5E:AA:00:00:01"  #: static random Bluetooth address
    protocol_version: int = PROTOCOL_VERSION  #: INFO protocol_version (override: incompatible)
    fw_version: tuple[int, int, int] = (1, 0, 0)
    capabilities: Capability = (
        Capability.HAPTIC | Capability.LED | Capability.TIME_SYNC | Capability.COMPACT_FRAMES
    )
    max_rate_hz: int = 400  #: highest START rate accepted, Hz
    acc_ranges_mask: int = 0x0F  #: accelerometer range codes supported (bit c: code c)
    gyr_ranges_mask: int = 0x1F  #: gyroscope range codes supported
    imu_part: str = "VIRTUAL"
    max_mtu: int = 247  #: largest ATT MTU the sensor accepts in the MTU exchange (23..517)
    battery_pct: int = 87  #: battery level reported by STATUS and the Battery service, %
    temperature_C: float = 31.5  #: temperature reported by STATUS, degrees C
    status_interval_s: float = 1.0  #: STATUS notification period, s
    anchor_interval_s: float = 1.0  #: anchor period while sending compact frames, s
    clock_offset_us: int = 0  #: device clock at host monotonic time 0, µs
    drift_ppm: float = 0.0  #: device crystal error, ppm (positive: the device clock runs fast)
    legacy_advertising: bool = False  #: legacy PDUs: UUID in the advert, name in scan response
    advertising_interval_ms: float = 20.0  #: advertising interval, ms
    #: host monotonic time (ns) of the source's time 0, shared by the sensors of a rig so they
    #: measure one body at the same moments (sample k after a START at host time T is source
    #: sample round((T - origin) * rate) + k); None: each START is the source's time 0
    timeline_origin_ns: int | None = None

    @property
    def name(self) -> str:
        return advertised_name(self.role, self.serial)


@dataclass(slots=True)
class VirtualSensorStats:
    """What a virtual sensor did, for tests and the bench."""

    notifications_sent: int = 0  #: DATA notifications delivered (incl. anchors)
    notifications_dropped: int = 0  #: DATA notifications lost on purpose
    samples_sent: int = 0
    samples_dropped: int = 0  #: samples in dropped notifications
    malformed_sent: int = 0
    starts: int = 0
    connections: int = 0
    forced_disconnects: int = 0
    ctrl_requests: int = 0
    buzzes: list[tuple[int, int]] = field(default_factory=list)  #: (pattern, duration_ms)
    identifies: list[int] = field(default_factory=list)  #: seconds


class VirtualSensor:
    """A virtual sensor peripheral on a bumble :class:`Device` (see module doc).

    Create the device with :func:`winkmon.virtual.radio.VirtualRadio.new_device` (in-memory) or
    from a bumble transport, then ``await sensor.start()``; ``await sensor.close()`` ends it.
    """

    def __init__(
        self,
        device: Device,
        source: SampleSource,
        config: VirtualSensorConfig | None = None,
        faults: FaultConfig | None = None,
    ) -> None:
        self.device = device
        self.source = source
        self.config = config if config is not None else VirtualSensorConfig()
        self.faults = faults if faults is not None else FaultConfig()
        self.role = self.config.role
        self.stats = VirtualSensorStats()
        self._rng = random.Random(self.faults.seed)
        self._connection: Connection | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self._status_task: asyncio.Task[None] | None = None
        self._disconnect_handle: asyncio.TimerHandle | None = None
        self._adv_set: AdvertisingSet | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._params: StartParams | None = None
        self._seq = 0
        self._tx_dropped = 0
        self._started = False
        self._clock_shift_us = 0  # device clock reset (FaultConfig.reset_clock_on_restart)
        self._away_until = 0.0  # loop time until which the sensor is out of range
        self._source_offset = 0  #: source index of this stream's sample 0
        self._build_gatt()

    # ------------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        return advertised_name(self.role, self.config.serial)

    @property
    def address(self) -> str:
        return self.config.address

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    @property
    def is_streaming(self) -> bool:
        return self._stream_task is not None and not self._stream_task.done()

    def info(self) -> SensorInfo:
        cfg = self.config
        return SensorInfo(
            protocol_version=cfg.protocol_version,
            fw_version=cfg.fw_version,
            capabilities=cfg.capabilities,
            max_rate_hz=cfg.max_rate_hz,
            acc_ranges_mask=cfg.acc_ranges_mask,
            gyr_ranges_mask=cfg.gyr_ranges_mask,
            mag_lsb_nT=100,
            role=self.role,
            imu_part=cfg.imu_part,
            serial=cfg.serial,
        )

    def status(self) -> SensorStatus:
        conn = self._connection
        interval = float(conn.parameters.connection_interval) if conn is not None else 0.0
        mtu = int(conn.att_mtu) if conn is not None else 23
        return SensorStatus(
            battery_pct=self.config.battery_pct,
            temperature_C=self.config.temperature_C,
            fifo_overflows=0,
            tx_dropped=self._tx_dropped,
            conn_interval_ms=interval,
            att_mtu=mtu,
        )

    def device_time_us(self) -> int:
        """The device clock now, µs, unwrapped (DATA frames carry it modulo 2^32)."""
        host_us = time.monotonic_ns() / 1000.0
        raw = int(host_us * (1.0 + self.config.drift_ppm * 1e-6)) + self.config.clock_offset_us
        return raw - self._clock_shift_us

    # ------------------------------------------------------------------ GATT
    def _build_gatt(self) -> None:
        props = gatt.Characteristic.Properties
        readable = gatt.Characteristic.READABLE
        writeable = gatt.Characteristic.WRITEABLE
        self._data_char: gatt.Characteristic[bytes] = gatt.Characteristic(
            DATA_UUID, props.NOTIFY, readable, b""
        )
        self._ctrl_char: gatt.Characteristic[bytes] = gatt.Characteristic(
            CTRL_UUID,
            props.WRITE | props.NOTIFY,
            writeable,
            gatt.CharacteristicValue(write=self._on_ctrl_write),
        )
        self._info_char: gatt.Characteristic[bytes] = gatt.Characteristic(
            INFO_UUID,
            props.READ,
            readable,
            gatt.CharacteristicValue(read=lambda _conn: bytes(self.info())),
        )
        self._status_char: gatt.Characteristic[bytes] = gatt.Characteristic(
            STATUS_UUID,
            props.READ | props.NOTIFY,
            readable,
            gatt.CharacteristicValue(read=lambda _conn: bytes(self.status())),
        )
        service = gatt.Service(
            SERVICE_UUID,
            [self._data_char, self._ctrl_char, self._info_char, self._status_char],
        )
        cfg = self.config
        self.device.name = self.name
        self.device.add_service(service)
        self.device.add_service(BatteryService(lambda _conn: self.config.battery_pct))
        self.device.add_service(
            DeviceInformationService(
                manufacturer_name="winkmon",
                model_number="winkmon virtual sensor",
                serial_number=cfg.serial,
                firmware_revision=".".join(map(str, cfg.fw_version)),
            )
        )
        self.device.gatt_server.max_mtu = cfg.max_mtu

    def _advertising_data(self) -> tuple[bytes, bytes]:
        """(advertising data, scan response data)."""
        flags = (AdvertisingData.FLAGS, bytes([0x06]))  # LE general discoverable, no BR/EDR
        uuids = (
            AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
            bytes(UUID(SERVICE_UUID)),
        )
        name = (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode("ascii"))
        if self.config.legacy_advertising:
            return bytes(AdvertisingData([flags, uuids])), bytes(AdvertisingData([name]))
        return bytes(AdvertisingData([flags, uuids, name])), b""

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Power the device on and advertise."""
        if self._started:
            return
        self._started = True
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)
        await self.device.power_on()
        await self._advertise()

    async def _advertise(self) -> None:
        adv, scan_rsp = self._advertising_data()
        interval = self.config.advertising_interval_ms
        if self.config.legacy_advertising:
            await self.device.start_advertising(
                advertising_data=adv,
                scan_response_data=scan_rsp,
                advertising_interval_min=interval,
                advertising_interval_max=interval,
            )
            return
        # One extended (non-legacy) PDU holds the flags, the 128-bit UUID and the full name.
        params = AdvertisingParameters(
            advertising_event_properties=AdvertisingEventProperties(
                is_connectable=True, is_legacy=False
            ),
            primary_advertising_interval_min=interval,
            primary_advertising_interval_max=interval,
        )
        self._adv_set = await self.device.create_advertising_set(
            advertising_parameters=params, advertising_data=adv
        )

    async def _stop_advertising(self) -> None:
        if self.config.legacy_advertising:
            if self.device.is_advertising:
                await self.device.stop_advertising()
            return
        adv_set = self._adv_set
        if adv_set is not None:
            self._adv_set = None
            await adv_set.stop()
            await adv_set.remove()

    async def close(self) -> None:
        """Stop streaming, drop the link and stop advertising."""
        self._started = False
        self._stop_stream()
        if self._disconnect_handle is not None:
            self._disconnect_handle.cancel()
        if self._status_task is not None:
            self._status_task.cancel()
        if self._connection is not None:
            conn = self._connection
            try:
                await asyncio.wait_for(conn.disconnect(), 2.0)
            except Exception as exc:  # the link may already be gone
                log.debug("%s: disconnect on close: %s", self.name, exc)
            self._connection = None
        # Let pending HCI work finish: cancelling a task inside a bumble HCI command leaves the
        # host waiting on a cancelled future.
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
        """Go out of range for ``seconds``: drop the link and stop advertising, then come
        back (advertise again) so the host can reconnect."""
        self._away_until = asyncio.get_running_loop().time() + seconds
        log.info("%s: out of range for %.1f s", self.name, seconds)
        if self._connection is None:
            self._spawn(self._readvertise())
        await self.disconnect()

    async def disconnect(self) -> None:
        """Drop the link from the sensor's side (as a sensor out of range would)."""
        conn = self._connection
        if conn is None:
            return
        self.stats.forced_disconnects += 1
        log.info("%s: forcing a disconnect", self.name)
        await conn.disconnect()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ connection events
    def _on_connection(self, connection: Connection) -> None:
        if self._connection is not None:
            # Firmware takes one central; the extra link is refused.
            self._spawn(connection.disconnect())
            return
        self._connection = connection
        self.stats.connections += 1
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        self._status_task = asyncio.ensure_future(self._status_loop(connection))
        log.info("%s: connected to %s", self.name, connection.peer_address)

    def _on_disconnection(self, reason: int) -> None:
        log.info("%s: disconnected (reason 0x%02x)", self.name, reason)
        self._connection = None
        self._stop_stream()
        if self._status_task is not None:
            self._status_task.cancel()
            self._status_task = None
        if self._started:
            self._spawn(self._readvertise())

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

    async def _status_loop(self, connection: Connection) -> None:
        while True:
            await asyncio.sleep(self.config.status_interval_s)
            await self._notify(connection, self._status_char, bytes(self.status()))

    async def _notify(
        self, connection: Connection, char: gatt.Characteristic[bytes], value: bytes
    ) -> None:
        if self._connection is not connection:
            return
        try:
            await self.device.notify_subscriber(connection, char, value)
        except Exception as exc:  # link went away under us
            log.debug("%s: notify failed: %s", self.name, exc)

    # ------------------------------------------------------------------ CTRL
    def _on_ctrl_write(self, connection: Connection, value: bytes) -> None:
        self._spawn(self._handle_ctrl(connection, bytes(value)))

    async def _handle_ctrl(self, connection: Connection, buf: bytes) -> None:
        self.stats.ctrl_requests += 1
        response = self.handle_request(buf)
        if response is not None:
            await self._notify(connection, self._ctrl_char, bytes(response))

    def handle_request(self, buf: bytes) -> CtrlResponse | None:
        """Answer one CTRL request (also starts/stops streaming as a side effect)."""
        if len(buf) < 2:
            op = buf[0] if buf else 0
            return CtrlResponse(op, 0, CtrlStatus.BAD_LENGTH)
        op_b, req_id, params = buf[0], buf[1], buf[2:]
        try:
            op = Op(op_b)
        except ValueError:
            return CtrlResponse(op_b, req_id, CtrlStatus.UNKNOWN_OP)
        if len(params) != _PARAM_BYTES[op]:
            return CtrlResponse(op, req_id, CtrlStatus.BAD_LENGTH)

        def reply(status: CtrlStatus, data: bytes = b"") -> CtrlResponse:
            return CtrlResponse(op, req_id, status, data)

        caps = self.config.capabilities
        if op is Op.GET_CAPS:
            return reply(CtrlStatus.OK, bytes(self.info()))
        if op is Op.START:
            start = StartParams.from_bytes(params)
            if not self._start_params_ok(start):
                return reply(CtrlStatus.BAD_PARAM)
            first_index, t_dev_us = self._start_stream(start)
            data = first_index.to_bytes(4, "little") + (t_dev_us & _U32).to_bytes(4, "little")
            return reply(CtrlStatus.OK, data)
        if op is Op.STOP:
            self._stop_stream()
            return reply(CtrlStatus.OK)
        if op is Op.SET_ROLE:
            if params[0] > max(Role):
                return reply(CtrlStatus.BAD_PARAM)
            self.role = Role(params[0])
            self.device.name = self.name
            return reply(CtrlStatus.OK)
        if op is Op.TIME_SYNC:
            if not caps & Capability.TIME_SYNC:
                return reply(CtrlStatus.UNSUPPORTED)
            t_dev = self.device_time_us() & _U32
            return reply(CtrlStatus.OK, params + t_dev.to_bytes(4, "little"))
        if op is Op.IDENTIFY:
            if not caps & (Capability.LED | Capability.HAPTIC):
                return reply(CtrlStatus.UNSUPPORTED)
            self.stats.identifies.append(params[0])
            return reply(CtrlStatus.OK)
        # BUZZ
        if not caps & Capability.HAPTIC:
            return reply(CtrlStatus.UNSUPPORTED)
        pattern, duration_ms = params[0], int.from_bytes(params[1:3], "little")
        if pattern not in set(BuzzPattern):
            return reply(CtrlStatus.BAD_PARAM)
        self.stats.buzzes.append((pattern, duration_ms))
        return reply(CtrlStatus.OK)

    def source_offset(self, rate_hz: float) -> int:
        """The source index of a stream starting now (see ``timeline_origin_ns``)."""
        origin = self.config.timeline_origin_ns
        if origin is None:
            return 0
        return max(0, round((time.monotonic_ns() - origin) * rate_hz / 1e9))

    def _start_params_ok(self, p: StartParams) -> bool:
        cfg = self.config
        return (
            1 <= p.rate_hz <= cfg.max_rate_hz
            and 0 <= p.acc_range < 8
            and bool(cfg.acc_ranges_mask >> p.acc_range & 1)
            and 0 <= p.gyr_range < 8
            and bool(cfg.gyr_ranges_mask >> p.gyr_range & 1)
            and (not p.mag_on or bool(cfg.capabilities & Capability.MAGNETOMETER))
            and p.max_batch >= 1
            and p.flush_ms >= 1
        )

    # ------------------------------------------------------------------ streaming
    def _start_stream(self, params: StartParams) -> tuple[int, int]:
        self._stop_stream()
        self._params = params
        self._source_offset = self.source_offset(params.rate_hz)
        self.stats.starts += 1
        if self.faults.reset_clock_on_restart and self.stats.starts > 1:
            self._clock_shift_us += self.device_time_us()  # the clock reads 0 again
        t0 = self.device_time_us()
        self._stream_task = asyncio.ensure_future(self._stream(params, t0))
        if self.faults.disconnect_after_s is not None and self.stats.starts == 1:
            loop = asyncio.get_running_loop()
            self._disconnect_handle = loop.call_later(
                self.faults.disconnect_after_s, lambda: self._spawn(self.disconnect())
            )
        return 0, t0

    def _stop_stream(self) -> None:
        if self._stream_task is not None:
            self._stream_task.cancel()
            self._stream_task = None

    def _mtu_payload(self) -> int:
        conn = self._connection
        mtu = int(conn.att_mtu) if conn is not None else 23
        return mtu - _ATT_NOTIFY_OVERHEAD

    async def _stream(self, p: StartParams, t0_us: int) -> None:
        """The firmware's sample loop: collect due samples, send frames, anchors."""
        connection = self._connection
        if connection is None:
            return
        period_us = 1e6 / p.rate_hz
        sent = 0  # next sample index to send
        flush_us = p.flush_ms * 1000
        await self._send_anchor(connection, p, sent, t0_us)
        last_anchor_us = t0_us
        while True:
            payload = self._mtu_payload()
            compact = payload < FULL_HEADER_BYTES + SAMPLE_BYTES_6D
            if compact:
                cap = (payload - COMPACT_HEADER_BYTES) // SAMPLE_BYTES_6D
            else:
                width = SAMPLE_BYTES_9D if p.mag_on else SAMPLE_BYTES_6D
                cap = (payload - FULL_HEADER_BYTES) // width
            cap = max(1, min(cap, p.max_batch, 255))
            tick_s = max(period_us, min(flush_us, cap * period_us)) / 1e6
            await asyncio.sleep(tick_s)
            now = self.device_time_us()
            due = int((now - t0_us) / period_us) + 1  # samples taken so far
            if compact and now - last_anchor_us >= self.config.anchor_interval_s * 1e6:
                await self._send_anchor(connection, p, sent, t0_us)
                last_anchor_us = now
            while due - sent >= cap:
                await self._send_samples(connection, p, sent, cap, t0_us, compact)
                sent += cap
            pending = due - sent
            if pending > 0:
                oldest_us = t0_us + sent * period_us
                if now - oldest_us >= flush_us - tick_s * 1e6 / 2:
                    await self._send_samples(connection, p, sent, pending, t0_us, compact)
                    sent += pending

    def _t_first_us(self, p: StartParams, index: int, t0_us: int) -> int:
        return (t0_us + round(index * 1e6 / p.rate_hz)) & _U32

    async def _send_anchor(
        self, connection: Connection, p: StartParams, index: int, t0_us: int
    ) -> None:
        width = 9 if p.mag_on else 6
        frame = DataFrame(
            FrameType.DATA,
            self.role,
            self._seq,
            index & _U32,
            self._t_first_us(p, index, t0_us),
            p.acc_range,
            p.gyr_range,
            FrameFlags.MAG_PRESENT if p.mag_on else FrameFlags.NONE,
            _empty(width),
        )
        await self._send_frame(connection, frame)

    async def _send_samples(
        self,
        connection: Connection,
        p: StartParams,
        first: int,
        n: int,
        t0_us: int,
        compact: bool,
    ) -> None:
        imu = self.source.samples(self.role, self._source_offset + first, n, float(p.rate_hz))
        mag = imu.mag_uT if p.mag_on and not compact else None
        if p.mag_on and not compact and mag is None:
            mag = np.zeros((n, 3))
        raw, flags = encode_samples(imu.acc_m_s2, imu.gyr_rad_s, p.acc_range, p.gyr_range, mag)
        if compact:
            frame = DataFrame(
                FrameType.DATA_COMPACT,
                self.role,
                self._seq,
                first & 0xFFFF,
                None,
                None,
                None,
                FrameFlags.NONE,
                raw,
            )
        else:
            frame = DataFrame(
                FrameType.DATA,
                self.role,
                self._seq,
                first & _U32,
                self._t_first_us(p, first, t0_us),
                p.acc_range,
                p.gyr_range,
                flags,
                raw,
            )
        await self._send_frame(connection, frame)

    async def _send_frame(self, connection: Connection, frame: DataFrame) -> None:
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFFFF
        faults = self.faults
        if seq in faults.malformed_before_seqs:
            bad = _MALFORMED[self.stats.malformed_sent % len(_MALFORMED)]
            self.stats.malformed_sent += 1
            await self._notify(connection, self._data_char, bad)
        dropped = seq in faults.drop_seqs or (
            faults.drop_probability > 0 and self._rng.random() < faults.drop_probability
        )
        if dropped:
            self.stats.notifications_dropped += 1
            self.stats.samples_dropped += frame.n
            self._tx_dropped += 1
            return
        self.stats.notifications_sent += 1
        self.stats.samples_sent += frame.n
        await self._notify(connection, self._data_char, bytes(frame))


def _empty(width: int) -> npt.NDArray[np.int16]:
    return np.zeros((0, width), dtype=np.int16)
