"""``winkmon replay SESSION``: the dashboard on a recording (play, pause, speed, seek)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from winkmon.commands._display import offscreen_if_headless, require_display


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "replay",
        help="replay a recording in the dashboard",
        description="Open a recording in the dashboard: the same views as live, with play/pause, "
        "speed 0.25x-8x and a timeline of reps and alerts to seek on. The recording goes "
        "through the same pipeline as live data.",
    )
    p.add_argument("session", metavar="SESSION", help="the recording (.winkmon)")
    p.add_argument(
        "--athlete",
        metavar="NAME",
        help="whose profile to use (default: the one "
        "stored in the recording, else a calibration from the recording itself)",
    )
    p.add_argument("--profiles", metavar="DIR", help="athlete profile directory")
    p.add_argument("--screenshot", metavar="FILE", help="render after --seconds and exit")
    p.add_argument("--seconds", type=float, default=30.0, help="with --screenshot: position, s")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from winkmon.gui.sources import SourceFactory

    profiles = Path(args.profiles) if args.profiles else None
    factory = SourceFactory(profiles_dir=profiles, athlete=args.athlete)
    source = factory.replay(Path(args.session))  # analyses first: errors before any window
    if args.screenshot:
        offscreen_if_headless()
        from winkmon.gui.app import screenshot

        path = screenshot(factory, source, args.seconds, Path(args.screenshot))
        print(f"wrote {path}")
        return 0
    require_display("winkmon replay", "use --screenshot FILE --seconds N")
    from winkmon.gui.app import run_dashboard

    return run_dashboard(factory, source)
