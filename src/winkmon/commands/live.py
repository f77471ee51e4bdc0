"""``winkmon live``: the dashboard on the athlete's own sensors."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "live",
        help="the live dashboard on the athlete's own sensors",
        description="Connect the athlete's sacrum and lumbar sensors (addresses from their "
        "profile, else found by the role they advertise) and open the dashboard: the angle, "
        "reps, alerts and sounds during the set. Record with the Record button (Ctrl+R).",
    )
    p.add_argument("--athlete", required=True, metavar="NAME", help="whose profile to use")
    p.add_argument("--profiles", metavar="DIR", help="athlete profile directory")
    p.add_argument(
        "--lsl",
        action="store_true",
        help="also publish the angle, depth and rep/alert events as Lab Streaming Layer streams",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from winkmon.commands._display import require_display
    from winkmon.gui.sources import SourceFactory
    from winkmon.profiles import ProfileStore, resolve_profiles_dir

    profiles = Path(args.profiles) if args.profiles else None
    ProfileStore(resolve_profiles_dir(profiles)).load(args.athlete)  # a clear error up front
    require_display("winkmon live")
    # No Bluetooth at all (no BlueZ, no adapter): say so here, in one line, rather than open a
    # window that can only ever show "No signal".
    from winkmon.ble.scan import check_bluetooth

    asyncio.run(check_bluetooth())
    factory = SourceFactory(profiles_dir=profiles, athlete=args.athlete)
    factory.lsl = args.lsl
    from winkmon.gui.app import run_dashboard

    return run_dashboard(factory, live=True)
