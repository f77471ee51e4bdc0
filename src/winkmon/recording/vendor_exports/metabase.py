"""MbientLab MetaBase app exports (MetaWear sensors): one CSV per sensor quantity.

Files are named ``<name>_<date>_<MAC>_Accelerometer.csv`` / ``…_Gyroscope.csv``; the header::

    epoc (ms),timestamp (-0800),elapsed (s),x-axis (g),y-axis (g),z-axis (g)
    epoc (ms),timestamp (-0800),elapsed (s),x-axis (deg/s),y-axis (deg/s),z-axis (deg/s)

(the zone in ``timestamp (…)`` is the phone's). Verified on MbientLab's own MetaBase test
exports (``MetaBaseUnitTests/Assets/…_Accelerometer.csv`` and ``MetaBaseTests/
Accelerometer.csv`` in ``mbientlab/MetaWear-MetaBase-iOS-macOS-App``).

- Times: ``epoc (ms)``, Unix epoch milliseconds (UTC), converted to µs.
- **Packed rows**: MetaBase streams some rates "packed" (several samples per BLE packet) and
  then writes the packet's time on each of its samples (the older test export above has runs
  of three equal ``epoc`` values 240 ms apart). Such a run of ``k`` equal times ``T`` followed
  by the time ``T'`` of the next run gets the times ``T + j (T' - T) / k`` (j = 0..k-1); the
  last run uses the step of the run before. The import reports how many rows were spread.
  Times going backwards are refused.
- Units: g (9.80665 m/s^2), deg/s.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from winkmon.recording.csv_format import IntArray
from winkmon.recording.vendor_exports._common import (
    DEG_TO_RAD,
    G_M_S2,
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

NAME = "MetaBase"
AXES: dict[Kind, tuple[tuple[str, str, str], float]] = {
    "acc": (("x-axis (g)", "y-axis (g)", "z-axis (g)"), G_M_S2),
    "gyr": (("x-axis (deg/s)", "y-axis (deg/s)", "z-axis (deg/s)"), DEG_TO_RAD),
}


def _names(line: str) -> list[str]:
    return [c.strip().lower() for c in line.split(",")]


def sniff(first_line: str) -> Kind | str | None:
    """``"acc"``/``"gyr"``, a description of another MetaBase file, or None if not MetaBase."""
    names = _names(first_line)
    if len(names) < 3 or names[0] != "epoc (ms)" or not names[1].startswith("timestamp ("):
        return None
    kind = imu_kind(names, AXES)
    if kind is not None:
        return kind
    return f"a {NAME} file that is not Accelerometer or Gyroscope (columns: {first_line.strip()})"


def spread_packed_times(t_us: IntArray) -> tuple[IntArray, int]:
    """Times with runs of equal values spread to the next time (see the module doc), and the
    number of rows whose time changed. Rows in strictly increasing order are left as they are."""
    n = len(t_us)
    if n < 2 or np.all(np.diff(t_us) != 0):
        return t_us, 0
    starts = np.flatnonzero(np.concatenate([[True], np.diff(t_us) != 0]))
    ends = np.concatenate([starts[1:], [n]])
    out = t_us.astype(np.float64).copy()
    prev_step = None
    for s, e in zip(starts, ends, strict=True):
        k = e - s
        if e < n:
            step = (float(t_us[e]) - float(t_us[s])) / k
        elif prev_step is not None:
            step = prev_step
        else:
            step = 0.0
        out[s:e] = float(t_us[s]) + step * np.arange(k)
        prev_step = step
    spread = np.rint(out).astype(np.int64)
    return spread, int(np.count_nonzero(spread != t_us))


def read_stream(path: Path, lines: list[str], kind: Kind) -> tuple[Stream, int]:
    """One Accelerometer or Gyroscope file, checked, SI units, µs; and the rows spread."""
    names = _names(lines[0])
    axes, scale = AXES[kind]
    idx = header_index(names, axes)
    if idx is None:
        raise fail(path, 1, f"not a {NAME} {kind} header: {lines[0]!r}")
    rows, nums = data_rows(path, lines, 1, ",", len(names))
    line = np.asarray(nums, dtype=np.int64)
    epoc_ms = integers(path, rows, nums, 0, "epoc (ms)")
    back = np.diff(epoc_ms) < 0
    if back.any():
        r = int(np.argmax(back)) + 1
        raise fail(path, nums[r], f"epoc (ms) goes backwards (previous row: line {nums[r - 1]})")
    t_us, spread = spread_packed_times(epoc_ms * 1000)
    check_times(path, t_us, line, "epoc (ms)")
    xyz = numbers(path, rows, nums, idx, axes) * scale
    check_values(path, kind, xyz, line, axes)
    ignored = tuple(n for i, n in enumerate(names) if i not in (0, *idx) and i > 2)
    return Stream(path, kind, t_us, xyz, line, 0, ignored), spread


def partner_name(path: Path, kind: Kind) -> Path:
    """MetaBase's name for the other file of the pair."""
    a, g = "_Accelerometer.", "_Gyroscope."
    if kind == "acc" and a in path.name:
        return path.with_name(path.name.replace(a, g))
    if kind == "gyr" and g in path.name:
        return path.with_name(path.name.replace(g, a))
    return path.with_name("…_Gyroscope.csv" if kind == "acc" else "…_Accelerometer.csv")
