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
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

from winkmon import commands
from winkmon.errors import WinkmonError

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="winkmon",
        description="Catch butt wink while it happens: two IMUs, the lumbopelvic angle, squat "
        "reps and alerts, live or from recordings.",
    )
    parser.add_argument(
        "--version", action=_Version, nargs=0, help="show the version number and exit"
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = sorted(m.name for m in pkgutil.iter_modules(commands.__path__))
    for name in modules:
        if name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{name}")
        module.register(sub)
    return parser


class _Version(argparse.Action):
    """``--version``, looked up only when asked for (see :mod:`winkmon`)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        import winkmon

        print(f"winkmon {winkmon.__version__}")
        parser.exit()


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
