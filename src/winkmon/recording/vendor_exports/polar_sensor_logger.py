"""Polar Sensor Logger (Android app by Jukka Happonen) exports: ``*_ACC.txt``, ``*_GYRO.txt``.

One file per quantity, semicolon separated, one header line::

    Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]        (…_ACC.txt)
    Phone timestamp;sensor timestamp [ns];X [dps];Y [dps];Z [dps]     (…_GYRO.txt)

- ``sensor timestamp [ns]``: the Polar sensor's clock, ns since 2000-01-01 (Polar SDK
  "TimeSystemExplained"); it is exact per sample, so it gives the sample times.
- ``Phone timestamp``: the phone's local wall clock (ISO date and time, ms, no zone) when the
  sample reached the phone. The sensor clock is put on the phone clock by the median of
  (phone - sensor) over the accelerometer file, so two sensors logged by one phone share a
  clock. The phone time has no zone: it is read as if it were UTC; a Polar file therefore
  pairs with another Polar Sensor Logger file, not with an export on a UTC epoch clock.
- Units: mg (1 mg = 9.80665e-3 m/s^2), dps (deg/s).

Other files of the app (``_ECG``, ``_PPG``, ``_HR``, ``_MAGN``…) are refused with a message.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from winkmon.recording.vendor_exports._common import (
    DEG_TO_RAD,
    MG_TO_M_S2,
    Kind,
    Stream,
    check_times,
    check_values,
    data_rows,
    fail,
    header_index,
    imu_kind,
    integers,
    numbers,
)

NAME = "Polar Sensor Logger"
PREFIX = ("phone timestamp", "sensor timestamp [ns]")
AXES: dict[Kind, tuple[tuple[str, str, str], float]] = {
    "acc": (("x [mg]", "y [mg]", "z [mg]"), MG_TO_M_S2),
    "gyr": (("x [dps]", "y [dps]", "z [dps]"), DEG_TO_RAD),
}


def _names(line: str) -> list[str]:
    return [c.strip().lower() for c in line.split(";")]


def sniff(first_line: str) -> Kind | str | None:
    """``"acc"``/``"gyr"`` for an IMU file of the app, a description for another file of the
    app (refused by the caller), None if the line is not this app's header."""
    names = _names(first_line)
    if tuple(names[:2]) != PREFIX and names[:1] != ["phone timestamp"]:
        return None
    kind = imu_kind(names, AXES)
    if kind is not None:
        return kind
    rest = ";".join(first_line.split(";")[1:]).strip() or "no data columns"
    return f"a {NAME} file that is not ACC or GYRO (columns: {rest})"


def read_stream(path: Path, lines: list[str], kind: Kind) -> Stream:
    """One ACC or GYRO file, checked, in m/s^2 or rad/s on the sensor clock (µs)."""
    names = _names(lines[0])
    axes, scale = AXES[kind]
    idx = header_index(names, axes)
    if idx is None or tuple(names[:2]) != PREFIX:
        raise fail(path, 1, f"not a {NAME} {kind.upper()} header: {lines[0]!r}")
    rows, nums = data_rows(path, lines, 1, ";", len(names))
    line = np.asarray(nums, dtype=np.int64)
    sensor_ns = integers(path, rows, nums, 1, "sensor timestamp [ns]")
    phone = [r[0] for r in rows]
    try:
        phone_ns = np.array(phone, dtype="datetime64[ns]").astype(np.int64)
    except ValueError:
        for r, text in enumerate(phone):
            try:
                np.datetime64(text, "ns")
            except ValueError:
                raise fail(
                    path, nums[r], f"Phone timestamp {text!r} is not a date and time"
                ) from None
        raise  # pragma: no cover - found above
    xyz = numbers(path, rows, nums, idx, axes) * scale
    t_us = (sensor_ns + 500) // 1000
    check_times(path, t_us, line, "sensor timestamp [ns]")
    check_values(path, kind, xyz, line, axes)
    offset_us = int(np.rint(np.median((phone_ns - sensor_ns).astype(np.float64)) / 1000.0))
    ignored = tuple(n for i, n in enumerate(names) if i not in (0, 1, *idx))
    return Stream(path, kind, t_us, xyz, line, offset_us, ignored)


def partner_name(path: Path, kind: Kind) -> Path:
    """The app's name for the other file of the pair (``A_ACC.txt`` <-> ``A_GYRO.txt``)."""
    stem = path.name
    if kind == "acc" and "_ACC." in stem:
        return path.with_name(stem.replace("_ACC.", "_GYRO."))
    if kind == "gyr" and "_GYRO." in stem:
        return path.with_name(stem.replace("_GYRO.", "_ACC."))
    return path.with_name("…_GYRO.txt" if kind == "acc" else "…_ACC.txt")
