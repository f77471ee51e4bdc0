"""``winkmon record``: a headless recording of both sensors until Ctrl-C (or ``--seconds``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from winkmon.ble.hub import SensorHub
    from winkmon.recording import RecordingWriter
    from winkmon.virtual.source import SampleSource


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "record",
        help="record both sensors to a session file (no GUI)",
        description="Connect the sacrum and lumbar sensors and record every notification to a "
        "crash-safe session file until Ctrl-C (or --seconds). A status line shows the sample "
        "rates and the loss. Sensor addresses come from --sacrum/--lumbar, else from the "
        "athlete's profile, else from a scan (by the role each sensor advertises).",
    )
    p.add_argument("--athlete", required=True, metavar="NAME", help="who is training")
    p.add_argument("-o", "--output", required=True, metavar="SESSION", help="recording to write")
    p.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--sacrum", metavar="ADDR", help="Bluetooth address of the sacrum sensor")
    p.add_argument("--lumbar", metavar="ADDR", help="Bluetooth address of the lumbar sensor")
    p.add_argument("--rate", type=int, default=200, help="sample rate, Hz (default 200)")
    p.add_argument("--profiles", metavar="DIR", help="athlete profile directory")
    p.add_argument("--notes", default="", help="free text stored with the recording")
    p.add_argument("--overwrite", action="store_true", help="replace an existing recording")
    p.add_argument(
        "--virtual",
        action="store_true",
        help="record from two virtual sensors (simulated athlete, in-memory Bluetooth)",
    )
    p.add_argument("--mtu", type=int, default=247, help="with --virtual: the sensors' ATT MTU")
    p.add_argument("--quiet", action="store_true", help="no status line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_record(args))


def _profile_addresses(args: argparse.Namespace) -> tuple[dict[str, Any] | None, dict[Any, str]]:
    """The athlete's profile (as JSON) and the sensor addresses it remembers, if any."""
    from winkmon.profiles import ProfileStore, resolve_profiles_dir

    store = ProfileStore(resolve_profiles_dir(args.profiles))
    if not store.exists(args.athlete):
        return None, {}
    profile = store.load(args.athlete)
    return profile.to_dict(), {r: a for r, a in profile.addresses.items() if a}


def _virtual_source() -> SampleSource:
    try:
        from winkmon.virtual.sim_source import SimSource

        return SimSource()
    except ImportError:  # simulator not available: a deterministic source
        from winkmon.virtual.source import RampSource

        return RampSource()


async def _record(args: argparse.Namespace) -> int:
    from winkmon.ble.config import HubConfig
    from winkmon.ble.hub import SensorHub
    from winkmon.errors import RecordingError, WinkmonError
    from winkmon.protocol.constants import Role
    from winkmon.protocol.records import StartParams
    from winkmon.recording import RecordingWriter, output_path
    from winkmon.recording.lock import refuse_if_being_written

    if not 1 <= args.rate <= 2000:
        raise WinkmonError(f"--rate must be 1..2000 Hz, not {args.rate}")
    if not 23 <= args.mtu <= 517:
        raise WinkmonError(f"--mtu must be 23..517 (the ATT MTU range), not {args.mtu}")
    if args.seconds is not None and args.seconds <= 0:
        raise WinkmonError(f"--seconds must be positive, not {args.seconds}")
    path = output_path(args.output)
    if path.exists() and not args.overwrite:  # say so before connecting to anything
        raise RecordingError(f"{path}: already exists (choose another name or --overwrite)")
    refuse_if_being_written(path)  # never replace a recording another winkmon is writing
    profile_json, remembered = _profile_addresses(args)
    if args.virtual:
        remembered = {}  # the virtual sensors have their own addresses
    config = HubConfig(
        sacrum=args.sacrum or remembered.get(Role.SACRUM),
        lumbar=args.lumbar or remembered.get(Role.LUMBAR),
        start=StartParams(rate_hz=args.rate),
    )
    async with contextlib.AsyncExitStack() as stack:
        hub: SensorHub
        if args.virtual:
            from winkmon.virtual.rig import VirtualRigConfig, open_virtual_rig

            rig_config = VirtualRigConfig(hub=config, mtu=args.mtu)
            rig = await stack.enter_async_context(open_virtual_rig(rig_config, _virtual_source()))
            hub = rig.hub
        else:
            hub = await stack.enter_async_context(SensorHub(config))
        writer = stack.enter_context(
            RecordingWriter(
                path,
                session_start_ns=hub.session_start_ns,
                clock="envelope",
                simulated=bool(args.virtual),
                notes=args.notes,
                overwrite=args.overwrite,
            )
        )
        writer.set_athlete(profile_json if profile_json is not None else {"name": args.athlete})
        _declare_sensors(writer, hub)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C raises instead
            loop.add_signal_handler(signal.SIGINT, stop.set)
        if args.seconds is not None:
            loop.call_later(args.seconds, stop.set)
        consumer = asyncio.create_task(_consume(hub, writer, args.quiet))
        await stop.wait()
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGINT)
        await hub.close()
        await consumer
    if not args.quiet:
        sys.stderr.write("\n")
    print(f"recorded {writer.frames_written} notifications to {path}")
    for role, c in hub.all_counters().items():
        s = c.stream
        print(
            f"  {role.label}: {s.samples_received} samples, {s.samples_lost} lost "
            f"({s.loss_pct:.2f} %), {s.frames_bad} malformed, {c.link.reconnects} reconnects"
        )
    return 0


def _declare_sensors(writer: RecordingWriter, hub: SensorHub) -> None:
    for role, link in hub.links.items():
        writer.add_sensor(
            role,
            float(hub.config.start.rate_hz),
            info=link.info,
            start=hub.config.start,
            address=link.address,
        )


async def _consume(hub: SensorHub, writer: RecordingWriter, quiet: bool) -> None:
    from winkmon.ble.events import LinkState, LinkStateKind, Notification, StatusUpdate

    gap_open: set[object] = set()
    counts: dict[object, int] = {}
    last_line = time.monotonic()
    last_counts: dict[object, int] = {}
    async for event in hub.events():
        if isinstance(event, Notification):
            writer.write_frame(event.role, event.t_host_ns, event.payload)
            if event.batch is not None:
                counts[event.role] = counts.get(event.role, 0) + len(event.batch)
        elif isinstance(event, StatusUpdate):
            writer.write_status(event.role, event.t_host_ns, event.payload)
        elif isinstance(event, LinkState):
            t_s = (event.t_host_ns - hub.session_start_ns) / 1e9
            if event.state is LinkStateKind.RECONNECTING:
                gap_open.add(event.role)
                writer.mark_gap(event.role, t_s, "disconnect", event.detail)
                if not quiet:
                    sys.stderr.write(f"\n{event.role.label}: link lost, reconnecting...\n")
            elif event.state is LinkStateKind.CONNECTED and event.role in gap_open:
                gap_open.discard(event.role)
                writer.mark_gap(event.role, t_s, "reconnect", event.detail)
                _declare_sensors(writer, hub)
                if not quiet:
                    sys.stderr.write(f"\n{event.role.label}: reconnected ({event.detail})\n")
        now = time.monotonic()
        if not quiet and now - last_line >= 1.0:
            parts = []
            for role, c in hub.all_counters().items():
                rate = (counts.get(role, 0) - last_counts.get(role, 0)) / (now - last_line)
                state = "" if c.connected else " (reconnecting)"
                parts.append(f"{role.label} {rate:6.1f} Hz loss {c.loss_pct:5.2f} %{state}")
            elapsed = (event.t_host_ns - hub.session_start_ns) / 1e9
            sys.stderr.write(f"\r{elapsed:7.1f} s | " + " | ".join(parts) + "  ")
            sys.stderr.flush()
            last_line, last_counts = now, dict(counts)
