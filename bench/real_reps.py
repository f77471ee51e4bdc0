"""Rep detection and depth on real squat sets, against their labels and a leg-sensor reference.

Data: ``../shared/realdata/squat-sets-3imu/`` (see its README; not part of the repository and
never copied into it). Back-to-back 10-rep squat sets, 5 styles, from a waist-worn IMU facing
into the body at ~110 Hz on an integer-millisecond clock, plus thigh and shank IMUs. winkmon
sees only the waist sensor, as the sacrum sensor of an uncalibrated, one-sensor session: the
whole pipeline (orientation, vertical acceleration, rep tracker) exactly as a report runs it.

- **Reps**: a detected rep matches a labelled one if its bottom lies inside the labelled window
  (one to one); precision, recall and F1 per style.
- **Depth reference**: hip-joint travel from the thigh and shank sensors. Each segment's
  sagittal angle is measured about its own flexion axis (the principal axis of its angular
  rate over the set), zero at its most extended posture in the set (standing); hip height above
  the ankle is ``L_shank cos(shank) + L_thigh cos(thigh)`` with both lengths 0.42 m (0.245 x a
  1.72 m stature, Winter's anthropometric tables; the subjects' statures are not known, so the
  reference itself is uncertain by about +-5 % of depth). A rep's reference depth is the height
  at its top minus the lowest height in it.
- **Pelvis-only wink cue**: each rep's ``pelvis_tuck_deg`` as winkmon reports it: how far the
  waist sensor's forward tilt comes back between its largest value in the descent and the
  bottom (posterior pelvic tilt = butt wink, seen from the pelvis). Compared per subject
  between the butt-wink and the correct sets (AUC: the chance that a wink rep's cue exceeds
  a correct rep's).

``--rate HZ`` resamples the waist sensor first (:func:`resample`): what a sensor of that rate
(a 60 Hz Movella DOT) would have given on the same people.

    python bench/real_reps.py [--data DIR] [--rate HZ] [--json OUT] [-v]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from winkmon import quaternion as quat
from winkmon.orientation import estimate
from winkmon.pipeline.model import AthleteModel
from winkmon.pipeline.offline import SessionResult, run_batches
from winkmon.pipeline.pipeline import Pipeline
from winkmon.pipeline.squat import PELVIS_TUCK_CUE_DEG
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "squat-sets-3imu"
STYLES = {0: "correct", 1: "knee valgus", 2: "butt wink", 3: "excessive lean", 4: "partial"}
SEGMENT_M = 0.42
NAME = re.compile(r"class(\d)_subject(\d+)_set(\d+)\.csv$")


@dataclass
class SetData:
    name: str
    style: int
    subject: int
    t_s: np.ndarray  # from the box's millisecond clock
    seq: np.ndarray
    acc: dict[int, np.ndarray]  # per IMU (0 waist, 1 thigh, 2 shank), m/s^2
    gyr: dict[int, np.ndarray]  # rad/s
    windows: list[tuple[int, int]]  # labelled reps, row indices, end exclusive


def load(path: Path) -> SetData:
    m = NAME.search(path.name)
    if m is None:
        raise ValueError(f"{path}: not a classC_subjectS_setM.csv file")
    cols = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=range(1, 24))
    labels = json.loads(path.with_name(path.stem + "_reps.json").read_text())
    ms = cols[:, 1]
    return SetData(
        name=path.stem,
        style=int(m.group(1)),
        subject=int(m.group(2)),
        t_s=(ms - ms[0]) / 1000.0,
        seq=cols[:, 0].astype(np.int64),
        acc={k: cols[:, 5 + 6 * k : 8 + 6 * k] for k in range(3)},
        gyr={k: cols[:, 8 + 6 * k : 11 + 6 * k] for k in range(3)},
        windows=[(w["start_sample"], w["end_sample"]) for w in labels["windows"]],
    )


def waist_batch(d: SetData) -> SampleBatch:
    """The waist IMU as winkmon's sacrum sensor: sample index from the packet counter,
    time from the box's clock, the nominal rate fitted to that clock."""
    index = d.seq - d.seq[0]
    rate = float(index[-1] / (d.t_s[-1] - d.t_s[0]))
    return SampleBatch(
        role=Role.SACRUM,
        index=index,
        t_dev_us=np.round(d.t_s * 1e6).astype(np.int64),
        t_s=d.t_s + 0.0,
        acc_m_s2=d.acc[0],
        gyr_rad_s=d.gyr[0],
        rate_hz=rate,
    )


def lowpass(x: np.ndarray, rate_hz: float, cutoff_hz: float, taps: int = 31) -> np.ndarray:
    """Zero-phase windowed-sinc (Hamming) FIR low-pass of each column of ``x``."""
    k = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(2 * cutoff_hz / rate_hz * k) * np.hamming(taps)
    h /= h.sum()
    pad = np.pad(x, ((taps // 2, taps // 2), (0, 0)), mode="edge")
    return np.stack([np.convolve(pad[:, j], h, mode="valid") for j in range(x.shape[1])], 1)


def resample(batch: SampleBatch, rate_hz: float) -> SampleBatch:
    """``batch`` as a sensor sampling at ``rate_hz`` would give it: anti-aliased (FIR low-pass
    at 0.42 x ``rate_hz``, when lower than the original rate) and linearly interpolated at
    ``t0 + k / rate_hz`` on the box's clock, each sample exactly timed (device-timed)."""
    t = batch.t_s
    n = int(np.floor((t[-1] - t[0]) * rate_hz)) + 1
    t_new = t[0] + np.arange(n) / rate_hz
    acc, gyr = batch.acc_m_s2, batch.gyr_rad_s
    if rate_hz < batch.rate_hz:
        acc = lowpass(acc, batch.rate_hz, 0.42 * rate_hz)
        gyr = lowpass(gyr, batch.rate_hz, 0.42 * rate_hz)

    def interp(x: np.ndarray) -> np.ndarray:
        return np.stack([np.interp(t_new, t, x[:, j]) for j in range(3)], 1)

    return SampleBatch(
        role=batch.role,
        index=np.arange(n, dtype=np.int64),
        t_dev_us=np.round(t_new * 1e6).astype(np.int64),
        t_s=t_new,
        acc_m_s2=interp(acc),
        gyr_rad_s=interp(gyr),
        rate_hz=float(rate_hz),
    )


def run_winkmon(batch: SampleBatch) -> SessionResult:
    """The whole pipeline on the waist sensor, as an uncalibrated one-sensor session."""
    pipe = Pipeline(AthleteModel.uncalibrated(), {Role.SACRUM: batch.rate_hz})
    return run_batches(pipe, [batch])


def sagittal_angle_deg(acc: np.ndarray, gyr: np.ndarray, rate_hz: float) -> np.ndarray:
    """A leg segment's angle from its most extended posture, about its own flexion axis."""
    up = quat.up_in_sensor(estimate(gyr, acc, rate_hz))
    _, _, vt = np.linalg.svd(gyr - gyr.mean(axis=0), full_matrices=False)
    axis = vt[0]
    e1 = np.cross(axis, [1.0, 0.0, 0.0] if abs(axis[0]) < 0.9 else [0.0, 1.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    ang = np.degrees(np.unwrap(np.arctan2(up @ e2, up @ e1)))
    start = float(np.median(ang[:20]))  # the set begins standing: the extended side
    lo, hi = np.percentile(ang, 1), np.percentile(ang, 99)
    return ang - lo if abs(lo - start) < abs(hi - start) else hi - ang


def hip_height_m(d: SetData, rate_hz: float) -> np.ndarray:
    h = np.zeros(len(d.t_s))
    for k in (1, 2):
        h += SEGMENT_M * np.cos(np.radians(sagittal_angle_deg(d.acc[k], d.gyr[k], rate_hz)))
    return h


def reference_depth_cm(h: np.ndarray, window: tuple[int, int]) -> float:
    """Hip travel in a labelled rep (rows ``window``, top to top): the height at its higher
    top minus the lowest height in it. Independent of winkmon's own segmentation."""
    i0, i1 = window
    seg = h[i0:i1]
    if seg.size < 3:
        return float("nan")
    return float((max(seg[0], seg[-1]) - seg.min()) * 100)


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    sets: int = 0
    sets_without_reps: int = 0

    def f1(self) -> float:
        return 2 * self.tp / max(1, 2 * self.tp + self.fp + self.fn)


def evaluate(files: list[Path], verbose: bool, rate_hz: float | None = None) -> dict[str, object]:
    """The figures (module doc); ``rate_hz``: the waist sensor resampled to this rate
    (:func:`resample`) as if a sensor of that rate had been worn (the leg reference keeps the
    original rate)."""
    tallies: dict[int, Tally] = defaultdict(Tally)
    depth_err: dict[int, list[float]] = defaultdict(list)
    depth_est: dict[int, list[float]] = defaultdict(list)
    depth_ref: dict[int, list[float]] = defaultdict(list)
    tuck: dict[tuple[int, int], list[float]] = defaultdict(list)  # (style, subject)
    flagged: dict[int, list[bool]] = defaultdict(list)  # per style: the cue fired
    tempo: list[float] = []
    bounds_err: list[float] = []
    for path in files:
        d = load(path)
        batch = waist_batch(d)
        rate = batch.rate_hz
        res = run_winkmon(batch if rate_hz is None else resample(batch, rate_hz))
        h = hip_height_m(d, rate)
        t = d.t_s
        wins = [(t[s], t[min(e, len(t)) - 1]) for s, e in d.windows]
        used: set[int] = set()
        tal = tallies[d.style]
        tal.sets += 1
        reps = res.reps
        tal.sets_without_reps += not reps
        for rep in reps:
            match = next(
                (i for i, (a, b) in enumerate(wins) if i not in used and a <= rep.bottom_s <= b),
                None,
            )
            if match is None:
                tal.fp += 1
                continue
            used.add(match)
            tal.tp += 1
            ref = reference_depth_cm(h, d.windows[match])
            bounds_err.append(
                max(abs(rep.start_s - wins[match][0]), abs(rep.end_s - wins[match][1]))
            )
            depth_err[d.style].append(rep.depth_cm - ref)
            depth_est[d.style].append(rep.depth_cm)
            depth_ref[d.style].append(ref)
            if rep.pelvis_tuck_deg is not None:
                tuck[(d.style, d.subject)].append(rep.pelvis_tuck_deg)
                flagged[d.style].append(rep.pelvis_tuck_deg >= PELVIS_TUCK_CUE_DEG)
            tempo.append(rep.end_s - rep.start_s)
        tal.fn += len(wins) - len(used)
        if verbose:
            print(
                f"{d.name:26s} labelled {len(wins):2d} found {len(reps):2d} matched "
                f"{len(used):2d}  depths " + " ".join(f"{r.depth_cm:.0f}" for r in reps),
                flush=True,
            )
    out: dict[str, object] = {"styles": {}}
    all_t = Tally()
    for style, tal in sorted(tallies.items()):
        e = np.asarray(depth_err[style])
        out["styles"][STYLES[style]] = {  # type: ignore[index]
            "sets": tal.sets,
            "sets_without_reps": tal.sets_without_reps,
            "reps_labelled": tal.tp + tal.fn,
            "precision": round(tal.tp / max(1, tal.tp + tal.fp), 3),
            "recall": round(tal.tp / max(1, tal.tp + tal.fn), 3),
            "f1": round(tal.f1(), 3),
            "depth_cm_median": round(float(np.median(depth_est[style])), 1) if e.size else None,
            "reference_depth_cm_median": round(float(np.median(depth_ref[style])), 1)
            if e.size
            else None,
            "depth_error_cm_median": round(float(np.median(e)), 1) if e.size else None,
            "depth_abs_error_cm_median": round(float(np.median(np.abs(e))), 1) if e.size else None,
            "depth_abs_error_cm_p90": round(float(np.percentile(np.abs(e), 90)), 1)
            if e.size
            else None,
        }
        for k in ("tp", "fp", "fn", "sets", "sets_without_reps"):
            setattr(all_t, k, getattr(all_t, k) + getattr(tal, k))
    e_all = np.concatenate([np.asarray(v) for v in depth_err.values()]) if depth_err else []
    out["all"] = {
        "sets": all_t.sets,
        "sets_without_reps": all_t.sets_without_reps,
        "precision": round(all_t.tp / max(1, all_t.tp + all_t.fp), 3),
        "recall": round(all_t.tp / max(1, all_t.tp + all_t.fn), 3),
        "f1": round(all_t.f1(), 3),
        "depth_abs_error_cm_median": round(float(np.median(np.abs(e_all))), 1)
        if len(e_all)
        else None,
        "rep_duration_s_range": [round(min(tempo), 2), round(max(tempo), 2)] if tempo else None,
        "boundary_error_s_median": round(float(np.median(bounds_err)), 2) if bounds_err else None,
        "boundary_error_s_p90": round(float(np.percentile(bounds_err, 90)), 2)
        if bounds_err
        else None,
    }
    full = [x for s, v in depth_est.items() if s != 4 for x in v]
    part = depth_est.get(4, [])
    out["partial_vs_full"] = {
        "full_depth_cm_median": round(float(np.median(full)), 1) if full else None,
        "partial_depth_cm_median": round(float(np.median(part)), 1) if part else None,
        "partial_below_full_pct": round(
            100 * float(np.mean(np.asarray(part)[:, None] < np.asarray(full)[None, :])), 1
        )
        if full and part
        else None,
    }
    # Pelvis-only cue: butt-wink sets against correct sets of the same subject.
    cue = {}
    for subj in sorted({s for (_, s) in tuck}):
        wink = np.asarray(tuck.get((2, subj), []), dtype=float)
        ok = np.asarray(tuck.get((0, subj), []), dtype=float)
        wink, ok = wink[np.isfinite(wink)], ok[np.isfinite(ok)]
        if wink.size and ok.size:
            auc = float(np.mean(wink[:, None] > ok[None, :]))
            cue[f"subject {subj}"] = {
                "tuck_deg_median_wink": round(float(np.median(wink)), 2),
                "tuck_deg_median_correct": round(float(np.median(ok)), 2),
                "auc_wink_vs_correct": round(auc, 3),
            }
    out["pelvis_tuck_cue"] = cue
    out["pelvis_tuck_flagged_pct"] = {
        STYLES[k]: round(100 * float(np.mean(v)), 1) for k, v in sorted(flagged.items())
    }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the squat-sets-3imu folder")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per set")
    ap.add_argument(
        "--rate",
        type=float,
        default=None,
        metavar="HZ",
        help="resample the waist sensor to this rate first (e.g. 60: a Movella DOT)",
    )
    args = ap.parse_args()
    files = sorted(args.data.glob("class*_subject*_set*.csv")) if args.data.is_dir() else []
    if not files:
        print(
            f"real data not found in {args.data}: this benchmark needs the squat-sets-3imu "
            "recordings (see ../shared/realdata/README.md); nothing measured",
            file=sys.stderr,
        )
        return 0
    out = evaluate(files, args.verbose, args.rate)
    at = f", waist sensor resampled to {args.rate:g} Hz" if args.rate else ""
    print(f"\n{len(files)} real sets from {args.data}{at}")
    hdr = ("style", "sets", "no reps", "P", "R", "F1", "depth", "ref", "|err| med", "p90")
    print("{:16s}{:>6s}{:>9s}{:>7s}{:>7s}{:>7s}{:>8s}{:>7s}{:>11s}{:>7s}".format(*hdr))
    for style, s in out["styles"].items():  # type: ignore[attr-defined]
        print(
            f"{style:16s}{s['sets']:6d}{s['sets_without_reps']:9d}{s['precision']:7.3f}"
            f"{s['recall']:7.3f}{s['f1']:7.3f}{s['depth_cm_median']!s:>8}"
            f"{s['reference_depth_cm_median']!s:>7}{s['depth_abs_error_cm_median']!s:>11}"
            f"{s['depth_abs_error_cm_p90']!s:>7}"
        )
    print("all:", out["all"])
    print("partial vs full:", out["partial_vs_full"])
    print("pelvis-only wink cue (tuck at the bottom, deg):", out["pelvis_tuck_cue"])
    print(
        f"reps with a tuck of {PELVIS_TUCK_CUE_DEG:g} deg or more, per style (%):",
        out["pelvis_tuck_flagged_pct"],
    )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
