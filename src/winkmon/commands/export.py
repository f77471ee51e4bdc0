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
    from winkmon.recording import Recording, load_samples
    from winkmon.recording.export import export_csv, export_parquet

    if not args.csv and not args.parquet:
        raise WinkmonError("nothing to do: give --csv DIR and/or --parquet DIR")
    with Recording.open(args.session, partial_ok=args.partial) as rec:
        replay = load_samples(rec)
    for warning in replay.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not replay.samples:
        raise WinkmonError(f"{rec.path}: the recording holds no samples to export")
    written = []
    if args.csv:
        written += export_csv(replay, args.csv, overwrite=args.overwrite)
    if args.parquet:
        written += export_parquet(replay, args.parquet, overwrite=args.overwrite)
    for path in written:
        print(f"wrote {path}")
    return 0
