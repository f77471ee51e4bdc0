"""Numbers of the wire protocol (see ``firmware_protocol/PROTOCOL.md``)."""

from __future__ import annotations

import enum
import math

from winkmon.errors import InputError

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

UUID_BASE_SUFFIX = "-6d3e-4a8b-9c1f-2e5b7d9a0c31"
SERVICE_UUID = "57a10001" + UUID_BASE_SUFFIX
DATA_UUID = "57a10002" + UUID_BASE_SUFFIX
CTRL_UUID = "57a10003" + UUID_BASE_SUFFIX
INFO_UUID = "57a10004" + UUID_BASE_SUFFIX
STATUS_UUID = "57a10005" + UUID_BASE_SUFFIX

BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"
DEVICE_INFO_SERVICE_UUID = "0000180a-0000-1000-8000-00805f9b34fb"

FULL_HEADER_BYTES = 16
COMPACT_HEADER_BYTES = 8
SAMPLE_BYTES_6D = 12
SAMPLE_BYTES_9D = 18
STATUS_BYTES = 14
INFO_BYTES = 40
CTRL_RESPONSE_TAG = 0xF0

STANDARD_GRAVITY_M_S2 = 9.80665
ACC_RANGE_G: tuple[int, ...] = (2, 4, 8, 16)
GYR_RANGE_DPS: tuple[int, ...] = (125, 250, 500, 1000, 2000)
MAG_LSB_UT = 0.1


def acc_lsb_m_s2(code: int) -> float:
    """Accelerometer scale for a range code, in m/s^2 per LSB."""
    return ACC_RANGE_G[code] * STANDARD_GRAVITY_M_S2 / 32768.0


def gyr_lsb_rad_s(code: int) -> float:
    """Gyroscope scale for a range code, in rad/s per LSB."""
    return GYR_RANGE_DPS[code] * math.pi / 180.0 / 32768.0


class FrameType(enum.IntEnum):
    DATA = 0x01
    DATA_COMPACT = 0x02
    STATUS = 0x10


class Role(enum.IntEnum):
    """Where a sensor sits on the athlete."""

    UNASSIGNED = 0
    SACRUM = 1
    LUMBAR = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(r.name.lower() for r in cls)
            raise InputError(f"unknown sensor role {text!r} (expected one of {names})") from None


class FrameFlags(enum.IntFlag):
    NONE = 0
    ACC_CLIP = 1 << 0
    GYR_CLIP = 1 << 1
    FIFO_OVERFLOW = 1 << 2
    LOW_BATTERY = 1 << 3
    MAG_PRESENT = 1 << 4
    TIME_SYNCED = 1 << 5


KNOWN_FLAGS_MASK = 0x3F


class Capability(enum.IntFlag):
    NONE = 0
    MAGNETOMETER = 1 << 0
    HAPTIC = 1 << 1
    LED = 1 << 2
    TIME_SYNC = 1 << 3
    COMPACT_FRAMES = 1 << 4


class Op(enum.IntEnum):
    GET_CAPS = 0x01
    START = 0x02
    STOP = 0x03
    SET_ROLE = 0x04
    TIME_SYNC = 0x05
    IDENTIFY = 0x06
    BUZZ = 0x07


class CtrlStatus(enum.IntEnum):
    OK = 0
    UNKNOWN_OP = 1
    BAD_PARAM = 2
    BAD_LENGTH = 3
    BUSY = 4
    UNSUPPORTED = 5


class BuzzPattern(enum.IntEnum):
    OFF = 0
    SHORT = 1  #: soft cue: extension lost
    TRIPLE_LONG = 2  #: alert: flexion
