"""``winkmon batch``: analyse every recording into a Parquet dataset (parallel, incremental)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from winkmon.commands._archive_args import add_profiles


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "batch",
        help="analyse many recordings into a Parquet dataset",
        description="Analyse every recording under the given folders in parallel and write "
        "one row per rep (and per session) into a Parquet dataset partitioned by athlete and "
        "date (OUT/reps/athlete=NAME/date=YYYY-MM-DD/...). Re-running skips recordings "
        "already analysed with the same winkmon version and athlete profile. Query the "
        "dataset with winkmon sql or winkmon history --dataset, or read it with Spark, Dask, "
        "DuckDB or pyarrow as it is.",
    )
    p.add_argument("paths", nargs="+", metavar="DIR", help="folders of recordings, or recordings")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="the dataset folder")
    add_profiles(p)
    p.add_argument(
        "-j",
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="local worker processes (default: one per core)",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on an existing Dask cluster (scheduler address, e.g. tcp://host:8786); its "
        "workers must see the recordings and OUT at the same paths",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from winkmon.archive.batch import Outcome, run_batch
    from winkmon.errors import WinkmonError
    from winkmon.profiles import resolve_profiles_dir

    if args.workers < 1:
        raise WinkmonError("--workers must be at least 1")
    out = Path(args.output)
    with Progress(
        TextColumn("analysing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("recordings", total=None)

        def planned(todo: int, skipped: int) -> None:
            bar.update(task, total=todo)

        def done(o: Outcome) -> None:
            bar.advance(task, 1)

        result = run_batch(
            args.paths,
            out,
            profiles_dir=resolve_profiles_dir(args.profiles),
            workers=args.workers,
            dask=args.dask,
            progress=done,
            on_plan=planned,
        )
    ok = [o for o in result.analysed if o.error is None]
    print(
        f"{len(ok)} recordings analysed ({result.reps} reps), {len(result.skipped)} unchanged "
        f"and skipped, {len(result.failed)} failed; dataset: {out}"
    )
    for o in result.failed:
        print(f"winkmon: warning: {o.path}: {o.error}", file=sys.stderr)
    return 1 if result.failed and not ok else 0
