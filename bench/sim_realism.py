"""How close the simulator's training sessions come to real squat recordings.

The same summary statistics, measured on the real recordings in
``../shared/realdata/squat-sets-3imu/`` (the waist sensor ``s0``, labelled rep windows) and on
simulated training sessions (``SimConfig.training(seed)`` with :func:`training_script`, the
sacrum sensor, the truth's reps), side by side as 10th / 50th / 90th percentiles:

- timing: steps between consecutive sample stamps (ms; simulated only where the session runs
  on the whole-millisecond box clock), recording start to the first rep, rep duration, gap
  between consecutive reps, the descent's share of a rep;
- noise: std of first differences / sqrt(2) in each recording's stillest 0.36 s, per axis and
  sample, accelerometer (m/s^2) and gyroscope (rad/s), scaled to 200 Hz as white noise;
- offsets: ``|mean acc| - g`` in that window; the mean vertical specific force minus g over the
  sets, the orientation from VQF;
- motion: the sensor's largest inclination change in a rep (deg); around each boundary between
  reps, the longest run of vertical acceleration under 0.25 m/s^2 (s); each rep's depth from
  double-integrated vertical acceleration with the drift removed over the rep (cm).

The real recordings are for development only and are not in the repository: where the folder
is absent the real column is skipped with a message. The simulator's ranges (and these figures)
are in :mod:`winkmon.sim.config`.

    .venv/bin/python bench/sim_realism.py [--sessions 6] [--realdata DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from winkmon.orientation import estimate
from winkmon.protocol import decode_frame
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2, Role
from winkmon.sim import SimConfig, simulate, training_script
from winkmon.sim.rotation import matrix_from_quat

REALDATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata" / "squat-sets-3imu"
STILL_S = 0.36


@dataclass(frozen=True, slots=True, eq=False)
class Take:
    """One sensor's recording: sample times, stamps, signals and rep windows (sample rows)."""

    name: str
    t_s: np.ndarray  #: sample times, s from the recording start
    stamp_ms: np.ndarray | None  #: the device's integer-ms stamps, if it has a ms clock
    acc_m_s2: np.ndarray  #: (N, 3)
    gyr_rad_s: np.ndarray  #: (N, 3)
    reps: list[tuple[int, int]]  #: [start, end) rows of each rep, in order

    @property
    def rate_hz(self) -> float:
        return float((len(self.t_s) - 1) / (self.t_s[-1] - self.t_s[0]))


def load_real(folder: Path) -> list[Take]:
    """The waist sensor of every recording in ``folder``."""
    takes = []
    for path in sorted(folder.glob("class*_subject*_set*.csv")):
        header = path.open(encoding="utf-8").readline().strip().split(",")
        cols = {name: i for i, name in enumerate(header)}
        use = [cols[c] for c in ("millis", "s0_ax", "s0_ay", "s0_az", "s0_gx", "s0_gy", "s0_gz")]
        data = np.loadtxt(path, delimiter=",", skiprows=1, usecols=use)
        ms = data[:, 0].astype(np.int64)
        with path.with_name(path.stem + "_reps.json").open(encoding="utf-8") as fh:
            windows = json.load(fh)["windows"]
        takes.append(
            Take(
                path.stem,
                (ms - ms[0]) / 1000.0,
                ms,
                data[:, 1:4],
                data[:, 4:7],
                [(int(w["start_sample"]), int(w["end_sample"])) for w in windows],
            )
        )
    return takes


def load_sim(seed: int) -> Take:
    """The sacrum sensor of a simulated training session."""
    cfg = SimConfig.training(seed)
    session = simulate(cfg, training_script(np.random.default_rng(seed), n_sets=2))
    idx, acc, gyr = [], [], []
    for _, payload in session.frames[Role.SACRUM]:
        f = decode_frame(payload)
        if f.n:
            idx.append(f.first_index + np.arange(f.n))
            acc.append(f.acc_m_s2)
            gyr.append(f.gyr_rad_s)
    index = np.concatenate(idx)
    clock = session.clocks[Role.SACRUM]
    t = clock.sample_time_s(index)
    stamps = clock.sample_device_us(index) // 1000 if cfg.clock_ms else None
    reps = [
        (int(np.searchsorted(t, r.start_s)), int(np.searchsorted(t, r.end_s)))
        for r in session.truth.reps
    ]
    return Take(f"sim seed {seed}", t - t[0], stamps, np.vstack(acc), np.vstack(gyr), reps)


def _longest_run(mask: np.ndarray) -> int:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return int(np.max(edges[1::2] - edges[0::2])) if edges.size else 0


def measure(take: Take, out: dict[str, list[float]]) -> None:
    """Add ``take``'s statistics to ``out`` (lists per statistic)."""
    t, acc, gyr, reps = take.t_s, take.acc_m_s2, take.gyr_rad_s, take.reps
    rate = take.rate_hz
    if take.stamp_ms is not None:
        out["stamp step, ms"] += np.diff(take.stamp_ms).astype(float).tolist()
    out["start to first rep, s"].append(float(t[reps[0][0]]))
    for a, b in reps:
        out["rep duration, s"].append(float(t[b - 1] - t[a]))
    for (_, b0), (a1, _) in itertools.pairwise(reps):
        out["gap between reps, s"].append(float(t[a1] - t[b0 - 1]))
    # stillest window: least gyro and least change of |acc|
    w = max(8, round(STILL_S * rate))
    score = np.std(sliding_window_view(np.linalg.norm(acc, axis=1), w), axis=1) + np.mean(
        sliding_window_view(np.linalg.norm(gyr, axis=1), w), axis=1
    )
    i = int(np.argmin(score))
    still_a, still_g = acc[i : i + w], gyr[i : i + w]
    to_200 = np.sqrt(200.0 / rate)
    out["acc noise @200 Hz, m/s^2"] += (
        np.std(np.diff(still_a, axis=0), axis=0) / np.sqrt(2) * to_200
    ).tolist()
    out["gyr noise @200 Hz, rad/s"] += (
        np.std(np.diff(still_g, axis=0), axis=0) / np.sqrt(2) * to_200
    ).tolist()
    out["|acc| - g at rest, m/s^2"].append(
        float(np.linalg.norm(still_a.mean(axis=0)) - STANDARD_GRAVITY_M_S2)
    )
    rot = matrix_from_quat(estimate(gyr, acc, rate))
    vert = np.einsum("nij,nj->ni", rot, acc)[:, 2] - STANDARD_GRAVITY_M_S2
    in_sets = vert[reps[0][0] : reps[-1][1]]
    out["vertical offset over sets, m/s^2"].append(float(np.mean(in_sets)))
    vert = vert - np.mean(in_sets)
    up = rot[:, 2, :]  # the world's up in the sensor frame
    for a, b in reps:
        cos = np.clip(up[a:b] @ up[a], -1.0, 1.0)
        out["inclination change in a rep, deg"].append(float(np.degrees(np.max(np.arccos(cos)))))
        tt, az = t[a:b], vert[a:b] - np.mean(vert[a:b])
        v = np.concatenate([[0.0], np.cumsum(0.5 * (az[1:] + az[:-1]) * np.diff(tt))])
        v -= np.linspace(0.0, v[-1], v.size)
        z = np.concatenate([[0.0], np.cumsum(0.5 * (v[1:] + v[:-1]) * np.diff(tt))])
        z -= np.linspace(0.0, z[-1], z.size)
        out["depth (integrated), cm"].append(float(-np.min(z) * 100.0))
        lowest = int(np.argmin(z))
        out["descent share of a rep"].append(float((tt[lowest] - tt[0]) / (tt[-1] - tt[0])))
    half = round(0.5 * rate)
    for (_, b0), (a1, _) in itertools.pairwise(reps):
        if abs(t[a1] - t[b0 - 1]) > 0.3:  # not back to back
            continue
        near = vert[max(0, a1 - half) : a1 + half]
        out["quiet |a_vert| < 0.25 at a rep turn, s"].append(
            _longest_run(np.abs(near) < 0.25) / rate
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=6, help="simulated sessions (seeds 1..N)")
    ap.add_argument("--realdata", type=Path, default=REALDATA, help="squat-sets-3imu folder")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    columns: dict[str, dict[str, list[float]]] = {}
    if args.realdata.is_dir():
        real: dict[str, list[float]] = collections.defaultdict(list)
        takes = load_real(args.realdata)
        for take in takes:
            measure(take, real)
        columns[f"real ({len(takes)} sets)"] = real
    else:
        print(
            f"real recordings not found at {args.realdata}: simulated column only", file=sys.stderr
        )
    sim: dict[str, list[float]] = collections.defaultdict(list)
    for seed in range(1, args.sessions + 1):
        measure(load_sim(seed), sim)
    columns[f"simulated ({args.sessions} sessions)"] = sim
    keys = list(sim)
    table = {
        name: {
            k: [round(float(x), 4) for x in np.percentile(col[k], [10, 50, 90])]
            for k in keys
            if col.get(k)
        }
        for name, col in columns.items()
    }
    print(f"{'p10 / p50 / p90':40s}" + "".join(f"{n:>30s}" for n in table))
    for k in keys:
        cells = ["/".join(f"{x:.3g}" for x in table[n][k]) if k in table[n] else "-" for n in table]
        print(f"{k:40s}" + "".join(f"{c:>30s}" for c in cells))
    for name, col in columns.items():
        steps = col.get("stamp step, ms")
        if steps:
            counts = collections.Counter(int(s) for s in steps)
            share = ", ".join(
                f"{k} ms {100 * v / len(steps):.2f} %"
                for k, v in sorted(counts.items())
                if v / len(steps) >= 0.001
            )
            print(f"{name}: stamp steps {share}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(table, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
