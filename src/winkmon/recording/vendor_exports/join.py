"""Joining a vendor's separate accelerometer and gyroscope files into one table.

Polar Sensor Logger and MetaBase write each quantity of one sensor into its own file, with
its own sample times (same device clock, possibly other rates). winkmon needs both at every
sample, so:

- the **accelerometer's times are kept**; the gyroscope is linearly interpolated onto them;
- only accelerometer rows **inside the gyroscope's time span** are kept (the files of one
  recording start and stop a few samples apart); rows outside are dropped and reported;
- an accelerometer row that falls in a **gap of the gyroscope** longer than
  :data:`MAX_GAP_STEPS` times its median step is dropped too (no invented rotation across a
  lost stretch): the import then sees those rows as missing samples, as for a live dropout;
- files that **do not overlap** in time, or overlap by fewer than two rows, are refused.
"""

from __future__ import annotations

import numpy as np

from winkmon.recording.csv_format import ImuTable
from winkmon.recording.vendor_exports._common import Stream, fail

MAX_GAP_STEPS = 2.5  #: a gyroscope gap longer than this many median steps is not bridged


def join_acc_gyr(acc: Stream, gyr: Stream) -> tuple[ImuTable, list[str]]:
    """One table on the accelerometer's times (see the module doc), and notes for people."""
    if acc.kind != "acc" or gyr.kind != "gyr":
        raise ValueError("join_acc_gyr takes an accelerometer and a gyroscope stream")
    a0, a1 = int(acc.t_us[0]), int(acc.t_us[-1])
    g0, g1 = int(gyr.t_us[0]), int(gyr.t_us[-1])
    if a1 < g0 or g1 < a0:
        raise fail(
            gyr.path,
            None,
            f"does not overlap in time with {acc.path.name} (gyroscope {g0 / 1e6:.3f}-"
            f"{g1 / 1e6:.3f} s, accelerometer {a0 / 1e6:.3f}-{a1 / 1e6:.3f} s on the device "
            "clock); pass the two files of one recording",
        )
    inside = (acc.t_us >= g0) & (acc.t_us <= g1)
    t = acc.t_us[inside]
    # The gyroscope samples around each kept accelerometer time, and the gap between them.
    hi = np.clip(np.searchsorted(gyr.t_us, t, side="left"), 1, len(gyr) - 1)
    gap = gyr.t_us[hi] - gyr.t_us[hi - 1]
    step = float(np.median(np.diff(gyr.t_us))) if len(gyr) > 1 else 0.0
    exact = gyr.t_us[np.clip(np.searchsorted(gyr.t_us, t), 0, len(gyr) - 1)] == t
    bridged = exact | (gap <= MAX_GAP_STEPS * step)
    keep_idx = np.flatnonzero(inside)[bridged]
    if keep_idx.size < 2:
        raise fail(
            gyr.path,
            None,
            f"overlaps {acc.path.name} by fewer than two accelerometer rows; pass the two "
            "files of one recording",
        )
    t_keep = acc.t_us[keep_idx]
    gyr_xyz = np.column_stack(
        [
            np.interp(t_keep.astype(np.float64), gyr.t_us.astype(np.float64), gyr.xyz[:, k])
            for k in range(3)
        ]
    )
    notes: list[str] = []
    outside = int(np.count_nonzero(~inside))
    if outside:
        notes.append(
            f"{acc.path.name}: {outside} accelerometer row(s) outside the gyroscope's time span "
            "were dropped"
        )
    in_gaps = int(np.count_nonzero(~bridged))
    if in_gaps:
        notes.append(
            f"{acc.path.name}: {in_gaps} accelerometer row(s) in gaps of {gyr.path.name} were "
            "dropped (imported as missing samples)"
        )
    table = ImuTable(
        path=acc.path,
        t_us=t_keep + acc.shared_offset_us,
        acc_m_s2=np.ascontiguousarray(acc.xyz[keep_idx]),
        gyr_rad_s=np.ascontiguousarray(gyr_xyz),
        mag_uT=None,
        line=acc.line[keep_idx],
        ignored_columns=tuple(dict.fromkeys(acc.ignored_columns + gyr.ignored_columns)),
    )
    return table, notes
