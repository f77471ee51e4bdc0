"""Shared pieces of the vendor export readers: text, numbers, units, time checks.

Every problem is a :class:`~winkmon.errors.CsvImportError` with one line naming the file, the
line and what to do, in the same form as winkmon's own CSV reader.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from winkmon.recording.csv_format import (
    MAX_ABS_TIME_S,
    MAX_ABS_VALUE,
    FloatArray,
    IntArray,
    fail,
    float_cells,
)

G_M_S2 = 9.80665  #: standard gravity, m/s^2 per g (the value the vendors' "g" columns use)
MG_TO_M_S2 = G_M_S2 / 1000.0
DEG_TO_RAD = math.pi / 180.0
MAX_HEADER_LINES = 40  #: a vendor header (column names) must be within the first lines

Kind = Literal["acc", "gyr"]
KIND_NAME = {"acc": "accelerometer", "gyr": "gyroscope"}


def read_head_lines(path: Path, max_bytes: int = 1 << 16) -> list[str]:
    """The first complete lines of the file (at most ``max_bytes`` read), decoded as
    :func:`read_lines` does: enough to tell its format without reading a long file."""
    _check_path(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise fail(path, None, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raw = raw[: raw.rfind(b"\n", 0, max_bytes) + 1]  # complete lines only
    return _decode(path, raw).splitlines()


def _check_path(path: Path) -> None:
    if path.is_dir():
        raise fail(path, None, "is a directory, not an export file")
    if path.exists() and not path.is_file():
        raise fail(path, None, "not a regular file (a FIFO or a device); not read")


def _decode(path: Path, raw: bytes) -> str:
    if b"\x00" in raw[:4096]:
        raise fail(path, None, "not a text file (it holds NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise fail(path, None, f"not a text file (UTF-8 or GBK): {exc.reason}") from None


def read_lines(path: Path) -> list[str]:
    """The file's lines without line ends; UTF-8 (with or without BOM), else GB18030.

    WitMotion's PC software writes its unit signs (``°``) in the Chinese GBK code page, which
    GB18030 decodes; every other format here is ASCII or UTF-8.
    """
    _check_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(path, None, f"cannot read: {exc.strerror or exc}") from None
    return _decode(path, raw).splitlines()


@dataclass(frozen=True, slots=True, eq=False)
class Stream:
    """One vendor file's samples of one quantity, SI units, on the file's own clock.

    ``t_us`` is integer µs on the device (or phone) clock of the file; ``shared_offset_us`` is
    added to put it on the clock the two sensors of a session share (0 if it already is).
    """

    path: Path
    kind: Kind
    t_us: IntArray
    xyz: FloatArray  #: (n, 3), m/s^2 for "acc", rad/s for "gyr"
    line: IntArray
    shared_offset_us: int = 0
    ignored_columns: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.t_us.shape[0])


def data_rows(
    path: Path, lines: Sequence[str], first: int, sep: str, width: int
) -> tuple[list[list[str]], list[int]]:
    """Rows after the header (line index ``first`` on), split and trimmed; blank lines skipped.

    A row with another number of cells than the header is refused (a truncated last row is
    the usual case: the app was killed while writing).
    """
    rows: list[list[str]] = []
    nums: list[int] = []
    for i in range(first, len(lines)):
        text = lines[i]
        if not text.strip():
            continue
        cells = [c.strip() for c in text.split(sep)]
        if len(cells) != width:
            # Trailing empty cells are harmless padding (spreadsheets add them).
            while len(cells) > width and cells[-1] == "":
                cells.pop()
            if len(cells) != width:
                raise fail(
                    path,
                    i + 1,
                    f"expected {width} cells, found {len(cells)} (a cut-off row? the file "
                    "must be a complete export)",
                )
        rows.append(cells)
        nums.append(i + 1)
    if not rows:
        raise fail(path, first, "no data rows after the header")
    return rows, nums


def numbers(
    path: Path,
    rows: Sequence[Sequence[str]],
    lines: Sequence[int],
    cols: Sequence[int],
    names: Sequence[str],
    decimal_comma: bool = False,
) -> FloatArray:
    """The cells of ``cols`` as floats, (n, len(cols)); a non-numeric or non-finite cell is
    refused with its line and column name."""
    cells = np.array([[r[c] for c in cols] for r in rows], dtype=str)
    if decimal_comma:
        cells = np.char.replace(cells, ",", ".")
    values = float_cells(path, cells, lines, names)
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise fail(path, int(lines[r]), f"column {names[c]}: {cells[r, c]!r} is not finite")
    return values


def integers(
    path: Path, rows: Sequence[Sequence[str]], lines: Sequence[int], col: int, name: str
) -> IntArray:
    """One column of whole numbers (a counter or a time in ns), exactly, as int64."""
    out = np.empty(len(rows), dtype=np.int64)
    for i, (r, line) in enumerate(zip(rows, lines, strict=True)):
        cell = r[col]
        try:
            out[i] = int(cell)
        except (ValueError, OverflowError):
            raise fail(path, line, f"column {name}: {cell!r} is not a whole number") from None
    return out


def check_values(
    path: Path, kind: Kind, xyz: FloatArray, lines: IntArray, names: Sequence[str]
) -> None:
    """Refuse values far beyond any IMU (the limits of winkmon's own CSV)."""
    limit = MAX_ABS_VALUE[kind]
    huge = np.abs(xyz) > limit
    if huge.any():
        r, c = np.argwhere(huge)[0]
        raise fail(
            path,
            int(lines[r]),
            f"column {names[c]}: {float(xyz[r, c])!r} is out of range for an IMU after "
            f"conversion to SI (|value| > {limit:g}); not sensor data",
        )


def check_times(path: Path, t_us: IntArray, lines: IntArray, what: str) -> None:
    """Times must strictly increase (by at least 1 µs) and be within any sensor clock."""
    if np.abs(t_us).max(initial=0) > MAX_ABS_TIME_S * 1e6:
        r = int(np.argmax(np.abs(t_us) > MAX_ABS_TIME_S * 1e6))
        raise fail(path, int(lines[r]), f"{what} is out of range")
    back = np.diff(t_us) <= 0
    if back.any():
        r = int(np.argmax(back)) + 1
        how = "repeats" if t_us[r] == t_us[r - 1] else "goes backwards"
        raise fail(
            path,
            int(lines[r]),
            f"{what} {how} (previous row: line {int(lines[r - 1])}); times must increase",
        )


def header_index(names: Sequence[str], wanted: Sequence[str]) -> list[int] | None:
    """Positions of ``wanted`` in ``names`` (already normalised), or None if one is absent."""
    try:
        return [list(names).index(w) for w in wanted]
    except ValueError:
        return None


def imu_kind(names: Sequence[str], axes: Mapping[Kind, tuple[Sequence[str], float]]) -> Kind | None:
    """Which kind of ``axes`` (its three column names and scale per kind) the header
    ``names`` (already normalised) has all the columns of; None if neither."""
    for kind, (cols, _) in axes.items():
        if header_index(names, cols) is not None:
            return kind
    return None
