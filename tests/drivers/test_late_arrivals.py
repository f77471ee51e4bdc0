"""Loss in a host-timed stream, seen in its arrival times (no counter, no device time)."""

from __future__ import annotations

import numpy as np

from winkmon.drivers.late_arrivals import LateArrivals

RATE_HZ = 200.0
PERIOD_US = 1e6 / RATE_HZ


def arrivals(
    seconds: float,
    per_packet: int,
    seed: int,
    conn_interval_us: float = 30_000.0,
    drop: tuple[int, ...] = (),
    stall: tuple[float, float] | None = None,
    drift_ppm: float = 0.0,
) -> list[tuple[int, int, bool]]:
    """(arrival µs, samples in it, was it delivered) per notification: a packet of
    ``per_packet`` samples is ready when its last sample is taken and leaves at the next
    connection event (plus a little jitter); ``drop`` packets are lost; during ``stall``
    (start s, length s) nothing gets through, and the backlog drains at what the link carries
    beyond the data rate (twice the data rate)."""
    rng = np.random.default_rng(seed)
    n_packets = int(seconds * RATE_HZ / per_packet)
    ready = (np.arange(n_packets) + 1) * per_packet * PERIOD_US * (1 + drift_ppm * 1e-6)
    phase = rng.uniform(0, conn_interval_us)
    # packets a connection event carries: twice what the data needs (a backlog drains)
    capacity = int(np.ceil(2 * conn_interval_us / (per_packet * PERIOD_US)))
    out: list[tuple[int, int, bool]] = []
    last_event = -1.0
    in_event = 0
    for i, r in enumerate(ready):
        event = phase + np.ceil((r - phase) / conn_interval_us) * conn_interval_us
        if stall is not None and stall[0] * 1e6 <= event < (stall[0] + stall[1]) * 1e6:
            event = phase + np.ceil(((stall[0] + stall[1]) * 1e6 - phase) / conn_interval_us) * (
                conn_interval_us
            )
        event = max(event, last_event)
        if event == last_event and in_event >= capacity:  # the event is full: the next one
            event += conn_interval_us
        in_event = in_event + 1 if event == last_event else 1
        last_event = event
        t = int(event + rng.uniform(0, 500))
        if out and t <= out[-1][0]:
            t = out[-1][0] + 1
        out.append((t, per_packet, i not in drop))
    return out


def run(packets: list[tuple[int, int, bool]]) -> tuple[int, list[int]]:
    """Total counted lost, and the counted device time error (µs) of each delivered packet."""
    det = LateArrivals(PERIOD_US)
    counted = 0  # samples counted so far (received + counted lost)
    lost = 0
    errors = []
    true_k = 0
    for t, n, delivered in packets:
        true_k += n
        if not delivered:
            continue
        lost_here = det.observe(t, (counted + n - 1) * PERIOD_US)
        lost += lost_here
        counted += lost_here + n
        errors.append(int((counted - true_k) * PERIOD_US))
    return lost, errors


def test_no_loss_is_found_in_jittery_arrivals() -> None:
    for per_packet in (1, 3):
        for seed in range(5):
            lost, errors = run(arrivals(60.0, per_packet, seed))
            assert lost == 0
            assert errors[-1] == 0


def test_lost_notifications_are_counted_and_the_samples_are_on_time_again() -> None:
    for per_packet, drop in ((1, (1000, 1001, 5000)), (3, (700, 2000, 2001, 2002))):
        packets = arrivals(60.0, per_packet, seed=per_packet, drop=drop)
        lost, errors = run(packets)
        assert lost == len(drop) * per_packet
        assert errors[-1] == 0
        # early by the loss for about half a second only, never late
        assert max(errors) == 0
        assert sum(e != 0 for e in errors) * per_packet / RATE_HZ < 1.5 * len(drop)


def test_a_radio_stall_whose_backlog_drains_is_not_a_loss() -> None:
    packets = arrivals(30.0, 1, seed=7, stall=(10.0, 0.8))
    late = [t - (i + 1) * PERIOD_US for i, (t, _, _) in enumerate(packets)]
    # the stall's backlog arrives late, and drains for longer than the detector's window
    assert max(late) > 0.7e6 and sum(x > 50e3 for x in late) > 250
    lost, errors = run(packets)
    assert lost == 0
    assert errors[-1] == 0


def test_a_slow_crystal_is_kept_on_time() -> None:
    """A device 2 % slower than its nominal rate looks like steady loss; counting it keeps
    the samples on time."""
    packets = arrivals(20.0, 1, seed=3, drift_ppm=20_000)
    det = LateArrivals(PERIOD_US)
    counted = 0
    for t, n, _ in packets:
        counted += det.observe(t, (counted + n - 1) * PERIOD_US) + n
    # the last sample was taken at packets[-1] minus its latency: the count says when
    assert abs(counted * PERIOD_US - packets[-1][0]) < 40_000
