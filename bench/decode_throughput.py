"""Decode throughput: DATA frames of a 1-hour two-sensor 400 Hz session.

The frames are synthetic but shaped like the firmware's: both sensors at ``--rate`` Hz (400),
``--per-frame`` samples per full frame (8: a 20 ms flush at 400 Hz), 16-bit ``seq`` and 32-bit
index and device clock that wrap as they would, and realistic counts (gravity plus noise on the
accelerometer, slow motion plus noise on the gyroscope) quantised by
:func:`~winkmon.protocol.frames.encode_samples` and packed by :class:`DataFrame`.

Three decoders are timed over the same notifications (both sensors):

- ``from_bytes``: :meth:`DataFrame.from_bytes` per notification (the codec alone);
- ``feed_many``: :meth:`SensorStream.feed_many` in chunks of ``--chunk`` (4096) notifications
  per sensor, the path of replay and offline reports (codec, unwrapping, loss, clock);
- ``feed``: :meth:`SensorStream.feed` one notification at a time, the live path. It costs
  about the same per notification however long the stream has run, so by default it is timed
  over the first ``--feed-minutes`` (10) of each sensor only; its rates are per notification
  and its 1-hour time is an extrapolation (labelled so).

Wall time with :func:`time.perf_counter`; GC runs normally. Not a test: nothing is asserted
about speed.

    .venv/bin/python bench/decode_throughput.py [--minutes 60] [--per-frame 8] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from winkmon.protocol.constants import FrameFlags, FrameType, Role
from winkmon.protocol.frames import DataFrame, encode_samples
from winkmon.stream import SensorStream, StreamStats

T = TypeVar("T")

ROLES = (Role.SACRUM, Role.LUMBAR)
ACC_RANGE = 2  # +-8 g
GYR_RANGE = 3  # +-1000 deg/s


def make_frames(
    role: Role, rate_hz: int, seconds: float, per_frame: int, seed: int
) -> tuple[list[int], list[bytes], int]:
    """One sensor's notifications: (host receive times ns, payloads, number of samples)."""
    rng = np.random.default_rng([seed, int(role)])
    n_frames = round(seconds * rate_hz) // per_frame
    total = n_frames * per_frame
    t = np.arange(total) / rate_hz
    # Gravity on a slowly tilting sensor, plus noise; gyro: slow sway plus noise.
    tilt = 0.3 * np.sin(2 * np.pi * 0.2 * t + int(role))
    acc = np.column_stack(
        [9.80665 * np.sin(tilt), np.zeros(total), 9.80665 * np.cos(tilt)]
    ) + rng.normal(0.0, 0.05, (total, 3))
    gyr = np.column_stack(
        [0.3 * 2 * np.pi * 0.2 * np.cos(2 * np.pi * 0.2 * t), np.zeros(total), np.zeros(total)]
    ) + rng.normal(0.0, 0.01, (total, 3))
    raw, _ = encode_samples(acc, gyr, ACC_RANGE, GYR_RANGE)
    period_us = 1e6 / rate_hz
    start_index = 0xFFFFFFFF - total // 2  # the index wraps mid-session, as it may
    start_t_us = 0xFFFFFFFF - int(seconds * 1e6) // 3  # so does the device clock
    delay_ns = rng.uniform(3e6, 25e6, n_frames).astype(np.int64)  # BLE + host latency
    times: list[int] = []
    payloads: list[bytes] = []
    for i in range(n_frames):
        k0 = i * per_frame
        chunk = raw[k0 : k0 + per_frame]
        flags = FrameFlags.NONE
        if np.any((chunk[:, 0:3] == 32767) | (chunk[:, 0:3] == -32768)):
            flags |= FrameFlags.ACC_CLIP
        frame = DataFrame(
            frame_type=FrameType.DATA,
            role=role,
            seq=i & 0xFFFF,
            first_index=(start_index + k0) & 0xFFFFFFFF,
            t_dev_us=(start_t_us + round(k0 * period_us)) & 0xFFFFFFFF,
            acc_range=ACC_RANGE,
            gyr_range=GYR_RANGE,
            flags=flags,
            raw=chunk,
        )
        payloads.append(bytes(frame))
        last_sample_ns = round((k0 + per_frame - 1) * period_us * 1000)
        times.append(last_sample_ns + int(delay_ns[i]))
    return times, payloads, total


def bench_from_bytes(payloads: list[bytes]) -> int:
    n = 0
    decode = DataFrame.from_bytes
    for p in payloads:
        n += decode(p).n
    return n


def bench_feed_many(
    role: Role, rate: int, times: list[int], payloads: list[bytes], chunk: int
) -> tuple[int, StreamStats]:
    stream = SensorStream(role, rate)
    n = 0
    for i in range(0, len(payloads), chunk):
        batch = stream.feed_many(times[i : i + chunk], payloads[i : i + chunk])
        if batch is not None:
            n += len(batch)
    return n, stream.stats


def bench_feed(
    role: Role, rate: int, times: list[int], payloads: list[bytes]
) -> tuple[int, StreamStats]:
    stream = SensorStream(role, rate)
    n = 0
    feed = stream.feed
    for t, p in zip(times, payloads, strict=True):
        batch = feed(t, p)
        if batch is not None:
            n += len(batch)
    return n, stream.stats


def timed(fn: Callable[[], T]) -> tuple[float, float, T]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall0, time.process_time() - cpu0, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0, help="session length (default 60)")
    ap.add_argument("--rate", type=int, default=400, help="sample rate per sensor, Hz (400)")
    ap.add_argument("--per-frame", type=int, default=8, help="samples per frame (8 = 20 ms)")
    ap.add_argument("--chunk", type=int, default=4096, help="feed_many chunk, notifications")
    ap.add_argument(
        "--feed-minutes",
        type=float,
        default=10.0,
        help="time feed() one by one over this much of each sensor (default 10; 0: all)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    if not 1 <= args.per_frame <= 255:
        ap.error("--per-frame must be 1..255")

    seconds = args.minutes * 60.0
    t0 = time.perf_counter()
    data = {r: make_frames(r, args.rate, seconds, args.per_frame, args.seed) for r in ROLES}
    build_s = time.perf_counter() - t0
    n_frames = sum(len(data[r][1]) for r in ROLES)
    n_samples = sum(data[r][2] for r in ROLES)
    frame_bytes = len(data[Role.SACRUM][1][0])
    print(
        f"session: {args.minutes:g} min x 2 sensors at {args.rate} Hz, {args.per_frame} "
        f"samples/frame ({frame_bytes} B): {n_frames:,} notifications, {n_samples:,} samples "
        f"(built in {build_s:.1f} s)"
    )

    results: dict[str, dict[str, float]] = {}

    def record(name: str, wall: float, cpu: float, decoded: int, frames: int) -> None:
        results[name] = {
            "wall_s": wall,
            "cpu_s": cpu,
            "frames": frames,
            "samples": decoded,
            "frames_per_s": frames / wall,
            "samples_per_s": decoded / wall,
            "us_per_frame": 1e6 * wall / frames,
            "s_per_hour_session": wall * n_frames / frames * 60.0 / args.minutes,
        }

    all_payloads = [p for r in ROLES for p in data[r][1]]
    wall, cpu, n_dec = timed(lambda: bench_from_bytes(all_payloads))
    record("from_bytes", wall, cpu, n_dec, n_frames)

    feed_min = args.minutes if args.feed_minutes <= 0 else min(args.feed_minutes, args.minutes)
    n_feed = {r: int(len(data[r][1]) * feed_min / args.minutes) for r in ROLES}
    many_name = f"feed_many/{args.chunk}"
    feed_name = "feed (1 by 1)" if feed_min == args.minutes else f"feed 1by1 {feed_min:g}m"
    for name, run, n_of in (
        (
            many_name,
            lambda r: bench_feed_many(r, args.rate, data[r][0], data[r][1], args.chunk),
            lambda r: len(data[r][1]),
        ),
        (
            feed_name,
            lambda r: bench_feed(r, args.rate, data[r][0][: n_feed[r]], data[r][1][: n_feed[r]]),
            lambda r: n_feed[r],
        ),
    ):
        wall = cpu = 0.0
        decoded = frames = 0
        for r in ROLES:
            w, c, (n, stats) = timed(lambda run=run, r=r: run(r))
            wall, cpu, decoded, frames = wall + w, cpu + c, decoded + n, frames + n_of(r)
            if stats.samples_lost or stats.frames_bad or n != n_of(r) * args.per_frame:
                raise SystemExit(f"{name}: {r.label} decoded wrongly: {stats.as_dict()}")
        record(name, wall, cpu, decoded, frames)

    print()
    print(
        f"{'decoder':<18} {'frames':>9} {'wall s':>8} {'cpu s':>8} {'frames/s':>10} "
        f"{'samples/s':>11} {'us/frame':>9} {'s/1h session':>13}"
    )
    for name, r in results.items():
        extrapolated = "*" if r["frames"] != n_frames or args.minutes != 60.0 else ""
        print(
            f"{name:<18} {r['frames']:>9,} {r['wall_s']:>8.2f} {r['cpu_s']:>8.2f} "
            f"{r['frames_per_s']:>10,.0f} {r['samples_per_s']:>11,.0f} "
            f"{r['us_per_frame']:>9.2f} {r['s_per_hour_session']:>12.1f}{extrapolated or ' '}"
        )
    print("(* extrapolated linearly from the part timed)")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    per_hour = results[many_name]["s_per_hour_session"]
    print()
    print(f"{many_name}: {per_hour:.2f} s to decode the 1-hour two-sensor session")

    if args.json:
        doc = {
            "bench": "decode_throughput",
            "minutes": args.minutes,
            "rate_hz": args.rate,
            "per_frame": args.per_frame,
            "frame_bytes": frame_bytes,
            "chunk": args.chunk,
            "feed_minutes": feed_min,
            "notifications": n_frames,
            "samples": n_samples,
            "results": results,
            "feed_many_s_per_hour_session": per_hour,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
