"""``winkmon athletes``: the athletes in the session library (or a dataset) and their sessions."""

from __future__ import annotations

import argparse
from typing import Any

from winkmon.commands._archive_args import add_sources, print_rows


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "athletes",
        help="list the athletes and their sessions",
        description="List the athletes whose sessions are in the library folder (or the given "
        "folders, or a dataset written by winkmon batch), with their sessions. A session's "
        "athlete is the name stored in the recording, else the folder it sits in "
        "(LIBRARY/NAME/...).",
    )
    add_sources(p)
    p.add_argument("-l", "--long", action="store_true", help="list every session")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from winkmon.archive.library import resolve_library_dir, scan
    from winkmon.errors import WinkmonError

    if args.dataset:
        from winkmon.archive.query import athletes, connect_dataset

        con = connect_dataset(Path(args.dataset))
        print_rows(["athlete", "sessions", "reps", "first", "last"], list(athletes(con)))
        return 0
    if args.paths:
        refs = [r for p in args.paths for r in scan([p], Path(p) if Path(p).is_dir() else None)]
    else:
        lib = resolve_library_dir(args.library)
        if not lib.is_dir():
            raise WinkmonError(
                f"no session library at {lib}: give --library DIR or set $WINKMON_LIBRARY"
            )
        refs = scan([lib], lib)
    by: dict[str, list[Any]] = {}
    for r in refs:
        by.setdefault(r.athlete or "(unassigned)", []).append(r)
    if not by:
        print("no recordings found")
        return 0
    rows = []
    for name in sorted(by, key=str.lower):
        sessions = sorted(by[name], key=lambda r: r.recorded_utc)
        rows.append(
            (name, len(sessions), sessions[0].recorded_utc[:10], sessions[-1].recorded_utc[:10])
        )
    print_rows(["athlete", "sessions", "first", "last"], rows)
    if args.long:
        for name in sorted(by, key=str.lower):
            print(f"{name}:")
            for r in sorted(by[name], key=lambda r: r.recorded_utc):
                print(f"  {r.recorded_utc[:16]}  {r.path}")
    return 0
