"""An emulated MetaMotion RL (MetaWear, BMI160) on bumble, driven by a SampleSource.

GATT: the MetaWear service with the command characteristic (write, write without response)
and the notify characteristic, plus the Battery service. It answers module info reads
(``03 80`` -> ``03 80 01 ..``: BMI160), register reads of the ACC/GYRO config, the battery
read (``11 8C``), takes config / enable / packed-subscribe / power writes, and while both
sensors are powered sends packed notifications (ACC then GYRO, 3 samples each) of the samples
due. Configurations the BMI160 does not have are ignored (as the board does: it sends no
errors); the driver notices on reading the config back. Follows the public SDKs; not compared
with a real board's bytes.
"""

from __future__ import annotations

import numpy as np
from bumble import gatt
from bumble.device import Connection
from bumble.profiles.battery_service import BatteryService

from winkmon.drivers.metamotion import protocol as mw
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2
from winkmon.virtual.source import ImuSamples
from winkmon.virtual.vendor import VendorEmulator


class MetaMotionEmulator(VendorEmulator):
    """The MetaWear side of a MetaMotion RL (see module doc)."""

    kind = "metamotion"
    default_name = "MetaWear"
    service_uuid = mw.SERVICE_UUID
    notify_interval_s = 0.015  # 7.5 ms connection interval: a few packets per wake-up
    #: rates this board takes, Hz (a test narrows it to see a refusal)
    rates_hz: tuple[float, ...] = (25.0, 50.0, 100.0, 200.0, 400.0)

    def services(self) -> list[gatt.Service]:
        props = gatt.Characteristic.Properties
        self.reset_state()
        self._notify_char: gatt.Characteristic[bytes] = gatt.Characteristic(
            mw.NOTIFY_UUID, props.NOTIFY, gatt.Characteristic.READABLE, b""
        )
        self._command_char: gatt.Characteristic[bytes] = gatt.Characteristic(
            mw.COMMAND_UUID,
            props.WRITE | props.WRITE_WITHOUT_RESPONSE,
            gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(write=self._on_write),
        )
        return [
            gatt.Service(mw.SERVICE_UUID, [self._command_char, self._notify_char]),
            BatteryService(lambda _conn: self.config.battery_pct),
        ]

    def reset_state(self) -> None:
        self.acc_config = bytes([0x28, 0x03])
        self.gyro_config = bytes([0x28, 0x00])
        self.powered: set[int] = set()
        self.packed: set[int] = set()

    def batch_size(self) -> int:
        return mw.SAMPLES_PER_PACKED

    def _on_write(self, _conn: Connection | None, value: bytes) -> None:
        self.stats.commands += 1
        buf = bytes(value)
        if len(buf) < 2:
            self.stats.refused += 1
            return
        module, reg = buf[0], buf[1]
        if reg & mw.READ:
            self._read(module, reg & 0x7F)
            return
        if module == mw.MODULE_SETTINGS:
            return  # connection parameters: taken
        if module not in (mw.MODULE_ACC, mw.MODULE_GYRO):
            self.stats.refused += 1
            return
        if reg == mw.ACC_CONFIG and len(buf) >= 4:
            rate = mw.rate_of_config(buf[2])
            if rate is None or rate not in self.rates_hz:
                self.stats.refused += 1
                return
            if module == mw.MODULE_ACC:
                self.acc_config = buf[2:4]
            else:
                self.gyro_config = buf[2:4]
        elif (module, reg) in ((mw.MODULE_ACC, mw.ACC_PACKED), (mw.MODULE_GYRO, mw.GYRO_PACKED)):
            if buf[2:3] == b"\x01":
                self.packed.add(module)
            else:
                self.packed.discard(module)
        elif reg == mw.ACC_POWER and len(buf) >= 3:
            if buf[2]:
                self.powered.add(module)
            else:
                self.powered.discard(module)
                self.stop_stream()
            self._maybe_start()

    def _maybe_start(self) -> None:
        both = {mw.MODULE_ACC, mw.MODULE_GYRO}
        if self.powered == both and self.packed == both and not self.is_streaming:
            rate = mw.rate_of_config(self.acc_config[0])
            if rate is not None:
                self.start_stream(rate)

    def _read(self, module: int, reg: int) -> None:
        head = bytes([module, reg | mw.READ])
        if reg == mw.INFO_REGISTER and module in (mw.MODULE_ACC, mw.MODULE_GYRO):
            reply = head + bytes([mw.IMPL_BMI160, 1])
        elif module == mw.MODULE_ACC and reg == mw.ACC_CONFIG:
            reply = head + self.acc_config
        elif module == mw.MODULE_GYRO and reg == mw.GYRO_CONFIG:
            reply = head + self.gyro_config
        elif module == mw.MODULE_SETTINGS and reg == mw.SETTINGS_BATTERY:
            reply = head + bytes([self.config.battery_pct]) + (3900).to_bytes(2, "little")
        else:
            reply = head
        self.spawn(self.notify(self._notify_char, reply, data=False))

    def on_stream_stopped(self) -> None:
        if self.connection is None:
            self.reset_state()

    async def send_samples(self, first: int, samples: ImuSamples, t_first_dev_ns: int) -> None:
        acc_range = {v: k for k, v in mw.ACC_RANGE_CODES.items()}[self.acc_config[1]]
        gyro_range = {v: k for k, v in mw.GYRO_RANGE_CODES.items()}[self.gyro_config[1]]
        acc = np.round(
            samples.acc_m_s2 / STANDARD_GRAVITY_M_S2 * mw.ACC_LSB_PER_G[acc_range]
        ).astype(np.int64)
        gyr = np.round(np.degrees(samples.gyr_rad_s) * mw.GYRO_LSB_PER_DPS[gyro_range]).astype(
            np.int64
        )
        await self.notify(self._notify_char, mw.encode_packed(mw.MODULE_ACC, acc), data=True)
        await self.notify(self._notify_char, mw.encode_packed(mw.MODULE_GYRO, gyr), data=True)


__all__ = ["MetaMotionEmulator"]
