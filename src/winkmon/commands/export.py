"""``winkmon export``: a recording's decoded samples as CSV and/or Parquet."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from winkmon.errors import WinkmonError


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="write a recording's samples as CSV or Parquet",
        description="Decode a recording and write one file per sensor (sacrum.csv, "
        "lumbar.csv, ...) in the import-csv format, time_s on the session clock; importing "
        "them again gives the same samples.",
    )
    p.add_argument("session", metavar="SESSION", help="the recording (.winkmon)")
    p.add_argument("--csv", metavar="DIR", help="write <role>.csv files into DIR")
    p.add_argument(
        "--parquet", metavar="DIR", help="write <role>.parquet files into DIR (needs pyarrow)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    p.add_argument(
        "--partial",
        action="store_true",
        help="export what can be read from a damaged recording instead of refusing",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from winkmon.recording import Recording
    from winkmon.recording.export import export_recording

    if not args.csv and not args.parquet:
        raise WinkmonError("nothing to do: give --csv DIR and/or --parquet DIR")
    with Recording.open(args.session, partial_ok=args.partial) as rec:
        result = export_recording(
            rec, csv_dir=args.csv, parquet_dir=args.parquet, overwrite=args.overwrite
        )
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for path in result.written:
        print(f"wrote {path}")
    return 0
