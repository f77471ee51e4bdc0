"""Which format a file is in, from its header (and the vendor's file naming for pairs).

:func:`detect` looks at one file; :func:`open_sensor` takes the one or two files given for a
sensor and returns what :func:`~winkmon.recording.csv_import.import_csv` reads: the path
itself for winkmon's own CSV (the default, read exactly as before), or a parsed
:class:`~.source.VendorSource`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from winkmon.errors import CsvImportError
from winkmon.recording.vendor_exports import metabase, movella_dot, polar_sensor_logger, witmotion
from winkmon.recording.vendor_exports._common import (
    KIND_NAME,
    Kind,
    fail,
    read_head_lines,
    read_lines,
)
from winkmon.recording.vendor_exports.join import join_acc_gyr
from winkmon.recording.vendor_exports.source import VendorSource

WINKMON = "winkmon CSV"
PAIRED = {polar_sensor_logger.NAME: polar_sensor_logger, metabase.NAME: metabase}


@dataclass(frozen=True, slots=True)
class Detected:
    """A file's format: ``vendor`` (:data:`WINKMON` or a vendor module's ``NAME``) and, for
    vendors writing one file per quantity, ``kind`` ("acc" or "gyr")."""

    path: Path
    vendor: str
    kind: str = ""

    def describe(self) -> str:
        what = f" {KIND_NAME[self.kind]}" if self.kind else ""
        return f"{self.path.name}: {self.vendor}{what}"


def _as_kind(kind: str) -> Kind:
    if kind == "acc":
        return "acc"
    if kind == "gyr":
        return "gyr"
    raise ValueError(f"not a quantity: {kind!r}")


def _is_winkmon(first_line: str) -> bool:
    names = {c.strip().lower() for c in first_line.split(",")}
    return {"time_s", "ax", "ay", "az", "gx", "gy", "gz"} <= names


def detect(path: str | Path, lines: list[str] | None = None) -> Detected:
    """The format of ``path`` from its header; CsvImportError if none fits."""
    p = Path(path)
    if lines is None:
        lines = read_head_lines(p)
    first = next((i for i, t in enumerate(lines) if t.strip()), None)
    if first is None:
        raise fail(p, 1, "empty file (no header row)")
    head = lines[first]
    if _is_winkmon(head):
        return Detected(p, WINKMON)
    for name, module in PAIRED.items():
        kind = module.sniff(head)
        if kind in ("acc", "gyr"):
            return Detected(p, name, str(kind))
        if kind is not None:
            raise fail(p, first + 1, f"{kind}; pass its ACC and GYRO files")
    if movella_dot.sniff(lines):
        return Detected(p, movella_dot.NAME)
    if witmotion.sniff(lines):
        return Detected(p, witmotion.NAME)
    shown = head.strip()
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    raise fail(
        p,
        first + 1,
        f"unknown format (header {shown!r}): expected winkmon's CSV (time_s,ax,ay,az,gx,gy,gz) "
        "or an export of Polar Sensor Logger, MetaBase, Movella DOT or WitMotion",
    )


def open_sensor(files: Sequence[str | Path]) -> tuple[Path | VendorSource, list[Detected]]:
    """What the importer reads for one sensor given as one or two files, and the detections.

    One file: winkmon CSV (returned as its path, read by the importer as before), a Movella
    DOT or a WitMotion export. Two files: the accelerometer and gyroscope files of one
    Polar Sensor Logger or MetaBase recording, in either order.
    """
    paths = [Path(f) for f in files]
    if not 1 <= len(paths) <= 2:
        raise CsvImportError(
            f"give one file per sensor, or two (accelerometer and gyroscope), not {len(paths)}"
        )
    # The format from each file's first lines; a vendor export is then read whole (a winkmon
    # CSV is left to the importer, which reads it a block at a time).
    found = [detect(p, read_head_lines(p)) for p in paths]
    vendors = {d.vendor for d in found}
    if len(paths) == 1:
        d = found[0]
        if d.vendor == WINKMON:
            return paths[0], found
        if d.vendor in PAIRED:
            module = PAIRED[d.vendor]
            other = "gyr" if d.kind == "acc" else "acc"
            partner = module.partner_name(d.path, _as_kind(d.kind))
            hint = (
                f"{partner.name} is next to it: pass both"
                if partner.exists()
                else f"pass its {KIND_NAME[other]} file too (e.g. {partner.name})"
            )
            raise fail(
                d.path,
                None,
                f"{d.vendor} writes the {KIND_NAME[d.kind]} alone; this file has no matching "
                f"{KIND_NAME[other]} file: {hint}",
            )
        lines = read_lines(d.path)
        if d.vendor == movella_dot.NAME:
            table, mode, found_notes = movella_dot.read_table(d.path, lines)
            label = f"{movella_dot.NAME} ({mode})"
        else:
            table, time_col, found_notes = witmotion.read_table(d.path, lines)
            label = f"{witmotion.NAME} (times from {time_col})"
        return VendorSource(table, (d.path,), label, tuple(found_notes)), found
    if len(vendors) != 1 or next(iter(vendors)) not in PAIRED:
        shown = "; ".join(d.describe() for d in found)
        raise CsvImportError(
            f"two files for one sensor must be the accelerometer and gyroscope files of one "
            f"Polar Sensor Logger or MetaBase recording; got {shown}"
        )
    kinds = {d.kind for d in found}
    if kinds != {"acc", "gyr"}:
        kind = KIND_NAME[found[0].kind]
        raise CsvImportError(
            f"{paths[0]} and {paths[1]} are both {kind} files; pass one accelerometer and one "
            "gyroscope file"
        )
    vendor = found[0].vendor
    order = sorted(range(2), key=lambda i: found[i].kind)  # "acc" before "gyr"
    notes: list[str] = []
    streams = []
    for i in order:
        if vendor == metabase.NAME:
            stream, spread = metabase.read_stream(
                paths[i], read_lines(paths[i]), _as_kind(found[i].kind)
            )
            if spread:
                notes.append(
                    f"{paths[i].name}: {spread} row(s) shared a time with their neighbours "
                    "(packed samples); their times were spread evenly to the next time"
                )
        else:
            stream = polar_sensor_logger.read_stream(
                paths[i], read_lines(paths[i]), _as_kind(found[i].kind)
            )
        streams.append(stream)
    table, join_notes = join_acc_gyr(streams[0], streams[1])
    label = f"{vendor} accelerometer + gyroscope"
    ordered = (paths[order[0]], paths[order[1]])
    return VendorSource(table, ordered, label, tuple(notes + join_notes)), found
