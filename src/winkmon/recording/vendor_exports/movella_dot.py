"""Movella (formerly Xsens) DOT app exports: one CSV per sensor, header lines then columns.

The app writes (verified on DOT app exports in ``nikolasrieger/movella-data-science``, and on
the DOT SDK's logger, whose column lists per measurement mode this module follows)::

    sep=,
    DeviceTag:,ST-3
    FirmwareVersion:,2.1.0
    AppVersion:,2023.6.0
    SyncStatus:,Un-synced
    OutputRate:,60Hz
    FilterProfile:,General
    Measurement Mode:,Sensor fusion Mode - Extended(Euler)
    StartTime: ,2024-12-10_14:33:40_194 CET
    © Movella Technologies B. V. 2005-2024

    PacketCounter,SampleTimeFine,Euler_X,…,FreeAcc_Z,Status
    1,296953427,-176.426392,…

(the SDK variant pads each header line with commas and separates cells with ", ").

- winkmon needs ``Acc_X..Z`` (calibrated acceleration, m/s^2) and ``Gyr_X..Z`` (angular
  velocity, deg/s; units from the Movella DOT BLE Service Specification, table
  "Measurement data types"). Measurement modes that carry them: "Rate quantities" (with or
  without mag), "Custom mode 5", the SDK's full custom mode. Orientation / free-acceleration
  modes (e.g. "Extended (Euler)") are refused with the mode named.
- Times: ``SampleTimeFine``, the sensor clock in µs, an unsigned 32-bit counter that wraps
  every 71.6 min; wraps are unwrapped. DOT sensors synchronised in the app share this clock
  (``SyncStatus: Synced``); for an un-synced sensor a warning says the two sensors' times may
  be offset. The DOT clock pairs with another DOT, not with an export on a wall clock.
- ``PacketCounter`` gaps (lost packets) show as time gaps: the import counts them as missing.
- Other columns (quaternion, Euler, free acceleration, ``Mag_*`` in arbitrary units, status)
  are ignored and reported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from winkmon.recording.csv_format import ImuTable
from winkmon.recording.vendor_exports._common import (
    DEG_TO_RAD,
    MAX_HEADER_LINES,
    check_times,
    check_values,
    data_rows,
    fail,
    header_index,
    integers,
    numbers,
)

NAME = "Movella DOT"
ACC = ("acc_x", "acc_y", "acc_z")
GYR = ("gyr_x", "gyr_y", "gyr_z")
TIME = "sampletimefine"
WRAP = 1 << 32


def _names(line: str) -> list[str]:
    return [c.strip().lower() for c in line.split(",")]


def header_line(lines: list[str]) -> int | None:
    """Index of the column header (``[Label,]PacketCounter,SampleTimeFine,…``) or None."""
    for i, text in enumerate(lines[:MAX_HEADER_LINES]):
        names = _names(text)
        if names[:1] == ["label"]:  # the SDK logger's optional label column
            names = names[1:]
        if len(names) >= 2 and names[0] == "packetcounter" and names[1] == TIME:
            return i
    return None


def sniff(lines: list[str]) -> bool:
    return header_line(lines) is not None


def _metadata(lines: list[str], header: int) -> dict[str, str]:
    meta: dict[str, str] = {}
    for text in lines[:header]:
        cells = [c.strip() for c in text.split(",")]
        if len(cells) >= 2 and cells[0].endswith(":"):
            meta[cells[0][:-1].strip().lower()] = cells[1]
    return meta


def unwrap_us(stf: np.ndarray) -> np.ndarray:
    """SampleTimeFine (uint32 µs) unwrapped: a step down by more than half the range is a wrap."""
    d = np.diff(stf)
    d = np.where(d < -(WRAP // 2), d + WRAP, d)
    return np.concatenate([stf[:1], stf[0] + np.cumsum(d)])


def read_table(path: Path, lines: list[str]) -> tuple[ImuTable, str, list[str]]:
    """The export as a table (SI units, µs), its measurement mode, and notes for people."""
    header = header_line(lines)
    if header is None:
        raise fail(path, 1, f"no PacketCounter,SampleTimeFine header; not a {NAME} export")
    meta = _metadata(lines, header)
    mode = meta.get("measurement mode", "unknown mode")
    names = _names(lines[header])
    while names and names[-1] == "":
        names.pop()
    acc = header_index(names, ACC)
    gyr = header_index(names, GYR)
    if acc is None or gyr is None:
        raise fail(
            path,
            header + 1,
            f"{NAME} export in measurement mode {mode!r} has no "
            f"{'Acc_X..Z' if acc is None else 'Gyr_X..Z'} columns (it holds "
            f"{', '.join(lines[header].split(',')[2:5]).strip()}…); record with a mode that "
            "outputs calibrated acceleration and angular velocity, e.g. 'Rate quantities' or "
            "'Custom mode 5'",
        )
    rows, nums = data_rows(path, lines, header + 1, ",", len(names))
    line = np.asarray(nums, dtype=np.int64)
    stf = integers(path, rows, nums, names.index(TIME), "SampleTimeFine")
    bad = (stf < 0) | (stf >= WRAP)
    if bad.any():
        r = int(np.argmax(bad))
        raise fail(path, nums[r], f"SampleTimeFine {int(stf[r])} is not a 32-bit µs counter")
    t_us = unwrap_us(stf)
    check_times(path, t_us, line, "SampleTimeFine")
    acc_v = numbers(path, rows, nums, acc, ("Acc_X", "Acc_Y", "Acc_Z"))
    gyr_v = numbers(path, rows, nums, gyr, ("Gyr_X", "Gyr_Y", "Gyr_Z")) * DEG_TO_RAD
    check_values(path, "acc", acc_v, line, ("Acc_X", "Acc_Y", "Acc_Z"))
    check_values(path, "gyr", gyr_v, line, ("Gyr_X", "Gyr_Y", "Gyr_Z"))
    used = {names.index("packetcounter"), names.index(TIME), *acc, *gyr}
    ignored = tuple(lines[header].split(",")[i].strip() for i in range(len(names)) if i not in used)
    notes: list[str] = []
    sync = meta.get("syncstatus", "")
    if sync.lower() != "synced":
        notes.append(
            f"{path.name}: SyncStatus is {sync or 'not given'!r}: this DOT's clock is not "
            "synchronised with other sensors, so the two sensors' times may be offset"
        )
    wraps = int(np.count_nonzero(np.diff(stf) < -(WRAP // 2)))
    if wraps:
        notes.append(f"{path.name}: SampleTimeFine wrapped {wraps} time(s) (unwrapped)")
    table = ImuTable(
        path=path,
        t_us=t_us,
        acc_m_s2=acc_v,
        gyr_rad_s=gyr_v,
        mag_uT=None,
        line=line,
        ignored_columns=ignored,
    )
    return table, mode, notes
