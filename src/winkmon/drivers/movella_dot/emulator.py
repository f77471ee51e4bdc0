"""An emulated Movella DOT on bumble, driven by a SampleSource.

GATT: the configuration service (device control ``1002``: read/write, 32 bytes), the
measurement service (control ``2001``, long/medium/short payloads) and the battery service
(``3001``). It takes the output rate only if it is a live rate (1-60 Hz), streams mode 21
("rate quantities": µs timestamp, acc m/s², gyro deg/s as float32) on the medium payload,
one sample a notification, and ignores other modes (the device would not start them here).
Its µs clock wraps at 2^32 like the device's. Follows the public specification; not compared
with a real DOT's bytes.
"""

from __future__ import annotations

import numpy as np
from bumble import gatt
from bumble.device import Connection

from winkmon.drivers.movella_dot import protocol as dot
from winkmon.virtual.source import ImuSamples
from winkmon.virtual.vendor import VendorEmulator


class MovellaDotEmulator(VendorEmulator):
    """The BLE side of a Movella DOT (see module doc)."""

    kind = "movella-dot"
    default_name = "Movella DOT"
    service_uuid = dot.SERVICE_UUID
    notify_interval_s = 1 / 60

    def services(self) -> list[gatt.Service]:
        props = gatt.Characteristic.Properties
        rw = gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE
        self.output_rate_hz = 60
        self.mode: int | None = None
        self._control: gatt.Characteristic[bytes] = gatt.Characteristic(
            dot.DEVICE_CONTROL_UUID,
            props.READ | props.WRITE,
            rw,
            gatt.CharacteristicValue(read=self._read_control, write=self._write_control),
        )
        self._measurement: gatt.Characteristic[bytes] = gatt.Characteristic(
            dot.MEASUREMENT_CONTROL_UUID,
            props.READ | props.WRITE,
            rw,
            gatt.CharacteristicValue(read=self._read_measurement, write=self._write_measurement),
        )
        self._payloads: dict[str, gatt.Characteristic[bytes]] = {
            u: gatt.Characteristic(u, props.NOTIFY, gatt.Characteristic.READABLE, b"")
            for u in (dot.LONG_PAYLOAD_UUID, dot.MEDIUM_PAYLOAD_UUID, dot.SHORT_PAYLOAD_UUID)
        }
        battery: gatt.Characteristic[bytes] = gatt.Characteristic(
            dot.BATTERY_UUID,
            props.READ | props.NOTIFY,
            gatt.Characteristic.READABLE,
            gatt.CharacteristicValue(read=lambda _c: bytes([self.config.battery_pct, 0])),
        )
        return [
            gatt.Service(dot.SERVICE_UUID, [self._control]),
            gatt.Service(
                dot.MEASUREMENT_SERVICE_UUID, [self._measurement, *self._payloads.values()]
            ),
            gatt.Service(dot.uuid(0x3000), [battery]),
        ]

    def batch_size(self) -> int:
        return 1

    def _read_control(self, _conn: Connection | None) -> bytes:
        out = bytearray(dot.DEVICE_CONTROL_BYTES)
        out[24:26] = self.output_rate_hz.to_bytes(2, "little")
        return bytes(out)

    def _write_control(self, _conn: Connection | None, value: bytes) -> None:
        self.stats.commands += 1
        buf = bytes(value)
        if len(buf) != dot.DEVICE_CONTROL_BYTES:
            self.stats.refused += 1
            return
        if buf[0] & dot.SET_OUTPUT_RATE:
            rate = dot.rate_of_device_control(buf)
            if rate in dot.LIVE_RATES_HZ:
                self.output_rate_hz = rate
            else:
                self.stats.refused += 1

    def _read_measurement(self, _conn: Connection | None) -> bytes:
        return bytes([1, 1 if self.mode is not None else 0, self.mode or 0])

    def _write_measurement(self, _conn: Connection | None, value: bytes) -> None:
        self.stats.commands += 1
        buf = bytes(value)
        if len(buf) != 3 or buf[0] != 1 or buf[2] != dot.MODE_RATE_QUANTITIES:
            self.stats.refused += 1
            return
        if buf[1] == 1:
            self.mode = buf[2]
            self.start_stream(self.output_rate_hz)
        else:
            self.mode = None
            self.stop_stream()

    def on_stream_stopped(self) -> None:
        if self.connection is None:
            self.mode = None

    async def send_samples(self, first: int, samples: ImuSamples, t_first_dev_ns: int) -> None:
        period_ns = 1e9 / self.rate_hz
        gyr_dps = np.degrees(samples.gyr_rad_s)
        for k in range(len(samples)):
            t_us = (t_first_dev_ns + round(k * period_ns)) // 1000
            payload = dot.encode_rate_quantities(t_us, samples.acc_m_s2[k], gyr_dps[k])
            await self.notify(self._payloads[dot.MEDIUM_PAYLOAD_UUID], payload, data=True)


__all__ = ["MovellaDotEmulator"]
