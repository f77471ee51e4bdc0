"""The raw IMU CSV format: one file per sensor, read strictly and written losslessly.

Format::

    time_s,ax,ay,az,gx,gy,gz[,mx,my,mz]
    12.000000,0.12,-9.79,0.33,0.001,-0.002,0.0
    ...

- A header row names the columns, in any order (names are trimmed and case-insensitive).
  ``time_s`` (seconds), ``ax ay az`` (m/s^2, specific force), ``gx gy gz`` (rad/s) are
  required; ``mx my mz`` (µT) are optional and come as a triple.
- Other columns are **ignored** (sensor exports often carry temperature, quaternions, labels);
  the import reports their names. A column named twice is refused.
- ``time_s`` is on one clock shared by all files of a session (an epoch clock is fine); it must
  strictly increase at microsecond resolution (times are rounded to integer µs).
- Blank lines are skipped; a UTF-8 byte order mark is accepted.

Anything else (a missing column, a non-numeric, NaN or infinite cell, a row of the wrong
length, time going backwards or repeating, an empty file, a file with no data rows) is
refused with a :class:`~winkmon.errors.CsvImportError` naming the file, the line and the
problem; so is a value far beyond any IMU (:data:`MAX_ABS_VALUE`, e.g. ``1e308``).

Written files use the same header and print floats with ``repr`` (shortest exact form), so
reading a written file gives back the very same numbers.

Reading is done by pyarrow's CSV engine (multi-threaded C++, a block of rows at a time) when
the file is plain; anything it does not take as is (a blank line, a missing cell, a cell it
cannot read as a number, a row of the wrong length, a header after blank lines) sends the
file to the strict Python reader, which finds the same rows and names the exact line of a
problem. Both give the very same numbers (both round decimal text to the nearest double).
"""

from __future__ import annotations

import csv
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv

from winkmon.errors import CsvImportError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TIME = "time_s"
ACC = ("ax", "ay", "az")
GYR = ("gx", "gy", "gz")
MAG = ("mx", "my", "mz")
REQUIRED = (TIME, *ACC, *GYR)
KNOWN = (*REQUIRED, *MAG)
MAX_ABS_TIME_S = 1e11  #: beyond any clock a sensor uses; keeps µs within int64 exactly
#: Largest magnitude accepted per quantity, far beyond any IMU (about 10 000 g, 570 000 deg/s,
#: 100 mT); larger values are refused as not sensor data (values between an IMU's largest
#: range and these are imported clipped, with a warning).
MAX_ABS_VALUE = {"acc": 1e5, "gyr": 1e4, "mag": 1e5}
_BLOCK_ROWS = 65536


@dataclass(frozen=True, slots=True, eq=False)
class ImuTable:
    """One sensor's CSV, parsed and checked. ``line`` is each row's line in the file."""

    path: Path
    t_us: IntArray  #: time, integer µs, strictly increasing
    acc_m_s2: FloatArray  #: (n, 3)
    gyr_rad_s: FloatArray  #: (n, 3)
    mag_uT: FloatArray | None  #: (n, 3) or None
    line: IntArray
    ignored_columns: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.t_us.shape[0])

    def rows(self, start: int, stop: int | None = None) -> ImuTable:
        """Rows ``start:stop`` (views, no copy)."""
        sl = slice(start, stop)
        return ImuTable(
            path=self.path,
            t_us=self.t_us[sl],
            acc_m_s2=self.acc_m_s2[sl],
            gyr_rad_s=self.gyr_rad_s[sl],
            mag_uT=None if self.mag_uT is None else self.mag_uT[sl],
            line=self.line[sl],
            ignored_columns=self.ignored_columns,
        )


def fail(path: Path, line: int | None, problem: str) -> CsvImportError:
    """The import error for ``path`` (at ``line``, when known)."""
    where = f"{path}" if line is None else f"{path}, line {line}"
    return CsvImportError(f"{where}: {problem}")


def _rows(path: Path) -> Generator[tuple[int, list[str]], None, None]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            for row in reader:
                if row and any(c.strip() for c in row):
                    yield reader.line_num, row
    except OSError as exc:
        raise fail(path, None, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise fail(path, None, f"not a text (UTF-8) file: {exc.reason}") from None
    except csv.Error as exc:
        raise fail(path, None, f"not valid CSV: {exc}") from None


def _header(path: Path, line: int, cells: list[str]) -> tuple[list[int], bool, tuple[str, ...]]:
    names = [c.strip().lower() for c in cells]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise fail(path, line, f"column {name!r} appears twice in the header")
        seen.add(name)
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        raise fail(
            path,
            line,
            f"missing column(s) {', '.join(missing)} (the header must name "
            f"{','.join(REQUIRED)}, optionally mx,my,mz)",
        )
    mags = [c for c in MAG if c in seen]
    if mags and len(mags) != 3:
        absent = ", ".join(c for c in MAG if c not in seen)
        raise fail(path, line, f"magnetometer columns come as mx,my,mz; missing {absent}")
    has_mag = bool(mags)
    wanted = KNOWN if has_mag else REQUIRED
    index = [names.index(c) for c in wanted]
    ignored = tuple(n for n in names if n not in wanted)
    return index, has_mag, ignored


def _parse_block(
    path: Path, block: list[list[str]], lines: list[int], index: list[int], width: int
) -> FloatArray:
    for row, line in zip(block, lines, strict=True):
        if len(row) != width:
            raise fail(path, line, f"expected {width} cells, found {len(row)}")
    return float_cells(path, np.array(block, dtype=str)[:, index], lines, KNOWN[: len(index)])


def float_cells(
    path: Path, cells: npt.NDArray[np.str_], lines: Sequence[int], names: Sequence[str]
) -> FloatArray:
    """Text cells (rows x columns) as floats; the first one that is not a number is refused
    with its line and its column's name."""
    try:
        return cells.astype(np.float64)
    except ValueError:
        pass
    for r, line in enumerate(lines):
        for c, name in enumerate(names):
            try:
                float(cells[r, c])
            except ValueError:
                raise fail(
                    path, line, f"column {name}: {str(cells[r, c])!r} is not a number"
                ) from None
    raise fail(path, None, "unparseable numbers")  # pragma: no cover - found above


def read_imu_csv(path: str | Path) -> ImuTable:
    """Read and check one sensor's CSV (see the module doc); raises CsvImportError.

    The whole file is held in memory; :func:`iter_imu_blocks` reads it a block at a time.
    """
    p = Path(path)
    blocks = list(iter_imu_blocks(p))
    first = blocks[0]
    return ImuTable(
        path=p,
        t_us=np.concatenate([b.t_us for b in blocks]),
        acc_m_s2=np.concatenate([b.acc_m_s2 for b in blocks]),
        gyr_rad_s=np.concatenate([b.gyr_rad_s for b in blocks]),
        mag_uT=None
        if first.mag_uT is None
        else np.concatenate([b.mag_uT for b in blocks if b.mag_uT is not None]),
        line=np.concatenate([b.line for b in blocks]),
        ignored_columns=first.ignored_columns,
    )


def iter_imu_blocks(path: str | Path, block_rows: int = _BLOCK_ROWS) -> Iterator[ImuTable]:
    """One sensor's CSV, checked, as consecutive tables of at most ``block_rows`` rows.

    Memory is bounded by the block: every check of :func:`read_imu_csv` (numbers, ranges,
    strictly increasing time across blocks too) is made block by block, so the error for a
    bad row comes when its block is read. A file with no data row raises at once.

    Plain files are parsed by pyarrow (see the module doc); at the first thing it does not take
    as is, reading goes on with the strict Python reader from the row where it stopped.
    """
    p = Path(path)
    if p.is_dir():
        raise fail(p, None, "is a directory, not a CSV file")
    if p.exists() and not p.is_file():
        raise fail(p, None, "not a regular file (a FIFO or a device); not read")
    done = 0  # rows yielded by the fast reader
    try:
        for block in _fast_blocks(p, block_rows):
            done += len(block)
            yield block
        return
    except _NotPlain:
        pass
    for block in _strict_blocks(p, block_rows):
        if done >= len(block):
            done -= len(block)
            continue
        if done:
            block = block.rows(done)
            done = 0
        yield block


class _NotPlain(Exception):
    """The fast reader met something it leaves to the strict reader."""


def _limits(n_cols: int) -> FloatArray:
    return np.array(
        [np.inf]
        + [MAX_ABS_VALUE["acc"]] * 3
        + [MAX_ABS_VALUE["gyr"]] * 3
        + [MAX_ABS_VALUE["mag"]] * (n_cols - 7)
    )


def _fast_blocks(p: Path, block_rows: int) -> Iterator[ImuTable]:
    """pyarrow's reading of a plain file (header on line 1, no blank line, every cell a
    number); raises :class:`_NotPlain` where it stops taking the file as is."""
    rows = _rows(p)
    first = next(rows, None)
    if first is None:
        raise fail(p, 1, "empty file (no header row)")
    header_line, header = first
    index, has_mag, ignored = _header(p, header_line, header)
    rows.close()
    if header_line != 1:
        raise _NotPlain
    cols = KNOWN[: len(index)]
    names = [f"c{i}" for i in range(len(header))]
    wanted = [names[i] for i in index]
    try:
        reader = pacsv.open_csv(
            p,
            read_options=pacsv.ReadOptions(
                skip_rows=1,
                column_names=names,
                block_size=max(1 << 16, min(block_rows * 16 * len(header), 1 << 22)),
            ),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types=dict.fromkeys(wanted, pa.float64()),
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, OSError, ValueError):
        raise _NotPlain from None
    limits = _limits(len(index))
    prev: tuple[int, float] | None = None
    line = header_line + 1  # no blank lines in a plain file: row k is on line header + 1 + k
    any_rows = False
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowException, OSError, ValueError):
            raise _NotPlain from None
        if any(batch.column(i).null_count for i in range(batch.num_columns)):
            raise _NotPlain
        data = np.column_stack([_f64(batch.column(i)) for i in range(batch.num_columns)])
        for s in range(0, len(data), block_rows):
            part = data[s : s + block_rows]
            line_arr = np.arange(line, line + len(part), dtype=np.int64)
            line += len(part)
            table = _check_block(p, part, line_arr, cols, limits, has_mag, ignored, prev)
            prev = (int(table.t_us[-1]), float(part[-1, 0]))
            any_rows = True
            yield table
    if not any_rows:
        raise _NotPlain  # the strict reader words the error (no data rows, blank lines)


def _f64(column: pa.Array) -> FloatArray:
    """A float64 column without nulls as a numpy view of its buffer (``Array.to_numpy``
    would import pandas: half a second)."""
    return np.frombuffer(
        column.buffers()[1], dtype=np.float64, count=len(column), offset=column.offset * 8
    )


def _strict_blocks(p: Path, block_rows: int) -> Iterator[ImuTable]:
    """The strict Python reading (any file the module doc allows, exact line numbers)."""
    rows = _rows(p)
    first = next(rows, None)
    if first is None:
        raise fail(p, 1, "empty file (no header row)")
    header_line, header = first
    index, has_mag, ignored = _header(p, header_line, header)
    width = len(header)
    cols = KNOWN[: len(index)]
    limits = _limits(len(index))
    prev: tuple[int, float] | None = None  # (t_us, t_s) of the previous block's last row
    block: list[list[str]] = []
    lines: list[int] = []
    any_rows = False

    def finish() -> ImuTable:
        nonlocal prev
        data = _parse_block(p, block, lines, index, width)
        line_arr = np.asarray(lines, dtype=np.int64)
        table = _check_block(p, data, line_arr, cols, limits, has_mag, ignored, prev)
        prev = (int(table.t_us[-1]), float(data[-1, 0]))
        return table

    for line, row in rows:
        block.append(row)
        lines.append(line)
        if len(block) >= block_rows:
            any_rows = True
            yield finish()
            block, lines = [], []
    if block:
        any_rows = True
        yield finish()
    if not any_rows:
        raise fail(p, header_line, "no data rows after the header")


def _check_block(
    p: Path,
    data: FloatArray,
    line_arr: IntArray,
    cols: tuple[str, ...],
    limits: FloatArray,
    has_mag: bool,
    ignored: tuple[str, ...],
    prev: tuple[int, float] | None,
) -> ImuTable:
    bad = ~np.isfinite(data)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise fail(
            p, int(line_arr[r]), f"column {cols[c]}: {float(data[r, c])} is not a finite number"
        )
    huge = np.abs(data) > limits
    if huge.any():
        r, c = np.argwhere(huge)[0]
        raise fail(
            p,
            int(line_arr[r]),
            f"column {cols[c]}: {float(data[r, c])!r} is out of range for an IMU "
            f"(|value| > {limits[c]:g}); not sensor data",
        )
    t_s = data[:, 0]
    too_far = np.abs(t_s) > MAX_ABS_TIME_S
    if too_far.any():
        r = int(np.argmax(too_far))
        raise fail(p, int(line_arr[r]), f"time {float(t_s[r])!r} s is out of range")
    t_us = np.rint(t_s * 1e6).astype(np.int64)
    full_t_us = t_us if prev is None else np.concatenate([[prev[0]], t_us])
    full_t_s = t_s if prev is None else np.concatenate([[prev[1]], t_s])
    back = np.diff(full_t_us) <= 0
    if back.any():
        r = int(np.argmax(back)) + 1
        what = "repeats" if full_t_us[r] == full_t_us[r - 1] else "goes backwards"
        line = int(line_arr[r - (0 if prev is None else 1)])
        raise fail(
            p,
            line,
            f"time {float(full_t_s[r])!r} s {what} (previous row: {float(full_t_s[r - 1])!r} s; "
            "times must increase by at least 1 µs)",
        )
    return ImuTable(
        path=p,
        t_us=t_us,
        acc_m_s2=np.ascontiguousarray(data[:, 1:4]),
        gyr_rad_s=np.ascontiguousarray(data[:, 4:7]),
        mag_uT=np.ascontiguousarray(data[:, 7:10]) if has_mag else None,
        line=line_arr,
        ignored_columns=ignored,
    )


def format_imu_csv(
    t_s: FloatArray, acc_m_s2: FloatArray, gyr_rad_s: FloatArray, mag_uT: FloatArray | None
) -> str:
    """The CSV text of one sensor's samples (floats printed with ``repr``)."""
    cols = [np.asarray(t_s, dtype=np.float64)[:, None], acc_m_s2, gyr_rad_s]
    header = list(REQUIRED)
    if mag_uT is not None:
        cols.append(mag_uT)
        header += MAG
    table = np.hstack(cols).astype(np.float64).tolist()
    out = [",".join(header)]
    out += [",".join(map(repr, row)) for row in table]
    return "\n".join(out) + "\n"


def write_imu_csv(
    path: str | Path,
    t_s: FloatArray,
    acc_m_s2: FloatArray,
    gyr_rad_s: FloatArray,
    mag_uT: FloatArray | None = None,
) -> None:
    """Write one sensor's samples as CSV (see :func:`format_imu_csv`)."""
    Path(path).write_text(format_imu_csv(t_s, acc_m_s2, gyr_rad_s, mag_uT), encoding="utf-8")
