"""``winkmon import-csv``: raw IMU CSV files or vendor app exports (per sensor) into a recording."""

from __future__ import annotations

import argparse
from typing import Any

from winkmon.errors import CsvImportError


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "import-csv",
        help="turn raw IMU CSV files (or vendor app exports) into a recording",
        description="Turn raw IMU CSV files (one per sensor; header time_s,ax,ay,az,gx,gy,gz "
        "with optional mx,my,mz; s, m/s^2, rad/s, µT; one clock shared by the files) into a "
        "recording that replays like a live session. Unknown columns are ignored. A sensor "
        "can also be given as a vendor app's export, detected from its header: Movella DOT "
        "(one CSV with Acc_* and Gyr_*), WitMotion (one .txt/.csv), or the accelerometer and "
        "gyroscope files of Polar Sensor Logger (X_ACC.txt X_GYRO.txt) or MetaBase "
        "(…_Accelerometer.csv …_Gyroscope.csv), e.g. "
        "--sacrum A_ACC.txt A_GYRO.txt --lumbar B_ACC.txt B_GYRO.txt. The detected format of "
        "each file is printed.",
    )
    p.add_argument(
        "--sacrum",
        nargs="+",
        metavar="FILE",
        help="the sacrum sensor's CSV file, or its vendor export (one or two files)",
    )
    p.add_argument(
        "--lumbar",
        nargs="+",
        metavar="FILE",
        help="the lumbar sensor's CSV file, or its vendor export (one or two files)",
    )
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
    from winkmon.recording.vendor_exports import VendorSource, open_sensor

    given = [
        (role, paths)
        for role, paths in ((Role.SACRUM, args.sacrum), (Role.LUMBAR, args.lumbar))
        if paths
    ]
    if not given:
        raise CsvImportError("give at least one of --sacrum CSV and --lumbar CSV")
    files = {}
    notes: list[str] = []
    for role, paths in given:
        source, found = open_sensor(paths)
        for d in found:
            print(f"{role.label}: {d.describe()}")
        if isinstance(source, VendorSource):
            notes.extend(source.warnings)
        files[role] = source
    report = import_csv(files, args.output, overwrite=args.overwrite, notes=args.notes)
    for sensor in report.sensors.values():
        print(sensor.describe())
    for warning in [*notes, *report.warnings]:
        print(f"warning: {warning}")
    print(f"wrote {report.path}")
    return 0
