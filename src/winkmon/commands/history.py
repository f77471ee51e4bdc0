"""``winkmon history``: an athlete's sessions over time (reps, wink rate, wink-free depth)."""

from __future__ import annotations

import argparse
from typing import Any

from winkmon.commands._archive_args import add_profiles, add_sources, print_rows


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "history",
        help="an athlete's sessions over time",
        description="Per session of one athlete: reps, wink rate, wink-free depth, the depth "
        "at which the wink starts, and the set-up angle, oldest first. Sessions come from the "
        "library folder (or the given paths; each recording is analysed), or from a dataset "
        "written by winkmon batch (--dataset: nothing is analysed again).",
    )
    p.add_argument("--athlete", required=True, metavar="NAME", help="whose history")
    add_sources(p)
    add_profiles(p)
    p.add_argument("--html", metavar="OUT", help="write the history with trend plots as HTML")
    p.add_argument("--json", metavar="OUT", help="write the rows as JSON ('-' for stdout)")
    p.set_defaults(func=run)


def _rows(args: argparse.Namespace) -> list[Any]:
    from pathlib import Path

    from winkmon.archive import query
    from winkmon.archive.batch import analyse_in_memory, refs_for
    from winkmon.archive.dataset import tables
    from winkmon.archive.library import resolve_library_dir, same_athlete
    from winkmon.errors import WinkmonError
    from winkmon.profiles import resolve_profiles_dir

    if args.dataset:
        return query.history(query.connect_dataset(Path(args.dataset)), args.athlete)
    if args.paths:
        refs = refs_for(args.paths)
    else:
        lib = resolve_library_dir(args.library)
        if not lib.is_dir():
            raise WinkmonError(
                f"no session library at {lib}: give --library DIR, recordings, or --dataset DIR"
            )
        refs = refs_for([lib])
    mine = [r for r in refs if same_athlete(r.athlete, args.athlete)]
    if not mine:
        raise WinkmonError(f"no sessions of {args.athlete!r} found")
    reps, sessions = tables(analyse_in_memory(mine, resolve_profiles_dir(args.profiles)))
    return query.history(query.connect_tables(reps, sessions), args.athlete)


def run(args: argparse.Namespace) -> int:
    import dataclasses
    import json
    from pathlib import Path

    from winkmon import __version__
    from winkmon.errors import WinkmonError

    rows = _rows(args)
    try:
        if args.html:
            from winkmon.reports.history_html import render_history

            Path(args.html).write_text(
                render_history(rows[0].athlete, rows, __version__), encoding="utf-8"
            )
        if args.json:
            text = json.dumps([dataclasses.asdict(r) for r in rows], indent=2)
            if args.json == "-":
                print(text)
                return 0
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise WinkmonError(f"cannot write {exc.filename}: {exc.strerror}") from None
    table = [
        (
            r.date,
            r.reps,
            r.winks,
            None if r.wink_rate is None else f"{100 * r.wink_rate:.0f} %",
            None if r.wink_free_depth_cm is None else f"{r.wink_free_depth_cm:.0f}",
            None if r.onset_depth_cm is None else f"{r.onset_depth_cm:.0f}",
            None if r.set_angle_deg is None else f"{r.set_angle_deg:+.1f}",
            r.calibration,
            Path(r.session).name,
        )
        for r in rows
    ]
    cols = ["date", "reps", "winks", "wink rate", "wink-free cm", "wink from cm", "set deg"]
    print_rows([*cols, "calibration", "session"], table, title=f"{rows[0].athlete}: history")
    return 0
