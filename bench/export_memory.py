"""Peak memory of ``winkmon export --csv`` on a long synthetic two-sensor recording.

Builds a recording of ``--hours`` hours (two sensors at ``--rate`` Hz, 10 samples per frame,
steady synthetic motion; no real data), then runs ``winkmon export --csv`` on it in a child
process and reports that child's peak resident memory (``wait4`` rusage ``ru_maxrss``), its
wall time and the rows written. The export streams chunk by chunk, so its memory should not
grow with the recording's length.

    python bench/export_memory.py --hours 10
    python bench/export_memory.py --hours 1 --import-csv   # also import the CSVs back
    python bench/export_memory.py --hours 0.5 --src /path/to/other/checkout/src   # compare

The recording is cached in ``--work`` (default: a temporary directory) under a name that
says its length, so several runs can share it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from winkmon.protocol import DataFrame, FrameFlags, FrameType, Role, StartParams
from winkmon.recording import RecordingWriter

PER_FRAME = 10


def build(path: Path, hours: float, rate_hz: int) -> int:
    """Write the synthetic recording; returns the number of frames per sensor."""
    frames = int(hours * 3600 * rate_hz / PER_FRAME)
    rng = np.random.default_rng(0)
    pool = rng.integers(-3000, 3000, size=(64, PER_FRAME, 6), dtype=np.int16)
    period_ns = int(PER_FRAME * 1e9 / rate_hz)
    start_ns = 1_000_000_000
    with RecordingWriter(path, session_start_ns=start_ns, simulated=True, notes="bench") as w:
        for role in (Role.SACRUM, Role.LUMBAR):
            w.add_sensor(role, rate_hz, start=StartParams(rate_hz=rate_hz))
        block = 20_000
        for b0 in range(0, frames, block):
            for role in (Role.SACRUM, Role.LUMBAR):
                rows = []
                for i in range(b0, min(frames, b0 + block)):
                    t_dev = round(i * PER_FRAME * 1e6 / rate_hz) + 5_000_000
                    payload = bytes(
                        DataFrame(
                            FrameType.DATA,
                            role,
                            i & 0xFFFF,
                            (i * PER_FRAME) & 0xFFFFFFFF,
                            t_dev & 0xFFFFFFFF,
                            2,
                            3,
                            FrameFlags.NONE,
                            pool[i % 64],
                        )
                    )
                    rows.append((start_ns + 30_000_000 + i * period_ns + int(role), payload))
                w.write_frames(role, rows)
    return frames


def run_winkmon(args: list[str], src: str | None) -> tuple[float, float, int]:
    """Peak RSS (MB), wall time (s) and exit status of ``winkmon ARGS`` in a child."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "winkmon", *args],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024.0, wall, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=10.0, help="recording length (default 10)")
    ap.add_argument("--rate", type=int, default=200, help="sample rate per sensor, Hz")
    ap.add_argument("--work", type=Path, default=None, help="directory for the files")
    ap.add_argument("--src", default=None, help="PYTHONPATH of the winkmon to measure")
    ap.add_argument(
        "--import-csv", action="store_true", help="also measure import-csv of the exported CSVs"
    )
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="winkmon-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rec = work / f"long-{args.hours:g}h-{args.rate}hz.winkmon"
    if not rec.exists():
        t0 = time.perf_counter()
        frames = build(rec, args.hours, args.rate)
        print(f"built {rec} ({frames} frames per sensor) in {time.perf_counter() - t0:.0f} s")
    size_mb = rec.stat().st_size / 1e6
    out = work / f"csv-{os.getpid()}"
    peak_mb, wall_s, code = run_winkmon(["export", str(rec), "--csv", str(out)], args.src)
    if code != 0:
        print(f"export failed with exit status {code}")
        return 1
    rows = 0
    for csv in sorted(out.glob("*.csv")):
        with csv.open("rb") as fh:
            rows += sum(1 for _ in fh) - 1
    print(
        f"{args.hours:g} h, 2 sensors at {args.rate} Hz: recording {size_mb:.0f} MB, "
        f"{rows} CSV rows; export --csv peak RSS {peak_mb:.0f} MB, {wall_s:.0f} s"
    )
    if args.import_csv:
        back = out / "back.winkmon"
        csv_mb = sum(p.stat().st_size for p in out.glob("*.csv")) / 1e6
        peak_mb, wall_s, code = run_winkmon(
            [
                "import-csv",
                "--sacrum",
                str(out / "sacrum.csv"),
                "--lumbar",
                str(out / "lumbar.csv"),
                "-o",
                str(back),
            ],
            args.src,
        )
        if code != 0:
            print(f"import-csv failed with exit status {code}")
            return 1
        print(
            f"import-csv of those CSVs ({csv_mb:.0f} MB): peak RSS {peak_mb:.0f} MB, {wall_s:.0f} s"
        )
        back.unlink()
    for f in out.iterdir():
        f.unlink()
    out.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
