"""An emulated MetaMotion RL (BMI160) or S (BMI270) on bumble, driven by a SampleSource.

GATT: the MetaWear service with the command characteristic (write, write without response)
and the notify characteristic, plus the Battery service. It answers module info reads with
the chip's implementation ids and revisions as the SDK's test board tables give them
(RL: ``03 80 01 02``, ``13 80 00 01``; S: ``03 80 04 00``, ``13 80 01 00``), register reads of
the ACC/GYRO config, the battery read (``11 8C``), takes config / enable / packed-subscribe /
power writes, and while both sensors are powered and subscribed sends packed notifications
(ACC then GYRO, 3 samples each, on the chip's packed registers) of the samples due.
Configurations the chip does not have (a rate it does not take, a range code of the other
chip) are ignored, as the board does (it sends no errors); the driver notices on reading the
config back. Follows the public SDK; not compared with a real board's bytes.
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

#: The ACC config at power-on (the SDK's default configs): 100 Hz, RL ±2 g, S ±8 g.
_ACC_DEFAULT: dict[str, bytes] = {"BMI160": bytes([0x28, 0x03]), "BMI270": bytes([0xA8, 0x02])}
#: Module info revision the emulated firmware reports, per chip and module (SDK test tables).
_REVISIONS: dict[str, dict[int, int]] = {
    "BMI160": {mw.MODULE_ACC: 2, mw.MODULE_GYRO: 1},
    "BMI270": {mw.MODULE_ACC: 0, mw.MODULE_GYRO: 0},
}


class MetaMotionEmulator(VendorEmulator):
    """The MetaWear side of a MetaMotion RL (see module doc); :attr:`chip` picks the board."""

    kind = "metamotion"
    default_name = "MetaWear"
    service_uuid = mw.SERVICE_UUID
    notify_interval_s = 0.015  # 7.5 ms connection interval: a few packets per wake-up
    chip: mw.Chip = mw.BMI160
    #: rates this board takes, Hz (a test narrows it to see a refusal)
    rates_hz: tuple[float, ...] = (25.0, 50.0, 100.0, 200.0, 400.0)
    #: module -> (implementation, revision) answered to an info read; None: the chip's own
    module_info: dict[int, tuple[int, int]] | None = None

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
        self.acc_config = _ACC_DEFAULT[self.chip.name]
        self.gyro_config = mw.gyro_config(100.0, 2000)
        self.powered: set[int] = set()
        self.packed: set[int] = set()

    def batch_size(self) -> int:
        return mw.SAMPLES_PER_PACKED

    def _info(self, module: int) -> tuple[int, int]:
        if self.module_info is not None and module in self.module_info:
            return self.module_info[module]
        impl = self.chip.acc_impl if module == mw.MODULE_ACC else self.chip.gyro_impl
        return impl, _REVISIONS[self.chip.name][module]

    def _takes(self, module: int, cfg: bytes) -> bool:
        rate = mw.rate_of_config(cfg[0])
        if rate is None or rate not in self.rates_hz:
            return False
        if module == mw.MODULE_ACC:
            return self._acc_range(cfg[1]) is not None
        return cfg[1] in mw.GYRO_RANGE_CODES.values()

    def _acc_range(self, code: int) -> int | None:
        for g, c in self.chip.acc_range_codes.items():
            if c == code:
                return g
        return None

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
        packed_reg = self.chip.acc_packed if module == mw.MODULE_ACC else self.chip.gyro_packed
        if reg == mw.CONFIG and len(buf) >= 4:
            if not self._takes(module, buf[2:4]):
                self.stats.refused += 1
                return
            if module == mw.MODULE_ACC:
                self.acc_config = buf[2:4]
            else:
                self.gyro_config = buf[2:4]
        elif reg == packed_reg and len(buf) >= 3:
            if buf[2]:
                self.packed.add(module)
            else:
                self.packed.discard(module)
        elif reg == mw.POWER and len(buf) >= 3:
            if buf[2]:
                self.powered.add(module)
            else:
                self.powered.discard(module)
                self.stop_stream()
            self._maybe_start()
        elif reg != mw.INT_ENABLE:
            self.stats.refused += 1  # a register this emulation does not have

    def _maybe_start(self) -> None:
        both = {mw.MODULE_ACC, mw.MODULE_GYRO}
        if self.powered == both and self.packed == both and not self.is_streaming:
            rate = mw.rate_of_config(self.acc_config[0])
            if rate is not None:
                self.start_stream(rate)

    def _read(self, module: int, reg: int) -> None:
        head = bytes([module, reg | mw.READ])
        if reg == mw.INFO_REGISTER and module in (mw.MODULE_ACC, mw.MODULE_GYRO):
            reply = head + bytes(self._info(module))
        elif module == mw.MODULE_ACC and reg == mw.CONFIG:
            reply = head + self.acc_config
        elif module == mw.MODULE_GYRO and reg == mw.CONFIG:
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
        acc_range = self._acc_range(self.acc_config[1]) or 2
        gyro_range = {v: k for k, v in mw.GYRO_RANGE_CODES.items()}[self.gyro_config[1]]
        acc = np.round(
            samples.acc_m_s2 / STANDARD_GRAVITY_M_S2 * mw.ACC_LSB_PER_G[acc_range]
        ).astype(np.int64)
        gyr = np.round(np.degrees(samples.gyr_rad_s) * mw.GYRO_LSB_PER_DPS[gyro_range]).astype(
            np.int64
        )
        chip = self.chip
        await self.notify(self._notify_char, mw.encode_packed(mw.MODULE_ACC, acc, chip), data=True)
        await self.notify(self._notify_char, mw.encode_packed(mw.MODULE_GYRO, gyr, chip), data=True)


class MetaMotionSEmulator(MetaMotionEmulator):
    """A MetaMotion S: the same MetaWear service on a BMI270 (``--sensor-kind metamotion-s``)."""

    kind = "metamotion-s"
    chip = mw.BMI270


__all__ = ["MetaMotionEmulator", "MetaMotionSEmulator"]
