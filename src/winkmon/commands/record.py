"""``winkmon record``: a headless recording of both sensors until Ctrl-C (or ``--seconds``)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from winkmon.ble.hub import SensorHub
    from winkmon.protocol.constants import Role
    from winkmon.session.contract import SourceEvent
    from winkmon.session.session import Session
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
    p.add_argument(
        "--sensor-kind",
        metavar="KIND[,KIND]",
        help="the kind of sensors: winkmon, polar-verity, metamotion, movella-dot, witmotion "
        "(one for both, or sacrum,lumbar); default: the drivers in the athlete's profile, "
        "else winkmon. With --virtual: the kind emulated",
    )
    p.add_argument("--mtu", type=int, default=247, help="with --virtual: the sensors' ATT MTU")
    p.add_argument("--quiet", action="store_true", help="no status line")
    p.add_argument(
        "--lsl",
        action="store_true",
        help="also analyse with the athlete's profile and publish the angle, depth and "
        "rep/alert events as Lab Streaming Layer streams",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_record(args))


def _profile_addresses(
    args: argparse.Namespace,
) -> tuple[dict[str, Any] | None, dict[Any, str], dict[Any, str]]:
    """The athlete's profile (as JSON), the sensor addresses and the drivers (vendor kinds)
    it remembers, if any."""
    from winkmon.profiles import ProfileStore, resolve_profiles_dir

    folder = resolve_profiles_dir(args.profiles)
    store = ProfileStore(folder)
    if not store.exists(args.athlete):
        print(
            f"winkmon record: no profile for {args.athlete} in {folder}: recording anyway "
            "(sensors found by scan); calibrate from it afterwards with `winkmon calibrate "
            f"{args.output} --athlete {args.athlete}`",
            file=sys.stderr,
        )
        return None, {}, {}
    profile = store.load(args.athlete)
    drivers = {r: c.driver for r, c in profile.sensors.items() if c.driver}
    return profile.to_dict(), {r: a for r, a in profile.addresses.items() if a}, drivers


def sensor_kinds(
    sensor_kind: str | None, remembered: Mapping[Role, str], roles: tuple[Role, ...]
) -> dict[Role, str]:
    """The kind of each role's sensor: ``--sensor-kind`` (checked), else the profile's
    drivers, else winkmon (left out)."""
    from winkmon.drivers import WINKMON_KIND
    from winkmon.virtual.kinds import parse_kinds

    if sensor_kind:
        kinds = parse_kinds(sensor_kind, roles)
    else:
        kinds = {r: k for r, k in remembered.items() if r in roles}
    return {r: k for r, k in kinds.items() if k != WINKMON_KIND}


def _link_kinds(kinds: Mapping[Role, str]) -> dict[Role, str]:
    """Each role's driver kind (a model such as ``metamotion-s`` is driven as its kind)."""
    from winkmon.virtual.kinds import emulator_entry

    return {r: emulator_entry(k).link_kind for r, k in kinds.items()}


def _virtual_source() -> SampleSource:
    try:
        from winkmon.virtual.sim_source import SimSource

        return SimSource()
    except ImportError:  # simulator not available: a deterministic source
        from winkmon.virtual.source import RampSource

        return RampSource()


async def _record(args: argparse.Namespace) -> int:
    import asyncio

    from winkmon.ble.config import HubConfig
    from winkmon.ble.hub import SensorHub
    from winkmon.errors import RecordingError, WinkmonError
    from winkmon.protocol.constants import Role
    from winkmon.protocol.records import StartParams
    from winkmon.recording import RecordingWriter, output_path
    from winkmon.recording.lock import refuse_if_being_written
    from winkmon.session.recorder import SessionRecorder
    from winkmon.session.run import run_source
    from winkmon.session.session import Session

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
    profile_json, remembered, drivers = _profile_addresses(args)
    kinds = sensor_kinds(args.sensor_kind, drivers, (Role.SACRUM, Role.LUMBAR))
    if args.lsl and profile_json is None:
        raise WinkmonError(
            f"--lsl publishes the lumbopelvic angle, which needs {args.athlete}'s calibration: "
            f"calibrate first (winkmon calibrate SESSION --athlete {args.athlete}), or record "
            "without --lsl"
        )
    if args.virtual:
        remembered = {}  # the virtual sensors have their own addresses
    config = HubConfig(
        sacrum=args.sacrum or remembered.get(Role.SACRUM),
        lumbar=args.lumbar or remembered.get(Role.LUMBAR),
        start=StartParams(rate_hz=args.rate),
        kinds=_link_kinds(kinds),
    )
    async with contextlib.AsyncExitStack() as stack:
        hub: SensorHub
        if args.virtual and kinds:
            from winkmon.virtual.kinds import open_kind_rig

            all_kinds = {r: kinds.get(r, "winkmon") for r in (Role.SACRUM, Role.LUMBAR)}
            kind_rig = await stack.enter_async_context(
                open_kind_rig(all_kinds, _virtual_source(), hub_config=config)
            )
            hub = kind_rig.hub
        elif args.virtual:
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
        # The one session decodes (for the status line) and its recorder keeps every event;
        # with --lsl it also runs the athlete's pipeline and publishes its output.
        pipeline = None
        if args.lsl and profile_json is not None:
            from winkmon.outputs.lsl import LslPublisher
            from winkmon.pipeline.pipeline import Pipeline
            from winkmon.profiles import AthleteProfile

            model = AthleteProfile.from_dict(profile_json).model()
            from winkmon.drivers import stream_rate_hz

            rates = {r: stream_rate_hz(hub.config.kind(r), args.rate) for r in hub.roles}
            pipeline = Pipeline(model, rates)
        session = Session(pipeline, session_start_ns=hub.session_start_ns, roles=hub.roles)
        if pipeline is not None:
            lsl = stack.enter_context(LslPublisher(session_start_ns=hub.session_start_ns))
            session.step_listeners.append(lsl.push_step)
        session.start_recording(SessionRecorder(writer, hub.session_start_ns))
        status = _StatusLine(session, hub.session_start_ns, args.quiet)
        session.event_listeners.append(status)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C raises instead
            loop.add_signal_handler(signal.SIGINT, stop.set)
        if args.seconds is not None:
            loop.call_later(args.seconds, stop.set)
        consumer = asyncio.create_task(run_source(hub, session, buzz=False))
        await stop.wait()
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGINT)
        await hub.close()
        await consumer
    if not args.quiet:
        sys.stderr.write("\n")
    print(f"recorded {writer.frames_written} notifications to {path}")
    for role, s in session.stats.items():
        reconnects = hub.counters(role).reconnects
        print(
            f"  {role.label}: {s.samples_received} samples, {s.samples_lost} lost "
            f"({s.loss_pct:.2f} %), {s.frames_bad} malformed, {reconnects} reconnects"
        )
    return 0


class _StatusLine:
    """The terminal's status line: rate, loss and link state per sensor, once a second."""

    def __init__(self, session: Session, session_start_ns: int, quiet: bool) -> None:
        self.session = session
        self.session_start_ns = session_start_ns
        self.quiet = quiet
        self.last_line = time.monotonic()
        self.last_counts: dict[Role, int] = {}

    def __call__(self, event: SourceEvent) -> None:
        from winkmon.session.contract import LinkChanged, LinkState

        if self.quiet:
            return
        if isinstance(event, LinkChanged):
            if event.state is LinkState.RECONNECTING:
                sys.stderr.write(f"\n{event.role.label}: link lost, reconnecting...\n")
            elif event.state is LinkState.CONNECTED and self.session.sensors[event.role].gaps:
                sys.stderr.write(f"\n{event.role.label}: reconnected ({event.detail})\n")
            return
        now = time.monotonic()
        if now - self.last_line < 1.0:
            return
        parts = []
        counts = {r: s.samples_received for r, s in self.session.stats.items()}
        for role, st in self.session.stats.items():
            rate = (counts[role] - self.last_counts.get(role, 0)) / (now - self.last_line)
            view = self.session.sensors[role]
            state = "" if view.state == "connected" else f" ({view.state.value})"
            parts.append(f"{role.label} {rate:6.1f} Hz loss {st.loss_pct:5.2f} %{state}")
        t_ns = getattr(event, "t_host_ns", None)
        elapsed = (t_ns - self.session_start_ns) / 1e9 if isinstance(t_ns, int) else 0.0
        sys.stderr.write(f"\r{elapsed:7.1f} s | " + " | ".join(parts) + "  ")
        sys.stderr.flush()
        self.last_line, self.last_counts = now, counts
