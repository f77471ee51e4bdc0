"""Offline report of a 1-hour two-sensor 200 Hz session (target: at most 2 s, issue 14).

Steps:

1. Simulate a random session of about ``--minutes`` (60) with both sensors at ``--rate`` Hz
   (200) (:meth:`SimConfig.random` with ``--seed``, :func:`random_script`) and write it as a
   recording to ``--cache`` (``bench/.cache/``, gitignored); later runs reuse it.
2. Calibrate an athlete profile from the recording (automatic windows) and save it in the
   cache's ``profiles/`` directory, for the CLI.
3. Time the report path, ``Recording.open`` + :func:`analyze_recording` with the profile's
   model, ``--repeat`` times (3) each way: with the decoding in a second process
   (``offload=True``, as ``winkmon report`` runs it) and all in this process; the best of
   each counts. Says whether the rep tracker runs compiled (``setup.py``, mypyc).
4. The rep tracker alone, compiled and from its Python source: the grid the pipeline hands it
   over the whole session is captured once, then each tracker steps through it (best of
   ``--repeat``); the events must be the same.
5. For scale, time a plain per-sample ``ahrs`` Madgwick loop
   (``Madgwick(frequency=rate).updateIMU(q, gyr, acc)``) over the same decoded samples of both
   sensors, and print report / Madgwick. ``--madgwick-minutes M`` times only the first ``M``
   minutes of each sensor and extrapolates linearly to the whole session (labelled so).
6. Time the whole CLI, ``winkmon report SESSION --athlete NAME --json OUT`` (OUT in a temporary
   folder), in a subprocess, ``--repeat`` times: wall time including Python start-up and
   imports; best and median.

Wall time with :func:`time.perf_counter`; GC runs normally. Not a test: nothing is asserted.

    .venv/bin/python bench/offline_report.py [--minutes 60] [--seed 1] [--json OUT]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from winkmon._native import is_compiled
from winkmon.calibration import calibrate
from winkmon.pipeline import squat
from winkmon.profiles import AthleteProfile, ProfileStore
from winkmon.protocol.constants import Role
from winkmon.recording import Recording, load_samples
from winkmon.recording.schema import FORMAT_VERSION
from winkmon.samples import SampleBatch
from winkmon.session.offline import analyze_recording

ROLES = (Role.SACRUM, Role.LUMBAR)
TARGET_S = 2.0
ATHLETE = "bench"
BENCH_DIR = Path(__file__).resolve().parent


def session_path(cache: Path, seed: int, rate: int, minutes: float) -> Path:
    """The cached session (named with the recording format it is written in: a newer format
    is simulated and written anew)."""
    return cache / f"offline-seed{seed}-{rate}hz-{minutes:g}min-v{FORMAT_VERSION}.winkmon"


def ensure_session(path: Path, seed: int, rate: int, minutes: float) -> tuple[dict[str, Any], bool]:
    """The cached recording's summary, simulating and writing it first if missing."""
    summary_path = path.with_suffix(".json")
    if path.exists() and summary_path.exists():
        return json.loads(summary_path.read_text(encoding="utf-8")), True
    from winkmon.commands.simulate import write_simulated_recording
    from winkmon.sim import SimConfig, random_script

    config = dataclasses.replace(SimConfig.random(seed), sacrum_rate_hz=rate, lumbar_rate_hz=rate)
    script = random_script(np.random.default_rng(seed), duration_s=minutes * 60.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write under a temporary name: an interrupted run leaves no half session in the cache.
    partial = path.with_name(path.stem + ".partial.winkmon")
    t0 = time.perf_counter()
    summary = write_simulated_recording(partial, config, script, overwrite=True)
    summary["simulate_s"] = time.perf_counter() - t0
    partial.replace(path)
    summary_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary, False


def make_profile(path: Path, profiles: Path) -> tuple[AthleteProfile, dict[Role, SampleBatch]]:
    """Calibrate from the recording (automatic windows); save the profile for the CLI."""
    with Recording.open(path) as rec:
        samples = load_samples(rec).samples
    profile = calibrate(samples, source=str(path)).profile(ATHLETE)
    ProfileStore(profiles).save(profile)
    return profile, samples


def time_report(
    path: Path, profile: AthleteProfile, offload: bool
) -> tuple[float, float, dict[str, int]]:
    """Wall and CPU seconds (this process's) of open + analyze, and what the report found."""
    t0, c0 = time.perf_counter(), time.process_time()
    with Recording.open(path) as rec:
        result = analyze_recording(rec, profile.model(), offload=offload)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    counts = {
        "angles": len(result.angles),
        "reps": len(result.reps),
        "alerts": len(result.alerts),
        "gaps": len(result.gaps),
    }
    return wall, cpu, counts


def time_tracker(path: Path, profile: AthleteProfile, repeat: int) -> dict[str, float]:
    """Best seconds of the rep tracker alone over the session's grid, compiled and source."""
    from winkmon import _native
    from winkmon.pipeline.pipeline import Pipeline

    inputs: list[tuple[Any, ...]] = []
    made: list[tuple[Any, float, bool]] = []  # the tracker's thresholds, rate, angle_available

    class Capture:
        def __init__(self, tracker: Any) -> None:
            self.tracker = tracker

        def step(self, *args: Any) -> Any:
            inputs.append(args)
            return self.tracker.step(*args)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.tracker, name)

    real_init = Pipeline.__init__

    def init(self: Pipeline, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        made.append((self.tracker.th, self.config.out_rate_hz, self.tracker.angle_available))
        self.tracker = Capture(self.tracker)  # type: ignore[assignment]

    Pipeline.__init__ = init  # type: ignore[method-assign]
    try:
        with Recording.open(path) as rec:
            analyze_recording(rec, profile.model())
    finally:
        Pipeline.__init__ = real_init  # type: ignore[method-assign]
    source = _native.load_source("winkmon.pipeline.squat", "_bench_squat_source")
    out: dict[str, float] = {}
    events: dict[str, str] = {}
    for name, module in (
        ("compiled" if is_compiled(squat) else "installed", squat),
        ("source", source),
    ):
        best = float("inf")
        for _ in range(repeat):
            th, rate, has_angle = made[0]
            tracker = module.SquatTracker(th, rate, angle_available=has_angle)
            got = []
            t0 = time.perf_counter()
            for args in inputs:
                got += tracker.step(*args)[3]
            best = min(best, time.perf_counter() - t0)
        out[name] = best
        events[name] = repr(got)
    if len(set(events.values())) != 1:
        raise SystemExit("the compiled tracker and its source gave different events")
    return out


def time_madgwick(
    samples: dict[Role, SampleBatch], rate: float, minutes: float | None
) -> tuple[float, int, int]:
    """Seconds for the timed part, samples timed, samples in the session."""
    from ahrs.filters import Madgwick

    total = sum(len(samples[r]) for r in ROLES)
    timed = 0
    wall = 0.0
    for r in ROLES:
        b = samples[r]
        n = len(b) if minutes is None else min(len(b), round(minutes * 60.0 * b.rate_hz))
        # One (3,) row per sample, as a per-sample loop over decoded data would see them.
        gyr = list(b.gyr_rad_s[:n])
        acc = list(b.acc_m_s2[:n])
        f = Madgwick(frequency=rate)
        q = np.array([1.0, 0.0, 0.0, 0.0])
        t0 = time.perf_counter()
        for g, a in zip(gyr, acc, strict=True):
            q = f.updateIMU(q, g, a)
        wall += time.perf_counter() - t0
        timed += n
    return wall, timed, total


def time_cli(path: Path, profiles: Path) -> tuple[float, int, str]:
    import tempfile

    exe = Path(sys.executable).with_name("winkmon")
    with tempfile.TemporaryDirectory(prefix="winkmon-bench-") as tmp:
        out = Path(tmp) / "report.json"
        cmd = [str(exe), "report", str(path), "--athlete", ATHLETE, "--json", str(out)]
        cmd += ["--profiles", str(profiles)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
    return wall, proc.returncode, proc.stderr.strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0, help="session length (default 60)")
    ap.add_argument("--rate", type=int, default=200, help="both sensors' rate, Hz (200)")
    ap.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    ap.add_argument("--repeat", type=int, default=3, help="report runs; the best counts (3)")
    ap.add_argument(
        "--madgwick-minutes",
        type=float,
        default=None,
        metavar="M",
        help="time the Madgwick loop over the first M minutes per sensor and extrapolate "
        "(default: the whole session)",
    )
    ap.add_argument("--no-cli", action="store_true", help="skip the CLI subprocess timing")
    ap.add_argument("--cache", type=Path, default=BENCH_DIR / ".cache", help="cache directory")
    ap.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = ap.parse_args(argv)

    path = session_path(args.cache, args.seed, args.rate, args.minutes)
    summary, cached = ensure_session(path, args.seed, args.rate, args.minutes)
    how = "cached" if cached else f"simulated in {summary['simulate_s']:.1f} s"
    print(
        f"session: {path} ({how}): {summary['duration_s'] / 60:.1f} min, 2 sensors at "
        f"{args.rate} Hz, {summary['reps']} reps, {path.stat().st_size / 1e6:.0f} MB"
    )
    profiles = args.cache / "profiles"
    t0 = time.perf_counter()
    profile, samples = make_profile(path, profiles)
    n_samples = sum(len(samples[r]) for r in ROLES)
    print(
        f"profile {ATHLETE!r}: calibrated in {time.perf_counter() - t0:.1f} s "
        f"(load_samples + calibrate); {n_samples:,} samples decoded"
    )
    with Recording.open(path) as rec:
        n_frames = rec.frame_count()

    runs: list[float] = []
    cpus: list[float] = []
    local_runs: list[float] = []
    counts: dict[str, int] = {}
    load = os.getloadavg()[0]
    for _ in range(args.repeat):
        wall, cpu, counts = time_report(path, profile, offload=True)
        runs.append(wall)
        cpus.append(cpu)
        wall, _, local_counts = time_report(path, profile, offload=False)
        local_runs.append(wall)
        if local_counts != counts:
            raise SystemExit(f"offloaded and in-process reports differ: {counts} {local_counts}")
    best = min(runs)
    local_best = min(local_runs)

    tracker_s = time_tracker(path, profile, args.repeat)
    mw_wall, mw_n, mw_total = time_madgwick(samples, float(args.rate), args.madgwick_minutes)
    mw_extrapolated = mw_n != mw_total
    mw_full = mw_wall * mw_total / mw_n

    clis = [] if args.no_cli else [time_cli(path, profiles) for _ in range(args.repeat)]
    cli: tuple[float, int, str] | None = min(clis) if clis else None
    cli_median = statistics.median(c[0] for c in clis) if clis else None

    print()
    print(f"{'step':<50} {'seconds':>9}")
    for i, (w, c, w1) in enumerate(zip(runs, cpus, local_runs, strict=True), 1):
        print(
            f"{f'report run {i} (open + analyze_recording, offload)':<50} {w:>9.2f}  "
            f"(CPU here {c:.2f} s; in one process {w1:.2f} s)"
        )
    verdict = "OK" if best <= TARGET_S else "OVER TARGET"
    print(
        f"{'report, best of ' + str(len(runs)):<50} {best:>9.2f}  target <= {TARGET_S:g} s: "
        f"{verdict}"
    )
    print(f"{'report in one process, best of ' + str(len(runs)):<50} {local_best:>9.2f}")
    label = "Madgwick per-sample loop"
    if mw_extrapolated:
        print(f"{label + f' (timed {mw_n:,} samples)':<50} {mw_wall:>9.2f}")
        print(f"{label + ' EXTRAPOLATED to all':<50} {mw_full:>9.2f}")
    else:
        print(f"{label + f' ({mw_n:,} samples)':<50} {mw_full:>9.2f}")
    ratio = best / mw_full
    print(
        f"{'ratio report / Madgwick' + (' (extrapolated)' if mw_extrapolated else ''):<50} "
        f"{ratio:>9.3f}"
    )
    if cli is not None:
        status = "" if cli[1] == 0 else f"  (exit {cli[1]}: {cli[2][-200:]})"
        label = f"CLI winkmon report (subprocess, best of {len(clis)})"
        print(f"{label:<50} {cli[0]:>9.2f}  median {cli_median:.2f}{status}")
    print()
    alone = ", ".join(f"{k} {v:.2f} s" for k, v in tracker_s.items())
    kind = "compiled (mypyc)" if is_compiled(squat) else "Python source"
    print(f"rep tracker: {kind}; alone over the session's grid (best of {args.repeat}): {alone}")
    print(f"load average (1 min) before the report runs: {load:.2f} on {os.cpu_count()} CPUs")
    print(
        f"{n_frames:,} notifications, {n_samples:,} samples; report: {counts['angles']:,} "
        f"angle points, {counts['reps']} reps, {counts['alerts']} alerts, {counts['gaps']} gaps; "
        f"{n_samples / best:,.0f} samples/s"
    )

    if args.json:
        doc = {
            "bench": "offline_report",
            "session": str(path),
            "seed": args.seed,
            "rate_hz": args.rate,
            "duration_s": summary["duration_s"],
            "notifications": n_frames,
            "samples": n_samples,
            "report_runs_s": runs,
            "report_cpu_s": cpus,
            "report_best_s": best,
            "report_one_process_runs_s": local_runs,
            "report_one_process_best_s": local_best,
            "tracker_compiled": is_compiled(squat),
            "tracker_alone_s": tracker_s,
            "loadavg_1min": load,
            "target_s": TARGET_S,
            "within_target": best <= TARGET_S,
            "result_counts": counts,
            "madgwick_timed_s": mw_wall,
            "madgwick_timed_samples": mw_n,
            "madgwick_s": mw_full,
            "madgwick_extrapolated": mw_extrapolated,
            "ratio_report_over_madgwick": ratio,
            "cli_wall_s": None if cli is None else cli[0],
            "cli_median_s": cli_median,
            "cli_exit": None if cli is None else cli[1],
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
