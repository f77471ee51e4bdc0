"""DATA frames: encode and decode, vectorised with numpy (no Python loop per sample).

A :class:`DataFrame` is one DATA notification. ``DataFrame.from_bytes`` rejects malformed input
with a :class:`~winkmon.errors.FrameError` whose ``kind`` names the problem, and nothing else:
the fuzz tests hold it to that.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from winkmon.errors import FrameError, FrameErrorKind, InputError
from winkmon.protocol.constants import (
    ACC_RANGE_G,
    COMPACT_HEADER_BYTES,
    FULL_HEADER_BYTES,
    GYR_RANGE_DPS,
    KNOWN_FLAGS_MASK,
    MAG_LSB_UT,
    SUPPORTED_VERSIONS,
    FrameFlags,
    FrameType,
    Role,
    acc_lsb_m_s2,
    gyr_lsb_rad_s,
)

_FULL = struct.Struct("<BBBBHIIBB")
_COMPACT = struct.Struct("<BBBBHH")
_I16 = np.dtype("<i2")

Int16Array = npt.NDArray[np.int16]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class DataFrame:
    """One DATA notification, decoded.

    ``raw`` holds the samples as sent: shape (n, 6) (``ax ay az gx gy gz``) or (n, 9) with the
    magnetometer. For a compact frame, ``first_index`` holds only the low 16 bits and
    ``t_dev_us``, ``acc_range``, ``gyr_range`` are ``None`` until resolved against an anchor
    (:meth:`resolved`).
    """

    frame_type: FrameType
    role: Role
    seq: int
    first_index: int
    t_dev_us: int | None
    acc_range: int | None
    gyr_range: int | None
    flags: FrameFlags
    raw: Int16Array = field(repr=False)
    version: int = 1

    def __post_init__(self) -> None:
        if self.raw.ndim != 2 or self.raw.shape[1] not in (6, 9):
            raise InputError("raw must have shape (n, 6) or (n, 9)")
        # Encoding casts to int16: out-of-range counts would wrap around silently.
        if (
            self.raw.dtype != np.int16
            and self.raw.size
            and (self.raw.min() < -32768 or self.raw.max() > 32767)
        ):
            raise InputError("raw counts must fit in int16 (use quantize to saturate)")
        if not 0 <= self.seq <= 0xFFFF:
            raise InputError(f"seq {self.seq} out of u16 range")
        if self.frame_type is FrameType.DATA:
            if not 0 <= self.first_index <= 0xFFFFFFFF:
                raise InputError("first_index out of u32 range")
            if self.t_dev_us is None or not 0 <= self.t_dev_us <= 0xFFFFFFFF:
                raise InputError("t_dev_us out of u32 range")
            if self.acc_range is None or not 0 <= self.acc_range < len(ACC_RANGE_G):
                raise InputError(f"bad accelerometer range code {self.acc_range}")
            if self.gyr_range is None or not 0 <= self.gyr_range < len(GYR_RANGE_DPS):
                raise InputError(f"bad gyroscope range code {self.gyr_range}")
            if bool(self.flags & FrameFlags.MAG_PRESENT) != (self.raw.shape[1] == 9):
                raise InputError("MAG_PRESENT flag must match the sample width")
        elif self.frame_type is FrameType.DATA_COMPACT:
            if not 0 <= self.first_index <= 0xFFFF:
                raise InputError("compact first_index is the low 16 bits")
            if self.raw.shape[1] != 6 or self.raw.shape[0] == 0:
                raise InputError("compact frames carry 1..255 6-axis samples")
        if self.raw.shape[0] > 255:
            raise InputError("at most 255 samples per frame")

    # ------------------------------------------------------------------ properties
    @property
    def n(self) -> int:
        return int(self.raw.shape[0])

    @property
    def has_mag(self) -> bool:
        return self.raw.shape[1] == 9

    @property
    def is_anchor(self) -> bool:
        return self.frame_type is FrameType.DATA and self.n == 0

    @property
    def is_resolved(self) -> bool:
        return self.frame_type is FrameType.DATA

    @property
    def acc_m_s2(self) -> FloatArray:
        """Accelerometer samples, (n, 3), m/s^2 (specific force, as the IMU measures it)."""
        return self.raw[:, 0:3].astype(np.float64) * acc_lsb_m_s2(self._code(self.acc_range))

    @property
    def gyr_rad_s(self) -> FloatArray:
        """Gyroscope samples, (n, 3), rad/s."""
        return self.raw[:, 3:6].astype(np.float64) * gyr_lsb_rad_s(self._code(self.gyr_range))

    @property
    def mag_uT(self) -> FloatArray | None:
        """Magnetometer samples, (n, 3), microtesla, or None."""
        return self.raw[:, 6:9].astype(np.float64) * MAG_LSB_UT if self.has_mag else None

    def _code(self, code: int | None) -> int:
        if code is None:
            raise InputError("compact frame: resolve it against an anchor first")
        return code

    def resolved(
        self,
        first_index: int,
        t_dev_us: int,
        acc_range: int,
        gyr_range: int,
        flags: FrameFlags = FrameFlags.NONE,
    ) -> DataFrame:
        """A full-frame view of a compact frame, with the context the host recovered."""
        return DataFrame(
            frame_type=FrameType.DATA,
            role=self.role,
            seq=self.seq,
            first_index=first_index & 0xFFFFFFFF,
            t_dev_us=t_dev_us & 0xFFFFFFFF,
            acc_range=acc_range,
            gyr_range=gyr_range,
            flags=flags & ~FrameFlags.MAG_PRESENT,
            raw=self.raw,
            version=self.version,
        )

    # ------------------------------------------------------------------ wire
    def __bytes__(self) -> bytes:
        body = np.ascontiguousarray(self.raw, dtype=_I16).tobytes()
        if self.frame_type is FrameType.DATA_COMPACT:
            head = _COMPACT.pack(
                int(self.frame_type),
                self.version,
                int(self.role),
                self.n,
                self.seq,
                self.first_index,
            )
            return head + body
        # __post_init__ guarantees these for a full frame; the fallbacks only satisfy typing.
        t_dev_us = self.t_dev_us or 0
        acc_range = self.acc_range or 0
        gyr_range = self.gyr_range or 0
        head = _FULL.pack(
            int(self.frame_type),
            self.version,
            int(self.role),
            self.n,
            self.seq,
            self.first_index,
            t_dev_us,
            (acc_range & 0x0F) | (gyr_range << 4),
            int(self.flags) & KNOWN_FLAGS_MASK,  # reserved bits are sent as 0
        )
        return head + body

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> DataFrame:
        """Decode one DATA notification; raises :class:`FrameError` if it is malformed."""
        buf = bytes(data)
        if len(buf) < 2:
            raise FrameError(FrameErrorKind.SHORT, f"{len(buf)} bytes is shorter than any header")
        ftype, version = buf[0], buf[1]
        if ftype == FrameType.DATA:
            header_len = FULL_HEADER_BYTES
        elif ftype == FrameType.DATA_COMPACT:
            header_len = COMPACT_HEADER_BYTES
        else:
            raise FrameError(FrameErrorKind.UNKNOWN_TYPE, f"unknown DATA frame type 0x{ftype:02x}")
        if version not in SUPPORTED_VERSIONS:
            raise FrameError(
                FrameErrorKind.BAD_VERSION,
                f"protocol version {version} not supported (this host speaks "
                f"{', '.join(map(str, sorted(SUPPORTED_VERSIONS)))})",
            )
        if len(buf) < header_len:
            raise FrameError(
                FrameErrorKind.SHORT,
                f"{len(buf)} bytes is shorter than the {header_len}-byte header",
            )
        role_b, n = buf[2], buf[3]
        if role_b > max(Role):
            raise FrameError(FrameErrorKind.BAD_ROLE, f"sensor role {role_b} is not 0, 1 or 2")
        role = Role(role_b)
        if ftype == FrameType.DATA_COMPACT:
            _, _, _, _, seq, index_lo = _COMPACT.unpack_from(buf)
            if n == 0:
                raise FrameError(FrameErrorKind.BAD_FIELD, "compact frame with no samples")
            raw = _samples(buf, header_len, n, 6)
            return cls(
                FrameType.DATA_COMPACT,
                role,
                seq,
                index_lo,
                None,
                None,
                None,
                FrameFlags.NONE,
                raw,
                version,
            )
        _, _, _, _, seq, first_index, t_dev_us, ranges, flags_b = _FULL.unpack_from(buf)
        acc_code, gyr_code = ranges & 0x0F, ranges >> 4
        if acc_code >= len(ACC_RANGE_G):
            raise FrameError(FrameErrorKind.BAD_RANGE, f"accelerometer range code {acc_code}")
        if gyr_code >= len(GYR_RANGE_DPS):
            raise FrameError(FrameErrorKind.BAD_RANGE, f"gyroscope range code {gyr_code}")
        flags = FrameFlags(flags_b & KNOWN_FLAGS_MASK)
        width = 9 if flags & FrameFlags.MAG_PRESENT else 6
        raw = _samples(buf, header_len, n, width)
        return cls(
            FrameType.DATA,
            role,
            seq,
            first_index,
            t_dev_us,
            acc_code,
            gyr_code,
            flags,
            raw,
            version,
        )


def _samples(buf: bytes, offset: int, n: int, width: int) -> Int16Array:
    expected = offset + n * width * 2
    if len(buf) != expected:
        what = "short" if len(buf) < expected else "long"
        raise FrameError(
            FrameErrorKind.LENGTH_MISMATCH,
            f"frame is {len(buf)} bytes but n={n} samples of {width} axes need {expected} "
            f"({what} by {abs(len(buf) - expected)})",
        )
    arr = np.frombuffer(buf, dtype=_I16, count=n * width, offset=offset)
    return arr.reshape(n, width).astype(np.int16)


def decode_frame(data: bytes | bytearray | memoryview) -> DataFrame:
    """Decode one DATA notification (shorthand for :meth:`DataFrame.from_bytes`)."""
    return DataFrame.from_bytes(data)


def quantize(values: npt.ArrayLike, lsb: float) -> Int16Array:
    """SI values to int16 counts at ``lsb`` per count, rounding to nearest and saturating."""
    counts = np.rint(np.asarray(values, dtype=np.float64) / lsb)
    return np.clip(counts, -32768, 32767).astype(np.int16)


def encode_samples(
    acc_m_s2: npt.ArrayLike,
    gyr_rad_s: npt.ArrayLike,
    acc_range: int,
    gyr_range: int,
    mag_uT: npt.ArrayLike | None = None,
) -> tuple[Int16Array, FrameFlags]:
    """Quantise SI samples to the raw (n, 6|9) int16 layout; flags say what clipped."""
    acc = quantize(acc_m_s2, acc_lsb_m_s2(acc_range))
    gyr = quantize(gyr_rad_s, gyr_lsb_rad_s(gyr_range))
    flags = FrameFlags.NONE
    if np.any((acc == 32767) | (acc == -32768)):
        flags |= FrameFlags.ACC_CLIP
    if np.any((gyr == 32767) | (gyr == -32768)):
        flags |= FrameFlags.GYR_CLIP
    cols = [acc.reshape(-1, 3), gyr.reshape(-1, 3)]
    if mag_uT is not None:
        cols.append(quantize(mag_uT, MAG_LSB_UT).reshape(-1, 3))
        flags |= FrameFlags.MAG_PRESENT
    return np.hstack(cols).astype(np.int16), flags


#: The full DATA header (:data:`_FULL`) as a numpy record, to build many headers at once.
_FULL_DTYPE = np.dtype(
    [
        ("type", "u1"),
        ("version", "u1"),
        ("role", "u1"),
        ("n", "u1"),
        ("seq", "<u2"),
        ("first_index", "<u4"),
        ("t_dev_us", "<u4"),
        ("ranges", "u1"),
        ("flags", "u1"),
    ]
)


def encode_data_frames(
    role: Role,
    acc_range: int,
    gyr_range: int,
    raw: npt.ArrayLike,
    starts: npt.ArrayLike,
    ends: npt.ArrayLike,
    seq: npt.ArrayLike,
    first_index: npt.ArrayLike,
    t_dev_us: npt.ArrayLike,
    flags: npt.ArrayLike,
) -> list[bytes]:
    """Many full DATA frames of one sensor at once: frame ``k`` carries ``raw[starts[k]:ends[k]]``.

    The bytes are those of ``bytes(DataFrame(FrameType.DATA, role, seq[k], first_index[k],
    t_dev_us[k], acc_range, gyr_range, flags[k], raw[starts[k]:ends[k]]))`` (tested), made
    with one header array and one sample buffer instead of an object per frame. ``seq``,
    ``first_index`` and ``t_dev_us`` are taken modulo their field's size; ``MAG_PRESENT`` is
    set from the sample width. A frame may be empty (an anchor); none may hold over 255.
    """
    samples = np.ascontiguousarray(raw, dtype=_I16)
    if samples.ndim != 2 or samples.shape[1] not in (6, 9):
        raise InputError("raw must have shape (n, 6) or (n, 9)")
    if not 0 <= acc_range < len(ACC_RANGE_G) or not 0 <= gyr_range < len(GYR_RANGE_DPS):
        raise InputError(f"bad range codes {acc_range}, {gyr_range}")
    lo = np.asarray(starts, dtype=np.int64)
    hi = np.asarray(ends, dtype=np.int64)
    counts = hi - lo
    if lo.size and (counts.min() < 0 or counts.max() > 255 or lo.min() < 0):
        raise InputError("each frame holds 0..255 samples within raw")
    if hi.size and hi.max() > samples.shape[0]:
        raise InputError("a frame ends beyond raw")
    width = samples.shape[1]
    head = np.zeros(lo.size, dtype=_FULL_DTYPE)
    head["type"] = int(FrameType.DATA)
    head["version"] = 1
    head["role"] = int(role)
    head["n"] = counts
    head["seq"] = np.asarray(seq, dtype=np.int64) & 0xFFFF
    head["first_index"] = np.asarray(first_index, dtype=np.int64) & 0xFFFFFFFF
    head["t_dev_us"] = np.asarray(t_dev_us, dtype=np.int64) & 0xFFFFFFFF
    head["ranges"] = (acc_range & 0x0F) | (gyr_range << 4)
    mag = int(FrameFlags.MAG_PRESENT) if width == 9 else 0
    fl = (np.asarray(flags, dtype=np.int64) & ~int(FrameFlags.MAG_PRESENT)) | mag
    head["flags"] = fl & KNOWN_FLAGS_MASK
    heads = head.tobytes()
    body = samples.tobytes()
    hs = _FULL.size
    row = width * 2
    return [
        heads[k * hs : (k + 1) * hs] + body[a * row : b * row]
        for k, (a, b) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True))
    ]
