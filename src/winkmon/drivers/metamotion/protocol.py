"""MbientLab MetaWear (MetaMotion RL, BMI160): module registers, packed acc/gyro data.

Pure encode/decode, no I/O. From the MetaWear SDKs (``mbientlab/MetaWear-SDK-Cpp``:
``accelerometer_bosch`` and ``gyro_bosch`` register enums: POWER_MODE 1, DATA_INTERRUPT_ENABLE
2, DATA_CONFIG 3, DATA_INTERRUPT 4, PACKED_ACC_DATA 0x1C; gyro POWER_MODE 1, CONFIG 3, DATA 5,
PACKED_GYRO_DATA 7) and ``/work/shared/DEVICES.md``:

- every packet is ``[module][register][payload]``; register | 0x80 reads (info: ``03 80`` ->
  ``03 80 impl rev``; implementation 1 = BMI160, the MetaMotion RL);
- ACC config ``03 03 cfg range`` (BMI160: 200 Hz ``29``; ±8 g ``08``; 4096 LSB/g);
  enable ``03 02 01 00``; packed subscribe ``03 1C 01``; start ``03 01 01``;
- GYRO config ``13 03 29 00`` (200 Hz, ±2000 deg/s; 16.4 LSB per deg/s); enable ``13 02 01 00``;
  packed subscribe ``13 07 01``; start ``13 01 01``;
- a packed notification ``[module][packed register]`` + 3 samples of x, y, z int16 LE;
- battery: settings ``11 8C`` -> ``11 8C pct mV(u16)``.

The MetaMotion S (BMI270: other codes, implementation 4) is not handled here.
"""

from __future__ import annotations

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

ACC_POWER, ACC_INT_ENABLE, ACC_CONFIG, ACC_DATA, ACC_PACKED = 0x01, 0x02, 0x03, 0x04, 0x1C
GYRO_POWER, GYRO_INT_ENABLE, GYRO_CONFIG, GYRO_DATA, GYRO_PACKED = 0x01, 0x02, 0x03, 0x05, 0x07
SETTINGS_CONN_PARAMS, SETTINGS_BATTERY = 0x09, 0x0C
IMPL_BMI160 = 1

#: BMI160 ODR codes (low nibble of the config byte; bandwidth "normal" = 2 in bits 4-6).
ODR_CODES: dict[float, int] = {25.0: 0x6, 50.0: 0x7, 100.0: 0x8, 200.0: 0x9, 400.0: 0xA}
ACC_RANGE_CODES: dict[int, int] = {2: 0x03, 4: 0x05, 8: 0x08, 16: 0x0C}
ACC_LSB_PER_G: dict[int, float] = {2: 16384.0, 4: 8192.0, 8: 4096.0, 16: 2048.0}
GYRO_RANGE_CODES: dict[int, int] = {2000: 0, 1000: 1, 500: 2, 250: 3, 125: 4}
GYRO_LSB_PER_DPS: dict[int, float] = {2000: 16.4, 1000: 32.8, 500: 65.6, 250: 131.2, 125: 262.4}
SAMPLES_PER_PACKED = 3
PACKED_BYTES = 2 + SAMPLES_PER_PACKED * 6


def config_byte(rate_hz: float) -> int:
    return 0x20 | ODR_CODES[rate_hz]


def rate_of_config(cfg: int) -> float | None:
    for hz, code in ODR_CODES.items():
        if cfg & 0x0F == code:
            return hz
    return None


def start_commands(rate_hz: float, acc_range_g: int, gyro_range_dps: int) -> list[bytes]:
    """The writes that start packed ACC + GYRO streaming, in order."""
    cfg = config_byte(rate_hz)
    return [
        bytes([MODULE_ACC, ACC_CONFIG, cfg, ACC_RANGE_CODES[acc_range_g]]),
        bytes([MODULE_GYRO, GYRO_CONFIG, cfg, GYRO_RANGE_CODES[gyro_range_dps]]),
        bytes([MODULE_ACC, ACC_PACKED, 1]),
        bytes([MODULE_GYRO, GYRO_PACKED, 1]),
        bytes([MODULE_ACC, ACC_INT_ENABLE, 1, 0]),
        bytes([MODULE_GYRO, GYRO_INT_ENABLE, 1, 0]),
        bytes([MODULE_GYRO, GYRO_POWER, 1]),
        bytes([MODULE_ACC, ACC_POWER, 1]),
    ]


def stop_commands() -> list[bytes]:
    return [
        bytes([MODULE_ACC, ACC_POWER, 0]),
        bytes([MODULE_GYRO, GYRO_POWER, 0]),
        bytes([MODULE_ACC, ACC_INT_ENABLE, 0, 1]),
        bytes([MODULE_GYRO, GYRO_INT_ENABLE, 0, 1]),
        bytes([MODULE_ACC, ACC_PACKED, 0]),
        bytes([MODULE_GYRO, GYRO_PACKED, 0]),
    ]


def info_read(module: int) -> bytes:
    return bytes([module, READ | INFO_REGISTER])


def battery_read() -> bytes:
    return bytes([MODULE_SETTINGS, READ | SETTINGS_BATTERY])


def encode_packed(module: int, values: npt.NDArray[np.int64]) -> bytes:
    """A packed notification of 3 samples (3, 3) of int16 counts."""
    reg = ACC_PACKED if module == MODULE_ACC else GYRO_PACKED
    v = np.clip(np.asarray(values), -32768, 32767).astype("<i2")
    return bytes([module, reg]) + v.tobytes()


def decode_packed(payload: bytes) -> tuple[int, npt.NDArray[np.int64]]:
    """(module, counts (3, 3)) of a packed ACC or GYRO notification."""
    if len(payload) < 2:
        raise FrameError(FrameErrorKind.SHORT, "MetaWear packet without module and register")
    module, reg = payload[0], payload[1]
    if (module, reg) not in ((MODULE_ACC, ACC_PACKED), (MODULE_GYRO, GYRO_PACKED)):
        raise FrameError(
            FrameErrorKind.UNKNOWN_TYPE, f"MetaWear packet {module:02x} {reg:02x} is no packed data"
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
    "COMMAND_UUID",
    "NOTIFY_UUID",
    "SERVICE_UUID",
    "acc_m_s2",
    "battery_read",
    "config_byte",
    "decode_packed",
    "encode_packed",
    "gyr_rad_s",
    "info_read",
    "start_commands",
    "stop_commands",
]
