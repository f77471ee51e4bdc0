"""``winkmon sql``: ad-hoc SQL (DuckDB) over a dataset written by ``winkmon batch``."""

from __future__ import annotations

import argparse
from typing import Any

from winkmon.commands._archive_args import print_rows


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "sql",
        help="SQL over a batch dataset (DuckDB)",
        description="Run SQL over a dataset written by winkmon batch. Two views: reps (one row "
        "per rep) and sessions (one row per session), both with athlete and date columns. "
        "Example: SELECT athlete, count(*) FILTER (WHERE verdict = 'flexion') AS winks FROM "
        "reps GROUP BY athlete",
    )
    p.add_argument("query", metavar="SQL")
    p.add_argument("--dataset", required=True, metavar="DIR", help="the dataset folder")
    p.add_argument("--csv", metavar="OUT", help="write the result as CSV ('-' for stdout)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import csv
    import sys
    from pathlib import Path

    from winkmon.archive.query import connect_dataset, sql
    from winkmon.errors import WinkmonError

    cols, rows = sql(connect_dataset(Path(args.dataset)), args.query)
    if args.csv == "-":
        w = csv.writer(sys.stdout)
        w.writerow(cols)
        w.writerows(rows)
        return 0
    if args.csv:
        try:
            with Path(args.csv).open("w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(cols)
                w.writerows(rows)
        except OSError as exc:
            raise WinkmonError(f"cannot write {exc.filename}: {exc.strerror}") from None
        return 0
    print_rows(cols, rows)
    return 0
