"""``winkmon scan``: the sensors in range of every kind winkmon knows, with kind, role, RSSI
and (optionally) battery."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from winkmon.ble.scan import FoundDevice


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "scan",
        help="list the sensors in range (winkmon, Polar Verity, MetaMotion, DOT, WitMotion)",
        description="Scan for every kind of sensor winkmon can use and show name, address, "
        "kind, role (winkmon sensors advertise it), RSSI and, with --battery, the battery level "
        "(that needs a short connection to each sensor, one at a time).",
    )
    p.add_argument("--timeout", type=float, default=5.0, help="scan duration, s (default 5)")
    p.add_argument("--battery", action="store_true", help="connect to read each battery level")
    p.add_argument(
        "--virtual",
        action="store_true",
        help="scan in-process virtual sensors instead (two winkmon sensors and one emulated "
        "sensor of each other kind)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    found = asyncio.run(_scan(args))
    if not found:
        print("no sensors found (are they awake and in range?)")
        return 1
    print(f"{'name':<22} {'address':<18} {'kind':<13} {'role':<8} {'RSSI':>5} {'battery':>8}")
    for f, battery_pct in found:
        role = f.role.label if f.role is not None else "-"
        battery = f"{battery_pct} %" if battery_pct is not None else "-"
        print(f"{f.name:<22} {f.address:<18} {f.kind:<13} {role:<8} {f.rssi:>5} {battery:>8}")
    if not args.battery:
        print("(battery: add --battery; reading it connects to each sensor)")
    return 0


async def _scan(args: argparse.Namespace) -> list[tuple[FoundDevice, int | None]]:
    from winkmon.ble.scan import discover_devices, read_device_battery

    if not args.virtual:
        found = await discover_devices(args.timeout)
        if args.battery:
            return [(f, await read_device_battery(f)) for f in found]
        return [(f, None) for f in found]
    from winkmon.drivers import KINDS, WINKMON_KIND
    from winkmon.protocol.constants import Role
    from winkmon.virtual.kinds import emulator_entry
    from winkmon.virtual.radio import VirtualRadio
    from winkmon.virtual.rig import VirtualRigConfig, start_virtual_sensors
    from winkmon.virtual.source import RampSource
    from winkmon.virtual.vendor import EmulatorConfig

    radio = VirtualRadio()
    try:
        source = RampSource()
        await start_virtual_sensors(radio, source, VirtualRigConfig())
        for k, kind in enumerate(sorted(set(KINDS) - {WINKMON_KIND})):
            opts = EmulatorConfig(address=f"E0:5E:BB:00:00:{k + 1:02X}", seed=k)
            await emulator_entry(kind).start(radio, source, Role.SACRUM, opts)
        backends = await radio.bleak_backends()
        found = await discover_devices(min(args.timeout, 1.0), scanner_backend=backends.scanner)
        if args.battery:
            return [
                (f, await read_device_battery(f, client_backend=backends.client)) for f in found
            ]
        return [(f, None) for f in found]
    finally:
        await radio.close()
