"""BLE latency bench: notification -> decoded sample batch over the virtual link.

Two virtual sensors stream at 200 Hz each to a :class:`~winkmon.ble.hub.SensorHub` through
bleak's public API on the bumble backend (in-memory link, one process, one asyncio loop).
For every DATA notification that carries samples, the latency is the time from the notify
callback's host timestamp to the moment ``hub.events()`` hands out its decoded SampleBatch
(queueing + decoding). CPU is process time over wall time for the whole process, so it
includes both virtual sensors and both bumble stacks, not just the host side.

    .venv/bin/python bench/ble_latency.py [--seconds 10] [--mtu 247 23]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import numpy as np

from winkmon.ble import HubConfig, Notification
from winkmon.protocol import StartParams
from winkmon.virtual.rig import VirtualRigConfig, open_virtual_rig


async def measure(mtu: int, seconds: float, rate_hz: int) -> dict[str, float]:
    config = VirtualRigConfig(hub=HubConfig(start=StartParams(rate_hz=rate_hz)), mtu=mtu)
    latencies: list[int] = []
    samples = 0
    async with open_virtual_rig(config) as rig:
        hub = rig.hub
        await asyncio.sleep(0.5)  # settle: time sync pings done, streams running
        wall0, cpu0 = time.perf_counter(), time.process_time()
        deadline = time.monotonic() + seconds

        async def consume() -> None:
            nonlocal samples
            async for event in hub.events():
                if isinstance(event, Notification) and event.batch is not None:
                    latencies.append(time.monotonic_ns() - event.t_host_ns)
                    samples += len(event.batch)
                if time.monotonic() >= deadline:
                    return

        # drop what queued up while settling
        while not hub._queue.empty():
            hub._queue.get_nowait()
        await consume()
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        loss = max(c.loss_pct for c in hub.all_counters().values())
    lat_ms = np.array(latencies) / 1e6
    return {
        "mtu": mtu,
        "notifications": len(latencies),
        "samples_per_s": samples / wall,
        "p50_ms": float(np.percentile(lat_ms, 50)),
        "p99_ms": float(np.percentile(lat_ms, 99)),
        "max_ms": float(lat_ms.max()),
        "cpu_pct": 100.0 * cpu / wall,
        "loss_pct": loss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--mtu", type=int, nargs="+", default=[247, 23])
    args = parser.parse_args()
    rows = [asyncio.run(measure(mtu, args.seconds, args.rate)) for mtu in args.mtu]
    print(f"2 sensors x {args.rate} Hz, {args.seconds:.0f} s each, virtual link (bumble)")
    head = f"{'MTU':>5} {'notif':>7} {'samples/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
    print(head + f" {'max ms':>8} {'CPU %':>6} {'loss %':>7}")
    for r in rows:
        print(
            f"{r['mtu']:>5.0f} {r['notifications']:>7.0f} {r['samples_per_s']:>10.1f} "
            f"{r['p50_ms']:>8.3f} {r['p99_ms']:>8.3f} {r['max_ms']:>8.3f} "
            f"{r['cpu_pct']:>6.1f} {r['loss_pct']:>7.2f}"
        )


if __name__ == "__main__":
    main()
