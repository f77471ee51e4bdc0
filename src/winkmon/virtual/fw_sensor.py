"""A virtual sensor whose firmware is the real one: the C core, in the loop.

:class:`FirmwareSensor` keeps :class:`~winkmon.virtual.sensor.VirtualSensor`'s Bluetooth side
(bumble device, GATT table, advertising, connections, fault injection on the air) and replaces
its Python emulation of the firmware with the C core of ``firmware_protocol/core/`` (through
:mod:`winkmon.virtual.fw_core`). It is the board layer a real board has, in Python:

- CTRL writes go to ``wm_core_ctrl_write``; whatever the core notifies (responses, DATA frames,
  STATUS) goes out through bumble, in order;
- a board loop runs while connected: every ``fifo_read_interval_s`` it reads the virtual IMU's
  FIFO (the samples due since the core started the IMU, from the
  :class:`~winkmon.virtual.source.SampleSource`, quantised to int16 counts at the START ranges
  as an IMU does), pushes them into the core, tells it the ATT MTU and polls it;
- the role lives in a 4-byte "flash" record the core reads at boot and writes on SET_ROLE.

So numbering, time stamps, batching to the MTU, compact frames and anchors, flushing, STATUS,
the queue that drops the oldest samples, BUZZ and IDENTIFY are the board's own code.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import numpy as np
from bumble.device import Connection, Device

from winkmon.protocol.constants import FrameType
from winkmon.protocol.frames import encode_samples
from winkmon.protocol.records import CtrlResponse, SensorInfo, SensorStatus
from winkmon.virtual.fw_core import (
    CH_CTRL,
    CH_DATA,
    CoreConfig,
    CoreStats,
    FirmwareCore,
    flash_record,
)
from winkmon.virtual.sensor import (
    _MALFORMED,
    FaultConfig,
    VirtualSensor,
    VirtualSensorConfig,
)
from winkmon.virtual.source import SampleSource

log = logging.getLogger(__name__)

#: Samples the board reads from the IMU FIFO before it polls the core again.
FIFO_CHUNK = 32


@dataclasses.dataclass(frozen=True, slots=True)
class FirmwareBoardConfig:
    """How the virtual board around the core behaves. Defaults: an ideal board."""

    #: the IMU's output data rate for a START rate (e.g. ``{200: 208}``: an LSM6DS3 asked for
    #: 200 Hz runs at 208 Hz and the core converts); rates not listed run as asked
    imu_odr_hz: dict[int, int] | None = None
    fifo_read_interval_s: float = 0.01  #: how often the board reads the IMU FIFO and polls, s
    #: DATA notifications the radio takes per board-loop tick (None: all); a small value makes
    #: the link slower than the IMU, so the core's queue overflows
    tx_per_tick: int | None = None


@dataclasses.dataclass(slots=True)
class _Imu:
    t_start_us: int  #: device time (unwrapped) when the IMU started
    odr_hz: int
    acc_range: int
    gyr_range: int
    mag_on: bool
    source_offset: int  #: source index of the IMU's sample 0
    read: int = 0  #: samples read from its FIFO so far


class FirmwareSensor(VirtualSensor):
    """A virtual sensor running the C firmware core (see module doc)."""

    def __init__(
        self,
        device: Device,
        source: SampleSource,
        config: VirtualSensorConfig | None = None,
        faults: FaultConfig | None = None,
        board: FirmwareBoardConfig | None = None,
    ) -> None:
        super().__init__(device, source, config, faults)
        cfg = self.config
        self.board = board if board is not None else FirmwareBoardConfig()
        self.motor_on = False
        self._imu: _Imu | None = None
        self._tx_lock = asyncio.Lock()
        self.core = FirmwareCore(
            self,
            CoreConfig(
                fw_version=cfg.fw_version,
                capabilities=cfg.capabilities,
                max_rate_hz=cfg.max_rate_hz,
                acc_ranges_mask=cfg.acc_ranges_mask,
                gyr_ranges_mask=cfg.gyr_ranges_mask,
                imu_part=cfg.imu_part,
                serial=cfg.serial,
            ),
            flash=flash_record(cfg.role),  # the role stored before this power-up
            tx_capacity=self.board.tx_per_tick,
        )
        self.core.set_battery(cfg.battery_pct, cfg.temperature_C)
        self.role = self.core.role

    # ------------------------------------------------------------------ the board (CoreBoard)
    def now_us(self) -> int:
        return self.device_time_us()

    def imu_start(self, rate_hz: int, acc_range: int, gyr_range: int, mag_on: bool) -> int | None:
        odr = rate_hz
        if self.board.imu_odr_hz is not None:
            odr = self.board.imu_odr_hz.get(rate_hz, rate_hz)
        offset = self.source_offset(odr)
        self._imu = _Imu(self.device_time_us(), odr, acc_range, gyr_range, mag_on, offset)
        return odr

    def imu_stop(self) -> None:
        self._imu = None

    def motor(self, on: bool) -> None:
        self.motor_on = on

    def _read_imu_fifo(self) -> None:
        imu = self._imu
        if imu is None:
            return
        due = int((self.device_time_us() - imu.t_start_us) * imu.odr_hz / 1e6) + 1
        n = due - imu.read
        if n <= 0:
            return
        got = self.source.samples(self.role, imu.source_offset + imu.read, n, float(imu.odr_hz))
        mag = None
        if imu.mag_on:
            mag = got.mag_uT if got.mag_uT is not None else np.zeros((n, 3))
        raw, _ = encode_samples(got.acc_m_s2, got.gyr_rad_s, imu.acc_range, imu.gyr_range, mag)
        imu.read = due
        # A FIFO that filled while the loop was held up (a busy host) is read in chunks with
        # a poll between them, as a board drains its IMU FIFO: the core's queue then overflows
        # only when the radio cannot keep up, not because the host paused.
        for start in range(0, n, FIFO_CHUNK):
            self.core.push_samples(raw[start : start + FIFO_CHUNK])
            self.core.poll()

    # ------------------------------------------------------------------ identity, records
    @property
    def is_streaming(self) -> bool:
        return self.core.streaming

    def info(self) -> SensorInfo:
        info = SensorInfo.from_bytes(self.core.info())
        if self.config.protocol_version != info.protocol_version:  # fault: another version
            info = dataclasses.replace(info, protocol_version=self.config.protocol_version)
        return info

    def status(self) -> SensorStatus:
        return SensorStatus.from_bytes(self.core.status())

    # ------------------------------------------------------------------ connection, board loop
    def _on_disconnection(self, reason: int) -> None:
        self.core.disconnected()
        self.core.take()
        super()._on_disconnection(reason)

    async def _status_loop(self, connection: Connection) -> None:
        """The board's main loop while connected (replaces the emulator's STATUS loop: the
        core sends STATUS itself)."""
        interval = float(connection.parameters.connection_interval) / 1.25
        mtu = int(connection.att_mtu)
        self.core.connected(mtu, round(interval))
        while True:
            await asyncio.sleep(self.board.fifo_read_interval_s)
            if int(connection.att_mtu) != mtu:
                mtu = int(connection.att_mtu)
                self.core.set_mtu(mtu)
            self._read_imu_fifo()
            self.core.poll()
            await self._flush(connection)

    # ------------------------------------------------------------------ CTRL
    async def _handle_ctrl(self, connection: Connection, buf: bytes) -> None:
        self.stats.ctrl_requests += 1
        before = self.core.stats
        self.core.ctrl_write(buf)
        self._after_ctrl(before)
        await self._flush(connection)

    def handle_request(self, buf: bytes) -> CtrlResponse | None:
        """Answer one CTRL request through the core (other notifications stay queued)."""
        before = self.core.stats
        self.core.ctrl_write(buf)
        self._after_ctrl(before)
        for item in reversed(self.core.outbox):
            if item[0] == CH_CTRL:
                self.core.outbox.remove(item)
                return CtrlResponse.from_bytes(item[1])
        return None

    def _after_ctrl(self, before: CoreStats) -> None:
        after = self.core.stats
        if self.core.role is not self.role:
            self.role = self.core.role
            self.device.name = self.name
        if after.buzzes != before.buzzes:
            self.stats.buzzes.append((after.last_buzz_pattern, after.last_buzz_ms))
        if after.identifies != before.identifies:
            self.stats.identifies.append(after.last_identify_s)
        if after.starts != before.starts:
            self.stats.starts += 1
            if self.faults.disconnect_after_s is not None and self.stats.starts == 1:
                loop = asyncio.get_running_loop()
                self._disconnect_handle = loop.call_later(
                    self.faults.disconnect_after_s, lambda: self._spawn(self.disconnect())
                )

    # ------------------------------------------------------------------ the radio
    async def _flush(self, connection: Connection) -> None:
        """Send what the core queued, in order (one flusher at a time keeps the order)."""
        async with self._tx_lock:
            while self.core.outbox:
                for channel, payload in self.core.take():
                    if channel == CH_DATA:
                        await self._deliver_data(connection, payload)
                    elif channel == CH_CTRL:
                        await self._notify(connection, self._ctrl_char, payload)
                    else:
                        await self._notify(connection, self._status_char, payload)

    async def _deliver_data(self, connection: Connection, payload: bytes) -> None:
        """A DATA notification on the air, where the injected faults happen."""
        seq = int.from_bytes(payload[4:6], "little")
        n = payload[3] if payload[0] in (FrameType.DATA, FrameType.DATA_COMPACT) else 0
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
            self.stats.samples_dropped += n
            return
        self.stats.notifications_sent += 1
        self.stats.samples_sent += n
        await self._notify(connection, self._data_char, payload)
