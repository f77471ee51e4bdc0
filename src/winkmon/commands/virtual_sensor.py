"""``winkmon virtual-sensor``: a virtual sensor on a real Bluetooth controller (bumble).

See ``docs/virtual-sensor.md``: the controller (a USB dongle, a serial HCI UART, ...) is
driven by bumble directly, so the host OS must not use it at the same time.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
from typing import Any

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "virtual-sensor",
        help="run a virtual sensor on a Bluetooth dongle (for testing the app)",
        description="Run a virtual winkmon sensor (the protocol of firmware_protocol/"
        "PROTOCOL.md, samples from the squat simulator) on a Bluetooth controller that bumble "
        "drives through a transport, e.g. usb:0 or serial:/dev/ttyACM0. Another computer (or "
        "this one, with a second adapter) can then scan, connect and record it.",
    )
    p.add_argument("--role", default="sacrum", help="sacrum, lumbar or unassigned")
    p.add_argument("--transport", default="usb:0", help="bumble transport (default usb:0)")
    p.add_argument("--serial", default=None, help="serial number (default from the role)")
    p.add_argument("--address", default=None, help="static random address to advertise")
    p.add_argument("--mtu", type=int, default=247, help="largest ATT MTU accepted")
    p.add_argument("--protocol-version", type=int, default=None, help="INFO version (test refusal)")
    p.add_argument("--drop", type=float, default=0.0, help="probability to drop a notification")
    p.add_argument("--ramp", action="store_true", help="deterministic ramp instead of the sim")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    import asyncio

    from bumble.device import Device
    from bumble.hci import Address
    from bumble.transport import open_transport

    from winkmon.errors import BleError
    from winkmon.protocol.constants import PROTOCOL_VERSION, Role
    from winkmon.virtual.sensor import FaultConfig, VirtualSensor, VirtualSensorConfig
    from winkmon.virtual.source import RampSource, SampleSource

    try:
        role = Role.parse(args.role)
    except ValueError as exc:
        raise BleError(str(exc)) from None
    serial = args.serial or f"VS{int(role):02d}{'1A2B' if role is Role.SACRUM else '3C4D'}"
    address = args.address or f"D0:5E:AA:00:00:{int(role):02X}"
    config = VirtualSensorConfig(
        role=role,
        serial=serial,
        address=address,
        protocol_version=args.protocol_version or PROTOCOL_VERSION,
        max_mtu=args.mtu,
        legacy_advertising=True,  # name in the scan response: works with every scanner
    )
    source: SampleSource = RampSource()
    if not args.ramp:
        with contextlib.suppress(ImportError):
            from winkmon.virtual.sim_source import SimSource

            source = SimSource()
    try:
        transport = await open_transport(args.transport)
    except Exception as exc:
        raise BleError(f"cannot open Bluetooth transport {args.transport!r}: {exc}") from exc
    async with transport:
        device = Device.with_hci(config.name, Address(address), transport.source, transport.sink)
        sensor = VirtualSensor(device, source, config, FaultConfig(drop_probability=args.drop))
        await sensor.start()
        print(f"{sensor.name} ({address}) advertising on {args.transport}; Ctrl-C to stop")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGINT, stop.set)
        await stop.wait()
        await sensor.close()
    return 0
