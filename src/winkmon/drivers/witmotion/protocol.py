"""WitMotion BWT901BLE (BLE 5.0): ``55 61`` data packets, register reads and writes.

Pure encode/decode, no I/O. Checked against the vendor's Python SDK
(``WITMOTION/WitBluetooth_BWT901BLE5_0``, ``Python/BWT901BLE5.0_python_sdk/device_model.py``)
and ``/work/shared/DEVICES.md``:

- service ``ffe5``, notify ``ffe4``, write ``ffe9`` (16-bit UUIDs on the Bluetooth base);
- a data packet is 20 bytes: ``55 61`` then acc, gyro, angle, three int16 LE each;
  acc / 32768 x 16 g, gyro / 32768 x 2000 deg/s, angle / 32768 x 180 deg. Packets may share a
  notification or be split across two (the SDK reassembles a byte stream): so does
  :class:`PacketStream`;
- register write ``FF AA reg lo hi``; unlock ``FF AA 69 88 B5``; save ``FF AA 00 00 00``;
  register read ``FF AA 27 reg 00``, answered by ``55 71 reg 00`` + 8 registers (u16 LE);
- the output rate register is 0x03. Its codes (10 Hz ``06``, 20 ``07``, 50 ``08``, 100 ``09``,
  200 ``0B``) come from WitMotion's register documentation as summarised in DEVICES.md; one
  copy gives 200 Hz as ``0A``: unconfirmed, which is why the driver reads the register back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from winkmon.errors import FrameError, FrameErrorKind
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2

SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"

HEADER = 0x55
DATA_FLAG = 0x61
REGISTER_FLAG = 0x71
PACKET_BYTES = 20

REG_SAVE = 0x00
REG_RATE = 0x03
REG_KEY = 0x69
REG_READ = 0x27
UNLOCK_VALUE = 0xB588

#: Output rate codes of register 0x03, Hz.
RATE_CODES: dict[int, float] = {0x06: 10.0, 0x07: 20.0, 0x08: 50.0, 0x09: 100.0, 0x0B: 200.0}

ACC_G_PER_LSB = 16.0 / 32768.0
GYRO_DPS_PER_LSB = 2000.0 / 32768.0
ANGLE_DEG_PER_LSB = 180.0 / 32768.0


def rate_code(rate_hz: float) -> int:
    for code, hz in RATE_CODES.items():
        if hz == rate_hz:
            return code
    raise ValueError(f"WitMotion has no output rate {rate_hz:g} Hz")


def write_register(reg: int, value: int) -> bytes:
    return bytes([0xFF, 0xAA, reg, value & 0xFF, (value >> 8) & 0xFF])


def unlock_command() -> bytes:
    return write_register(REG_KEY, UNLOCK_VALUE)


def save_command() -> bytes:
    return write_register(REG_SAVE, 0)


def read_register_command(reg: int) -> bytes:
    return bytes([0xFF, 0xAA, REG_READ, reg, 0x00])


def parse_command(buf: bytes) -> tuple[int, int]:
    """(register, value) of a written command; :class:`FrameError` if not ``FF AA r lo hi``."""
    if len(buf) != 5 or buf[0] != 0xFF or buf[1] != 0xAA:
        raise FrameError(FrameErrorKind.UNKNOWN_TYPE, f"not a WitMotion command: {buf.hex()}")
    return buf[2], buf[3] | buf[4] << 8


def encode_register_reply(reg: int, values: list[int]) -> bytes:
    """``55 71 reg 00`` + 8 registers from ``reg`` (u16 LE)."""
    regs = (list(values) + [0] * 8)[:8]
    body = b"".join(int(v & 0xFFFF).to_bytes(2, "little") for v in regs)
    return bytes([HEADER, REGISTER_FLAG, reg, 0]) + body


def encode_packets(
    acc_m_s2: npt.NDArray[np.float64],
    gyr_rad_s: npt.NDArray[np.float64],
    angle_deg: npt.NDArray[np.float64] | None = None,
) -> bytes:
    """``55 61`` packets of n samples, quantised as the device does (rounded, clipped)."""
    n = acc_m_s2.shape[0]
    angle = np.zeros((n, 3)) if angle_deg is None else angle_deg
    acc = np.round(acc_m_s2 / STANDARD_GRAVITY_M_S2 / ACC_G_PER_LSB)
    gyr = np.round(np.degrees(gyr_rad_s) / GYRO_DPS_PER_LSB)
    ang = np.round(angle / ANGLE_DEG_PER_LSB)
    values = np.clip(np.hstack([acc, gyr, ang]), -32768, 32767).astype("<i2")
    rows = np.empty((n, PACKET_BYTES), dtype=np.uint8)
    rows[:, 0] = HEADER
    rows[:, 1] = DATA_FLAG
    rows[:, 2:] = values.view(np.uint8).reshape(n, 18)
    return rows.tobytes()


@dataclass(frozen=True, slots=True, eq=False)
class Packets:
    """Decoded ``55 61`` packets (SI units) and the register replies seen."""

    acc_m_s2: npt.NDArray[np.float64]
    gyr_rad_s: npt.NDArray[np.float64]
    angle_deg: npt.NDArray[np.float64]
    registers: list[bytes]
    skipped_bytes: int


def decode_packet_values(raw: bytes) -> npt.NDArray[np.int64]:
    """The 9 int16 values of each 20-byte ``55 61`` packet in ``raw`` (n, 9)."""
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(-1, PACKET_BYTES)
    return rows[:, 2:].copy().view("<i2").astype(np.int64)


class PacketStream:
    """Reassembles packets from notifications as the SDK does: bytes accumulate until a
    ``55 61`` (data) or ``55 71`` (register) packet of 20 bytes is complete; bytes that start
    no packet are skipped (counted)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def reset(self) -> None:
        self._buf.clear()

    def feed(self, payload: bytes) -> Packets:
        buf = self._buf
        buf += payload
        data = bytearray()
        registers: list[bytes] = []
        skipped = 0
        i = 0
        while len(buf) - i >= 2:
            if buf[i] != HEADER or buf[i + 1] not in (DATA_FLAG, REGISTER_FLAG):
                i += 1
                skipped += 1
                continue
            if len(buf) - i < PACKET_BYTES:
                break
            packet = bytes(buf[i : i + PACKET_BYTES])
            if packet[1] == DATA_FLAG:
                data += packet
            else:
                registers.append(packet)
            i += PACKET_BYTES
        del buf[:i]
        raw = decode_packet_values(bytes(data)) if data else np.zeros((0, 9), dtype=np.int64)
        values = raw.astype(np.float64)
        return Packets(
            acc_m_s2=values[:, 0:3] * (ACC_G_PER_LSB * STANDARD_GRAVITY_M_S2),
            gyr_rad_s=np.radians(values[:, 3:6] * GYRO_DPS_PER_LSB),
            angle_deg=values[:, 6:9] * ANGLE_DEG_PER_LSB,
            registers=registers,
            skipped_bytes=skipped,
        )


__all__ = [
    "NOTIFY_UUID",
    "RATE_CODES",
    "SERVICE_UUID",
    "WRITE_UUID",
    "PacketStream",
    "Packets",
    "encode_packets",
    "encode_register_reply",
    "parse_command",
    "rate_code",
    "read_register_command",
    "save_command",
    "unlock_command",
    "write_register",
]
