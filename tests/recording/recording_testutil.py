"""Helpers shared by the recording tests: synthetic frames and sessions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from winkmon.protocol import DataFrame, FrameFlags, FrameType, Role, SensorInfo, StartParams
from winkmon.protocol.constants import Capability
from winkmon.recording import RecordingWriter

RATE_HZ = 400
PER_FRAME = 10


def frame_bytes(role: Role, i: int, n: int = PER_FRAME, rate_hz: int = RATE_HZ) -> bytes:
    """Frame number ``i`` of a steady stream: seq i, samples i*n.., values from i."""
    rng = np.random.default_rng(i)
    raw = rng.integers(-2000, 2000, size=(n, 6), dtype=np.int16)
    t_dev = round(i * n * 1e6 / rate_hz) + 5_000_000
    return bytes(
        DataFrame(
            FrameType.DATA,
            role,
            i & 0xFFFF,
            (i * n) & 0xFFFFFFFF,
            t_dev & 0xFFFFFFFF,
            2,
            3,
            FrameFlags.NONE,
            raw,
        )
    )


def sensor_info(role: Role) -> SensorInfo:
    return SensorInfo(
        protocol_version=1,
        fw_version=(1, 2, 3),
        capabilities=Capability.TIME_SYNC | Capability.HAPTIC,
        max_rate_hz=800,
        acc_ranges_mask=0x0F,
        gyr_ranges_mask=0x1F,
        mag_lsb_nT=100,
        role=role,
        imu_part="BMI270",
        serial=f"SN-{int(role)}",
    )


def write_session(path: Path, frames_per_sensor: int = 200, **kwargs: object) -> Path:
    """A closed two-sensor session with steady frames, 25 ms apart, interleaved."""
    with RecordingWriter(path, session_start_ns=1_000_000_000, **kwargs) as w:  # type: ignore[arg-type]
        for role in (Role.SACRUM, Role.LUMBAR):
            w.add_sensor(
                role,
                RATE_HZ,
                info=sensor_info(role),
                start=StartParams(rate_hz=RATE_HZ),
                address=f"AA:BB:CC:DD:EE:0{int(role)}",
            )
        for i in range(frames_per_sensor):
            t = 1_000_000_000 + 30_000_000 + i * 25_000_000
            w.write_frame(Role.SACRUM, t, frame_bytes(Role.SACRUM, i))
            w.write_frame(Role.LUMBAR, t + 1_000_000, frame_bytes(Role.LUMBAR, i))
    return path


def imu_rows(
    rate_hz: float,
    n: int,
    t0_s: float,
    *,
    seed: int,
    mag: bool = False,
    drop: tuple[int, ...] = (),
    jitter_at: tuple[int, ...] = (),
) -> list[list[float]]:
    """Rows ``time_s, ax..gz[, mx..mz]`` of a plausible IMU, with rows dropped and jittered."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n):
        if k in drop:
            continue
        t = t0_s + k / rate_hz + (3e-5 if k in jitter_at else 0.0)
        acc = np.array([0.3, -9.81, 0.5]) + rng.normal(0, 2.0, 3)
        gyr = rng.normal(0, 1.5, 3)
        row = [t, *acc.tolist(), *gyr.tolist()]
        if mag:
            row += (rng.normal(0, 20, 3) + np.array([20.0, -5.0, 40.0])).tolist()
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[list[float]], header: str | None = None) -> Path:
    width = len(rows[0]) if rows else 7
    if header is None:
        header = "time_s,ax,ay,az,gx,gy,gz" + (",mx,my,mz" if width == 10 else "")
    lines = [header] + [",".join(repr(float(v)) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path
