"""Movella (Xsens) DOT: measurement control, output rate, "rate quantities" payloads.

Pure encode/decode, no I/O. From the Movella DOT BLE Service Specification (XD0506P) as
summarised in ``/work/shared/DEVICES.md`` and ``xsens/xsens_dot_server`` (``bleHandler.js``):

- base UUID ``1517xxxx-4947-11e9-8646-d663bd873d93``: device control ``1002`` (32 bytes),
  measurement control ``2001`` (3 bytes), payloads long ``2002`` / medium ``2003`` / short
  ``2004``; battery ``3001`` (level %, charging);
- start: subscribe to the payload characteristic, then write ``01 01 mode``; stop ``01 00 mode``;
- mode 21 "rate quantities" (medium payload, 28 bytes): u32 LE timestamp (µs on the sensor
  clock, wraps after 71.6 min), acceleration x, y, z (float32 m/s²), angular velocity x, y, z
  (float32 deg/s);
- output rate: a 32-byte write to ``1002`` with byte 0 = 0x10 (the field selector) and bytes
  24-25 = u16 LE rate; live rates 1/4/10/12/15/20/30/60 Hz.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from winkmon.errors import FrameError, FrameErrorKind


def uuid(short: int) -> str:
    return f"1517{short:04x}-4947-11e9-8646-d663bd873d93"


SERVICE_UUID = uuid(0x1000)
DEVICE_CONTROL_UUID = uuid(0x1002)
MEASUREMENT_SERVICE_UUID = uuid(0x2000)
MEASUREMENT_CONTROL_UUID = uuid(0x2001)
LONG_PAYLOAD_UUID = uuid(0x2002)
MEDIUM_PAYLOAD_UUID = uuid(0x2003)
SHORT_PAYLOAD_UUID = uuid(0x2004)
BATTERY_UUID = uuid(0x3001)

MODE_RATE_QUANTITIES = 21
RATE_QUANTITIES_BYTES = 28
DEVICE_CONTROL_BYTES = 32
SET_OUTPUT_RATE = 0x10
LIVE_RATES_HZ = (1, 4, 10, 12, 15, 20, 30, 60)
TIMESTAMP_BITS = 32

_RATE_QUANTITIES = struct.Struct("<I6f")


def start_command(mode: int = MODE_RATE_QUANTITIES) -> bytes:
    return bytes([1, 1, mode])


def stop_command(mode: int = MODE_RATE_QUANTITIES) -> bytes:
    return bytes([1, 0, mode])


def set_rate_command(rate_hz: int) -> bytes:
    out = bytearray(DEVICE_CONTROL_BYTES)
    out[0] = SET_OUTPUT_RATE
    out[24:26] = int(rate_hz).to_bytes(2, "little")
    return bytes(out)


def rate_of_device_control(value: bytes) -> int:
    """The output rate a device control read says (bytes 24-25)."""
    if len(value) < 26:
        raise FrameError(FrameErrorKind.SHORT, "DOT device control read of fewer than 26 bytes")
    return int.from_bytes(value[24:26], "little")


@dataclass(frozen=True, slots=True)
class RateQuantities:
    t_us: int  #: sensor clock, µs, wrapped to 32 bits
    acc_m_s2: tuple[float, float, float]
    gyr_dps: tuple[float, float, float]


def encode_rate_quantities(
    t_us: int, acc_m_s2: npt.NDArray[np.float64], gyr_dps: npt.NDArray[np.float64]
) -> bytes:
    return _RATE_QUANTITIES.pack(t_us & 0xFFFFFFFF, *map(float, acc_m_s2), *map(float, gyr_dps))


def decode_rate_quantities(payload: bytes) -> RateQuantities:
    """A mode-21 payload; :class:`FrameError` if it has the wrong length."""
    if len(payload) != RATE_QUANTITIES_BYTES:
        raise FrameError(
            FrameErrorKind.LENGTH_MISMATCH,
            f"DOT rate-quantities payload of {len(payload)} bytes (28 expected)",
        )
    t, ax, ay, az, gx, gy, gz = _RATE_QUANTITIES.unpack(payload)
    return RateQuantities(t, (ax, ay, az), (gx, gy, gz))


__all__ = [
    "BATTERY_UUID",
    "DEVICE_CONTROL_UUID",
    "LIVE_RATES_HZ",
    "MEASUREMENT_CONTROL_UUID",
    "MEDIUM_PAYLOAD_UUID",
    "MODE_RATE_QUANTITIES",
    "SERVICE_UUID",
    "RateQuantities",
    "decode_rate_quantities",
    "encode_rate_quantities",
    "rate_of_device_control",
    "set_rate_command",
    "start_command",
    "stop_command",
]
