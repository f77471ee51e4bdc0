"""``winkmon demo --headless``: the demo on a terminal, reps and alerts printed as they happen."""

from __future__ import annotations

import asyncio
import contextlib
import math
import sys
import time
from pathlib import Path
from typing import TextIO

from winkmon.demo import DemoFaults
from winkmon.pipeline.events import Alert, AlertLevel, Gap, Rep, RepStarted, StepResult, Verdict

VERDICT_TEXT = {
    Verdict.OK: "good: stayed extended",
    Verdict.EXTENSION_LOST: "extension lost (back still extended)",
    Verdict.FLEXION: "FLEXION: butt wink",
    Verdict.UNKNOWN: "no angle (a sensor was out)",
}


def describe(event: object) -> str | None:
    """One terminal line for a pipeline event (None for events not worth a line)."""
    if isinstance(event, Alert):
        if event.level is AlertLevel.FLEXION:
            return (
                f"{event.t_s:7.1f} s  !! ALERT rep {event.rep_number}: lumbar flexion "
                f"{event.angle_deg:+.1f} deg (set {event.set_angle_deg:+.1f})"
            )
        return (
            f"{event.t_s:7.1f} s  !  cue rep {event.rep_number}: extension lost "
            f"({event.angle_deg - event.set_angle_deg:+.1f} deg from the set angle)"
        )
    if isinstance(event, Rep):
        peak = "" if math.isnan(event.peak_flexion_deg) else f"peak {event.peak_flexion_deg:+.1f}"
        return (
            f"{event.end_s:7.1f} s  rep {event.number}: depth {event.depth_cm:.0f} cm, "
            f"set {event.set_angle_deg:+.1f}, {peak} deg -> {VERDICT_TEXT[event.verdict]}"
        )
    if isinstance(event, RepStarted):
        return None
    if isinstance(event, Gap):
        return (
            f"{event.end_s:7.1f} s  gap: no {event.role.label} data for "
            f"{event.end_s - event.start_s:.1f} s"
        )
    return None


async def run_async(
    seconds: float,
    seed: int = 0,
    out: TextIO = sys.stdout,
    *,
    record: Path | None = None,
    json_out: str | None = None,
    faults: DemoFaults | None = None,
    sensor_kind: str = "winkmon",
    lsl: bool = False,
) -> dict[str, int]:
    """The demo for ``seconds`` on the terminal; ``record``: keep every notification in a
    recording; ``json_out``: write the live reps and alerts as ``winkmon report --json`` does
    (``-`` for stdout)."""
    from winkmon.demo import open_demo
    from winkmon.pipeline.offline import ResultCollector
    from winkmon.recording import RecordingWriter
    from winkmon.session.recorder import SessionRecorder
    from winkmon.session.run import run_source
    from winkmon.session.session import Session

    counts = {"reps": 0, "alerts": 0, "flexion": 0}

    def on_step(step: StepResult) -> None:
        for e in step.events:
            if isinstance(e, Rep):
                counts["reps"] += 1
                counts["flexion"] += e.verdict is Verdict.FLEXION
            elif isinstance(e, Alert):
                counts["alerts"] += 1
            line = describe(e)
            if line:
                print(line, file=out, flush=True)

    print(f"winkmon demo: calibrating the simulated athlete (seed {seed})...", file=out, flush=True)
    async with contextlib.AsyncExitStack() as stack:
        hub, pipeline, profile = await stack.enter_async_context(
            open_demo(seed, faults=faults, sensor_kind=sensor_kind)
        )
        th = profile.thresholds
        firmware = " (firmware core in the loop)" if sensor_kind == "winkmon-fw" else ""
        print(
            f"connected to {_describe_sensors(hub, sensor_kind)}{firmware}; "
            f"thresholds: flexion > +{th.flexion_deg:g} deg, "
            f"extension lost > {th.loss_deg:g} deg. Running {seconds:g} s.",
            file=out,
            flush=True,
        )
        session = Session(pipeline, session_start_ns=hub.session_start_ns)
        session.step_listeners.append(on_step)
        collector = ResultCollector(pipeline)
        session.step_listeners.append(collector)
        if lsl:
            from winkmon.outputs.lsl import LslPublisher

            publisher = stack.enter_context(LslPublisher(session_start_ns=hub.session_start_ns))
            session.step_listeners.append(publisher.push_step)
            print("publishing Lab Streaming Layer streams winkmon-angle, winkmon-events", file=out)
        recorder: SessionRecorder | None = None
        if record is not None:
            writer = stack.enter_context(
                RecordingWriter(
                    record, session_start_ns=hub.session_start_ns, simulated=True, notes="demo"
                )
            )
            writer.set_athlete(profile.to_dict())
            recorder = SessionRecorder(writer, hub.session_start_ns)
            session.start_recording(recorder)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.call_later(seconds, stop.set)
        t0 = time.monotonic()
        await run_source(hub, session, stop)
        await hub.close()
        # What arrived while closing belongs to the session (and to its recording) too.
        await run_source(hub, session)
        session.finish()
        if recorder is not None:
            recorder.close()
        lost = ", ".join(f"{r.label} {s.loss_pct:.2f} %" for r, s in session.stats.items())
        gaps = sum(v.gaps for v in session.sensors.values())
        print(
            f"done after {time.monotonic() - t0:.0f} s: {counts['reps']} reps, "
            f"{counts['alerts']} alerts; samples lost: {lost}"
            + (f"; {gaps} link drop(s), reconnected" if gaps else ""),
            file=out,
            flush=True,
        )
        if record is not None:
            print(f"recorded to {record}", file=out, flush=True)
    if json_out is not None:
        from winkmon.commands.report import report_document, write_json

        result = collector.result(session.stats)
        doc = report_document(result, profile, str(record) if record else "live demo")
        write_json(json_out, doc)
    return counts


def _describe_sensors(hub: object, sensor_kind: str = "winkmon") -> str:
    """The demo's sensors, as ``--sensor-kind`` named them (``metamotion-s``: an S on the
    ``metamotion`` link)."""
    from winkmon.ble.hub import SensorHub
    from winkmon.errors import WinkmonError
    from winkmon.virtual.kinds import parse_kinds

    if not isinstance(hub, SensorHub):
        return "two virtual sensors"
    if all(hub.config.kind(r) == "winkmon" for r in hub.roles):
        return "two virtual sensors"
    try:
        names = parse_kinds(sensor_kind, hub.roles)
    except WinkmonError:
        names = {}
    kinds = [f"{r.label} {names.get(r, hub.config.kind(r))}" for r in hub.roles]
    return "virtual sensors (" + ", ".join(kinds) + ")"


def run(
    seconds: float,
    seed: int = 0,
    *,
    record: Path | None = None,
    json_out: str | None = None,
    faults: DemoFaults | None = None,
    sensor_kind: str = "winkmon",
    lsl: bool = False,
) -> int:
    asyncio.run(
        run_async(
            seconds,
            seed,
            record=record,
            json_out=json_out,
            faults=faults,
            sensor_kind=sensor_kind,
            lsl=lsl,
        )
    )
    return 0
