"""Turning raw IMU CSV files (one per sensor, see :mod:`.csv_format`) into a recording.

The import synthesises the DATA frames a winkmon sensor would have sent, so a CSV session
replays through exactly the code path of a live one:

- **Rate**: each sensor's nominal rate is ``round(1e6 / median dt)`` in whole Hz (rates may
  differ between sensors; 1 to 65535 Hz).
- **Ranges**: per sensor, the smallest accelerometer and gyroscope range codes that hold the
  largest absolute value without clipping. Values are quantised to int16 at that range
  (rounding to nearest): the resolution is full scale / 32768, e.g. 0.0006 m/s^2 at ±2 g,
  0.0048 m/s^2 at ±16 g, 0.000067 rad/s at ±125 °/s, 0.0011 rad/s at ±2000 °/s; the
  magnetometer is fixed at 0.1 µT (±3276.7 µT). Data beyond the largest range is clipped,
  flagged in the frames and reported as a warning.
- **Times**: device time is CSV time in integer µs minus the earliest time of all files
  (``clock_offset_us`` of the recording, ``clock="shared"``), so replayed sample times equal
  the CSV times to the µs. Consecutive rows share a frame only while sample ``k`` of the frame
  is exactly at ``t_dev_us + rint(k * 1e6 / rate_hz)`` and has index ``first_index + k``;
  otherwise a new frame starts.
- **Index**: each row's sample index advances by ``max(1, rint(dt * rate))`` over the previous
  row, so a missing row shows as an exact gap and clock drift does not accumulate.
- ``seq`` increments per frame; ``first_index`` and ``t_dev_us`` wrap at 2^32 as on the wire;
  in a silence longer than 2^30 µs (18 min) anchor frames keep the host's unwrapping right.
- Frames of both sensors are stored in "arrival" order: a frame arrives at its last sample.

Nothing is written unless every file is good: the recording is built in a temporary file
beside the output and renamed at the end.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from winkmon.errors import CsvImportError, RecordingError, WinkmonError
from winkmon.protocol.constants import (
    ACC_RANGE_G,
    GYR_RANGE_DPS,
    MAG_LSB_UT,
    FrameFlags,
    FrameType,
    Role,
    acc_lsb_m_s2,
    gyr_lsb_rad_s,
)
from winkmon.protocol.frames import DataFrame, FloatArray, encode_samples
from winkmon.protocol.records import StartParams
from winkmon.recording.csv_format import ImuTable, read_imu_csv
from winkmon.recording.lock import refuse_if_being_written
from winkmon.recording.schema import SIDE_FILES, output_path
from winkmon.recording.writer import FrameRow, RecordingWriter
from winkmon.safe_io import check_output, publish, remove_stale_temps, temp_path

log = logging.getLogger(__name__)

WRAP = 1 << 32
ANCHOR_EVERY_US = 1 << 30
MAX_START_SPREAD_US = 3600 * 1_000_000  #: files starting further apart are refused
DEFAULT_MAX_BATCH = 40


@dataclass(frozen=True, slots=True)
class SensorImport:
    """What the import made of one sensor's CSV."""

    role: Role
    path: Path
    rows: int
    rate_hz: int
    acc_range: int  #: range code, see PROTOCOL.md
    gyr_range: int
    has_mag: bool
    frames: int
    missing_samples: int  #: samples the index says are missing (rows not in the CSV)
    ignored_columns: tuple[str, ...] = ()
    clipped: tuple[str, ...] = ()  #: "accelerometer", "gyroscope", "magnetometer"

    @property
    def acc_lsb_m_s2(self) -> float:
        return acc_lsb_m_s2(self.acc_range)

    @property
    def gyr_lsb_rad_s(self) -> float:
        return gyr_lsb_rad_s(self.gyr_range)

    def describe(self) -> str:
        """One line for people."""
        parts = [
            f"{self.role.label}: {self.rows} rows at {self.rate_hz} Hz",
            f"±{ACC_RANGE_G[self.acc_range]} g ({self.acc_lsb_m_s2:.2g} m/s^2 per LSB)",
            f"±{GYR_RANGE_DPS[self.gyr_range]} °/s ({self.gyr_lsb_rad_s:.2g} rad/s per LSB)",
        ]
        if self.has_mag:
            parts.append(f"magnetometer ({MAG_LSB_UT} µT per LSB)")
        parts.append(f"{self.frames} frames, {self.missing_samples} missing samples")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class ImportReport:
    path: Path
    sensors: dict[Role, SensorImport]
    clock_offset_us: int
    warnings: list[str] = field(default_factory=list)


def choose_range(max_abs: float, lsb: Callable[[int], float], n_codes: int) -> tuple[int, bool]:
    """The smallest range code whose int16 scale holds ``max_abs``; and whether it clips."""
    for code in range(n_codes):
        if np.rint(max_abs / lsb(code)) <= 32767:
            return code, False
    return n_codes - 1, True


def nominal_index(t_us: np.ndarray, rate_hz: float) -> np.ndarray:
    """Sample indices from times: +max(1, rint(dt * rate)) per row, starting at 0."""
    steps = np.maximum(1, np.rint(np.diff(t_us) * (rate_hz / 1e6))).astype(np.int64)
    return np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(steps)])


def estimate_rate(table: ImuTable) -> int:
    if len(table) < 2:
        raise CsvImportError(
            f"{table.path}, line {int(table.line[0])}: only one data row; at least two are "
            "needed to estimate the sample rate"
        )
    median_dt = float(np.median(np.diff(table.t_us)))
    rate = round(1e6 / median_dt)
    if not 1 <= rate <= 0xFFFF:
        raise CsvImportError(
            f"{table.path}: the median time step {median_dt / 1e6:g} s gives a sample rate "
            f"of {1e6 / median_dt:g} Hz, outside 1-65535 Hz (is time_s in seconds?)"
        )
    return rate


def _clip_flags(raw: np.ndarray) -> FrameFlags:
    flags = FrameFlags.NONE
    if np.any((raw[:, 0:3] == 32767) | (raw[:, 0:3] == -32768)):
        flags |= FrameFlags.ACC_CLIP
    if np.any((raw[:, 3:6] == 32767) | (raw[:, 3:6] == -32768)):
        flags |= FrameFlags.GYR_CLIP
    if raw.shape[1] == 9:
        flags |= FrameFlags.MAG_PRESENT
    return flags


def synthesize_frames(
    role: Role,
    table: ImuTable,
    t0_us: int,
    rate_hz: int,
    acc_range: int,
    gyr_range: int,
    max_batch: int = DEFAULT_MAX_BATCH,
) -> tuple[list[FrameRow], int]:
    """The DATA frames ``(t_host_ns, payload)`` of one sensor, and the missing-sample count.

    ``t_host_ns`` is the CSV time (ns) of the frame's last sample.
    """
    if not 1 <= max_batch <= 255:
        raise ValueError("max_batch must be 1..255")
    raw, _ = encode_samples(table.acc_m_s2, table.gyr_rad_s, acc_range, gyr_range, table.mag_uT)
    t_dev = table.t_us - t0_us
    index = nominal_index(table.t_us, rate_hz)
    period_us = 1e6 / float(rate_hz)  # the very expression SensorStream uses
    offsets = np.rint(np.arange(max_batch) * period_us).astype(np.int64)
    ks = np.arange(max_batch, dtype=np.int64)
    n = len(table)
    frames: list[FrameRow] = []
    seq = 0
    s = 0
    last_t = None
    while s < n:
        m = min(max_batch, n - s)
        ok = (index[s : s + m] - index[s] == ks[:m]) & (t_dev[s : s + m] - t_dev[s] == offsets[:m])
        if not ok.all():
            m = int(np.argmin(ok))
        if last_t is not None:
            t_anchor = last_t + ANCHOR_EVERY_US
            while t_anchor < int(t_dev[s]):
                anchor = DataFrame(
                    FrameType.DATA,
                    role,
                    seq & 0xFFFF,
                    int(index[s]) % WRAP,
                    t_anchor % WRAP,
                    acc_range,
                    gyr_range,
                    _clip_flags(raw[0:0]),
                    raw[0:0],
                )
                frames.append(((t0_us + t_anchor) * 1000, bytes(anchor)))
                seq += 1
                t_anchor += ANCHOR_EVERY_US
        chunk = raw[s : s + m]
        frame = DataFrame(
            FrameType.DATA,
            role,
            seq & 0xFFFF,
            int(index[s]) % WRAP,
            int(t_dev[s]) % WRAP,
            acc_range,
            gyr_range,
            _clip_flags(chunk),
            chunk,
        )
        last_t = int(t_dev[s + m - 1])
        frames.append((int(table.t_us[s + m - 1]) * 1000, bytes(frame)))
        seq += 1
        s += m
    missing = int(index[-1]) + 1 - n
    return frames, missing


def _max_abs(values: FloatArray | None) -> float:
    return 0.0 if values is None or values.size == 0 else float(np.max(np.abs(values)))


def _check_dest(dest: Path, files: Mapping[Role, str | Path], overwrite: bool) -> None:
    """The recording may not land on an input, nor replace a recording being written."""
    try:
        check_output(dest, inputs=[Path(f) for f in files.values()], overwrite=overwrite)
    except WinkmonError as exc:
        raise RecordingError(str(exc).replace("--overwrite", "allow overwriting")) from None
    if dest.exists():
        refuse_if_being_written(dest)


def import_csv(
    files: Mapping[Role, str | Path],
    out: str | Path,
    *,
    overwrite: bool = False,
    notes: str = "",
    max_batch: int = DEFAULT_MAX_BATCH,
) -> ImportReport:
    """Import one CSV per sensor into a new recording (see the module doc).

    ``out`` gets the ``.winkmon`` suffix if it has none. Raises CsvImportError for a bad file
    and RecordingError if ``out`` exists (unless ``overwrite``); nothing is written then.
    """
    if not files:
        raise CsvImportError("no CSV file given")
    dest = output_path(out)
    _check_dest(dest, files, overwrite)

    tables = {Role(role): read_imu_csv(path) for role, path in files.items()}
    rates = {role: estimate_rate(t) for role, t in tables.items()}
    starts = {role: int(t.t_us[0]) for role, t in tables.items()}
    t0_us = min(starts.values())
    spread = max(starts.values()) - t0_us
    if spread > MAX_START_SPREAD_US:
        raise CsvImportError(
            "the files start {:.0f} min apart ({}); they cannot be one session".format(
                spread / 60e6, ", ".join(f"{tables[r].path}" for r in tables)
            )
        )

    warnings: list[str] = []
    sensors: dict[Role, SensorImport] = {}
    all_frames: list[tuple[int, int, bytes]] = []
    for role, table in tables.items():
        acc_code, acc_clip = choose_range(_max_abs(table.acc_m_s2), acc_lsb_m_s2, len(ACC_RANGE_G))
        gyr_code, gyr_clip = choose_range(
            _max_abs(table.gyr_rad_s), gyr_lsb_rad_s, len(GYR_RANGE_DPS)
        )
        mag_clip = _max_abs(table.mag_uT) / MAG_LSB_UT > 32767.5
        clipped = tuple(
            name
            for name, c in (
                ("accelerometer", acc_clip),
                ("gyroscope", gyr_clip),
                ("magnetometer", mag_clip),
            )
            if c
        )
        frames, missing = synthesize_frames(
            role, table, t0_us, rates[role], acc_code, gyr_code, max_batch
        )
        sensors[role] = SensorImport(
            role=role,
            path=table.path,
            rows=len(table),
            rate_hz=rates[role],
            acc_range=acc_code,
            gyr_range=gyr_code,
            has_mag=table.mag_uT is not None,
            frames=len(frames),
            missing_samples=missing,
            ignored_columns=table.ignored_columns,
            clipped=clipped,
        )
        if clipped:
            warnings.append(
                f"{table.path}: {', '.join(clipped)} values beyond the largest range were clipped"
            )
        if table.ignored_columns:
            warnings.append(f"{table.path}: ignored column(s) {', '.join(table.ignored_columns)}")
        all_frames += [(t, int(role), p) for t, p in frames]
    all_frames.sort(key=lambda f: (f[0], f[1]))

    remove_stale_temps(dest.parent)  # left by an import that was killed
    tmp = temp_path(dest)
    try:
        with RecordingWriter(
            tmp,
            session_start_ns=t0_us * 1000,
            clock="shared",
            clock_offset_us=t0_us,
            notes=notes,
            overwrite=True,
        ) as writer:
            writer.set_source(
                {"kind": "csv", "files": {r.label: str(t.path) for r, t in tables.items()}}
            )
            for role, info in sensors.items():
                start = StartParams(
                    rate_hz=info.rate_hz,
                    acc_range=info.acc_range,
                    gyr_range=info.gyr_range,
                    mag_on=info.has_mag,
                    max_batch=max_batch,
                    flush_ms=0,
                )
                writer.add_sensor(role, info.rate_hz, start=start)
            # Consecutive frames of one sensor go in together, in arrival order.
            start_i = 0
            for i in range(1, len(all_frames) + 1):
                if i == len(all_frames) or all_frames[i][1] != all_frames[start_i][1]:
                    role_i = Role(all_frames[start_i][1])
                    writer.write_frames(role_i, [(t, b) for t, _, b in all_frames[start_i:i]])
                    start_i = i
        _check_dest(dest, files, overwrite)
        for suffix in SIDE_FILES:
            dest.with_name(dest.name + suffix).unlink(missing_ok=True)
        publish(tmp, dest, overwrite=overwrite)
    finally:
        for leftover in [tmp, *(tmp.with_name(tmp.name + s) for s in SIDE_FILES)]:
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
    for w in warnings:  # returned to the caller, who shows them; logged for the record
        log.info("%s", w)
    return ImportReport(path=dest, sensors=sensors, clock_offset_us=t0_us, warnings=warnings)
