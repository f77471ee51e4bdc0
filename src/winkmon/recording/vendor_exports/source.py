"""What the CSV importer reads: a path to winkmon's own CSV, or an already parsed source.

A vendor export is parsed (and, where the vendor writes accelerometer and gyroscope into two
files, joined) into one :class:`~winkmon.recording.csv_format.ImuTable` before the import
starts; :class:`VendorSource` hands that table to the importer block by block, through the very
interface (:class:`ImuBlockSource`) the importer uses for its own CSV files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from winkmon.recording.csv_format import ImuTable


@runtime_checkable
class ImuBlockSource(Protocol):
    """One sensor's samples, checked, in SI units, on a clock shared with the other sensor."""

    @property
    def path(self) -> Path:
        """The file named in messages and in the recording's source (the first input file)."""
        ...

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every file the samples come from."""
        ...

    def iter_blocks(self, block_rows: int) -> Iterator[ImuTable]:
        """Consecutive tables of at most ``block_rows`` rows, in time order."""
        ...


@dataclass(frozen=True, slots=True, eq=False)
class VendorSource:
    """A vendor export of one sensor, parsed and converted to SI units.

    ``format_label`` names the vendor format for people ("Polar Sensor Logger ACC + GYRO");
    ``warnings`` are one-line notes on what the conversion did (rows dropped in the join,
    times spread, a clock that is not shared) for the caller to show.
    """

    table: ImuTable
    paths: tuple[Path, ...]
    format_label: str
    warnings: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        return self.paths[0]

    def iter_blocks(self, block_rows: int) -> Iterator[ImuTable]:
        if block_rows < 1:
            raise ValueError("block_rows must be at least 1")
        t = self.table
        for s in range(0, len(t), block_rows):
            yield t.rows(s, s + block_rows)
