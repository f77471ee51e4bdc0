"""Polar Measurement Data (PMD) service: commands, replies, settings and data frames.

Pure encode/decode, no I/O. Checked against the public Polar BLE SDK
(``polarofficial/polar-ble-sdk``, Android ``.../gatt/client/pmd/``: ``BlePMDClient.kt``,
``PmdControlPointResponse.kt``, ``model/AccData.kt``, ``model/GyrData.kt``,
``model/PmdDataModelUtils.kt``) and ``/work/shared/DEVICES.md``:

- control point write ``[op][measurement type][settings TLVs]``; reply (indication)
  ``F0 op type status more [params]``; a START reply's params are settings (the FACTOR);
- settings: ``[setting type][count][count values]``, values u16 LE except CHANNELS (u8) and
  FACTOR (float32 LE);
- data frame: ``[type][u64 LE ns, device clock, LAST sample][frame type, bit 7 compressed]``
  then the payload; a compressed payload is a reference sample (channels x resolution bits,
  signed LE) then blocks ``[bit width][count][count x channels x width bits, LSB first]`` of
  signed deltas added to the running sample;
- ACC compressed type 1 (``0x81``): int16 x FACTOR = mG; GYRO compressed type 0 (``0x80``):
  int16 x FACTOR = deg/s. The gyro FACTOR a real Verity sends is not documented; it is read
  from the START reply.
"""

from __future__ import annotations

import enum
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from winkmon.errors import FrameError, FrameErrorKind

SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CONTROL_POINT_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"

RESPONSE_CODE = 0xF0
COMPRESSED_BIT = 0x80
NS_PER_S = 1_000_000_000

#: Feature bits of the control point read value ``0F b1 b2`` (b1: measurement types).
FEATURE_ACC = 0x04
FEATURE_GYRO = 0x20
FEATURE_MAG = 0x40
FEATURE_SDK_MODE = 0x02  #: in b2

#: Frame types of the Verity's streams (bit 7: delta compressed).
ACC_FRAME_TYPE = COMPRESSED_BIT | 0x01
GYRO_FRAME_TYPE = COMPRESSED_BIT | 0x00


class Op(enum.IntEnum):
    GET_SETTINGS = 1
    START = 2
    STOP = 3
    GET_SDK_MODE_SETTINGS = 4
    GET_STATUS = 5


class Measurement(enum.IntEnum):
    ACC = 2
    GYRO = 5
    MAG = 6
    SDK_MODE = 9


class Setting(enum.IntEnum):
    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    CHANNELS = 4
    FACTOR = 5


class Status(enum.IntEnum):
    """Reply status codes (``PmdControlPointResponseCode``)."""

    SUCCESS = 0
    INVALID_OP_CODE = 1
    INVALID_MEASUREMENT_TYPE = 2
    NOT_SUPPORTED = 3
    INVALID_LENGTH = 4
    INVALID_PARAMETER = 5
    ALREADY_IN_STATE = 6
    INVALID_RESOLUTION = 7
    INVALID_SAMPLE_RATE = 8
    INVALID_RANGE = 9
    INVALID_MTU = 10
    INVALID_NUMBER_OF_CHANNELS = 11
    INVALID_STATE = 12
    DEVICE_IN_CHARGER = 13


_SETTING_BYTES = {Setting.CHANNELS: 1, Setting.FACTOR: 4}

#: Settings value: a list per setting type (u16/u8 ints, or floats for FACTOR).
Settings = Mapping[int, tuple[float, ...]]


def encode_settings(settings: Settings) -> bytes:
    out = bytearray()
    for kind, values in settings.items():
        out += bytes([kind, len(values)])
        for v in values:
            if kind == Setting.FACTOR:
                out += struct.pack("<f", v)
            else:
                out += int(v).to_bytes(_SETTING_BYTES.get(Setting(kind), 2), "little")
    return bytes(out)


def decode_settings(buf: bytes) -> dict[int, tuple[float, ...]]:
    """Settings TLVs; :class:`FrameError` on a truncated or unknown setting."""
    out: dict[int, tuple[float, ...]] = {}
    i = 0
    while i < len(buf):
        if i + 2 > len(buf):
            raise FrameError(FrameErrorKind.SHORT, "PMD setting header cut short")
        kind, count = buf[i], buf[i + 1]
        try:
            width = _SETTING_BYTES.get(Setting(kind), 2)
        except ValueError:
            raise FrameError(FrameErrorKind.BAD_FIELD, f"unknown PMD setting {kind}") from None
        i += 2
        end = i + count * width
        if end > len(buf):
            raise FrameError(FrameErrorKind.SHORT, f"PMD setting {kind} cut short")
        if kind == Setting.FACTOR:
            vals = tuple(float(v) for v in struct.unpack(f"<{count}f", buf[i:end]))
        else:
            vals = tuple(
                float(int.from_bytes(buf[j : j + width], "little")) for j in range(i, end, width)
            )
        out[kind] = vals
        i = end
    return out


def start_command(
    measurement: Measurement, rate_hz: int, range_: int, resolution: int = 16, channels: int = 3
) -> bytes:
    """START of ACC/GYRO/MAG, e.g. ACC 52 Hz ±8 g: ``02 02 00 01 34 00 01 01 10 00 02 01 08 00
    04 01 03``."""
    settings: dict[int, tuple[float, ...]] = {
        Setting.SAMPLE_RATE: (rate_hz,),
        Setting.RESOLUTION: (resolution,),
        Setting.RANGE: (range_,),
        Setting.CHANNELS: (channels,),
    }
    return bytes([Op.START, measurement]) + encode_settings(settings)


def sdk_mode_command(on: bool) -> bytes:
    """SDK mode on (``02 09``) or off (``03 09``): needed for rates above 52 Hz."""
    return bytes([Op.START if on else Op.STOP, Measurement.SDK_MODE])


def stop_command(measurement: Measurement) -> bytes:
    return bytes([Op.STOP, measurement])


@dataclass(frozen=True, slots=True)
class Command:
    """A control point write as the device reads it."""

    op: int
    measurement: int
    settings: dict[int, tuple[float, ...]]

    @staticmethod
    def from_bytes(buf: bytes) -> Command:
        if len(buf) < 2:
            raise FrameError(FrameErrorKind.SHORT, "PMD command needs op and type")
        return Command(buf[0], buf[1], decode_settings(buf[2:]))


@dataclass(frozen=True, slots=True)
class Response:
    """A control point reply ``F0 op type status more params``."""

    op: int
    measurement: int
    status: int
    more: bool = False
    params: bytes = b""

    def __bytes__(self) -> bytes:
        head = bytes([RESPONSE_CODE, self.op, self.measurement, self.status])
        if self.status != Status.SUCCESS:
            return head
        return head + bytes([1 if self.more else 0]) + self.params

    @staticmethod
    def from_bytes(buf: bytes) -> Response:
        if len(buf) < 4 or buf[0] != RESPONSE_CODE:
            raise FrameError(FrameErrorKind.UNKNOWN_TYPE, f"not a PMD reply: {buf.hex()}")
        more = len(buf) > 4 and buf[4] != 0 and buf[3] == Status.SUCCESS
        params = bytes(buf[5:]) if buf[3] == Status.SUCCESS else b""
        return Response(buf[1], buf[2], buf[3], more, params)

    @property
    def status_name(self) -> str:
        try:
            return Status(self.status).name
        except ValueError:
            return f"status {self.status}"


# ---------------------------------------------------------------------- data frames
@dataclass(frozen=True, slots=True, eq=False)
class DataFrame:
    """One PMD data frame: ``samples`` (n, channels) as signed integers."""

    measurement: int
    t_last_ns: int  #: device clock (ns since 2000-01-01) of the last sample
    frame_type: int  #: with bit 7 = compressed
    samples: npt.NDArray[np.int64]

    @property
    def compressed(self) -> bool:
        return bool(self.frame_type & COMPRESSED_BIT)


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) & 1 else value


def _bits_needed(values: npt.NDArray[np.int64]) -> int:
    """Smallest two's-complement width holding every value (at least 1 bit)."""
    if values.size == 0:
        return 1
    hi, lo = int(values.max()), int(values.min())
    width = 1
    while not (-(1 << (width - 1)) <= lo and hi <= (1 << (width - 1)) - 1):
        width += 1
    return width


def encode_delta(samples: npt.NDArray[np.int64], resolution: int, block: int = 16) -> bytes:
    """Delta-compressed payload of ``samples`` (n >= 1, channels): the first sample as the
    reference, then blocks of up to ``block`` samples' deltas at the smallest bit width."""
    s = np.asarray(samples, dtype=np.int64)
    n = s.shape[0]
    ref_bytes = math.ceil(resolution / 8)
    out = bytearray()
    for v in s[0]:
        out += int(v).to_bytes(ref_bytes, "little", signed=True)
    deltas = np.diff(s, axis=0)
    for a in range(0, n - 1, block):
        chunk = deltas[a : a + block]
        width = _bits_needed(chunk)
        mask = (1 << width) - 1
        acc = 0
        for j, v in enumerate(chunk.reshape(-1).tolist()):
            acc |= (v & mask) << (j * width)
        nbytes = math.ceil(chunk.size * width / 8)
        out += bytes([width, len(chunk)]) + acc.to_bytes(nbytes, "little")
    return bytes(out)


def decode_delta(payload: bytes, channels: int, resolution: int) -> npt.NDArray[np.int64]:
    """Samples (n, channels) of a delta-compressed payload; :class:`FrameError` if malformed."""
    ref_bytes = math.ceil(resolution / 8)
    need = channels * ref_bytes
    if len(payload) < need:
        raise FrameError(FrameErrorKind.SHORT, "PMD frame shorter than its reference sample")
    ref = [
        int.from_bytes(payload[c * ref_bytes : (c + 1) * ref_bytes], "little", signed=True)
        for c in range(channels)
    ]
    rows = [ref]
    i = need
    while i < len(payload):
        if i + 2 > len(payload):
            raise FrameError(FrameErrorKind.SHORT, "PMD delta block header cut short")
        width, count = payload[i], payload[i + 1]
        if width == 0 or width > 32:
            raise FrameError(FrameErrorKind.BAD_FIELD, f"PMD delta width {width}")
        i += 2
        nbytes = math.ceil(count * channels * width / 8)
        if i + nbytes > len(payload):
            raise FrameError(FrameErrorKind.SHORT, "PMD delta block cut short")
        acc = int.from_bytes(payload[i : i + nbytes], "little")
        i += nbytes
        mask = (1 << width) - 1
        cur = list(rows[-1])
        for k in range(count):
            for c in range(channels):
                j = k * channels + c
                cur[c] += _signed((acc >> (j * width)) & mask, width)
            rows.append(list(cur))
    return np.asarray(rows, dtype=np.int64)


def encode_frame(
    measurement: int, t_last_ns: int, frame_type: int, samples: npt.NDArray[np.int64]
) -> bytes:
    """A data frame; compressed frames at 16-bit resolution (the Verity's ACC and GYRO)."""
    head = bytes([measurement]) + int(t_last_ns).to_bytes(8, "little") + bytes([frame_type])
    if frame_type & COMPRESSED_BIT:
        return head + encode_delta(samples, 16)
    return head + np.asarray(samples, dtype="<i2").tobytes()


def decode_frame(payload: bytes, channels: int = 3) -> DataFrame:
    """A data frame of 16-bit, ``channels``-channel samples (compressed or raw)."""
    if len(payload) < 10:
        raise FrameError(FrameErrorKind.SHORT, f"PMD data frame of {len(payload)} bytes")
    measurement = payload[0] & 0x3F
    t_ns = int.from_bytes(payload[1:9], "little")
    ftype = payload[9]
    body = payload[10:]
    if ftype & COMPRESSED_BIT:
        samples = decode_delta(body, channels, 16)
    else:
        if len(body) % (2 * channels):
            raise FrameError(FrameErrorKind.LENGTH_MISMATCH, "raw PMD frame length")
        samples = np.frombuffer(body, dtype="<i2").astype(np.int64).reshape(-1, channels)
    return DataFrame(measurement, t_ns, ftype, samples)


def sample_times_ns(t_last_ns: int, n: int, previous_ns: int | None, period_ns: float) -> list[int]:
    """Times of a frame's ``n`` samples: spaced by the time since the previous frame over
    ``n`` (the SDK's rule), or by ``period_ns`` for the first frame or across a lost frame."""
    step = period_ns
    if previous_ns is not None and previous_ns < t_last_ns:
        between = (t_last_ns - previous_ns) / n
        if abs(between - period_ns) <= 0.05 * period_ns:
            step = between
    return [round(t_last_ns - (n - 1 - k) * step) for k in range(n)]


__all__ = [
    "ACC_FRAME_TYPE",
    "CONTROL_POINT_UUID",
    "DATA_UUID",
    "GYRO_FRAME_TYPE",
    "SERVICE_UUID",
    "Command",
    "DataFrame",
    "Measurement",
    "Op",
    "Response",
    "Setting",
    "Status",
    "decode_delta",
    "decode_frame",
    "decode_settings",
    "encode_delta",
    "encode_frame",
    "encode_settings",
    "sample_times_ns",
    "sdk_mode_command",
    "start_command",
    "stop_command",
]
