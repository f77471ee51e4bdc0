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

Nothing is written unless every file is good: each file is first read and checked whole, a
block at a time (:func:`~.csv_format.iter_imu_blocks`, pyarrow's CSV engine for plain files),
to find its rate, ranges and start; the files are read side by side in threads. A file of at
most :data:`IMPORT_KEEP_ROWS` rows keeps its rows in memory for the second step; a longer one
is read again a block at a time, so memory stays bounded. Then each sensor's frames are made
with whole-array arithmetic (:class:`FrameSynth`, the same frames as the plain per-frame
:func:`synthesize_frames`, tested), merged by arrival time and written. The recording is built
in a temporary file beside the output (no journal: it is published by rename at the end).
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
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
from winkmon.protocol.frames import DataFrame, FloatArray, encode_data_frames, encode_samples
from winkmon.protocol.records import StartParams
from winkmon.recording.csv_format import ImuTable, iter_imu_blocks
from winkmon.recording.lock import refuse_if_being_written
from winkmon.recording.schema import SIDE_FILES, output_path
from winkmon.recording.vendor_exports.source import ImuBlockSource
from winkmon.recording.writer import FrameRow, RecordingWriter
from winkmon.safe_io import check_output, publish, remove_stale_temps, temp_path

log = logging.getLogger(__name__)

WRAP = 1 << 32
ANCHOR_EVERY_US = 1 << 30
MAX_START_SPREAD_US = 3600 * 1_000_000  #: files starting further apart are refused
DEFAULT_MAX_BATCH = 40
IMPORT_BLOCK_ROWS = 16384  #: CSV rows checked at a time per sensor
#: A sensor's rows are kept in memory after the check (64 bytes a row: 83 min at 200 Hz is
#: 64 MB) up to this many; a longer file is read a second time, a block at a time.
IMPORT_KEEP_ROWS = 1_000_000

#: One sensor's input: a path to winkmon's CSV, or a parsed source (a vendor export, see
#: :mod:`winkmon.recording.vendor_exports`).
CsvInput = str | Path | ImuBlockSource


def _blocks(source: CsvInput, block_rows: int) -> Iterator[ImuTable]:
    if isinstance(source, str | Path):
        return iter_imu_blocks(source, block_rows)
    return source.iter_blocks(block_rows)


def _input_paths(source: CsvInput) -> list[Path]:
    return [Path(source)] if isinstance(source, str | Path) else list(source.paths)


def _format_label(source: CsvInput) -> str:
    """The input's format for the recording's source: a vendor's label, or winkmon CSV."""
    if isinstance(source, str | Path):
        return "winkmon CSV"
    return str(getattr(source, "format_label", type(source).__name__))


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


class FrameSynth:
    """:func:`synthesize_frames` fed a block of rows at a time, with the same result.

    Frames never end at a block boundary on their own: the rows after the last frame that is
    certainly complete are carried into the next block (:meth:`feed`), and :meth:`finish`
    turns the rest into frames.
    """

    def __init__(
        self,
        role: Role,
        t0_us: int,
        rate_hz: int,
        acc_range: int,
        gyr_range: int,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        if not 1 <= max_batch <= 255:
            raise ValueError("max_batch must be 1..255")
        self.role, self.t0_us, self.rate_hz = role, t0_us, rate_hz
        self.acc_range, self.gyr_range, self.max_batch = acc_range, gyr_range, max_batch
        period_us = 1e6 / float(rate_hz)  # the very expression SensorStream uses
        self._offsets = np.rint(np.arange(max_batch) * period_us).astype(np.int64)
        self._ks = np.arange(max_batch, dtype=np.int64)
        self.seq = 0
        self.rows = 0
        self.frames = 0
        self._last_t: int | None = None
        self._prev: tuple[int, int] | None = None  # (t_us, index) of the last row fed
        self._carry: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def missing(self) -> int:
        """Samples the index says are missing so far (rows not in the CSV)."""
        return 0 if self._prev is None else self._prev[1] + 1 - self.rows

    def feed(self, block: ImuTable) -> list[FrameRow]:
        """The frames completed by ``block``'s rows (in time order)."""
        raw, _ = encode_samples(
            block.acc_m_s2, block.gyr_rad_s, self.acc_range, self.gyr_range, block.mag_uT
        )
        t_us = block.t_us
        if self._prev is None:
            index = nominal_index(t_us, self.rate_hz)
        else:
            steps = np.maximum(
                1, np.rint(np.diff(t_us, prepend=self._prev[0]) * (self.rate_hz / 1e6))
            ).astype(np.int64)
            index = self._prev[1] + np.cumsum(steps)
        self._prev = (int(t_us[-1]), int(index[-1]))
        self.rows += len(t_us)
        if self._carry is not None:
            ct, ci, cr = self._carry
            t_us, index, raw = (
                np.concatenate([ct, t_us]),
                np.concatenate([ci, index]),
                np.concatenate([cr, raw]),
            )
        return self._frames(t_us, index, raw, final=False)

    def finish(self) -> list[FrameRow]:
        """The frames of the rows still carried."""
        if self._carry is None:
            return []
        t_us, index, raw = self._carry
        return self._frames(t_us, index, raw, final=True)

    def _frames(
        self, t_us: np.ndarray, index: np.ndarray, raw: np.ndarray, final: bool
    ) -> list[FrameRow]:
        t_dev = t_us - self.t0_us
        n = len(t_us)
        starts = self._starts(t_dev, index)
        ends = np.append(starts[1:], n).astype(np.int64)
        if not final:
            # a frame with fewer than max_batch rows left may go on in the next block
            keep = n - starts >= self.max_batch
            starts, ends = starts[keep], ends[keep]
        kept = int(ends[-1]) if len(ends) else 0
        frames = self._encode(t_us, t_dev, index, raw, starts, ends)
        self._carry = (t_us[kept:], index[kept:], raw[kept:]) if kept < n else None
        self.frames += len(frames)
        return frames

    def _frame_len(self, t_dev: np.ndarray, index: np.ndarray, s: int, n: int) -> int:
        """Rows of the frame starting at row ``s`` (the rule of the module doc)."""
        m = min(self.max_batch, n - s)
        ok = (index[s : s + m] - index[s] == self._ks[:m]) & (
            t_dev[s : s + m] - t_dev[s] == self._offsets[:m]
        )
        return m if ok.all() else int(np.argmin(ok))

    def _starts(self, t_dev: np.ndarray, index: np.ndarray) -> np.ndarray:
        """The rows that start a frame (whole-array arithmetic when the period is whole µs)."""
        n = len(t_dev)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        period_us = 1e6 / float(self.rate_hz)
        if period_us == int(period_us):
            # Then a frame goes on exactly while each step is one index and one period: the
            # rows split into runs of such steps, and each run into frames of max_batch.
            same = (np.diff(index) == 1) & (np.diff(t_dev) == int(period_us))
            brk = np.concatenate(([True], ~same))
            run_start = np.flatnonzero(brk)
            pos = np.arange(n) - run_start[np.cumsum(brk) - 1]
            return np.flatnonzero(pos % self.max_batch == 0).astype(np.int64)
        out: list[int] = []
        s = 0
        while s < n:
            out.append(s)
            s += self._frame_len(t_dev, index, s, n)
        return np.asarray(out, dtype=np.int64)

    def _encode(
        self,
        t_us: np.ndarray,
        t_dev: np.ndarray,
        index: np.ndarray,
        raw: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
    ) -> list[FrameRow]:
        """The frames' ``(t_host_ns, payload)``, with anchors in silences over 2^30 µs."""
        if len(starts) == 0:
            return []
        first_t = t_dev[starts]
        last_t = t_dev[ends - 1]
        prev_last = np.concatenate(
            ([first_t[0] if self._last_t is None else self._last_t], last_t[:-1])
        )
        # anchors before frame k: last + j * ANCHOR for j = 1.. while < first_t[k]
        n_anchor = np.maximum(0, (first_t - prev_last - 1) // ANCHOR_EVERY_US)
        if self._last_t is None:
            n_anchor[0] = 0
        total = len(starts) + int(n_anchor.sum())
        f_starts = np.empty(total, dtype=np.int64)
        f_ends = np.empty(total, dtype=np.int64)
        f_index = np.empty(total, dtype=np.int64)
        f_tdev = np.empty(total, dtype=np.int64)
        f_host = np.empty(total, dtype=np.int64)
        # the position of each data frame among all frames
        pos = np.arange(len(starts)) + np.cumsum(n_anchor)
        f_starts[pos], f_ends[pos] = starts, ends
        f_index[pos], f_tdev[pos] = index[starts], first_t
        f_host[pos] = t_us[ends - 1] * 1000
        for k in np.flatnonzero(n_anchor).tolist():
            for j in range(int(n_anchor[k])):
                a = int(pos[k]) - int(n_anchor[k]) + j
                t_anchor = int(prev_last[k]) + (j + 1) * ANCHOR_EVERY_US
                f_starts[a] = f_ends[a] = starts[k]
                f_index[a] = index[starts[k]]
                f_tdev[a] = t_anchor
                f_host[a] = (self.t0_us + t_anchor) * 1000
        clip = np.zeros(len(raw) + 1, dtype=np.int64)
        extreme = (raw == 32767) | (raw == -32768)
        clip[:-1] = np.where(extreme[:, 0:3].any(axis=1), int(FrameFlags.ACC_CLIP), 0) | np.where(
            extreme[:, 3:6].any(axis=1), int(FrameFlags.GYR_CLIP), 0
        )
        flags = np.zeros(total, dtype=np.int64)
        nonempty = f_ends > f_starts
        if nonempty.any():
            flags[nonempty] = _flags_of(clip, f_starts[nonempty], f_ends[nonempty])
        seq = self.seq + np.arange(total, dtype=np.int64)
        payloads = encode_data_frames(
            self.role,
            self.acc_range,
            self.gyr_range,
            raw,
            f_starts,
            f_ends,
            seq,
            f_index % WRAP,
            f_tdev % WRAP,
            flags,
        )
        self.seq += total
        self._last_t = int(last_t[-1])
        return list(zip(f_host.tolist(), payloads, strict=True))


def _flags_of(row_flags: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The OR of ``row_flags[starts[k]:ends[k]]`` for each (non-empty, ordered) frame."""
    bounds = np.empty(2 * len(starts), dtype=np.int64)
    bounds[0::2], bounds[1::2] = starts, ends
    return np.bitwise_or.reduceat(row_flags, bounds)[0::2]


@dataclass(slots=True)
class CsvScan:
    """What the first pass over one sensor's CSV found (every row checked)."""

    path: Path
    rows: int = 0
    first_line: int = 0
    t_first_us: int = 0
    dt_counts: dict[int, int] = field(default_factory=dict)  #: time step (µs) -> how often
    max_acc: float = 0.0
    max_gyr: float = 0.0
    max_mag: float = 0.0
    has_mag: bool = False
    ignored_columns: tuple[str, ...] = ()
    blocks: list[ImuTable] | None = None  #: the rows read, if kept (see :func:`scan_csv`)

    def median_dt_us(self) -> float:
        """The median time step, exactly as ``np.median(np.diff(t_us))`` gives it."""
        n = self.rows - 1
        lo, hi = (n - 1) // 2, n // 2
        seen = 0
        a = b = None
        for dt in sorted(self.dt_counts):
            nxt = seen + self.dt_counts[dt]
            if a is None and lo < nxt:
                a = dt
            if b is None and hi < nxt:
                b = dt
                break
            seen = nxt
        assert a is not None and b is not None
        return float(np.mean(np.array([a, b], dtype=np.int64)))

    def rate_hz(self) -> int:
        """``round(1e6 / median dt)``; CsvImportError if it cannot be a sample rate."""
        if self.rows < 2:
            raise CsvImportError(
                f"{self.path}, line {self.first_line}: only one data row; at least two are "
                "needed to estimate the sample rate"
            )
        median_dt = self.median_dt_us()
        rate = round(1e6 / median_dt)
        if not 1 <= rate <= 0xFFFF:
            raise CsvImportError(
                f"{self.path}: the median time step {median_dt / 1e6:g} s gives a sample rate "
                f"of {1e6 / median_dt:g} Hz, outside 1-65535 Hz (is time_s in seconds?)"
            )
        return rate


def scan_csv(path: CsvInput, keep_rows: int = 0) -> CsvScan:
    """Check one sensor's CSV (or parsed source) a block at a time and gather what the import
    needs.

    The blocks read are kept in :attr:`CsvScan.blocks` while the input has at most
    ``keep_rows`` rows (so the import need not read it again); beyond, they are dropped.
    """
    scan = CsvScan(_input_paths(path)[0])
    prev: int | None = None
    kept: list[ImuTable] | None = [] if keep_rows > 0 else None
    for block in _blocks(path, IMPORT_BLOCK_ROWS):
        if scan.rows == 0:
            scan.first_line = int(block.line[0])
            scan.t_first_us = int(block.t_us[0])
            scan.has_mag = block.mag_uT is not None
            scan.ignored_columns = block.ignored_columns
        diffs = np.diff(block.t_us, prepend=block.t_us[0] if prev is None else prev)
        if prev is None:
            diffs = diffs[1:]
        for dt, count in zip(*np.unique(diffs, return_counts=True), strict=True):
            scan.dt_counts[int(dt)] = scan.dt_counts.get(int(dt), 0) + int(count)
        prev = int(block.t_us[-1])
        scan.rows += len(block)
        scan.max_acc = max(scan.max_acc, _max_abs(block.acc_m_s2))
        scan.max_gyr = max(scan.max_gyr, _max_abs(block.gyr_rad_s))
        scan.max_mag = max(scan.max_mag, _max_abs(block.mag_uT))
        if kept is not None:
            kept.append(block)
            if scan.rows > keep_rows:
                kept = None
    scan.blocks = kept
    return scan


def _scan_all(files: Mapping[Role, CsvInput], keep_rows: int) -> dict[Role, CsvScan]:
    """:func:`scan_csv` of every file, side by side in threads (pyarrow parses without the
    GIL); the first file's error wins, as if they were read one after the other."""
    roles = [Role(r) for r in files]
    if len(roles) == 1:
        return {roles[0]: scan_csv(files[roles[0]], keep_rows)}
    with ThreadPoolExecutor(max_workers=len(roles)) as pool:
        futures = {r: pool.submit(scan_csv, files[r], keep_rows) for r in roles}
        return {r: futures[r].result() for r in roles}


def _sensor_frames(path: CsvInput, synth: FrameSynth) -> Iterator[tuple[int, int, bytes]]:
    """``(t_host_ns, role, payload)`` of one sensor's frames, read a block at a time."""
    r = int(synth.role)
    for block in _blocks(path, IMPORT_BLOCK_ROWS):
        for t, payload in synth.feed(block):
            yield t, r, payload
    for t, payload in synth.finish():
        yield t, r, payload


def _frames_made_aside(
    blocks: list[ImuTable], synth: FrameSynth
) -> Iterator[tuple[int, int, bytes]]:
    """``(t_host_ns, role, payload)`` of one sensor's frames from its kept rows, made in a
    thread of their own a block at a time while the caller writes (numpy and SQLite work
    without the GIL). If the caller stops early (a write failed), the thread stops too."""
    made: queue.Queue[list[FrameRow] | BaseException | None] = queue.Queue(maxsize=8)
    stop = threading.Event()

    def put(item: list[FrameRow] | BaseException | None) -> None:
        while not stop.is_set():
            try:
                made.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def work() -> None:
        try:
            for block in blocks:
                if stop.is_set():
                    return
                put(synth.feed(block))
            put(synth.finish())
            put(None)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)

    worker = threading.Thread(target=work, name=f"import-{synth.role.label}", daemon=True)
    worker.start()
    r = int(synth.role)
    try:
        while (item := made.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            for t, payload in item:
                yield t, r, payload
    finally:
        stop.set()
        worker.join()


def _write_kept(
    writer: RecordingWriter, scans: Mapping[Role, CsvScan], synths: Mapping[Role, FrameSynth]
) -> None:
    """Both sensors' frames, from the rows kept in memory, in arrival order (time, then role),
    written while they are made."""
    _write_merged(writer, [_frames_made_aside(scans[r].blocks or [], synths[r]) for r in synths])


def _write_merged(writer: RecordingWriter, sources: list[Iterator[tuple[int, int, bytes]]]) -> None:
    merged = heapq.merge(*sources, key=lambda f: (f[0], f[1]))
    run: list[tuple[int, int, bytes]] = []
    for t, r, payload in merged:
        run.append((r, t, payload))
        if len(run) >= 8192:
            writer.write_mixed_frames(run)
            run = []
    if run:
        writer.write_mixed_frames(run)


def _write_streamed(
    writer: RecordingWriter, files: Mapping[Role, CsvInput], synths: Mapping[Role, FrameSynth]
) -> None:
    """Both sensors' frames read again a block at a time, merged in arrival order."""
    _write_merged(writer, [_sensor_frames(files[r], synths[r]) for r in synths])


def _max_abs(values: FloatArray | None) -> float:
    return 0.0 if values is None or values.size == 0 else float(np.max(np.abs(values)))


def _check_dest(dest: Path, files: Mapping[Role, CsvInput], overwrite: bool) -> None:
    """The recording may not land on an input, nor replace a recording being written."""
    try:
        inputs = [p for f in files.values() for p in _input_paths(f)]
        check_output(dest, inputs=inputs, overwrite=overwrite)
    except WinkmonError as exc:
        raise RecordingError(str(exc).replace("--overwrite", "allow overwriting")) from None
    if dest.exists():
        refuse_if_being_written(dest)


def import_csv(
    files: Mapping[Role, CsvInput],
    out: str | Path,
    *,
    overwrite: bool = False,
    notes: str = "",
    max_batch: int = DEFAULT_MAX_BATCH,
    keep_rows: int = IMPORT_KEEP_ROWS,
) -> ImportReport:
    """Import one CSV per sensor into a new recording (see the module doc).

    Files of at most ``keep_rows`` rows are read once (their rows stay in memory between the
    check and the writing); longer ones twice, so memory stays bounded.

    A sensor's input is a path to winkmon's CSV or a parsed source such as a vendor export
    (:func:`winkmon.recording.vendor_exports.open_sensor`).

    ``out`` gets the ``.winkmon`` suffix if it has none. Raises CsvImportError for a bad file
    and RecordingError if ``out`` exists (unless ``overwrite``); nothing is written then.
    """
    if not files:
        raise CsvImportError("no CSV file given")
    dest = output_path(out)
    _check_dest(dest, files, overwrite)

    scans = _scan_all(files, keep_rows)
    rates = {role: sc.rate_hz() for role, sc in scans.items()}
    starts = {role: sc.t_first_us for role, sc in scans.items()}
    t0_us = min(starts.values())
    spread = max(starts.values()) - t0_us
    if spread > MAX_START_SPREAD_US:
        raise CsvImportError(
            "the files start {:.0f} min apart ({}); they cannot be one session".format(
                spread / 60e6, ", ".join(f"{scans[r].path}" for r in scans)
            )
        )

    warnings: list[str] = []
    synths: dict[Role, FrameSynth] = {}
    codes: dict[Role, tuple[int, int, tuple[str, ...]]] = {}
    for role, sc in scans.items():
        acc_code, acc_clip = choose_range(sc.max_acc, acc_lsb_m_s2, len(ACC_RANGE_G))
        gyr_code, gyr_clip = choose_range(sc.max_gyr, gyr_lsb_rad_s, len(GYR_RANGE_DPS))
        mag_clip = sc.max_mag / MAG_LSB_UT > 32767.5
        clipped = tuple(
            name
            for name, c in (
                ("accelerometer", acc_clip),
                ("gyroscope", gyr_clip),
                ("magnetometer", mag_clip),
            )
            if c
        )
        codes[role] = (acc_code, gyr_code, clipped)
        synths[role] = FrameSynth(role, t0_us, rates[role], acc_code, gyr_code, max_batch)
        if clipped:
            warnings.append(
                f"{sc.path}: {', '.join(clipped)} values beyond the largest range were clipped"
            )
        if sc.ignored_columns:
            warnings.append(f"{sc.path}: ignored column(s) {', '.join(sc.ignored_columns)}")

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
            bulk=True,
        ) as writer:
            writer.set_source(
                {
                    "kind": "csv",
                    "files": {r.label: str(sc.path) for r, sc in scans.items()},
                    "inputs": {
                        Role(r).label: {
                            "paths": [str(x) for x in _input_paths(f)],
                            "format": _format_label(f),
                        }
                        for r, f in files.items()
                    },
                }
            )
            for role, sc in scans.items():
                start = StartParams(
                    rate_hz=rates[role],
                    acc_range=codes[role][0],
                    gyr_range=codes[role][1],
                    mag_on=sc.has_mag,
                    max_batch=max_batch,
                    flush_ms=0,
                )
                writer.add_sensor(role, rates[role], start=start)
            if all(sc.blocks is not None for sc in scans.values()):
                _write_kept(writer, scans, synths)
            else:
                _write_streamed(writer, files, synths)
        _check_dest(dest, files, overwrite)
        for suffix in SIDE_FILES:
            dest.with_name(dest.name + suffix).unlink(missing_ok=True)
        publish(tmp, dest, overwrite=overwrite)
    finally:
        for leftover in [tmp, *(tmp.with_name(tmp.name + s) for s in SIDE_FILES)]:
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)
    sensors = {
        role: SensorImport(
            role=role,
            path=sc.path,
            rows=sc.rows,
            rate_hz=rates[role],
            acc_range=codes[role][0],
            gyr_range=codes[role][1],
            has_mag=sc.has_mag,
            frames=synths[role].frames,
            missing_samples=synths[role].missing,
            ignored_columns=sc.ignored_columns,
            clipped=codes[role][2],
        )
        for role, sc in scans.items()
    }
    for w in warnings:  # returned to the caller, who shows them; logged for the record
        log.info("%s", w)
    return ImportReport(path=dest, sensors=sensors, clock_offset_us=t0_us, warnings=warnings)
