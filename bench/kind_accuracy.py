"""Accuracy per sensor kind: the accuracy bench's sessions as each kind would deliver them.

For every kind (``--kinds``; default all five) and every simulated session of
``bench/accuracy.py`` (same seeds and styles): the session is simulated at the kind's live
rate, each sensor's samples are framed by the kind's own emulator and timed by a BLE link model
(:mod:`winkmon.virtual.kind_session`: connection events, retransmits, host delay, loss;
host-timed kinds get no device time), then the one Session decodes them with the kind's
registered decoder and runs the pipeline. Like a user, the bench calibrates from the session's
own calibration block (decoded the same way). Figures as bench/accuracy.py (angle RMSE,
peak-flexion error, rep F1, winks caught / alerted, false flexion verdicts) plus the depth
error of matched reps (estimated - true pelvis drop, cm).

Real data (``--real``, default on when ``../shared/realdata/squat-sets-3imu`` exists): the
rep tracker on real squat sets (bench/real_reps.py's logic, one waist sensor), at the data's
own ~110 Hz and resampled to each kind's rate below that (60 Hz: Movella DOT) with
``real_reps.resample`` (FIR anti-alias low-pass at 0.42 x rate, then linear interpolation at
exact sample times). Kinds above 110 Hz cannot be told apart on that data.

    python bench/kind_accuracy.py [--sessions 24] [--style classic] [--kinds K1,K2] [--json F]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from accuracy import ROLES, Totals, score, summarise
from winkmon.calibration import calibrate
from winkmon.drivers import KINDS, device_kind
from winkmon.errors import CalibrationError
from winkmon.pipeline.offline import ResultCollector
from winkmon.pipeline.pipeline import Pipeline, PipelineConfig
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch
from winkmon.session.session import Session
from winkmon.sim import STYLES, random_session
from winkmon.sim.session import SimStream
from winkmon.virtual.kind_session import kind_config, kind_session, session_events

KIND_ORDER = ("winkmon", "polar-verity", "metamotion", "witmotion", "movella-dot")


def decoded(events: list) -> dict[Role, SampleBatch]:  # type: ignore[type-arg]
    """Every sample of the session, as the Session decodes it (no pipeline)."""
    got: dict[Role, list[SampleBatch]] = {}
    session = Session(None, session_start_ns=0, roles=list(ROLES))
    session.batch_listeners.append(lambda b: got.setdefault(b.role, []).append(b))
    session.run(events)
    session.finish()
    return {r: SampleBatch.concat(got[r]) for r in ROLES}


def run_kind(
    seed: int, style: str, kind: str, tot: Totals, depth: list[float], lossless: bool = False
) -> dict:  # type: ignore[type-arg]
    cfg, script = random_session(seed, style)
    if lossless:
        cfg = replace(cfg, drop_prob=0.0, bursts_per_min=0.0)
    stream = SimStream(kind_config(cfg, kind), script)
    truth = stream.truth()
    streams = kind_session(stream, kind)
    events = session_events(streams)
    tot.sessions += 1
    tot.seconds += stream.duration_s
    model = calibrate(decoded(events)).profile("bench").model()
    rates = {r: s.started.rate_hz for r, s in streams.items()}
    pipeline = Pipeline(model, rates, PipelineConfig())
    session = Session(pipeline, session_start_ns=0)
    collector = ResultCollector(pipeline)
    session.step_listeners.append(collector)
    session.run(events)
    session.finish()
    res = collector.result(session.stats)
    row = score(res, truth, tot, depth)
    row["loss_pct"] = float(np.mean([s.loss_pct for s in session.stats.values()]))
    row["sent"] = sum(s.sent for s in streams.values())
    row["delivered"] = sum(len(s.payloads) for s in streams.values())
    return row


def real_rows(data: Path, kinds: list[str]) -> dict[str, dict]:  # type: ignore[type-arg]
    import real_reps

    files = sorted(data.glob("class*_subject*_set*.csv")) if data.is_dir() else []
    if not files:
        return {}
    out: dict[str, dict] = {}  # type: ignore[type-arg]
    native = real_reps.evaluate(files, False)
    out["as recorded (~110 Hz)"] = _real_summary(native, [k for k in kinds if _rate(k) >= 100])
    for rate in sorted({_rate(k) for k in kinds if _rate(k) < 100}):
        res = real_reps.evaluate(files, False, rate)
        out[f"resampled to {rate:g} Hz"] = _real_summary(
            res, [k for k in kinds if _rate(k) == rate]
        )
    return out


def _rate(kind: str) -> float:
    return 200.0 if kind == "winkmon" else device_kind(kind).rate_hz


def _real_summary(res: dict, kinds: list[str]) -> dict:  # type: ignore[type-arg]
    a = res["all"]
    wink = res["pelvis_tuck_flagged_pct"]
    return {
        "kinds": kinds,
        "sets": a["sets"],
        "rep_f1": a["f1"],
        "precision": a["precision"],
        "recall": a["recall"],
        "depth_abs_error_cm_median": a["depth_abs_error_cm_median"],
        "tuck_cue_butt_wink_pct": wink.get("butt wink"),
        "tuck_cue_correct_pct": wink.get("correct"),
        "tuck_auc_per_subject": [v["auc_wink_vs_correct"] for v in res["pelvis_tuck_cue"].values()],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=24)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--style", default="classic", choices=STYLES)
    ap.add_argument("--kinds", default=",".join(KIND_ORDER), help="comma-separated kinds")
    ap.add_argument(
        "--real",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared" / "realdata" / "squat-sets-3imu",
        help="the squat-sets-3imu folder (real-data rows; skipped if absent)",
    )
    ap.add_argument(
        "--lossless",
        action="store_true",
        help="no notification is lost (a BLE link acknowledges every packet; only its drops "
        "and overflows lose data)",
    )
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per session")
    args = ap.parse_args()
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    for k in kinds:
        if k not in KINDS:
            device_kind(k)
    out: dict[str, dict] = {}  # type: ignore[type-arg]
    t_all = time.perf_counter()
    for kind in kinds:
        tot, depth = Totals(), []  # type: ignore[var-annotated]
        t0 = time.perf_counter()
        for seed in range(args.first_seed, args.first_seed + args.sessions):
            try:
                row = run_kind(seed, args.style, kind, tot, depth, args.lossless)
            except CalibrationError as exc:
                tot.calib_failures += 1
                print(f"{kind} seed {seed}: calibration failed: {exc}", file=sys.stderr)
                continue
            if args.verbose:
                print(
                    f"{kind:12s} seed {seed:3d} "
                    + "  ".join(f"{k} {v:.3g}" for k, v in row.items()),
                    flush=True,
                )
        s = summarise(tot)
        d = np.abs(np.asarray(depth))
        s["depth_abs_error_cm_median"] = round(float(np.median(d)), 2) if d.size else float("nan")
        s["depth_abs_error_cm_p90"] = (
            round(float(np.percentile(d, 90)), 2) if d.size else float("nan")
        )
        s["rate_hz"] = _rate(kind)
        s["timing"] = "device" if kind == "winkmon" else device_kind(kind).timing
        s["seconds_to_run"] = round(time.perf_counter() - t0, 1)
        out[kind] = s
        print(f"{kind}: done in {s['seconds_to_run']} s", file=sys.stderr, flush=True)
    print(
        f"\n{args.sessions} simulated {args.style} sessions per kind (seeds {args.first_seed}.."
        f"{args.first_seed + args.sessions - 1}){', no loss' if args.lossless else ''}, "
        f"{time.perf_counter() - t_all:.0f} s"
    )
    keys = [k for k in next(iter(out.values())) if k != "seconds_to_run"]
    print(f"{'':26s}" + "".join(f"{k:>14s}" for k in kinds))
    for key in keys:
        print(f"{key:26s}" + "".join(f"{out[k][key]!s:>14}" for k in kinds))
    real = real_rows(args.real, kinds)
    if real:
        print(f"\nreal squat sets ({args.real}), one waist sensor:")
        for name, r in real.items():
            print(f"  {name}: {r}")
    else:
        print(f"\nreal data not found in {args.real}: no real-data rows", file=sys.stderr)
    if args.json:
        doc = {
            "style": args.style,
            "sessions": args.sessions,
            "lossless": args.lossless,
            "simulated": out,
            "real": real,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
