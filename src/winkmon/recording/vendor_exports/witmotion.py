"""WitMotion exports (WitMotion PC software and app; WT901, BWT901, WT9011… sensors).

No WitMotion export with a licence allowing redistribution was found; the format here follows
the readers written against real exports by others (Gyroflow's ``telemetry-parser``
``witmotion`` module and several analysis scripts), and is documented as such. One header
line (possibly after a few short lines), cells separated by tabs (``.txt``) or commas
(``.csv``); column names come in two generations::

    time  DeviceName  ChipTime()  AccX(g) AccY(g) AccZ(g)  AsX(°/s) AsY(°/s) AsZ(°/s)  AngleX(°) …
    Time  Device name  Chip Time()  Acceleration X(g) …  Angular velocity X(°/s) …  Angle X(°) …

- Units: g (9.80665 m/s^2) and °/s. The ``°`` may be UTF-8 or the GBK code page (the PC
  software's), both are read.
- Times: ``Chip Time()`` (the sensor's clock, e.g. ``2024-03-01 10:20:30:123``, milliseconds
  after a colon) when every row has one, else ``Time`` (the computer's clock). Date and time
  are required (formats ``YYYY-MM-DD hh:mm:ss.fff``, ``…:fff`` or ``…Thh:mm:ss.fff``); they
  have no zone and are read as if UTC. Tab-separated files may use a decimal comma.
- A file holding several devices (the software can record them into one file) is refused:
  export one file per sensor.
- Angles, magnetometer (its unit varies between versions), quaternions, temperature,
  battery… are ignored and reported.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from winkmon.recording.csv_format import ImuTable
from winkmon.recording.vendor_exports._common import (
    DEG_TO_RAD,
    G_M_S2,
    MAX_HEADER_LINES,
    check_times,
    check_values,
    data_rows,
    fail,
    header_index,
    numbers,
)

NAME = "WitMotion"
ACC_NAMES = (
    ("accx(g)", "accy(g)", "accz(g)"),
    ("accelerationx(g)", "accelerationy(g)", "accelerationz(g)"),
    ("ax(g)", "ay(g)", "az(g)"),
)
GYR_NAMES = (
    ("asx(°/s)", "asy(°/s)", "asz(°/s)"),
    ("angularvelocityx(°/s)", "angularvelocityy(°/s)", "angularvelocityz(°/s)"),
    ("gyrox(°/s)", "gyroy(°/s)", "gyroz(°/s)"),
    ("wx(°/s)", "wy(°/s)", "wz(°/s)"),
    ("wx(deg/s)", "wy(deg/s)", "wz(deg/s)"),
)
CHIP_TIME = ("chiptime()", "chiptime")
PC_TIME = ("time",)
DEVICE = ("devicename",)
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S:%f", "%Y-%m-%dT%H:%M:%S.%f")


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", name.strip().lower())


def _split(line: str) -> tuple[str, list[str]]:
    sep = "\t" if "\t" in line else ","
    return sep, [_norm(c) for c in line.split(sep)]


def _find(names: list[str], options: tuple[tuple[str, ...], ...]) -> list[int] | None:
    for wanted in options:
        idx = header_index(names, wanted)
        if idx is not None:
            return idx
    return None


def header_line(lines: list[str]) -> int | None:
    """Index of the header line (it names WitMotion acceleration and angular velocity)."""
    for i, text in enumerate(lines[:MAX_HEADER_LINES]):
        _, names = _split(text)
        if _find(names, ACC_NAMES) is not None and _find(names, GYR_NAMES) is not None:
            return i
    return None


def sniff(lines: list[str]) -> bool:
    return header_line(lines) is not None


def _parse_times(cells: list[str]) -> np.ndarray | None:
    """µs since 1970 (naive times read as UTC) with one format for all cells, else None."""
    for fmt in TIME_FORMATS:
        try:
            stamps = [datetime.strptime(c, fmt).replace(tzinfo=UTC) for c in cells]
        except ValueError:
            continue
        return np.array([round(s.timestamp() * 1e6) for s in stamps], dtype=np.int64)
    return None


def read_table(path: Path, lines: list[str]) -> tuple[ImuTable, str, list[str]]:
    """The export as a table (SI units, µs), the time column used, and notes for people."""
    header = header_line(lines)
    if header is None:
        raise fail(path, 1, f"no header naming acceleration and angular velocity; not {NAME}")
    sep, names = _split(lines[header])
    while names and names[-1] == "":
        names.pop()
    acc = _find(names, ACC_NAMES)
    gyr = _find(names, GYR_NAMES)
    if acc is None or gyr is None:  # pragma: no cover - header_line found both
        raise fail(path, header + 1, "no acceleration and angular velocity columns")
    rows, nums = data_rows(path, lines, header + 1, sep, len(names))
    line = np.asarray(nums, dtype=np.int64)
    devices = [i for i, n in enumerate(names) if n in DEVICE]
    if devices:
        found = sorted({r[devices[0]] for r in rows})
        if len(found) > 1:
            raise fail(
                path,
                header + 1,
                f"holds {len(found)} devices ({', '.join(found[:4])}); export one file per "
                "sensor and pass each with its role",
            )
    t_us = None
    used_time = ""
    for options in (CHIP_TIME, PC_TIME):
        cols = [i for i, n in enumerate(names) if n in options]
        if cols:
            t_us = _parse_times([r[cols[0]] for r in rows])
            if t_us is not None:
                used_time = lines[header].split(sep)[cols[0]].strip()
                break
    if t_us is None:
        raise fail(
            path,
            nums[0],
            "no time column with a date and time in every row (Chip Time() or Time, e.g. "
            "'2024-03-01 10:20:30.123'); export with the date in the time column",
        )
    check_times(path, t_us, line, used_time)
    decimal_comma = sep == "\t"
    raw_names = [c.strip() for c in lines[header].split(sep)]
    acc_v = numbers(path, rows, nums, acc, [raw_names[i] for i in acc], decimal_comma) * G_M_S2
    gyr_v = numbers(path, rows, nums, gyr, [raw_names[i] for i in gyr], decimal_comma)
    gyr_v = gyr_v * DEG_TO_RAD
    check_values(path, "acc", acc_v, line, [raw_names[i] for i in acc])
    check_values(path, "gyr", gyr_v, line, [raw_names[i] for i in gyr])
    used = {*acc, *gyr, *devices}
    skip = set(CHIP_TIME + PC_TIME)
    ignored = tuple(
        raw_names[i] for i in range(len(names)) if i not in used and names[i] not in skip
    )
    table = ImuTable(
        path=path,
        t_us=t_us,
        acc_m_s2=acc_v,
        gyr_rad_s=gyr_v,
        mag_uT=None,
        line=line,
        ignored_columns=ignored,
    )
    return table, used_time, []
