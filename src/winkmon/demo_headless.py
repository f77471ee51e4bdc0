"""``winkmon demo --headless``: the demo on a terminal, reps and alerts printed as they happen."""

from __future__ import annotations

import asyncio
import math
import sys
import time
from typing import TextIO

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
    seconds: float, seed: int = 0, out: TextIO = sys.stdout, sensor_kind: str = "winkmon"
) -> dict[str, int]:
    from winkmon.demo import open_demo
    from winkmon.live import LiveSession

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
    async with open_demo(seed, sensor_kind=sensor_kind) as (hub, pipeline, profile):
        th = profile.thresholds
        firmware = " (firmware core in the loop)" if sensor_kind == "winkmon-fw" else ""
        print(
            f"connected to two virtual sensors{firmware}; "
            f"thresholds: flexion > +{th.flexion_deg:g} deg, "
            f"extension lost > {th.loss_deg:g} deg. Running {seconds:g} s.",
            file=out,
            flush=True,
        )
        session = LiveSession(hub, pipeline, on_step)  # type: ignore[arg-type]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.call_later(seconds, stop.set)
        t0 = time.monotonic()
        await session.run(stop)
        counters = hub.all_counters()  # type: ignore[attr-defined]
        lost = ", ".join(f"{r.label} {c.loss_pct:.2f} %" for r, c in counters.items())
        print(
            f"done after {time.monotonic() - t0:.0f} s: {counts['reps']} reps, "
            f"{counts['alerts']} alerts; samples lost: {lost}",
            file=out,
            flush=True,
        )
    return counts


def run(seconds: float, seed: int = 0, sensor_kind: str = "winkmon") -> int:
    asyncio.run(run_async(seconds, seed, sensor_kind=sensor_kind))
    return 0
