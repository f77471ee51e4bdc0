"""``winkmon import-csv``: raw IMU CSV files (one per sensor) into a recording."""

from __future__ import annotations

import argparse
from typing import Any

from winkmon.errors import CsvImportError


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "import-csv",
        help="turn raw IMU CSV files into a recording",
        description="Turn raw IMU CSV files (one per sensor; header time_s,ax,ay,az,gx,gy,gz "
        "with optional mx,my,mz; s, m/s^2, rad/s, µT; one clock shared by the files) into a "
        "recording that replays like a live session. Unknown columns are ignored.",
    )
    p.add_argument("--sacrum", metavar="CSV", help="the sacrum sensor's CSV file")
    p.add_argument("--lumbar", metavar="CSV", help="the lumbar sensor's CSV file")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="SESSION",
        help="the recording to write (.winkmon is added if missing)",
    )
    p.add_argument("--notes", default="", help="free text stored with the recording")
    p.add_argument("--overwrite", action="store_true", help="replace an existing recording")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from winkmon.protocol.constants import Role
    from winkmon.recording.csv_import import import_csv

    files = {
        role: path
        for role, path in ((Role.SACRUM, args.sacrum), (Role.LUMBAR, args.lumbar))
        if path
    }
    if not files:
        raise CsvImportError("give at least one of --sacrum CSV and --lumbar CSV")
    report = import_csv(files, args.output, overwrite=args.overwrite, notes=args.notes)
    for sensor in report.sensors.values():
        print(sensor.describe())
    for warning in report.warnings:
        print(f"warning: {warning}")
    print(f"wrote {report.path}")
    return 0
