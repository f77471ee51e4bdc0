"""The ``winkmon`` command line.

Each subcommand lives in its own module under :mod:`winkmon.commands` and exposes
``register(subparsers)``; the module is found automatically, so adding a command never touches
this file. Heavy imports happen inside each command's ``run``, so ``winkmon --help`` is quick.

User mistakes (a missing file, a bad CSV, an unknown athlete) raise a
:class:`~winkmon.errors.WinkmonError`; it is printed on one line as ``winkmon: error: ...`` and
the exit status is 2. Ctrl-C exits with status 130 after the command has cleaned up.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

from winkmon import __version__, commands
from winkmon.errors import WinkmonError

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="winkmon",
        description="Catch butt wink while it happens: two IMUs, the lumbopelvic angle, squat "
        "reps and alerts, live or from recordings.",
    )
    parser.add_argument("--version", action="version", version=f"winkmon {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = sorted(m.name for m in pkgutil.iter_modules(commands.__path__))
    for name in modules:
        if name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:  # bleak's own warnings (e.g. no bluetoothctl) would double our one line
        logging.getLogger("bleak").setLevel(logging.ERROR)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except WinkmonError as exc:
        print(f"winkmon: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("winkmon: interrupted", file=sys.stderr)
        return 130


def run() -> NoReturn:
    """The ``winkmon`` console script (and ``python -m winkmon``): :func:`main`, then exit.

    By then everything is written and closed, and what is left is the interpreter's shutdown,
    whose garbage collections walk every object still alive: 0.05-0.08 s after a report of an
    hour. Frozen objects are left out of them (their memory goes with the process; Python
    does not promise ``__del__`` at exit anyway)."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
