"""``winkmon demo``: the dashboard on two virtual sensors worn by a simulated athlete.

``--screenshot FILE --seconds N`` renders the window after N s of demo (simulated time, as
fast as the machine goes) and exits; ``--headless`` runs the demo without a window.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from winkmon.commands._display import display_available, offscreen_if_headless

#: --sensor-kind values (the keys of winkmon.virtual.rig.SENSOR_KINDS, kept here so that
#: ``winkmon --help`` does not import bumble).
SENSOR_KINDS = ("winkmon", "winkmon-fw")


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="the live dashboard on a simulated athlete (no sensors needed)",
        description="Open the live dashboard on two virtual sensors worn by a simulated "
        "athlete doing sets of squats: the angle, reps, alerts and sounds as with real sensors.",
    )
    p.add_argument(
        "--headless",
        action="store_true",
        help="no window: print the reps and alerts (default 120 s)",
    )
    p.add_argument("--seconds", type=float, default=None, help="stop after N seconds of demo")
    p.add_argument(
        "--screenshot",
        metavar="FILE",
        help="render the window after --seconds of demo to FILE (PNG) and exit",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated athlete")
    p.add_argument(
        "--sensor-kind",
        choices=SENSOR_KINDS,
        default="winkmon",
        help="the virtual sensors' firmware: winkmon (Python emulator, default) or winkmon-fw "
        "(the C firmware core built for this machine; needs a C compiler; with --headless)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from winkmon.errors import WinkmonError

    if args.seconds is not None and args.seconds <= 0:
        raise WinkmonError("--seconds must be positive")
    if not args.headless and not args.screenshot and not display_available():
        print(
            "winkmon demo: no display found (no DISPLAY or WAYLAND_DISPLAY): running the demo "
            "on the terminal instead; use --screenshot FILE to render the window",
            file=sys.stderr,
        )
        args.headless = True
    if args.sensor_kind != "winkmon" and not args.headless:
        raise WinkmonError(f"--sensor-kind {args.sensor_kind} runs with --headless only (for now)")
    if args.headless:
        from winkmon import demo_headless

        seconds = 120.0 if args.seconds is None else args.seconds
        return int(demo_headless.run(seconds, args.seed, args.sensor_kind) or 0)

    from winkmon.gui.sources import SourceFactory

    factory = SourceFactory(seed=args.seed)
    if args.screenshot:
        offscreen_if_headless()
        from winkmon.gui.app import screenshot

        seconds = 60.0 if args.seconds is None else args.seconds
        path = screenshot(factory, factory.demo(), seconds, Path(args.screenshot))
        print(f"wrote {path}")
        return 0
    from winkmon.gui.app import run_dashboard

    return run_dashboard(factory, seconds=args.seconds)
