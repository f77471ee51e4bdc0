"""SensorStream: unwrapping, loss accounting, duplicates, malformed frames, chunk invariance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from winkmon.clock import EnvelopeClock, SharedClock
from winkmon.protocol import DataFrame, FrameType, Role, encode_samples
from winkmon.samples import SampleBatch
from winkmon.stream import SensorStream, valid_mask


def _frames(seed: int, count: int = 300, mag_from: int | None = None):
    rng = np.random.default_rng(seed)
    out: list[tuple[int, bytes]] = []
    idx, t, seq = 2**32 - 30, 2**32 - 200_000, 65530
    expected_lost = 0
    for i in range(count):
        n = int(rng.integers(1, 6))
        mag = rng.normal(0, 40, (n, 3)) if mag_from is not None and i >= mag_from else None
        raw, fl = encode_samples(rng.normal(0, 5, (n, 3)), rng.normal(0, 1, (n, 3)), 2, 3, mag)
        frame = DataFrame(
            FrameType.DATA, Role.SACRUM, seq % 65536, idx % 2**32, t % 2**32, 2, 3, fl, raw
        )
        host = int((i * 0.02 + 0.01 + rng.uniform(0, 0.02)) * 1e9)
        if rng.uniform() > 0.05 or i == 0:
            out.append((host, bytes(frame)))
        else:
            expected_lost += n
        if rng.uniform() < 0.03:
            out.append((host + 1000, bytes(frame)))  # delivered twice
        if rng.uniform() < 0.03:
            out.append((host + 2000, b"\x01\x01garbage"))
        seq += 1
        idx += n
        t += n * 5000
    return out, expected_lost


def _run(
    chunks: list[list[tuple[int, bytes]]], clock=None, one_by_one: bool = False
) -> tuple[list[SampleBatch], object]:
    stream = SensorStream(Role.SACRUM, 200.0, clock=clock)
    out = []
    for chunk in chunks:
        if one_by_one:  # the live path's scalar shortcut
            batches = [stream.feed(h, p) for h, p in chunk]
        else:
            batches = [stream.feed_many([h for h, _ in chunk], [p for _, p in chunk])]
        out.extend(b for b in batches if b is not None)
    return out, stream.stats


def _cat(batches: list[SampleBatch]) -> dict[str, np.ndarray]:
    return {
        k: np.concatenate([getattr(b, k) for b in batches])
        for k in ("index", "t_dev_us", "t_s", "acc_m_s2", "gyr_rad_s")
    }


def test_loss_duplicates_and_malformed_are_counted() -> None:
    frames, lost = _frames(3)
    batches, stats = _run([frames])
    merged = _cat(batches)
    assert stats.samples_lost == lost
    assert stats.frames_bad == sum(1 for _, p in frames if p.startswith(b"\x01\x01garb"))
    assert np.all(np.diff(merged["index"]) >= 1)  # duplicates removed
    assert merged["index"][0] == 2**32 - 30 and merged["index"][-1] > 2**32  # unwrapped
    assert np.all(np.diff(merged["t_dev_us"]) > 0)
    assert "shorter" in stats.last_error
    expected = stats.samples_received + stats.samples_lost
    assert stats.loss_pct == pytest.approx(100 * lost / expected)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_chunking_gives_identical_samples(seed: int) -> None:
    frames, _ = _frames(seed, mag_from=150)
    whole, stats_whole = _run([frames])
    singles, stats_singles = _run([[f] for f in frames])
    live, stats_live = _run([frames], one_by_one=True)
    rng = np.random.default_rng(seed)
    parts, i = [], 0
    while i < len(frames):
        k = int(rng.integers(1, 40))
        parts.append(frames[i : i + k])
        i += k
    chunked, stats_chunked = _run(parts)
    ref = _cat(whole)
    for other in (_cat(singles), _cat(chunked), _cat(live)):
        for key, value in ref.items():
            np.testing.assert_array_equal(other[key], value, err_msg=key)
    assert stats_whole == stats_singles == stats_chunked == stats_live
    # Frame by frame, every magnetometer sample survives (a chunk that mixes frames with and
    # without one drops its magnetometer data, as documented).
    np.testing.assert_array_equal(_cat_mag(live), _cat_mag(singles))


def _cat_mag(batches: list[SampleBatch]) -> np.ndarray:
    return np.concatenate([b.mag_uT for b in batches if b.mag_uT is not None])


def test_compact_frames_resolve_against_anchor() -> None:
    stream = SensorStream(Role.LUMBAR, 100.0, clock=SharedClock())
    raw, fl = encode_samples(np.zeros((0, 3)), np.zeros((0, 3)), 1, 2)
    anchor = DataFrame(FrameType.DATA, Role.LUMBAR, 0, 65530, 1_000_000, 1, 2, fl, raw)
    assert stream.feed(0, bytes(anchor)) is None
    got = []
    for k in range(10):
        raw1, _ = encode_samples([[0.0, 0.0, 9.81]], [[0.1 * k, 0.0, 0.0]], 1, 2)
        frame = DataFrame(
            FrameType.DATA_COMPACT,
            Role.LUMBAR,
            k + 1,
            (65530 + k) % 65536,
            None,
            None,
            None,
            fl,
            raw1,
        )
        batch = stream.feed(10_000_000 * (k + 1), bytes(frame))
        assert batch is not None
        got.append(batch)
    merged = SampleBatch.concat(got)
    np.testing.assert_array_equal(merged.index, 65530 + np.arange(10))
    np.testing.assert_array_equal(merged.t_dev_us, 1_000_000 + 10_000 * np.arange(10))
    assert merged.gyr_rad_s[3, 0] == pytest.approx(0.3, abs=1e-3)


def test_envelope_clock_recovers_offset_and_drift() -> None:
    rng = np.random.default_rng(0)
    clock = EnvelopeClock()
    drift, offset = 40e-6, 12.345
    dev_us = np.arange(0, 600_000_000, 20_000, dtype=np.int64)  # 10 min of 50 Hz frames
    host_s = dev_us / 1e6 * (1 + drift) + offset + rng.exponential(0.012, len(dev_us)) + 0.004
    frame = np.arange(len(dev_us))
    mapped = np.concatenate(
        [
            clock.map_frames(
                dev_us[i : i + 50], host_s[i : i + 50], frame[i : i + 50] - i, dev_us[i : i + 50]
            )
            for i in range(0, len(dev_us), 50)
        ]
    )
    truth = dev_us / 1e6 * (1 + drift) + offset
    late = dev_us > 120e6
    assert np.abs(mapped[late] - truth[late] - 0.004).max() < 0.004
    assert clock.drift_ppm == pytest.approx(40, abs=5)


_near_valid = st.tuples(
    st.sampled_from([1, 2, 3]),
    st.sampled_from([1, 1, 1, 2]),
    st.integers(0, 3),
    st.integers(0, 6),
    st.binary(min_size=0, max_size=12 * 6 + 16),
).map(lambda t: bytes([t[0], t[1], t[2], t[3]]) + t[4])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=64), _near_valid), min_size=1, max_size=8))
def test_valid_mask_agrees_with_decoder(payloads: list[bytes]) -> None:
    mask = valid_mask(payloads)
    for ok, p in zip(mask, payloads, strict=True):
        try:
            DataFrame.from_bytes(p)
            accepted = True
        except ValueError:
            accepted = False
        assert bool(ok) == accepted, p.hex()


def _run_frames(first_index: int, count: int, t0_us: int, seq0: int):
    rng = np.random.default_rng(first_index + count)
    out = []
    for i in range(count):
        raw, fl = encode_samples(rng.normal(0, 5, (4, 3)), rng.normal(0, 1, (4, 3)), 2, 3)
        frame = DataFrame(
            FrameType.DATA,
            Role.SACRUM,
            (seq0 + i) % 65536,
            first_index + 4 * i,
            (t0_us + 20_000 * i) % 2**32,
            2,
            3,
            fl,
            raw,
        )
        out.append((t0_us * 1000 + 20_000_000 * i + 5_000_000, bytes(frame)))
    return out


@pytest.mark.parametrize("one_by_one", [False, True])
def test_a_restarted_sensor_is_a_new_run_not_duplicates(one_by_one: bool) -> None:
    """A reconnect sends START again: indices (and seq) begin anew, the device clock runs on."""
    before = _run_frames(100_000, 200, 1_000_000, 500)
    after = _run_frames(0, 200, 1_000_000 + 200 * 20_000 + 3_000_000, 0)
    frames = before + after
    whole, stats = _run([frames], one_by_one=one_by_one)
    merged = _cat(whole)
    assert stats.restarts == 1
    assert stats.samples_received == 1600 and stats.duplicates == 0
    assert merged["index"][799] == 100_000 + 799 and merged["index"][800] == 0
    assert np.all(np.diff(merged["t_s"]) > 0)
    chunked, stats_c = _run([frames[i : i + 37] for i in range(0, len(frames), 37)])
    np.testing.assert_array_equal(_cat(chunked)["t_s"], merged["t_s"])
    assert stats_c == stats


def test_session_times_never_repeat_even_when_the_clock_steps_back() -> None:
    from winkmon.stream import MIN_STEP_S, _strictly_increasing

    t = np.array([1.0, 1.005, 1.004, 1.004, 1.02])
    out, _ = _strictly_increasing(t, 0, -np.inf)
    assert np.all(np.diff(out) >= MIN_STEP_S * 0.999)
    assert out[0] == 1.0 and out[1] == 1.005 and out[4] == 1.02  # untouched where possible
    a, fa = _strictly_increasing(t[:2], 0, -np.inf)
    b, _ = _strictly_increasing(t[2:], 2, fa)
    np.testing.assert_array_equal(np.concatenate([a, b]), out)  # chunking does not matter
