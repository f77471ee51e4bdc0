"""Calibration on simulated sessions: how many athletes it accepts, and how good it is then.

Each session is ``SimConfig.random(seed)`` with a random script: a random athlete whose
calibration bends are lumbar-dominant (trunk 45-70 deg, pelvis 8-22 deg) or hip-dominant
(pelvis 20-37 deg), sensors rolled sideways on the skin by up to 20 deg, a sacrum face tilt of
0-60 deg, some sensors facing into the body, noise, bias, clock drift and packet loss. Like a
user, the bench calibrates from the recording with the windows found automatically, then, for
the accepted sessions, runs the live pipeline (as ``bench/accuracy.py`` does) and reports:

- acceptance rate (and each refusal's message with ``-v``);
- angle RMSE over the accepted sessions, and every true ``flexion`` rep caught;
- honesty of the stated axis uncertainty: the true axis error of each sensor against the
  stated 1-sigma, the share within 1 and 2 sigma (a Gaussian gives 68 % and 95 %), and the
  stated lumbopelvic error at 30 deg against the one the true axis errors give.

    python bench/calibration.py --seeds 1-50 [--without-bends] [--json out.json] [-v]

``--without-bends`` drops the calibration block from every script: the session's own short
stand (2-5 s) and its squats must calibrate it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

from winkmon.calibration import angle_error_deg, calibrate
from winkmon.errors import CalibrationError
from winkmon.pipeline.events import AlertLevel, Verdict
from winkmon.pipeline.model import AthleteModel, Mount
from winkmon.pipeline.pipeline import Pipeline, PipelineConfig
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch
from winkmon.session.offline import run_notifications
from winkmon.sim import Calibrate, SessionScript, SimConfig, SimSession, random_script, simulate
from winkmon.stream import SensorStream

ROLES = (Role.SACRUM, Role.LUMBAR)


def parse_seeds(text: str) -> list[int]:
    """``"1-50"``, ``"3,7,9"`` or a mix."""
    out: list[int] = []
    for part in text.split(","):
        a, sep, b = part.partition("-")
        out += list(range(int(a), int(b) + 1)) if sep else [int(a)]
    return out


def samples_of(sess: SimSession) -> dict[Role, SampleBatch]:
    out = {}
    for r in ROLES:
        rows = sess.frames[r]
        batch = SensorStream(r, sess.start_params[r].rate_hz).feed_many(
            [t for t, _ in rows], [p for _, p in rows]
        )
        if batch is not None:
            out[r] = batch
    return out


def axis_error_deg(found: np.ndarray, true: np.ndarray) -> float:
    """Angle between the found and the true medio-lateral axis (mount column y), degrees."""
    c = float(np.dot(found[:, 1], true[:, 1]))
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def run_session(seed: int, without_bends: bool = False) -> dict[str, object]:
    cfg = SimConfig.random(seed)
    script = random_script(np.random.default_rng(seed))
    if without_bends:  # the session's short stand, then walking and squats: no bends at all
        script = SessionScript(tuple(a for a in script.activities if not isinstance(a, Calibrate)))
    sess = simulate(cfg, script)
    row: dict[str, object] = {
        "seed": seed,
        "bend_pelvis_deg": round(cfg.athlete.bend_pelvis_deg[0], 1),
        "bend_trunk_deg": round(
            cfg.athlete.bend_pelvis_deg[0] + cfg.athlete.bend_flexion_deg[0], 1
        ),
        "facing_in": [r.label for r in cfg.mount_facing_in],
        "seconds": sess.duration_s,
    }
    try:
        cal = calibrate(samples_of(sess))
    except CalibrationError as exc:
        row["accepted"] = False
        row["refusal"] = str(exc)
        return row
    row["accepted"] = True
    row["angle_error_deg"] = cal.record.angle_error_deg
    row["motion_source"] = cal.record.motion_source
    row["neutral_source"] = cal.record.neutral_source
    axes = {}
    true_errs = {}
    for r in ROLES:
        true = sess.truth.mounts[r].matrix.T
        err = axis_error_deg(cal.mounts[r].matrix, true)
        q = cal.sensors[r].quality
        axes[r.label] = {
            "true_error_deg": round(err, 2),
            "stated_deg": round(q.axis_uncertainty_deg or float("nan"), 2),
            "facing_in_found": q.facing_in,
            "facing_in_true": r in cfg.mount_facing_in,
        }
        true_errs[r] = err
    row["axes"] = axes
    row["true_angle_error_deg"] = math.sqrt(
        sum(angle_error_deg(e) ** 2 for e in true_errs.values())
    )
    rates = {r: float(sess.start_params[r].rate_hz) for r in ROLES}
    items = sorted(((r, t, p) for r in ROLES for (t, p) in sess.frames[r]), key=lambda x: x[1])
    # the same pipeline with the simulator's true mounts: what no calibration could improve
    true_model = AthleteModel({r: Mount(sess.truth.mounts[r].matrix.T) for r in ROLES})
    for key, model in (("true_mounts_", true_model), ("", cal.profile("bench").model())):
        res = run_notifications(Pipeline(model, rates, PipelineConfig()), items)
        a = res.angles
        ok = ~np.isnan(a.lumbopelvic_deg)
        truth = np.interp(a.t_s[ok], sess.truth.t_s, sess.truth.lumbopelvic_deg)
        err = a.lumbopelvic_deg[ok] - truth
        row[key + "sq_err"] = float(np.sum(err**2))
        row[key + "n_err"] = int(err.size)
        row[key + "rmse_deg"] = float(np.sqrt(np.mean(err**2)))
    flex_alert = {al.rep_number for al in res.alerts if al.level is AlertLevel.FLEXION}
    winks = caught = 0
    for tr in sess.truth.reps:
        if tr.verdict.value != "flexion":
            continue
        winks += 1
        rep = next((x for x in res.reps if tr.start_s - 0.5 <= x.bottom_s <= tr.end_s + 0.5), None)
        caught += rep is not None and rep.verdict is Verdict.FLEXION and rep.number in flex_alert
    row["winks"] = winks
    row["winks_caught"] = caught
    return row


def summarise(rows: list[dict[str, object]]) -> dict[str, object]:
    acc = [r for r in rows if r["accepted"]]
    sq = sum(float(r["sq_err"]) for r in acc)  # type: ignore[arg-type]
    n = sum(int(r["n_err"]) for r in acc)  # type: ignore[call-overload]
    sq_t = sum(float(r["true_mounts_sq_err"]) for r in acc)  # type: ignore[arg-type]
    n_t = sum(int(r["true_mounts_n_err"]) for r in acc)  # type: ignore[call-overload]
    ratios = []
    facing_ok = 0
    facing_n = 0
    for r in acc:
        for ax in r["axes"].values():  # type: ignore[attr-defined]
            ratios.append(ax["true_error_deg"] / max(ax["stated_deg"], 1e-9))
            facing_n += 1
            facing_ok += ax["facing_in_found"] == ax["facing_in_true"]
    stated = [float(r["angle_error_deg"]) for r in acc]  # type: ignore[arg-type]
    true = [float(r["true_angle_error_deg"]) for r in acc]  # type: ignore[arg-type]
    ratio = np.asarray(ratios) if ratios else np.zeros(0)
    return {
        "sessions": len(rows),
        "accepted": len(acc),
        "accepted_pct": round(100.0 * len(acc) / max(1, len(rows)), 1),
        "angle_rmse_deg": round(math.sqrt(sq / max(1, n)), 3),
        "angle_rmse_true_mounts_deg": round(math.sqrt(sq_t / max(1, n_t)), 3),
        "median_session_rmse_deg": round(float(np.median([r["rmse_deg"] for r in acc])), 3)  # type: ignore[misc]
        if acc
        else 0.0,
        "worst_session_rmse_deg": round(max((float(r["rmse_deg"]) for r in acc), default=0.0), 3),  # type: ignore[arg-type]
        "winks": sum(int(r["winks"]) for r in acc),  # type: ignore[call-overload]
        "winks_caught": sum(int(r["winks_caught"]) for r in acc),  # type: ignore[call-overload]
        "facing_found_right": f"{facing_ok}/{facing_n}",
        "axis_within_1_sigma_pct": round(100.0 * float(np.mean(ratio <= 1.0)), 1)
        if ratio.size
        else 0.0,
        "axis_within_2_sigma_pct": round(100.0 * float(np.mean(ratio <= 2.0)), 1)
        if ratio.size
        else 0.0,
        "axis_true_error_p90_deg": round(
            float(
                np.percentile([ax["true_error_deg"] for r in acc for ax in r["axes"].values()], 90)
            ),  # type: ignore[attr-defined]
            2,
        )
        if acc
        else 0.0,
        "stated_error_at_30_median_deg": round(float(np.median(stated)), 3) if stated else 0.0,
        "true_error_at_30_median_deg": round(float(np.median(true)), 3) if true else 0.0,
        "true_over_stated_error_at_30_pct": round(
            100.0 * float(np.mean(np.asarray(true) <= np.asarray(stated))), 1
        )
        if stated
        else 0.0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1-50", help="e.g. 1-50 or 3,7,9")
    ap.add_argument("--json", help="write the figures (and per-session rows) here")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per session")
    ap.add_argument(
        "--without-bends",
        action="store_true",
        help="drop the calibration block: each session is its short stand, then squats",
    )
    args = ap.parse_args()
    seeds = parse_seeds(args.seeds)
    t0 = time.perf_counter()
    rows = []
    for seed in seeds:
        row = run_session(seed, args.without_bends)
        rows.append(row)
        if args.verbose:
            if row["accepted"]:
                axes = row["axes"]
                axis_text = "  ".join(
                    f"{k} {v['true_error_deg']:.1f}/{v['stated_deg']:.1f}°"  # type: ignore[index]
                    for k, v in axes.items()  # type: ignore[attr-defined]
                )
                print(
                    f"seed {seed:4d} pelvis {row['bend_pelvis_deg']:5.1f} trunk "
                    f"{row['bend_trunk_deg']:5.1f}  rmse {row['rmse_deg']:.2f} (true mounts "
                    f"{row['true_mounts_rmse_deg']:.2f})  axes "
                    f"(true/stated) {axis_text}  winks {row['winks_caught']}/{row['winks']}",
                    flush=True,
                )
            else:
                print(f"seed {seed:4d} REFUSED: {row['refusal']}", flush=True)
    out = summarise(rows)
    print(f"\n{len(seeds)} simulated sessions, {time.perf_counter() - t0:.0f} s")
    for k, v in out.items():
        print(f"{k:36s}{v!s:>12}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"summary": out, "sessions": rows}, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
