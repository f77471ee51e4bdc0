"""``winkmon scan``: the winkmon sensors in range, with role, RSSI and (optionally) battery."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from winkmon.ble.scan import FoundSensor


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "scan",
        help="list the winkmon sensors in range",
        description="Scan for sensors advertising the winkmon service and show name, address, "
        "role (from the advertised name), RSSI and, with --battery, the battery level (that "
        "needs a short connection to each sensor, one at a time).",
    )
    p.add_argument("--timeout", type=float, default=5.0, help="scan duration, s (default 5)")
    p.add_argument("--battery", action="store_true", help="connect to read each battery level")
    p.add_argument(
        "--virtual", action="store_true", help="scan two in-process virtual sensors instead"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    found = asyncio.run(_scan(args))
    if not found:
        print("no winkmon sensors found (are they awake and in range?)")
        return 1
    print(f"{'name':<16} {'address':<18} {'role':<11} {'RSSI':>5} {'battery':>8}")
    for f in found:
        role = f.role.label if f.role is not None else "?"
        battery = f"{f.battery_pct} %" if f.battery_pct is not None else "-"
        print(f"{f.name:<16} {f.address:<18} {role:<11} {f.rssi:>5} {battery:>8}")
    if not args.battery:
        print("(battery: add --battery; reading it connects to each sensor)")
    return 0


async def _scan(args: argparse.Namespace) -> list[FoundSensor]:
    from winkmon.ble.scan import discover_sensors, read_battery

    if not args.virtual:
        found = await discover_sensors(args.timeout)
        if args.battery:
            found = [await read_battery(f) for f in found]
        return found
    from winkmon.virtual.radio import VirtualRadio
    from winkmon.virtual.rig import VirtualRigConfig, start_virtual_sensors
    from winkmon.virtual.source import RampSource

    radio = VirtualRadio()
    try:
        await start_virtual_sensors(radio, RampSource(), VirtualRigConfig())
        backends = await radio.bleak_backends()
        found = await discover_sensors(min(args.timeout, 1.0), scanner_backend=backends.scanner)
        if args.battery:
            found = [await read_battery(f, client_backend=backends.client) for f in found]
        return found
    finally:
        await radio.close()
