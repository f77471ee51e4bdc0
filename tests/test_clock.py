"""The envelope clock: the same mapping however the frames are chunked, and the mapping its
module doc describes (checked against a plain statement of it)."""

from __future__ import annotations

import itertools
import statistics

import numpy as np
import pytest

from winkmon.clock import EnvelopeClock

FloatArray = np.ndarray


def _frames(
    seconds: float, seed: int, drift_ppm: float = 40.0, step_back_at: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Device times (µs) and arrivals (s) of 50 notifications a second: an offset, a drift,
    latency of 5 ms plus jitter and now and then a long delay."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 50)
    dev_us = 7_000_000 + np.arange(n, dtype=np.int64) * 20_000 + rng.integers(0, 3, n)
    if step_back_at is not None:
        dev_us[step_back_at:] -= 3_000_000  # the device clock stepped back 3 s
    latency = 0.005 + rng.exponential(0.004, n) + (rng.random(n) < 0.02) * 0.2
    host_s = 12.5 + dev_us / 1e6 * (1 + drift_ppm * 1e-6) + latency
    return dev_us, host_s


def _map(clock: EnvelopeClock, dev_us: np.ndarray, host_s: np.ndarray) -> FloatArray:
    """Each frame's own (last sample's) session time."""
    k = np.arange(len(dev_us))
    return clock.map_frames(dev_us, host_s, k, dev_us)


def _chunked(dev_us: np.ndarray, host_s: np.ndarray, cuts: list[int]) -> FloatArray:
    clock = EnvelopeClock()
    bounds = [0, *cuts, len(dev_us)]
    parts = [_map(clock, dev_us[a:b], host_s[a:b]) for a, b in itertools.pairwise(bounds)]
    return np.concatenate(parts)


@pytest.mark.parametrize("seed", [1, 2])
def test_any_chunking_maps_every_frame_identically(seed: int) -> None:
    dev_us, host_s = _frames(400.0, seed)  # the first minutes (history filling) and after
    whole = _map(EnvelopeClock(), dev_us, host_s)
    one_by_one = _chunked(dev_us, host_s, list(range(1, len(dev_us))))
    rng = np.random.default_rng(seed)
    cuts = sorted(set(rng.integers(1, len(dev_us), 60).tolist()))
    random_chunks = _chunked(dev_us, host_s, cuts)
    np.testing.assert_array_equal(one_by_one, whole)
    np.testing.assert_array_equal(random_chunks, whole)


def test_a_clock_that_steps_back_maps_identically_in_any_chunking() -> None:
    dev_us, host_s = _frames(60.0, 3, step_back_at=1000)
    whole = _map(EnvelopeClock(), dev_us, host_s)
    one_by_one = _chunked(dev_us, host_s, list(range(1, len(dev_us))))
    np.testing.assert_array_equal(one_by_one, whole)
    assert np.all(np.isfinite(whole))


def _reference(
    dev_us: np.ndarray, host_s: np.ndarray, window_s: float = 2.0, history: int = 90
) -> FloatArray:
    """The module doc, stated plainly: 2-s device-time windows; each finished window gives
    its smallest delay; a frame maps with the line fitted through the last ``history`` minima
    (offset at the 10th percentile of the residuals) of the windows finished before its own."""
    dev0 = int(dev_us[0])
    offset, ref, drift = float(host_s[0] - dev_us[0] / 1e6), dev_us[0] / 1e6, 0.0
    minima: list[tuple[float, float]] = []
    window, best = -1, None
    out = []
    for d_us, h in zip(dev_us.tolist(), host_s.tolist(), strict=True):
        w = max((d_us - dev0) // int(window_s * 1e6), window)
        if w != window:
            if best is not None:
                minima.append(best)
                recent = minima[-history:]
                t = [m[0] for m in recent]
                d = [m[1] for m in recent]
                if len(recent) < 5:
                    offset, ref, drift = min(d), t[-1], 0.0
                else:
                    x = [ti - t[-1] for ti in t]
                    xm, dm = statistics.fmean(x), statistics.fmean(d)
                    var = sum((xi - xm) ** 2 for xi in x)
                    cov = sum((xi - xm) * (di - dm) for xi, di in zip(x, d, strict=True))
                    slope = min(max(cov / var if var > 0 else 0.0, -5e-4), 5e-4)
                    intercept = dm - slope * xm
                    line = [intercept + slope * xi for xi in x]
                    resid = sorted(di - li for li, di in zip(line, d, strict=True))
                    offset, ref, drift = intercept + resid[len(resid) // 10], t[-1], slope
            window, best = w, None
        delay = h - d_us / 1e6
        if best is None or delay < best[1]:
            best = (d_us / 1e6, delay)
        out.append(d_us / 1e6 + offset + drift * (d_us / 1e6 - ref))
    return np.array(out)


def test_the_mapping_is_the_lower_envelope_line_of_earlier_windows() -> None:
    dev_us, host_s = _frames(500.0, 4)
    got = _map(EnvelopeClock(), dev_us, host_s)
    np.testing.assert_allclose(got, _reference(dev_us, host_s), rtol=0, atol=1e-9)


def test_offset_and_drift_are_learnt_from_the_envelope() -> None:
    dev_us, host_s = _frames(600.0, 5, drift_ppm=-60.0)
    clock = EnvelopeClock()
    got = _map(clock, dev_us, host_s)
    assert clock.drift_ppm == pytest.approx(-60.0, abs=5.0)
    # After the first minutes the mapping follows the smallest latencies (5 ms plus the
    # jitter's lowest): arrivals come after the mapped time by the jitter (median 2.8 ms),
    # and only the edge of the fastest ones before it.
    late = slice(len(got) // 2, None)
    lag = host_s[late] - got[late]
    assert 0.001 < np.median(lag) < 0.005
    assert np.mean(lag < 0) < 0.15
