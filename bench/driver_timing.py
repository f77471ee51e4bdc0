"""Time accuracy of each sensor kind: decoded sample times against the emulator's truth.

Each kind's emulator streams through bumble's in-memory radio and bleak to the one Session
(the real driver, link, decoder and envelope clock), with a device crystal off by
``--drift-ppm``. The emulator keeps, per START, the host time of sample 0 and the sample period
in host ns, so the true host time of every sample is known. The decoded ``t_s`` (session
seconds) of each sample is compared with it after ``--settle`` s (the envelope clock's first
windows). Host-timed kinds (MetaMotion, WitMotion) number samples from the first one the host
keeps: the bench finds which emulator sample that is from the sample values (a ramp unique
over 1000 samples).

Printed per kind: bias (median of decoded - true, ms: a constant delay, the same for every
sample), spread (p95 of |error - bias|, ms: what differs sample to sample), max |error| (ms).

    python bench/driver_timing.py [--seconds 30] [--drift-ppm 40] [--interval-ms 30] [--json F]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import numpy as np
import numpy.typing as npt

from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2, Role
from winkmon.samples import SampleBatch
from winkmon.session.run import run_source
from winkmon.session.session import Session
from winkmon.virtual.kinds import DEFAULT_CLOCK_OFFSET_NS, open_kind_rig
from winkmon.virtual.source import ImuSamples
from winkmon.virtual.vendor import EmulatorConfig, VendorEmulator

PAIRS = (("polar-verity", "witmotion"), ("metamotion", "movella-dot"))
RAMP = 1000


class RampIndexSource:
    """acc x encodes the sample index modulo 1000 (steps of 0.02 m/s², above every kind's
    quantisation), gravity on z, a small gyro."""

    def samples(self, role: Role, first_index: int, count: int, rate_hz: float) -> ImuSamples:
        k = np.arange(first_index, first_index + count)
        return ImuSamples(self.acc(k), np.tile([0.1, 0.0, -0.1], (count, 1)))

    @staticmethod
    def acc(k: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        acc = np.zeros((len(k), 3))
        acc[:, 0] = (k % RAMP) * 0.02 - 10.0
        acc[:, 2] = STANDARD_GRAVITY_M_S2
        return acc


def _shift(got: SampleBatch) -> int:
    """The emulator index of decoded sample 0 (modulo the ramp)."""
    n = min(len(got), 200)
    errs = [
        float(np.abs(RampIndexSource.acc(got.index[:n] + s)[:, 0] - got.acc_m_s2[:n, 0]).sum())
        for s in range(RAMP)
    ]
    return int(np.argmin(errs))


async def _run(
    kinds: tuple[str, str], seconds: float, drift_ppm: float, interval_ms: float
) -> dict[str, object]:
    roles = (Role.SACRUM, Role.LUMBAR)
    options = {
        r: EmulatorConfig(
            clock_offset_ns=DEFAULT_CLOCK_OFFSET_NS[r],
            drift_ppm=drift_ppm if r is Role.SACRUM else -drift_ppm,
            seed=int(r),
            # the MetaMotion driver asks for a 7.5 ms interval (packed mode needs it)
            connection_interval_ms=min(interval_ms, 7.5) if kind == "metamotion" else interval_ms,
        )
        for r, kind in zip(roles, kinds, strict=True)
    }
    source = RampIndexSource()
    got: dict[Role, list[SampleBatch]] = {}
    async with open_kind_rig(dict(zip(roles, kinds, strict=True)), source, options=options) as rig:
        hub = rig.hub
        session = Session(None, session_start_ns=hub.session_start_ns)
        session.batch_listeners.append(lambda b: got.setdefault(b.role, []).append(b))
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        await run_source(hub, session, stop)
        truths = {}
        for r in roles:
            sensor = rig.sensors[r]
            if isinstance(sensor, VendorEmulator):
                truths[r] = sensor.stats.starts_truth[-1]
            else:  # the winkmon virtual sensor: its samples carry its own clock exactly
                truths[r] = None
        start_ns = hub.session_start_ns
    out: dict[str, object] = {}
    for r, kind in zip(roles, kinds, strict=True):
        b = SampleBatch.concat(got[r])
        truth = truths[r]
        if truth is None:
            continue
        t0_ns, period_ns = truth
        k = b.index + _shift(b)
        true_s = (t0_ns + k * period_ns - start_ns) / 1e9
        err_ms = (b.t_s - true_s) * 1e3
        keep = b.t_s > b.t_s[0] + 10.0
        e = err_ms[keep]
        bias = float(np.median(e))
        out[f"{kind} ({r.label})"] = {
            "rate_hz": b.rate_hz,
            "samples": int(keep.sum()),
            "bias_ms": round(bias, 2),
            "spread_p95_ms": round(float(np.percentile(np.abs(e - bias), 95)), 2),
            "max_abs_ms": round(float(np.abs(e).max()), 2),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--drift-ppm", type=float, default=40.0)
    ap.add_argument(
        "--interval-ms",
        type=float,
        default=0.0,
        help="BLE connection interval: notifications leave only at connection events (0: at once)",
    )
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)
    results: dict[str, object] = {}
    for pair in PAIRS:
        results.update(asyncio.run(_run(pair, args.seconds, args.drift_ppm, args.interval_ms)))
    print(f"{'kind':28} {'rate':>6} {'bias ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, r in results.items():
        assert isinstance(r, dict)
        print(
            f"{name:28} {r['rate_hz']:6.0f} {r['bias_ms']:8.2f} {r['spread_p95_ms']:8.2f} "
            f"{r['max_abs_ms']:8.2f}"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(
                {"seconds": args.seconds, "drift_ppm": args.drift_ppm, **results}, fh, indent=2
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
