"""Options shared by the archive commands (athletes, history, batch, sql)."""

from __future__ import annotations

import argparse
from typing import Any


def add_sources(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="recordings or folders of recordings (default: the library folder)",
    )
    p.add_argument(
        "--library",
        metavar="DIR",
        help="the session library (default: $WINKMON_LIBRARY, else the per-user data directory)",
    )
    p.add_argument(
        "--dataset",
        metavar="DIR",
        help="read a dataset written by winkmon batch instead of the recordings",
    )


def add_profiles(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profiles",
        metavar="DIR",
        help="profile directory (default: $WINKMON_PROFILES, else the per-user data directory)",
    )


def print_rows(columns: list[str], rows: list[tuple[Any, ...]], title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for row in rows:
        table.add_row(
            *("" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v) for v in row)
        )
    Console(highlight=False).print(table)
