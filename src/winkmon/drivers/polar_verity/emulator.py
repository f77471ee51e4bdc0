"""An emulated Polar Verity Sense: the PMD service on bumble, driven by a SampleSource.

GATT: the PMD service (control point: read = feature bits, write = commands, replies by
indication; data: notify) and the Battery service. It accepts SDK mode on/off, START/STOP of
ACC and GYRO with the Verity's settings (rates 26-416 Hz, above 52 Hz only in SDK mode; ACC
±2/4/8/16 g; GYRO ±250..2000 deg/s; 16 bit; 3 channels) and refuses anything else with the
PMD status codes. Data: delta-compressed frames (ACC type 0x81 in mG, GYRO type 0x80 in
FACTOR units), each stamped with the device time (ns since 2000-01-01) of its last sample,
as large as the ATT MTU allows. The emulator follows the public SDK; it was not compared
with a real Verity's bytes.
"""

from __future__ import annotations

import numpy as np
from bumble import gatt
from bumble.device import Connection
from bumble.profiles.battery_service import BatteryService

from winkmon.drivers.polar_verity import protocol as pmd
from winkmon.errors import FrameError
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2
from winkmon.virtual.source import ImuSamples
from winkmon.virtual.vendor import VendorEmulator

#: 2026-01-01 in ns since 2000-01-01 (the device clock's epoch): where the emulated clock starts
EPOCH_2026_NS = 820_454_400 * 1_000_000_000
ACC_RATES_HZ = (26, 52, 104, 208, 416)
ACC_RANGES_G = (2, 4, 8, 16)
GYRO_RANGES_DPS = (250, 500, 1000, 2000)
ACC_FACTOR = 1.0  #: mG per LSB
GYRO_FACTOR = 2000.0 / 32768.0  #: deg/s per LSB (exact in float32)


class PolarVerityEmulator(VendorEmulator):
    """The PMD side of a Verity Sense (see module doc)."""

    kind = "polar-verity"
    default_name = "Polar Sense B5A9C12E"
    service_uuid = pmd.SERVICE_UUID
    notify_interval_s = 0.1

    def services(self) -> list[gatt.Service]:
        props = gatt.Characteristic.Properties
        self.sdk_mode = False
        self.active: dict[int, float] = {}  # measurement -> factor
        self._cp: gatt.Characteristic[bytes] = gatt.Characteristic(
            pmd.CONTROL_POINT_UUID,
            props.READ | props.WRITE | props.INDICATE,
            gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(read=self._feature, write=self._on_write),
        )
        self._data: gatt.Characteristic[bytes] = gatt.Characteristic(
            pmd.DATA_UUID, props.NOTIFY, gatt.Characteristic.READABLE, b""
        )
        return [
            gatt.Service(pmd.SERVICE_UUID, [self._cp, self._data]),
            BatteryService(lambda _conn: self.config.battery_pct),
        ]

    def _feature(self, _conn: Connection | None) -> bytes:
        return bytes([0x0F, pmd.FEATURE_ACC | pmd.FEATURE_GYRO | pmd.FEATURE_MAG, 0x02])

    def _on_write(self, _conn: Connection | None, value: bytes) -> None:
        self.stats.commands += 1
        reply = self.handle(bytes(value))
        if reply.status != pmd.Status.SUCCESS:
            self.stats.refused += 1
        self.spawn(self.indicate(self._cp, bytes(reply)))

    def handle(self, buf: bytes) -> pmd.Response:
        """Answer one control point command (starting or stopping streams)."""
        try:
            cmd = pmd.Command.from_bytes(buf)
        except FrameError:
            op = buf[0] if buf else 0
            return pmd.Response(op, buf[1] if len(buf) > 1 else 0, pmd.Status.INVALID_LENGTH)

        def reply(status: pmd.Status, params: bytes = b"") -> pmd.Response:
            return pmd.Response(cmd.op, cmd.measurement, status, False, params)

        if cmd.op not in (pmd.Op.START, pmd.Op.STOP):
            return reply(pmd.Status.INVALID_OP_CODE)
        m = cmd.measurement
        if m == pmd.Measurement.SDK_MODE:
            on = cmd.op == pmd.Op.START
            if self.sdk_mode == on:
                return reply(pmd.Status.ALREADY_IN_STATE)
            self.sdk_mode = on
            return reply(pmd.Status.SUCCESS)
        if m not in (pmd.Measurement.ACC, pmd.Measurement.GYRO):
            return reply(pmd.Status.INVALID_MEASUREMENT_TYPE)
        if cmd.op == pmd.Op.STOP:
            if m not in self.active:
                return reply(pmd.Status.ALREADY_IN_STATE)
            del self.active[m]
            if not self.active:
                self.stop_stream()
            return reply(pmd.Status.SUCCESS)
        if m in self.active:
            return reply(pmd.Status.ALREADY_IN_STATE)
        status = self._check_settings(m, cmd.settings)
        if status is not pmd.Status.SUCCESS:
            return reply(status)
        rate = int(cmd.settings[pmd.Setting.SAMPLE_RATE][0])
        if self.active and rate != int(self.rate_hz):
            return reply(pmd.Status.INVALID_SAMPLE_RATE)  # one rate for ACC and GYRO here
        factor = ACC_FACTOR if m == pmd.Measurement.ACC else GYRO_FACTOR
        first = not self.active
        self.active[m] = factor
        if first:
            self.start_stream(rate)
        params = pmd.encode_settings({pmd.Setting.FACTOR: (factor,)})
        return reply(pmd.Status.SUCCESS, params)

    def _check_settings(self, m: int, s: dict[int, tuple[float, ...]]) -> pmd.Status:
        rate = s.get(pmd.Setting.SAMPLE_RATE, (0,))[0]
        if rate not in ACC_RATES_HZ or (rate > 52 and not self.sdk_mode):
            return pmd.Status.INVALID_SAMPLE_RATE
        if s.get(pmd.Setting.RESOLUTION, (16,))[0] != 16:
            return pmd.Status.INVALID_RESOLUTION
        ranges = ACC_RANGES_G if m == pmd.Measurement.ACC else GYRO_RANGES_DPS
        if s.get(pmd.Setting.RANGE, (0,))[0] not in ranges:
            return pmd.Status.INVALID_RANGE
        if s.get(pmd.Setting.CHANNELS, (3,))[0] != 3:
            return pmd.Status.INVALID_NUMBER_OF_CHANNELS
        return pmd.Status.SUCCESS

    def on_stream_stopped(self) -> None:
        if self.connection is None:
            self.active.clear()
            self.sdk_mode = False

    async def send_samples(self, first: int, samples: ImuSamples, t_first_dev_ns: int) -> None:
        period_ns = 1e9 / self.rate_hz
        acc = np.round(samples.acc_m_s2 / STANDARD_GRAVITY_M_S2 * 1000.0 / ACC_FACTOR)
        gyr = np.round(np.degrees(samples.gyr_rad_s) / GYRO_FACTOR)
        streams = {
            pmd.Measurement.ACC: (pmd.ACC_FRAME_TYPE, np.clip(acc, -32768, 32767)),
            pmd.Measurement.GYRO: (pmd.GYRO_FRAME_TYPE, np.clip(gyr, -32768, 32767)),
        }
        limit = self.mtu_payload
        n = len(samples)
        a = 0
        while a < n:
            b = n
            frames: list[bytes] = []
            while True:
                t_last = t_first_dev_ns + round((b - 1) * period_ns)
                frames = [
                    pmd.encode_frame(
                        m,
                        t_last,
                        ftype,
                        values[a:b].astype(np.int64),
                    )
                    for m, (ftype, values) in streams.items()
                    if m in self.active
                ]
                if all(len(f) <= limit for f in frames) or b - a == 1:
                    break
                b = a + max(1, (b - a) // 2)
            for frame in frames:
                await self.notify(self._data, frame, data=True)
            a = b


__all__ = ["EPOCH_2026_NS", "PolarVerityEmulator"]
