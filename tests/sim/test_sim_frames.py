"""The simulated sensors' DATA notifications: protocol, loss, clocks, determinism."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from winkmon.protocol import FrameFlags, FrameType, Role, decode_frame
from winkmon.sim import (
    SessionScript,
    SimConfig,
    SimSession,
    SimStream,
    SquatSet,
    Stand,
    Walk,
    simulate,
)

SHORT = SessionScript((Stand(2.0), Walk(4.0), SquatSet(n_reps=2), Stand(2.0)))
ROLES = (Role.SACRUM, Role.LUMBAR)


def _unwrap_seq(seq: list[int]) -> np.ndarray:
    s = np.asarray(seq, dtype=np.int64)
    steps = np.diff(s) % 65536
    return np.concatenate([[s[0]], s[0] + np.cumsum(steps)])


@pytest.fixture(scope="module")
def lossy() -> SimSession:
    cfg = SimConfig(seed=9, drop_prob=0.05, bursts_per_min=3.0)
    return simulate(cfg, SHORT)


def test_frames_decode_and_are_consistent(lossy: SimSession) -> None:
    for role in ROLES:
        frames = lossy.frames[role]
        clock = lossy.clocks[role]
        params = lossy.start_params[role]
        t_host = np.array([t for t, _ in frames])
        assert np.all(np.diff(t_host) >= 0), "receive times are monotone per sensor"
        decoded = [decode_frame(p) for _, p in frames]
        assert decoded[0].is_anchor or decoded[0].first_index >= 0
        batch = max(f.n for f in decoded)
        assert batch == 4  # 200 Hz, 20 ms flush, MTU 247
        for (t_ns, payload), f in zip(frames, decoded, strict=True):
            assert bytes(f) == payload
            assert f.role is role and f.frame_type is FrameType.DATA
            assert (f.acc_range, f.gyr_range) == (params.acc_range, params.gyr_range)
            assert f.t_dev_us == int(clock.sample_device_us(f.first_index)) % (1 << 32)
            if f.n:
                sent_s = float(clock.sample_time_s(f.first_index + f.n - 1))
                latency = t_ns * 1e-9 - sent_s
                assert 0.0 < latency < 0.2
        seq = _unwrap_seq([f.seq for f in decoded])
        gaps = np.diff(seq) - 1
        assert np.all(gaps >= 0)
        # a lost notification is a seq gap (losses after the last delivered one are unseen)
        assert 0 < int(np.sum(gaps)) <= lossy.link_stats[role].ble_dropped
        data = [f for f in decoded if f.n]
        idx = np.array([f.first_index for f in data])
        d_seq = np.diff(np.array([s for s, f in zip(seq, decoded, strict=True) if f.n]))
        # every lost notification was one batch: the index jumps by the batch size per seq step
        np.testing.assert_array_equal(np.diff(idx), d_seq * batch)
        assert np.any(np.diff(idx) > batch)


def test_deterministic_and_seed_dependent() -> None:
    a = simulate(SimConfig(seed=4), SHORT)
    b = simulate(SimConfig(seed=4), SHORT)
    c = simulate(SimConfig(seed=5), SHORT)
    for role in ROLES:
        assert a.frames[role] == b.frames[role]
        assert a.frames[role] != c.frames[role]
    np.testing.assert_array_equal(a.truth.lumbopelvic_deg, b.truth.lumbopelvic_deg)


def test_any_chunking_gives_the_same_frames() -> None:
    cfg = SimConfig(seed=6, drop_prob=0.02)
    whole = simulate(cfg, SHORT).received()
    stream = SimStream(cfg, SHORT)
    pieces = [f for chunk in stream.chunks(0.37) for f in chunk]
    assert pieces == whole
    t = [f.t_host_ns for f in pieces]
    assert t == sorted(t)


def test_stream_releases_frames_in_time() -> None:
    stream = SimStream(SimConfig(seed=1), SHORT)
    frames = stream.advance(2.0)
    assert frames and all(f.t_host_ns < 2_000_000_000 for f in frames)
    more = stream.advance(3.0)
    assert all(2_000_000_000 <= f.t_host_ns < 3_000_000_000 for f in more)


@pytest.mark.parametrize(("sacrum_hz", "lumbar_hz"), [(100, 400), (400, 100), (200, 300)])
def test_different_rates(sacrum_hz: int, lumbar_hz: int) -> None:
    cfg = SimConfig(
        seed=2,
        sacrum_rate_hz=sacrum_hz,
        lumbar_rate_hz=lumbar_hz,
        drop_prob=0.0,
        bursts_per_min=0.0,
    )
    session = simulate(cfg, SessionScript((Stand(3.0),)))
    for role, rate in ((Role.SACRUM, sacrum_hz), (Role.LUMBAR, lumbar_hz)):
        assert session.start_params[role].rate_hz == rate
        frames = [decode_frame(p) for _, p in session.frames[role]]
        n = sum(f.n for f in frames)
        clock = session.clocks[role]
        span = session.duration_s - clock.start_s
        assert abs(n - span * rate * (1 + clock.drift_ppm * 1e-6)) < 1.01
        assert max(f.n for f in frames) == min(19, 20 * rate // 1000)
        # samples stay 1 / rate apart in device time
        starts = [f for f in frames if f.n]
        for f0, f1 in itertools.pairwise(starts):
            assert f1.first_index == f0.first_index + f0.n
        t_dev = np.array([f.t_dev_us for f in starts], dtype=np.int64)
        idx = np.array([f.first_index for f in starts])
        dt = np.diff(t_dev) % (1 << 32)
        np.testing.assert_allclose(dt, np.diff(idx) * 1e6 / rate, atol=1.0)


def test_small_mtu_sends_compact_frames_and_anchors() -> None:
    cfg = SimConfig(seed=3, mtu=23, drop_prob=0.0, bursts_per_min=0.0)
    session = simulate(cfg, SessionScript((Stand(4.0),)))
    for role in ROLES:
        frames = [decode_frame(p) for _, p in session.frames[role]]
        anchors = [i for i, f in enumerate(frames) if f.is_anchor]
        compact = [f for f in frames if f.frame_type is FrameType.DATA_COMPACT]
        assert frames[0].is_anchor and frames[0].first_index == 0
        assert all(f.n == 1 and not f.has_mag for f in compact)
        assert len(compact) + len(anchors) == len(frames)
        assert all(len(p) <= 20 for _, p in session.frames[role])
        # at least one anchor a second, and compact indices resolve against the anchors
        rate = session.start_params[role].rate_hz
        assert np.all(np.diff(anchors) <= rate + 1)
        index = None
        for f in frames:
            if f.is_anchor:
                index = f.first_index
                assert f.t_dev_us == int(session.clocks[role].sample_device_us(index)) % (1 << 32)
            else:
                assert index is not None
                assert f.first_index == index & 0xFFFF
                index += 1
        seq = [f.seq for f in frames]
        assert seq == list(range(len(frames)))


def test_magnetometer_frames_fit_the_mtu() -> None:
    cfg = SimConfig(seed=3, mag_on=True)
    session = simulate(cfg, SessionScript((Stand(2.0),)))
    frames = [decode_frame(p) for _, p in session.frames[Role.SACRUM]]
    data = [f for f in frames if f.n]
    assert all(f.flags & FrameFlags.MAG_PRESENT and f.has_mag for f in data)
    assert session.start_params[Role.SACRUM].mag_on


def test_fifo_overflow_loses_batches_without_seq() -> None:
    cfg = SimConfig(seed=8, fifo_overflow_prob=0.03, drop_prob=0.0, bursts_per_min=0.0)
    session = simulate(cfg, SessionScript((Stand(5.0),)))
    frames = [decode_frame(p) for _, p in session.frames[Role.LUMBAR]]
    assert [f.seq for f in frames] == list(range(len(frames)))
    flagged = [i for i, f in enumerate(frames) if f.flags & FrameFlags.FIFO_OVERFLOW]
    assert flagged
    for i in flagged:
        assert frames[i].first_index > frames[i - 1].first_index + frames[i - 1].n
    assert session.link_stats[Role.LUMBAR].fifo_lost_batches >= len(flagged)


def test_sensor_dropout_leaves_a_gap() -> None:
    cfg = SimConfig(
        seed=2, dropout_s=3.0, dropout_role=Role.LUMBAR, drop_prob=0.0, bursts_per_min=0.0
    )
    session = simulate(cfg, SHORT)
    gaps = {r: np.max(np.diff([t for t, _ in session.frames[r]])) * 1e-9 for r in ROLES}
    assert gaps[Role.LUMBAR] >= 2.9
    assert gaps[Role.SACRUM] < 0.2


def test_infos_describe_the_sensors(lossy: SimSession) -> None:
    for role in ROLES:
        info = lossy.infos[role]
        assert info.role is role
        assert info.max_rate_hz >= lossy.start_params[role].rate_hz
        assert bytes(info)  # encodable
