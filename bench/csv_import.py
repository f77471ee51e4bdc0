"""Import of a 1-hour two-sensor 200 Hz CSV session (target: at most 2 s).

Steps:

1. Take the simulated 1-hour session of ``bench/offline_report.py`` (same ``--seed``, built and
   cached in ``bench/.cache/`` if missing) and export it with ``winkmon export --csv`` to
   ``sacrum.csv`` and ``lumbar.csv`` (about 98 MB each, 712 000 rows, times on the session
   clock as decoded, so not all on an exact grid).
2. Time the whole CLI, ``winkmon import-csv --sacrum .. --lumbar .. -o OUT --overwrite``, in a
   subprocess ``--repeat`` times (3); the best counts, the median is printed too. Wall time
   includes Python start-up and imports (byte code cached, as on a user's machine); the
   child's CPU time (user + system, all threads) and peak memory (max RSS) are printed
   beside it.
3. Check the import: the recording decodes to the same samples as the CSV files (times to the
   µs, values within the quantisation chosen).

Not a test: nothing is asserted. The figures depend on the machine's load, printed at the end.

    .venv/bin/python bench/csv_import.py [--seed 1] [--repeat 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from offline_report import ensure_session, session_path  # noqa: E402
from winkmon.protocol.constants import Role  # noqa: E402
from winkmon.recording import Recording, load_samples  # noqa: E402
from winkmon.recording.csv_format import read_imu_csv  # noqa: E402

TARGET_S = 2.0
RATE_HZ = 200
MINUTES = 60.0


def export_csv(session: Path, out_dir: Path) -> dict[Role, Path]:
    files = {r: out_dir / f"{r.label}.csv" for r in (Role.SACRUM, Role.LUMBAR)}
    if all(f.exists() for f in files.values()):
        return files
    exe = Path(sys.executable).with_name("winkmon")
    subprocess.run(
        [str(exe), "export", str(session), "--csv", str(out_dir), "--overwrite"],
        check=True,
        capture_output=True,
    )
    return files


def time_import(files: dict[Role, Path], out: Path) -> tuple[float, float, int, int]:
    """Wall s, CPU s (child), peak RSS MB (child), exit code of one CLI import."""
    exe = Path(sys.executable).with_name("winkmon")
    cmd = [str(exe), "import-csv", "-o", str(out), "--overwrite"]
    for role, path in files.items():
        cmd += [f"--{role.label}", str(path)]
    # As a user's Python runs it: byte code cached (this sandbox sets PYTHONDONTWRITEBYTECODE,
    # which would compile every winkmon module from source on every run).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode:
        print(proc.stderr, file=sys.stderr)
    return wall, cpu, after.ru_maxrss // 1024, proc.returncode


def check(files: dict[Role, Path], out: Path) -> str:
    with Recording.open(out) as rec:
        samples = load_samples(rec).samples
    worst_t = 0
    worst_acc = 0.0
    for role, path in files.items():
        table = read_imu_csv(path)
        got = samples[role]
        t_us = np.rint(got.t_s * 1e6).astype(np.int64)
        if len(t_us) != len(table):
            return f"{role.label}: {len(t_us)} samples decoded, {len(table)} rows in the CSV"
        worst_t = max(worst_t, int(np.max(np.abs(t_us - table.t_us))))
        worst_acc = max(worst_acc, float(np.max(np.abs(got.acc_m_s2 - table.acc_m_s2))))
    return f"same samples: times within {worst_t} µs, acc within {worst_acc:.5f} m/s^2"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    ap.add_argument("--repeat", type=int, default=3, help="imports; the best counts (3)")
    ap.add_argument("--cache", type=Path, default=BENCH_DIR / ".cache", help="cache directory")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)

    session = session_path(args.cache, args.seed, RATE_HZ, MINUTES)
    ensure_session(session, args.seed, RATE_HZ, MINUTES)
    csv_dir = args.cache / f"csv-seed{args.seed}-{RATE_HZ}hz-{MINUTES:g}min"
    csv_dir.mkdir(parents=True, exist_ok=True)
    files = export_csv(session, csv_dir)
    size_mb = sum(f.stat().st_size for f in files.values()) / 1e6
    rows = sum(sum(1 for _ in f.open("rb")) - 1 for f in files.values())
    print(f"CSV session: {csv_dir} ({len(files)} files, {rows:,} rows, {size_mb:.0f} MB)")

    runs = []
    with tempfile.TemporaryDirectory(prefix="winkmon-bench-") as tmp:
        out = Path(tmp) / "imported.winkmon"
        load = os.getloadavg()[0]
        for i in range(args.repeat):
            wall, cpu, rss_mb, rc = time_import(files, out)
            if rc:
                return rc
            runs.append((wall, cpu, rss_mb))
            print(f"import run {i + 1}: {wall:5.2f} s wall, {cpu:5.2f} s CPU, {rss_mb} MB peak")
        verdict = check(files, out)
    best = min(runs)
    ok = "within target" if best[0] <= TARGET_S else "OVER TARGET"
    median = sorted(w for w, _, _ in runs)[len(runs) // 2]
    print(
        f"import, best of {args.repeat}: {best[0]:.2f} s, median {median:.2f} s "
        f"(target <= {TARGET_S:g} s: {ok})"
    )
    print(verdict)
    print(f"load average (1 min) before the runs: {load:.2f} on {os.cpu_count()} CPUs")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rows": rows,
                    "csv_mb": round(size_mb, 1),
                    "best_wall_s": round(best[0], 3),
                    "median_wall_s": round(median, 3),
                    "runs": [{"wall_s": w, "cpu_s": c, "peak_mb": m} for w, c, m in runs],
                    "check": verdict,
                    "load_1min": load,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
