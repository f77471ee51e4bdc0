"""MbientLab MetaWear (MetaMotion RL: BMI160; MetaMotion S: BMI270): module registers,
configuration bytes and packed acc/gyro data.

Pure encode/decode, no I/O. Read in ``mbientlab/MetaWear-SDK-Cpp`` (files under
``src/metawear/sensor/``): ``cpp/accelerometer_bosch_register.h`` and
``cpp/gyro_bosch_register.h`` (register numbers of both chips), ``cpp/accelerometer_bosch.cpp``
(implementation ids, config bit fields, range codes, scales, start byte), ``cpp/gyro_bosch.cpp``
(gyro implementation ids, config bit fields, scales), ``accelerometer_bosch.h`` and
``gyro_bosch.h`` (ODR and range enums); ``test/common.py`` (the module-info replies of an RL and
an S) and ``test/test_accelerometer_bmi270.py`` (the S's ACC config bytes).

- every packet is ``[module][register][payload]``; register | 0x80 reads (info: ``03 80`` ->
  ``03 80 impl rev``). The ACC implementation names the chip: 1 = BMI160 (RL), 4 = BMI270 (S);
  the GYRO module (0x13) answers 0 on a BMI160, 1 on a BMI270.
- ACC ``03 03 cfg range``: cfg = odr | bandwidth 2 << 4 (| filter_perf 0x80 on the BMI270), odr
  6..10 = 25..400 Hz: 200 Hz ``29`` (RL) / ``A9`` (S); range ±2/4/8/16 g = ``03 05 08 0C`` (RL) /
  ``00 01 02 03`` (S); 16384/8192/4096/2048 LSB per g on both.
- GYRO ``13 03 cfg range``, the same layout on both chips: 200 Hz ±2000 deg/s = ``29 00``;
  16.4 LSB per deg/s at ±2000.
- registers: power 1, data-interrupt enable 2, config 3 (both modules, both chips); packed
  data ACC ``1C`` / GYRO ``07`` (BMI160), ACC ``05`` / GYRO ``05`` (BMI270); subscribing to a
  signal writes ``[module][register] 01``.
- a packed notification is ``[module][packed register]`` + 3 samples of x, y, z int16 LE.
- battery: settings ``11 8C`` -> ``11 8C pct mV(u16)`` (from DEVICES.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from winkmon.errors import FrameError, FrameErrorKind
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2

SERVICE_UUID = "326a9000-85cb-9195-d9dd-464cfbbae75a"
COMMAND_UUID = "326a9001-85cb-9195-d9dd-464cfbbae75a"
NOTIFY_UUID = "326a9006-85cb-9195-d9dd-464cfbbae75a"

MODULE_ACC = 0x03
MODULE_GYRO = 0x13
MODULE_SETTINGS = 0x11
READ = 0x80
INFO_REGISTER = 0x00  #: read as 0x80: implementation and revision

#: Registers both chips share, ACC and GYRO alike.
POWER, INT_ENABLE, CONFIG = 0x01, 0x02, 0x03
ACC_POWER, ACC_INT_ENABLE, ACC_CONFIG = POWER, INT_ENABLE, CONFIG
GYRO_POWER, GYRO_INT_ENABLE, GYRO_CONFIG = POWER, INT_ENABLE, CONFIG
SETTINGS_CONN_PARAMS, SETTINGS_BATTERY = 0x09, 0x0C

#: ODR codes (low nibble of the config byte), the same on both chips and both modules.
ODR_CODES: dict[float, int] = {25.0: 0x6, 50.0: 0x7, 100.0: 0x8, 200.0: 0x9, 400.0: 0xA}
ACC_LSB_PER_G: dict[int, float] = {2: 16384.0, 4: 8192.0, 8: 4096.0, 16: 2048.0}
GYRO_RANGE_CODES: dict[int, int] = {2000: 0, 1000: 1, 500: 2, 250: 3, 125: 4}
GYRO_LSB_PER_DPS: dict[int, float] = {2000: 16.4, 1000: 32.8, 500: 65.6, 250: 131.2, 125: 262.4}
GYRO_CONFIG_HIGH = 0x20  #: gyro bandwidth "normal" (2) in bits 4-5
SAMPLES_PER_PACKED = 3
PACKED_BYTES = 2 + SAMPLES_PER_PACKED * 6


@dataclass(frozen=True, slots=True)
class Chip:
    """What differs between the MetaMotion RL's BMI160 and the MetaMotion S's BMI270."""

    name: str  #: "BMI160" / "BMI270" (stored in a stream's params)
    board: str  #: the MetaMotion model, for people
    acc_impl: int  #: ACC module info implementation
    gyro_impl: int  #: GYRO module info implementation
    acc_config_high: int  #: ACC config byte above the ODR nibble (bandwidth, filter_perf)
    acc_range_codes: Mapping[int, int]  #: ±g -> ACC range byte
    acc_packed: int  #: ACC packed data register
    gyro_packed: int  #: GYRO packed data register
    acc_data: int  #: ACC (unpacked) data register, for reference
    gyro_data: int  #: GYRO (unpacked) data register, for reference
    packed_revision: int  #: lowest module revision with packed data


BMI160 = Chip(
    "BMI160",
    "MetaMotion RL",
    1,
    0,
    0x20,
    {2: 0x03, 4: 0x05, 8: 0x08, 16: 0x0C},
    0x1C,
    0x07,
    4,
    5,
    1,
)
BMI270 = Chip("BMI270", "MetaMotion S", 4, 1, 0xA0, {2: 0, 4: 1, 8: 2, 16: 3}, 0x05, 0x05, 4, 4, 0)
CHIPS: dict[str, Chip] = {c.name: c for c in (BMI160, BMI270)}


def chip_of_acc_impl(impl: int) -> Chip | None:
    """The chip of an ACC module implementation id (None: not a MetaMotion RL or S)."""
    for chip in CHIPS.values():
        if chip.acc_impl == impl:
            return chip
    return None


def config_byte(rate_hz: float, chip: Chip = BMI160) -> int:
    """The ACC config byte of ``rate_hz`` on ``chip``."""
    return chip.acc_config_high | ODR_CODES[rate_hz]


def gyro_config_byte(rate_hz: float) -> int:
    return GYRO_CONFIG_HIGH | ODR_CODES[rate_hz]


def rate_of_config(cfg: int) -> float | None:
    for hz, code in ODR_CODES.items():
        if cfg & 0x0F == code:
            return hz
    return None


def acc_config(rate_hz: float, range_g: int, chip: Chip = BMI160) -> bytes:
    """ACC config payload (config byte, range byte)."""
    return bytes([config_byte(rate_hz, chip), chip.acc_range_codes[range_g]])


def gyro_config(rate_hz: float, range_dps: int) -> bytes:
    """GYRO config payload (config byte, range byte): one layout on both chips."""
    return bytes([gyro_config_byte(rate_hz), GYRO_RANGE_CODES[range_dps]])


def start_commands(
    rate_hz: float, acc_range_g: int, gyro_range_dps: int, chip: Chip = BMI160
) -> list[bytes]:
    """The writes that start packed ACC + GYRO streaming, in order. (The SDK starts a BMI270
    ACC with power byte 2 when filter_perf is off, below 12.5 Hz: never at these rates.)"""
    return [
        bytes([MODULE_ACC, ACC_CONFIG]) + acc_config(rate_hz, acc_range_g, chip),
        bytes([MODULE_GYRO, GYRO_CONFIG]) + gyro_config(rate_hz, gyro_range_dps),
        bytes([MODULE_ACC, chip.acc_packed, 1]),
        bytes([MODULE_GYRO, chip.gyro_packed, 1]),
        bytes([MODULE_ACC, ACC_INT_ENABLE, 1, 0]),
        bytes([MODULE_GYRO, GYRO_INT_ENABLE, 1, 0]),
        bytes([MODULE_GYRO, GYRO_POWER, 1]),
        bytes([MODULE_ACC, ACC_POWER, 1]),
    ]


def stop_commands(chip: Chip = BMI160) -> list[bytes]:
    return [
        bytes([MODULE_ACC, ACC_POWER, 0]),
        bytes([MODULE_GYRO, GYRO_POWER, 0]),
        bytes([MODULE_ACC, ACC_INT_ENABLE, 0, 1]),
        bytes([MODULE_GYRO, GYRO_INT_ENABLE, 0, 1]),
        bytes([MODULE_ACC, chip.acc_packed, 0]),
        bytes([MODULE_GYRO, chip.gyro_packed, 0]),
    ]


def info_read(module: int) -> bytes:
    return bytes([module, READ | INFO_REGISTER])


def battery_read() -> bytes:
    return bytes([MODULE_SETTINGS, READ | SETTINGS_BATTERY])


def encode_packed(module: int, values: npt.NDArray[np.int64], chip: Chip = BMI160) -> bytes:
    """A packed notification of 3 samples (3, 3) of int16 counts."""
    reg = chip.acc_packed if module == MODULE_ACC else chip.gyro_packed
    v = np.clip(np.asarray(values), -32768, 32767).astype("<i2")
    return bytes([module, reg]) + v.tobytes()


def decode_packed(payload: bytes, chip: Chip = BMI160) -> tuple[int, npt.NDArray[np.int64]]:
    """(module, counts (3, 3)) of a packed ACC or GYRO notification of ``chip``."""
    if len(payload) < 2:
        raise FrameError(FrameErrorKind.SHORT, "MetaWear packet without module and register")
    module, reg = payload[0], payload[1]
    if (module, reg) not in ((MODULE_ACC, chip.acc_packed), (MODULE_GYRO, chip.gyro_packed)):
        raise FrameError(
            FrameErrorKind.UNKNOWN_TYPE,
            f"MetaWear packet {module:02x} {reg:02x} is no packed {chip.name} data",
        )
    if len(payload) != PACKED_BYTES:
        raise FrameError(
            FrameErrorKind.LENGTH_MISMATCH, f"packed MetaWear data of {len(payload)} bytes"
        )
    counts = np.frombuffer(payload[2:], dtype="<i2").astype(np.int64).reshape(3, 3)
    return module, counts


def acc_m_s2(counts: npt.NDArray[np.int64], range_g: int) -> npt.NDArray[np.float64]:
    return counts.astype(np.float64) * (STANDARD_GRAVITY_M_S2 / ACC_LSB_PER_G[range_g])


def gyr_rad_s(counts: npt.NDArray[np.int64], range_dps: int) -> npt.NDArray[np.float64]:
    return np.radians(counts.astype(np.float64) / GYRO_LSB_PER_DPS[range_dps])


__all__ = [
    "BMI160",
    "BMI270",
    "CHIPS",
    "COMMAND_UUID",
    "NOTIFY_UUID",
    "SERVICE_UUID",
    "Chip",
    "acc_config",
    "acc_m_s2",
    "battery_read",
    "chip_of_acc_impl",
    "config_byte",
    "decode_packed",
    "encode_packed",
    "gyr_rad_s",
    "gyro_config",
    "info_read",
    "start_commands",
    "stop_commands",
]
