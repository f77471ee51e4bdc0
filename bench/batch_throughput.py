"""``winkmon batch`` throughput: simulated sessions analysed per second, per core.

Steps:

1. Simulate ``--sessions`` (20) random classic sessions of about ``--minutes`` (2) with both
   sensors at ``--rate`` Hz (200), seeds 1000.., four per athlete in ``LIBRARY/<athlete>/``,
   into ``--cache`` (``bench/.cache/batch/``, gitignored); later runs reuse them.
2. For each worker count in ``--workers`` (``1,2``): remove the output dataset and time
   :func:`winkmon.archive.batch.run_batch` over the library (each session: content hash,
   calibration from the session itself, the pipeline, two Parquet files). Wall time with
   :func:`time.perf_counter`, process start-up included; the best of ``--repeat`` (1).
3. Time an incremental re-run (everything skipped: hashing and the dataset scan only).

Prints sessions/s, sessions/s per worker, and recorded minutes analysed per second. Not a
test: nothing is asserted.

    .venv/bin/python bench/batch_throughput.py [--sessions 20] [--minutes 2] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import time
from pathlib import Path

from winkmon.archive.batch import run_batch
from winkmon.commands.simulate import write_simulated_recording
from winkmon.sim import random_session

ROOT = Path(__file__).resolve().parent


def build(library: Path, sessions: int, minutes: float, rate: int) -> float:
    """The library (reused when complete); returns the recorded seconds in it."""
    total = 0.0
    for i in range(sessions):
        path = library / f"athlete{i // 4:03d}" / f"s{i:04d}.winkmon"
        stamp = path.with_suffix(".seconds")
        if not (path.exists() and stamp.exists()):
            path.parent.mkdir(parents=True, exist_ok=True)
            config, script = random_session(1000 + i, "classic", duration_s=minutes * 60.0)
            config = dataclasses.replace(config, sacrum_rate_hz=rate, lumbar_rate_hz=rate)
            info = write_simulated_recording(path, config, script, overwrite=True)
            stamp.write_text(str(info["duration_s"]))
        total += float(stamp.read_text())
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--rate", type=int, default=200)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "batch")
    args = ap.parse_args()

    library = args.cache / f"lib-{args.sessions}x{args.minutes:g}min-{args.rate}hz"
    t0 = time.perf_counter()
    seconds = build(library, args.sessions, args.minutes, args.rate)
    print(
        f"library: {args.sessions} sessions, {seconds / 60:.0f} recorded minutes at "
        f"{args.rate} Hz ({time.perf_counter() - t0:.1f} s to simulate or load)"
    )
    out = args.cache / "dataset"
    for workers in (int(w) for w in args.workers.split(",")):
        best = float("inf")
        for _ in range(args.repeat):
            shutil.rmtree(out, ignore_errors=True)
            t = time.perf_counter()
            result = run_batch([library], out, workers=workers)
            best = min(best, time.perf_counter() - t)
            assert not result.failed, result.failed
        rate = args.sessions / best
        print(
            f"workers={workers}: {best:.1f} s, {rate:.2f} sessions/s, "
            f"{rate / workers:.2f} sessions/s per worker, "
            f"{seconds / 60 / best:.1f} recorded min/s ({result.reps} reps)"
        )
    t = time.perf_counter()
    again = run_batch([library], out, workers=1)
    print(
        f"incremental re-run: {len(again.skipped)} skipped, {len(again.analysed)} analysed "
        f"in {time.perf_counter() - t:.2f} s"
    )


if __name__ == "__main__":
    main()
