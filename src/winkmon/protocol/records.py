"""INFO and STATUS records and CTRL requests/responses (see ``PROTOCOL.md``)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from winkmon.errors import FrameError, FrameErrorKind, InputError
from winkmon.protocol.constants import (
    CTRL_RESPONSE_TAG,
    INFO_BYTES,
    PROTOCOL_VERSION,
    STATUS_BYTES,
    Capability,
    CtrlStatus,
    FrameType,
    Op,
    Role,
)

_INFO = struct.Struct("<BBBBHHBBHBB12s14s")
_STATUS = struct.Struct("<BBBBhHHHH")
_START = struct.Struct("<HBBBBH")
if _INFO.size != INFO_BYTES or _STATUS.size != STATUS_BYTES:  # pragma: no cover
    raise ImportError("INFO/STATUS struct layouts disagree with PROTOCOL.md")


def _ascii(raw: bytes, name: str) -> str:
    try:
        return raw.rstrip(b"\x00").decode("ascii")
    except UnicodeDecodeError:
        raise FrameError(FrameErrorKind.BAD_FIELD, f"INFO {name} is not ASCII") from None


def _role(b: int) -> Role:
    if b > max(Role):
        raise FrameError(FrameErrorKind.BAD_ROLE, f"sensor role {b} is not 0, 1 or 2")
    return Role(b)


@dataclass(frozen=True, slots=True)
class SensorInfo:
    """The INFO record: what a sensor is and can do."""

    protocol_version: int
    fw_version: tuple[int, int, int]
    capabilities: Capability
    max_rate_hz: int
    acc_ranges_mask: int
    gyr_ranges_mask: int
    mag_lsb_nT: int
    role: Role
    imu_part: str
    serial: str

    def __post_init__(self) -> None:
        if len(self.imu_part.encode("ascii")) > 12 or len(self.serial.encode("ascii")) > 14:
            raise InputError("imu_part is at most 12 and serial at most 14 ASCII characters")

    def __bytes__(self) -> bytes:
        return _INFO.pack(
            self.protocol_version,
            *self.fw_version,
            int(self.capabilities),
            self.max_rate_hz,
            self.acc_ranges_mask,
            self.gyr_ranges_mask,
            self.mag_lsb_nT,
            int(self.role),
            0,
            self.imu_part.encode("ascii"),
            self.serial.encode("ascii"),
        )

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> SensorInfo:
        buf = bytes(data)
        if len(buf) < 1:
            raise FrameError(FrameErrorKind.SHORT, "empty INFO record")
        if buf[0] != PROTOCOL_VERSION:
            # Checked first so an incompatible sensor is named as such, whatever its layout.
            raise FrameError(
                FrameErrorKind.BAD_VERSION,
                f"sensor speaks protocol version {buf[0]}, this host speaks {PROTOCOL_VERSION}",
            )
        if len(buf) < INFO_BYTES:
            raise FrameError(FrameErrorKind.SHORT, f"INFO is {len(buf)} bytes, need {INFO_BYTES}")
        if len(buf) > INFO_BYTES:
            raise FrameError(FrameErrorKind.LONG, f"INFO is {len(buf)} bytes, need {INFO_BYTES}")
        (ver, fa, fb, fc, caps, max_rate, accm, gyrm, mag_lsb, role, _res, part, serial) = (
            _INFO.unpack(buf)
        )
        return cls(
            ver,
            (fa, fb, fc),
            Capability(caps & 0x1F),
            max_rate,
            accm,
            gyrm,
            mag_lsb,
            _role(role),
            _ascii(part, "imu_part"),
            _ascii(serial, "serial"),
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "protocol_version": self.protocol_version,
            "fw_version": ".".join(map(str, self.fw_version)),
            "capabilities": [
                c.name.lower() for c in Capability if c and c in self.capabilities and c.name
            ],
            "max_rate_hz": self.max_rate_hz,
            "acc_ranges_mask": self.acc_ranges_mask,
            "gyr_ranges_mask": self.gyr_ranges_mask,
            "mag_lsb_nT": self.mag_lsb_nT,
            "role": self.role.label,
            "imu_part": self.imu_part,
            "serial": self.serial,
        }


@dataclass(frozen=True, slots=True)
class SensorStatus:
    """The STATUS record, notified about once a second."""

    battery_pct: int | None
    temperature_C: float
    fifo_overflows: int
    tx_dropped: int
    conn_interval_ms: float
    att_mtu: int

    def __bytes__(self) -> bytes:
        batt = 255 if self.battery_pct is None else self.battery_pct
        return _STATUS.pack(
            int(FrameType.STATUS),
            PROTOCOL_VERSION,
            batt,
            0,
            round(self.temperature_C * 100),
            self.fifo_overflows & 0xFFFF,
            self.tx_dropped & 0xFFFF,
            round(self.conn_interval_ms / 1.25),
            self.att_mtu,
        )

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> SensorStatus:
        buf = bytes(data)
        if len(buf) < 2:
            raise FrameError(FrameErrorKind.SHORT, f"STATUS is {len(buf)} bytes")
        if buf[0] != FrameType.STATUS:
            raise FrameError(FrameErrorKind.UNKNOWN_TYPE, f"STATUS type 0x{buf[0]:02x}")
        if buf[1] != PROTOCOL_VERSION:
            raise FrameError(FrameErrorKind.BAD_VERSION, f"STATUS version {buf[1]}")
        if len(buf) != STATUS_BYTES:
            kind = FrameErrorKind.SHORT if len(buf) < STATUS_BYTES else FrameErrorKind.LONG
            raise FrameError(kind, f"STATUS is {len(buf)} bytes, need {STATUS_BYTES}")
        _, _, batt, _, temp, fifo, txd, ci, mtu = _STATUS.unpack(buf)
        return cls(None if batt == 255 else min(batt, 100), temp / 100.0, fifo, txd, ci * 1.25, mtu)


@dataclass(frozen=True, slots=True)
class StartParams:
    """Parameters of the START request."""

    rate_hz: int = 200
    acc_range: int = 2  #: code: +-8 g
    gyr_range: int = 3  #: code: +-1000 deg/s
    mag_on: bool = False
    max_batch: int = 40  #: samples per frame at most (also capped by the MTU)
    flush_ms: int = 20  #: longest a sample waits in the firmware

    def __post_init__(self) -> None:
        # Only what the wire can carry: whether a sensor accepts the values is its own call
        # (it answers BAD_PARAM), and decoding stays as lenient as the C codec's.
        if not 0 <= self.rate_hz <= 0xFFFF or not 0 <= self.flush_ms <= 0xFFFF:
            raise InputError("rate_hz and flush_ms are 16-bit fields (0..65535)")
        if not all(0 <= v <= 0xFF for v in (self.acc_range, self.gyr_range, self.max_batch)):
            raise InputError("acc_range, gyr_range and max_batch are 8-bit fields (0..255)")

    def __bytes__(self) -> bytes:
        return _START.pack(
            self.rate_hz,
            self.acc_range,
            self.gyr_range,
            int(self.mag_on),
            self.max_batch,
            self.flush_ms,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> StartParams:
        if len(data) != _START.size:
            raise FrameError(FrameErrorKind.LENGTH_MISMATCH, f"START params are {len(data)} bytes")
        rate, acc, gyr, mag, batch, flush = _START.unpack(data)
        return cls(rate, acc, gyr, bool(mag), batch, flush)


@dataclass(frozen=True, slots=True)
class CtrlRequest:
    op: Op
    req_id: int
    params: bytes = b""

    def __bytes__(self) -> bytes:
        return bytes([int(self.op), self.req_id & 0xFF]) + self.params

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> CtrlRequest:
        buf = bytes(data)
        if len(buf) < 2:
            raise FrameError(FrameErrorKind.SHORT, f"CTRL request is {len(buf)} bytes")
        try:
            op = Op(buf[0])
        except ValueError:
            msg = f"unknown CTRL op 0x{buf[0]:02x}"
            raise FrameError(FrameErrorKind.UNKNOWN_TYPE, msg) from None
        return cls(op, buf[1], buf[2:])


@dataclass(frozen=True, slots=True)
class CtrlResponse:
    op: int
    req_id: int
    status: CtrlStatus
    data: bytes = b""

    def __bytes__(self) -> bytes:
        return bytes([CTRL_RESPONSE_TAG, self.op & 0xFF, self.req_id & 0xFF, int(self.status)]) + (
            self.data
        )

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> CtrlResponse:
        buf = bytes(data)
        if len(buf) < 4:
            raise FrameError(FrameErrorKind.SHORT, f"CTRL response is {len(buf)} bytes")
        if buf[0] != CTRL_RESPONSE_TAG:
            raise FrameError(FrameErrorKind.UNKNOWN_TYPE, f"CTRL response tag 0x{buf[0]:02x}")
        try:
            status = CtrlStatus(buf[3])
        except ValueError:
            raise FrameError(FrameErrorKind.BAD_FIELD, f"CTRL status {buf[3]}") from None
        return cls(buf[1], buf[2], status, buf[4:])
