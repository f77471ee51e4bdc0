"""Writers of SYNTHETIC files in the layout of the vendors' app exports (test helpers).

No real export with a licence allowing redistribution could be found for any of the four
vendors (see tests/data/vendor_exports/README.md), so these files are written by the tests.
Each writer follows the layout verified on real exports or on the vendor's own code (named in
the docstring of the matching reader module): header lines, separators, number formats, units.
They are not real recordings and are never presented as such.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

G = 9.80665
POLAR_SENSOR_NS0 = 838_432_586_543_515_816  #: a sensor clock value (ns since 2000)
PHONE0 = datetime(2026, 7, 26, 21, 56, 26, 765000)


def _dps(rad_s: np.ndarray) -> np.ndarray:
    return rad_s * 180.0 / math.pi


def write_psl_pair(
    stem: Path, t_s: np.ndarray, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray
) -> tuple[Path, Path]:
    """``<stem>_ACC.txt`` (integer mg) and ``<stem>_GYRO.txt`` (dps), Polar Sensor Logger
    layout; the sensor clock is ns since 2000, the phone clock local ISO time with ms."""
    acc_path = stem.with_name(stem.name + "_ACC.txt")
    gyr_path = stem.with_name(stem.name + "_GYRO.txt")
    sensor_ns = POLAR_SENSOR_NS0 + np.rint(t_s * 1e9).astype(np.int64)
    phones = [
        (PHONE0 + timedelta(seconds=float(t))).isoformat(timespec="milliseconds") for t in t_s
    ]
    mg = np.rint(acc_m_s2 / G * 1000).astype(np.int64)
    dps = _dps(gyr_rad_s)
    acc_lines = ["Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]"]
    gyr_lines = ["Phone timestamp;sensor timestamp [ns];X [dps];Y [dps];Z [dps]"]
    for i in range(len(t_s)):
        acc_lines.append(f"{phones[i]};{sensor_ns[i]};{mg[i, 0]};{mg[i, 1]};{mg[i, 2]}")
        gyr_lines.append(
            f"{phones[i]};{sensor_ns[i]};{dps[i, 0]:.2f};{dps[i, 1]:.2f};{dps[i, 2]:.2f}"
        )
    acc_path.write_text("\n".join(acc_lines) + "\n", encoding="utf-8")
    gyr_path.write_text("\n".join(gyr_lines) + "\n", encoding="utf-8")
    return acc_path, gyr_path


def write_metabase_pair(
    stem: Path, t_s: np.ndarray, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, epoch_s: float
) -> tuple[Path, Path]:
    """``<stem>_Accelerometer.csv`` (g) and ``<stem>_Gyroscope.csv`` (deg/s), MetaBase layout
    (epoch ms, local timestamp, elapsed s, three decimals)."""
    acc_path = stem.with_name(stem.name + "_Accelerometer.csv")
    gyr_path = stem.with_name(stem.name + "_Gyroscope.csv")
    ms = np.rint((epoch_s + t_s) * 1000).astype(np.int64)
    head = "epoc (ms),timestamp (-0800),elapsed (s),"
    acc_lines = [head + "x-axis (g),y-axis (g),z-axis (g)"]
    gyr_lines = [head + "x-axis (deg/s),y-axis (deg/s),z-axis (deg/s)"]
    g = acc_m_s2 / G
    dps = _dps(gyr_rad_s)
    for i in range(len(t_s)):
        stamp = datetime.fromtimestamp(ms[i] / 1000, UTC).strftime("%Y-%m-%dT%H.%M.%S.%f")[:-3]
        front = f"{ms[i]},{stamp},{(ms[i] - ms[0]) / 1000:.3f},"
        acc_lines.append(front + f"{g[i, 0]:.4f},{g[i, 1]:.4f},{g[i, 2]:.4f}")
        gyr_lines.append(front + f"{dps[i, 0]:.3f},{dps[i, 1]:.3f},{dps[i, 2]:.3f}")
    acc_path.write_text("\n".join(acc_lines) + "\n", encoding="utf-8")
    gyr_path.write_text("\n".join(gyr_lines) + "\n", encoding="utf-8")
    return acc_path, gyr_path


def dot_header(mode: str = "Rate quantities", sync: str = "Synced", tag: str = "1") -> list[str]:
    """The DOT app's header lines, as in its real exports."""
    return [
        "sep=,",
        f"DeviceTag:,{tag}",
        "FirmwareVersion:,2.1.0",
        "AppVersion:,2023.6.0",
        f"SyncStatus:,{sync}",
        "OutputRate:,60Hz",
        "FilterProfile:,General",
        f"Measurement Mode:,{mode}",
        "StartTime: ,2024-12-10_14:33:40_194 CET",
        "© Movella Technologies B. V. 2005-2024",
        "",
    ]


def write_dot(
    path: Path,
    t_s: np.ndarray,
    acc_m_s2: np.ndarray,
    gyr_rad_s: np.ndarray,
    stf0: int = 296_953_427,
    sync: str = "Synced",
) -> Path:
    """A DOT "Rate quantities" export: PacketCounter,SampleTimeFine(µs, uint32),Acc (m/s^2),
    Gyr (deg/s)."""
    stf = (stf0 + np.rint(t_s * 1e6).astype(np.int64)) % (1 << 32)
    dps = _dps(gyr_rad_s)
    lines = dot_header(sync=sync)
    lines.append("PacketCounter,SampleTimeFine,Acc_X,Acc_Y,Acc_Z,Gyr_X,Gyr_Y,Gyr_Z")
    for i in range(len(t_s)):
        a, w = acc_m_s2[i], dps[i]
        lines.append(
            f"{i + 1},{stf[i]},{a[0]:.6f},{a[1]:.6f},{a[2]:.6f},{w[0]:.6f},{w[1]:.6f},{w[2]:.6f}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_witmotion(
    path: Path, t_s: np.ndarray, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, epoch_s: float
) -> Path:
    """A WitMotion PC software export: tab separated, GBK-encoded ``°``, ``Chip Time()`` with
    milliseconds after a colon (the form Gyroflow's reader parses)."""
    head = [
        "Time",
        "Device name",
        "Chip Time()",
        "Acceleration X(g)",
        "Acceleration Y(g)",
        "Acceleration Z(g)",
        "Angular velocity X(°/s)",
        "Angular velocity Y(°/s)",
        "Angular velocity Z(°/s)",
        "Angle X(°)",
        "Angle Y(°)",
        "Angle Z(°)",
    ]
    lines = ["\t".join(head)]
    g = acc_m_s2 / G
    dps = _dps(gyr_rad_s)
    for i in range(len(t_s)):
        when = datetime.fromtimestamp(epoch_s + float(t_s[i]), UTC)
        chip = when.strftime("%Y-%m-%d %H:%M:%S:") + f"{when.microsecond // 1000:03d}"
        cells = [
            when.strftime("%H:%M:%S.%f")[:-3],
            "WT901BLE67(d6:a8:b9:ee:a0:b7)",
            chip,
            *(f"{v:.4f}" for v in g[i]),
            *(f"{v:.3f}" for v in dps[i]),
            "0.000",
            "0.000",
            "0.000",
        ]
        lines.append("\t".join(cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return path
