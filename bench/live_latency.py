"""Live path: processing time of one DATA notification in the pipeline (target p99 <= 1 ms).

A simulated session (``SimConfig(seed)`` defaults: MTU 247, 20 ms flush, BLE link with
jitter and loss; a :func:`random_script` of ``--minutes`` (5)) is fed to
:meth:`Session.handle` one notification at a time, both sensors in arrival order,
as a live session would. The athlete model uses the simulator's true mounts (no calibration
error). Each call is timed with :func:`time.perf_counter_ns`; calls in the first
``--warmup-s`` (1 s) of the session are left out. GC runs normally, so its pauses are in the
tail. Repeated for each rate of ``--rates`` (200 and 400 Hz, both sensors).

This is processing time only (decode, orientation, alignment, tracking), not BLE latency:
see ``ble_latency.py`` for that. Not a test: nothing is asserted about speed.

    .venv/bin/python bench/live_latency.py [--minutes 5] [--rates 200 400] [--json OUT]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from winkmon.pipeline.events import Alert, Rep
from winkmon.pipeline.model import AthleteModel, Mount, Thresholds
from winkmon.pipeline.pipeline import Pipeline
from winkmon.protocol.constants import Role
from winkmon.session.contract import Notification
from winkmon.session.offline import notification_events
from winkmon.session.session import Session
from winkmon.sim import SimConfig, random_script, simulate

ROLES = (Role.SACRUM, Role.LUMBAR)
TARGET_P99_MS = 1.0
PCTS = (50.0, 90.0, 99.0, 99.9)


def measure(rate: int, minutes: float, seed: int, warmup_s: float) -> dict[str, Any]:
    config = dataclasses.replace(SimConfig(seed=seed), sacrum_rate_hz=rate, lumbar_rate_hz=rate)
    script = random_script(np.random.default_rng(seed), duration_s=minutes * 60.0)
    t0 = time.perf_counter()
    sess = simulate(config, script)
    sim_s = time.perf_counter() - t0
    frames = sess.received()
    model = AthleteModel({r: Mount(sess.truth.mounts[r].matrix.T) for r in ROLES}, Thresholds())
    pipeline = Pipeline(model, {r: float(sess.start_params[r].rate_hz) for r in ROLES})

    times_ns = np.empty(len(frames), dtype=np.int64)
    cpu_ns = np.empty(len(frames), dtype=np.int64)
    session = Session(pipeline)
    for event in notification_events([], pipeline.rates_hz):
        session.handle(event)
    feed = session.handle
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    reps = alerts = 0
    for i, f in enumerate(frames):
        role, t_host, payload = f.role, f.t_host_ns, f.payload
        u0 = cpu_clock()
        c0 = clock()
        step = feed(Notification(role, t_host, payload))
        times_ns[i] = clock() - c0
        cpu_ns[i] = cpu_clock() - u0
        for e in () if step is None else step.events:
            reps += isinstance(e, Rep)
            alerts += isinstance(e, Alert)
    session.finish()

    arrival = np.array([f.t_host_ns for f in frames], dtype=np.int64)
    keep = arrival >= arrival[0] + round(warmup_s * 1e9)
    ms = times_ns[keep] / 1e6
    cpu_ms = cpu_ns[keep] / 1e6
    samples = sum(s.samples_received for s in session.stats.values())
    return {
        "rate_hz": rate,
        "session_s": sess.duration_s,
        "simulate_s": sim_s,
        "notifications": len(frames),
        "timed": int(keep.sum()),
        "samples": int(samples),
        "reps": reps,
        "alerts": alerts,
        **{f"p{p:g}_ms": float(np.percentile(ms, p)) for p in PCTS},
        "max_ms": float(ms.max()),
        "mean_ms": float(ms.mean()),
        "over_1ms_pct": float(100.0 * np.mean(ms > 1.0)),
        "cpu_thread_ms": {
            **{f"p{p:g}": float(np.percentile(cpu_ms, p)) for p in PCTS},
            "max": float(cpu_ms.max()),
            "mean": float(cpu_ms.mean()),
        },
        "total_s": float(times_ns.sum() / 1e9),
        "cpu_load_pct": float(100.0 * times_ns.sum() / 1e9 / sess.duration_s),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0, help="session length (default 5)")
    ap.add_argument("--rates", type=int, nargs="+", default=[200, 400], help="Hz (200 400)")
    ap.add_argument("--seed", type=int, default=0, help="simulation seed (default 0)")
    ap.add_argument("--warmup-s", type=float, default=1.0, help="session seconds left out (1)")
    ap.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = ap.parse_args(argv)

    load = os.getloadavg()[0]
    results = [measure(r, args.minutes, args.seed, args.warmup_s) for r in args.rates]

    cols = [f"p{p:g}" for p in PCTS] + ["max", "mean"]
    print(
        f"Session.handle, one notification per call, ms "
        f"(first {args.warmup_s:g} s left out; target p99 <= {TARGET_P99_MS:g} ms)"
    )
    print()
    print(
        f"{'rate':>5} {'notifs':>7} "
        + " ".join(f"{c:>7}" for c in cols)
        + f" {'>1ms %':>7} {'cpu %':>6}  p99"
    )
    for r in results:
        vals = [r[f"{c}_ms"] for c in cols]
        verdict = "OK" if r["p99_ms"] <= TARGET_P99_MS else "OVER"
        print(
            f"{r['rate_hz']:>5} {r['timed']:>7,} "
            + " ".join(f"{v:>7.3f}" for v in vals)
            + f" {r['over_1ms_pct']:>7.2f} {r['cpu_load_pct']:>6.1f}  {verdict}"
        )
    print()
    print("same calls, thread CPU time (time.thread_time_ns; less sensitive to other load), ms")
    print(f"{'rate':>5} {'':>7} " + " ".join(f"{c:>7}" for c in cols))
    for r in results:
        c = r["cpu_thread_ms"]
        print(f"{r['rate_hz']:>5} {'':>7} " + " ".join(f"{c[k]:>7.3f}" for k in cols))
    print()
    print(f"load average (1 min) at start: {load:.2f} on {os.cpu_count()} CPUs")
    for r in results:
        print(
            f"{r['rate_hz']} Hz: {r['session_s']:.0f} s session (simulated in "
            f"{r['simulate_s']:.1f} s), {r['notifications']:,} notifications, "
            f"{r['samples']:,} samples, {r['reps']} reps, {r['alerts']} alerts; "
            f"pipeline busy {r['total_s']:.1f} s"
        )

    if args.json:
        doc = {
            "bench": "live_latency",
            "minutes": args.minutes,
            "seed": args.seed,
            "warmup_s": args.warmup_s,
            "loadavg_1min_at_start": load,
            "target_p99_ms": TARGET_P99_MS,
            "results": results,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
