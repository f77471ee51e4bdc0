"""``winkmon demo``: the dashboard on two virtual sensors worn by a simulated athlete.

``--screenshot FILE --seconds N`` renders the window after N s of demo (simulated time, as
fast as the machine goes) and exits; ``--headless`` runs the demo without a window.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from winkmon.commands._display import display_available, offscreen_if_headless, require_display

#: --sensor-kind values (the keys of winkmon.virtual.rig.SENSOR_KINDS, kept here so that
#: ``winkmon --help`` does not import bumble).
SENSOR_KINDS = ("winkmon", "winkmon-fw")


def sensor_kind(text: str) -> str:
    """``--sensor-kind``: a firmware kind, a vendor kind, or ``SACRUM-KIND,LUMBAR-KIND``."""
    if text in SENSOR_KINDS:
        return text
    from winkmon.errors import WinkmonError
    from winkmon.virtual.kinds import parse_kinds

    try:
        parse_kinds(text)
    except WinkmonError as exc:
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} ({exc})") from None
    return text


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
        help="no window: print the reps and alerts (default 90 s)",
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
        default="winkmon",
        type=sensor_kind,
        metavar="KIND",
        help="the virtual sensors: winkmon (Python emulator, default), winkmon-fw (the C "
        "firmware core built for this machine; needs a C compiler), or an emulated vendor "
        "sensor (polar-verity, metamotion = RL, metamotion-s, movella-dot, witmotion); one kind "
        "for both or SACRUM-KIND,LUMBAR-KIND (in the window: Source > Demo on…)",
    )
    p.add_argument(
        "--record", metavar="OUT", help="with --headless: record the session to OUT.winkmon"
    )
    p.add_argument(
        "--json",
        metavar="OUT",
        help="with --headless: write the live reps and alerts as `winkmon report --json` "
        "does ('-' for stdout)",
    )
    p.add_argument(
        "--disconnect",
        metavar="ROLE@T+D",
        action="append",
        default=[],
        help="with --headless: that sensor goes out of range at T s for D s, e.g. lumbar@40+3 "
        "(repeatable)",
    )
    p.add_argument(
        "--loss",
        type=float,
        default=0.0,
        metavar="PCT",
        help="with --headless: lose this percentage of notifications at random",
    )
    p.add_argument(
        "--lsl",
        action="store_true",
        help="with --headless: publish the angle, depth and rep/alert events as Lab Streaming "
        "Layer streams",
    )
    p.add_argument(
        "--reset-clock",
        action="store_true",
        help="with --headless: the sensors' clocks restart from 0 when they reconnect",
    )
    p.set_defaults(func=run)


def parse_disconnect(text: str) -> tuple[Any, float, float]:
    """``ROLE@T+D`` -> (role, T, D); a WinkmonError naming the problem otherwise."""
    from winkmon.errors import WinkmonError
    from winkmon.protocol.constants import Role

    usage = f"--disconnect {text!r}: write ROLE@T+D, e.g. lumbar@40+3 (sacrum or lumbar)"
    role_s, at, rest = text.partition("@")
    at_s, plus, for_s = rest.partition("+")
    roles = {"sacrum": Role.SACRUM, "lumbar": Role.LUMBAR}
    if not at or not plus or role_s.strip().lower() not in roles:
        raise WinkmonError(usage)
    try:
        t, d = float(at_s), float(for_s)
    except ValueError:
        raise WinkmonError(usage) from None
    if not (0 <= t < 1e6 and 0 < d < 3600):
        raise WinkmonError(f"{usage}; T must be >= 0 and D between 0 and 3600 s")
    return roles[role_s.strip().lower()], t, d


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
    headless_only = (
        args.record or args.json or args.disconnect or args.loss or args.reset_clock or args.lsl
    )
    if headless_only and not args.headless:
        raise WinkmonError(
            "--record, --json, --disconnect, --loss, --reset-clock and --lsl go with --headless "
            "(in the dashboard: Ctrl+R records)"
        )
    if args.sensor_kind != "winkmon" and args.screenshot and not args.headless:
        raise WinkmonError(
            f"--sensor-kind {args.sensor_kind} runs with --headless or in the dashboard window, "
            "not with --screenshot"
        )
    if args.headless:
        from winkmon import demo_headless
        from winkmon.demo import DemoFaults
        from winkmon.recording import output_path

        if not 0.0 <= args.loss < 100.0:
            raise WinkmonError(f"--loss must be 0..100 %, not {args.loss:g}")
        faults = DemoFaults(
            loss=args.loss / 100.0,
            outages=tuple(parse_disconnect(t) for t in args.disconnect),
            reset_clock=args.reset_clock,
        )
        if args.json and args.json != "-" and Path(args.json).exists():
            raise WinkmonError(f"{args.json}: already exists (choose another name)")
        record = None
        if args.record:
            record = output_path(args.record)
            if record.exists():
                raise WinkmonError(f"{record}: already exists (choose another name)")
        seconds = 90.0 if args.seconds is None else args.seconds
        return int(
            demo_headless.run(
                seconds,
                args.seed,
                record=record,
                json_out=args.json,
                faults=faults,
                sensor_kind=args.sensor_kind,
                lsl=args.lsl,
            )
            or 0
        )

    from winkmon.gui.sources import SourceFactory

    factory = SourceFactory(seed=args.seed)
    factory.sensor_kind = args.sensor_kind
    if args.screenshot:
        offscreen_if_headless()
        from winkmon.gui.app import screenshot

        seconds = 60.0 if args.seconds is None else args.seconds
        path = screenshot(factory, factory.demo(), seconds, Path(args.screenshot))
        print(f"wrote {path}")
        return 0
    require_display("winkmon demo", "run `winkmon demo --headless` for the terminal demo")
    from winkmon.gui.app import run_dashboard

    return run_dashboard(factory, seconds=args.seconds)
