"""Clock mapping: the notification envelope against TIME_SYNC round trips, on a BLE model.

Why: issue 10 asked whether the live clock should use the protocol's TIME_SYNC round trips or
drop them, decided by measurement. The virtual radio has no BLE timing, so this bench models it:

- a sensor clock with an offset and a drift (ppm) against the host;
- notifications leave the sensor every ``--frame-ms`` and are delivered at the next BLE
  connection event (interval ``--interval-ms``, random phase) plus host scheduling jitter
  (exponential, mean ``--jitter-ms``), sometimes a retransmission (one more interval);
- a TIME_SYNC request written by the host goes out at the next connection event, the sensor
  reads its clock and answers at the following one (plus the same jitter both ways);
  ``--syncs-per-min`` round trips per minute.

It maps every notification's device time to session time with :class:`EnvelopeClock` (what
the session uses) and, from the same minutes of data, fits offset and drift to the round trips
(midpoint of the round trip, the best tenth by RTT per window, a line through them), and
prints the error of each against the truth: how far a sample's session time is from when it
was really measured. Nothing here is real data.
"""

from __future__ import annotations

import argparse

import numpy as np

from winkmon.clock import EnvelopeClock


def simulate(args: argparse.Namespace, seed: int) -> tuple[float, float, float, float]:
    rng = np.random.default_rng(seed)
    minutes = args.minutes
    drift = rng.uniform(-args.drift_ppm, args.drift_ppm) * 1e-6
    offset_s = rng.uniform(0, 1000)
    interval = args.interval_ms / 1e3
    phase = rng.uniform(0, interval)

    def deliver(t_host: np.ndarray) -> np.ndarray:
        """Host time at which something ready at ``t_host`` arrives: next connection event,
        sometimes one later (retransmission), plus host scheduling jitter."""
        k = np.ceil((t_host - phase) / interval)
        k += rng.random(len(t_host)) < args.retransmit
        return phase + k * interval + rng.exponential(args.jitter_ms / 1e3, len(t_host))

    # Notifications: the last sample of each frame is measured at t (host, truth).
    t_meas = np.arange(1.0, minutes * 60, args.frame_ms / 1e3)
    dev_us = np.rint((offset_s + t_meas * (1 + drift)) * 1e6).astype(np.int64)
    arrival = deliver(t_meas)
    clock = EnvelopeClock()
    idx = np.arange(len(t_meas))
    mapped = np.empty(len(t_meas))
    step = 50  # feed in chunks, as a session does
    for a in range(0, len(t_meas), step):
        sl = slice(a, a + step)
        mapped[sl] = clock.map_frames(dev_us[sl], arrival[sl], idx[sl] - a, dev_us[sl])
    # The session's zero is arbitrary: compare after removing the common constant (both
    # sensors share it), i.e. the error that matters is its spread over time.
    env_err = mapped - t_meas
    warm = t_meas > 60.0
    env_err = env_err[warm] - np.median(env_err[warm])

    # TIME_SYNC: sent at random times; the sensor reads its clock at the connection event
    # that carries the request; the answer comes at the next event.
    n_sync = int(minutes * args.syncs_per_min)
    t_send = np.sort(rng.uniform(1.0, minutes * 60, n_sync))
    t_read = deliver(t_send)  # the request reaches the sensor
    t_recv = deliver(t_read + 1e-4)  # the answer reaches the host
    dev_read = offset_s + t_read * (1 + drift)
    mid = (t_send + t_recv) / 2
    rtt = t_recv - t_send
    # Best tenth by RTT per minute, then a line dev = a + b * host through those midpoints.
    keep = []
    for m in range(int(minutes)):
        w = np.flatnonzero((mid >= m * 60) & (mid < (m + 1) * 60))
        if len(w):
            keep.extend(w[np.argsort(rtt[w])[: max(1, len(w) // 10)]])
    kk = np.array(sorted(keep))
    b, a = np.polyfit(mid[kk], dev_read[kk], 1)
    sync_map = (dev_us / 1e6 - a) / b  # device time -> host time
    sync_err = sync_map - t_meas
    sync_err = sync_err[warm] - np.median(sync_err[warm])
    return (
        float(np.percentile(np.abs(env_err), 95)),
        float(np.abs(env_err).max()),
        float(np.percentile(np.abs(sync_err), 95)),
        float(np.abs(sync_err).max()),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--frame-ms", type=float, default=20.0, help="one notification per (20)")
    ap.add_argument("--interval-ms", type=float, default=15.0, help="connection interval (15)")
    ap.add_argument("--jitter-ms", type=float, default=2.0, help="mean host jitter (2)")
    ap.add_argument("--retransmit", type=float, default=0.05, help="retransmission rate")
    ap.add_argument("--drift-ppm", type=float, default=50.0, help="crystal error up to (50)")
    ap.add_argument("--syncs-per-min", type=float, default=6.0, help="round trips (6/min)")
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    rows = np.array([simulate(args, s) for s in range(args.seeds)]) * 1e3
    print(
        f"BLE model: connection interval {args.interval_ms:g} ms, jitter {args.jitter_ms:g} ms, "
        f"{100 * args.retransmit:g} % retransmissions, drift up to {args.drift_ppm:g} ppm, "
        f"{args.minutes:g} min, {args.seeds} seeds (the first minute left out)"
    )
    print("error of a sample's session time against when it was measured (its spread), ms")
    print("                                          p95 (median of seeds)   max (worst seed)")
    print(
        f"notification envelope (EnvelopeClock)      {np.median(rows[:, 0]):8.2f}"
        f"               {rows[:, 1].max():8.2f}"
    )
    print(
        f"TIME_SYNC round trips ({args.syncs_per_min:g}/min, best tenth) "
        f"{np.median(rows[:, 2]):8.2f}               {rows[:, 3].max():8.2f}"
    )


if __name__ == "__main__":
    main()
