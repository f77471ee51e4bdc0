"""Accuracy of the whole pipeline on simulated sessions with known truth.

Each session has a random athlete, random sensor mounts, noise, clock drift and packet loss
(``SimConfig.random(seed)``) and a random script (calibration, walking, turns, re-racks,
pick-ups, 2-4 squat sets whose reps stay extended, lose extension or wink). Like a user, the
bench calibrates from the session's own calibration block (windows found automatically), then
runs the live pipeline over the notifications and compares with the truth:

- angle RMSE over the whole session (grid samples with an angle);
- per-rep peak error (|estimated - true peak flexion|), p90;
- rep detection: a detected rep matches a true one if its bottom lies inside it; F1;
- every true ``flexion`` rep caught (verdict and alert); false ``flexion`` verdicts among the
  other reps; reps found outside any true rep (walking, pick-ups).

Styles (``--style``): ``classic`` (a stand and calibration bends, sets with a breath between
reps), ``back-to-back`` (the same with every set back to back, as real training is) and
``training`` (no stand, no calibration block: straight into back-to-back sets, sensors facing
in half the time, the real acquisition box's 110 Hz millisecond clock half the time; the
session's own squats calibrate it).

    python bench/accuracy.py --sessions 24 [--style classic] [--methods vqf,madgwick] [--json F]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from winkmon.calibration import calibrate
from winkmon.errors import CalibrationError
from winkmon.pipeline.events import AlertLevel, Verdict
from winkmon.pipeline.offline import SessionResult
from winkmon.pipeline.pipeline import Pipeline, PipelineConfig
from winkmon.protocol.constants import Role
from winkmon.session.offline import run_notifications
from winkmon.sim import STYLES, SimSession, random_session, simulate
from winkmon.sim.session import SimTruth
from winkmon.stream import SensorStream

ROLES = (Role.SACRUM, Role.LUMBAR)


@dataclass
class Totals:
    sq_err: float = 0.0
    n_err: int = 0
    peak_errors: list[float] = field(default_factory=list)
    tp: int = 0
    fp: int = 0
    fn: int = 0
    flexion_true: int = 0
    flexion_caught: int = 0
    flexion_alerted: int = 0
    flexion_unknown: int = 0  #: winks judged `unknown` (the angle was missing at the bottom)
    other_true: int = 0
    false_flexion: int = 0
    verdict_ok: int = 0
    outside_reps: int = 0
    calib_failures: int = 0
    seconds: float = 0.0
    sessions: int = 0


def calibrated_model(sess: SimSession):
    samples = {}
    for r in ROLES:
        rows = sess.frames[r]
        batch = SensorStream(r, sess.start_params[r].rate_hz).feed_many(
            [t for t, _ in rows], [p for _, p in rows]
        )
        assert batch is not None
        samples[r] = batch
    return calibrate(samples).profile("bench").model()


def evaluate(sess: SimSession, method: str, tot: Totals) -> dict[str, float]:
    model = calibrated_model(sess)
    rates = {r: float(sess.start_params[r].rate_hz) for r in ROLES}
    items = sorted(((r, t, p) for r in ROLES for (t, p) in sess.frames[r]), key=lambda x: x[1])
    res = run_notifications(Pipeline(model, rates, PipelineConfig(orientation=method)), items)
    return score(res, sess.truth, tot)


def score(
    res: SessionResult, truth: SimTruth, tot: Totals, depth_errors: list[float] | None = None
) -> dict[str, float]:
    """Add one session's result, against its truth, to ``tot`` (``depth_errors``, if given,
    gets estimated - true depth of every matched rep, cm)."""
    a = res.angles
    ok = ~np.isnan(a.lumbopelvic_deg)
    truth_deg = np.interp(a.t_s[ok], truth.t_s, truth.lumbopelvic_deg)
    err = a.lumbopelvic_deg[ok] - truth_deg
    tot.sq_err += float(np.sum(err**2))
    tot.n_err += int(err.size)

    true_reps = list(truth.reps)
    used: set[int] = set()
    flex_alert_reps = {al.rep_number for al in res.alerts if al.level is AlertLevel.FLEXION}
    for rep in res.reps:
        match = next(
            (
                i
                for i, tr in enumerate(true_reps)
                if i not in used and tr.start_s - 0.5 <= rep.bottom_s <= tr.end_s + 0.5
            ),
            None,
        )
        if match is None:
            tot.fp += 1
            tot.outside_reps += 1
            if rep.verdict is Verdict.FLEXION:
                tot.false_flexion += 1
            continue
        used.add(match)
        tr = true_reps[match]
        tot.tp += 1
        if depth_errors is not None:
            depth_errors.append(rep.depth_cm - tr.depth_cm)
        if np.isfinite(rep.peak_flexion_deg):  # no angle in the rep (a sensor out): no peak
            tot.peak_errors.append(abs(rep.peak_flexion_deg - tr.peak_flexion_deg))
        tot.verdict_ok += rep.verdict.value == tr.verdict.value
        if tr.verdict.value == "flexion":
            tot.flexion_caught += rep.verdict is Verdict.FLEXION
            tot.flexion_unknown += rep.verdict is Verdict.UNKNOWN
            tot.flexion_alerted += rep.number in flex_alert_reps
        else:
            tot.false_flexion += rep.verdict is Verdict.FLEXION
    tot.fn += len(true_reps) - len(used)
    tot.flexion_true += sum(1 for tr in true_reps if tr.verdict.value == "flexion")
    tot.other_true += sum(1 for tr in true_reps if tr.verdict.value != "flexion")
    return {
        "rmse_deg": float(np.sqrt(np.mean(err**2))) if err.size else float("nan"),
        "reps_true": len(true_reps),
        "reps_found": len(res.reps),
        "missed": len(true_reps) - len(used),
    }


def summarise(tot: Totals) -> dict[str, float]:
    f1 = 2 * tot.tp / max(1, 2 * tot.tp + tot.fp + tot.fn)
    return {
        "sessions": tot.sessions,
        "hours": round(tot.seconds / 3600, 2),
        "angle_rmse_deg": round(float(np.sqrt(tot.sq_err / max(1, tot.n_err))), 3),
        "peak_error_p90_deg": round(float(np.percentile(tot.peak_errors, 90)), 3)
        if tot.peak_errors
        else float("nan"),
        "peak_error_median_deg": round(float(np.median(tot.peak_errors)), 3)
        if tot.peak_errors
        else float("nan"),
        "rep_f1": round(f1, 4),
        "reps_true": tot.tp + tot.fn,
        "reps_missed": tot.fn,
        "reps_spurious": tot.fp,
        "reps_outside_true_reps": tot.outside_reps,
        "flexion_reps": tot.flexion_true,
        "flexion_caught": tot.flexion_caught,
        "flexion_alerted": tot.flexion_alerted,
        "flexion_unknown": tot.flexion_unknown,
        "false_flexion_pct": round(100 * tot.false_flexion / max(1, tot.other_true), 2),
        "verdict_agreement_pct": round(100 * tot.verdict_ok / max(1, tot.tp), 2),
        "calibration_failures": tot.calib_failures,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=24)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--methods", default="vqf", help="comma-separated orientation methods")
    ap.add_argument("--style", default="classic", choices=STYLES, help="kind of session")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per session")
    args = ap.parse_args()
    methods = args.methods.split(",")
    totals = {m: Totals() for m in methods}
    t0 = time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.sessions):
        cfg, script = random_session(seed, args.style)
        sess = simulate(cfg, script)
        for m in methods:
            tot = totals[m]
            tot.sessions += 1
            tot.seconds += sess.duration_s
            try:
                row = evaluate(sess, m, tot)
            except CalibrationError as exc:
                tot.calib_failures += 1
                print(f"seed {seed}: calibration failed: {exc}", file=sys.stderr)
                continue
            if args.verbose:
                print(
                    f"seed {seed:3d} {m:9s} {sess.duration_s:6.0f} s  "
                    + "  ".join(f"{k} {v:.3g}" for k, v in row.items()),
                    flush=True,
                )
    out = {m: summarise(t) for m, t in totals.items()}
    print(
        f"\n{args.sessions} simulated {args.style} sessions (seeds {args.first_seed}.."
        f"{args.first_seed + args.sessions - 1}), {time.perf_counter() - t0:.0f} s"
    )
    keys = list(next(iter(out.values())).keys())
    print(f"{'':26s}" + "".join(f"{m:>12s}" for m in methods))
    for k in keys:
        print(f"{k:26s}" + "".join(f"{out[m][k]:>12}" for m in methods))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
