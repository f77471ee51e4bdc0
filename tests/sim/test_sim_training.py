"""Training-style sessions: back-to-back sets, no stand, sensors facing in, ms device clocks."""

from __future__ import annotations

import collections
import itertools

import numpy as np
import pytest

from winkmon.protocol import Role, decode_frame
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2
from winkmon.sim import (
    STYLES,
    Calibrate,
    Phase,
    SessionScript,
    SimConfig,
    SimConfigError,
    SimSession,
    SquatSet,
    Stand,
    Verdict,
    random_script,
    random_session,
    simulate,
    training_script,
)
from winkmon.sim.imu import make_mounts, worn_mounts

ROLES = (Role.SACRUM, Role.LUMBAR)


def _check_margins(session: SimSession) -> None:
    """Each rep's truth verdict keeps a margin from both thresholds (as in classic sets)."""
    cfg = session.config
    for rep in session.truth.reps:
        rise = rep.peak_flexion_deg - rep.set_angle_deg
        assert rep.set_angle_deg < -2.0
        if rep.verdict is Verdict.FLEXION:
            assert 3.5 <= rep.peak_flexion_deg <= 15.5
        elif rep.verdict is Verdict.EXTENSION_LOST:
            assert rise > cfg.loss_threshold_deg + 1.5
            assert rep.peak_flexion_deg < -1.0
        else:
            assert rise < cfg.loss_threshold_deg - 1.5
            assert rep.peak_flexion_deg < cfg.flexion_threshold_deg - 1.5
        assert 13.0 <= rep.depth_cm <= 70.0
        assert rep.start_s < rep.bottom_s < rep.end_s


@pytest.fixture(scope="module")
def training() -> SimSession:
    script = training_script(np.random.default_rng(7), n_sets=2, reps=(8, 10))
    return simulate(SimConfig.training(7), script)


def test_back_to_back_reps_leave_no_quiet_gap(training: SimSession) -> None:
    tr = training.truth
    by_set = collections.defaultdict(list)
    for rep in tr.reps:
        by_set[rep.set_index].append(rep)
    assert len(by_set) == 2
    for reps in by_set.values():
        assert 8 <= len(reps) <= 10
        for a, b in itertools.pairwise(reps):
            assert b.start_s == pytest.approx(a.end_s, abs=1e-9)
        # from the first descent to the last ascent the pelvis never rests at the top: around
        # each turn from ascent to descent its vertical acceleration stays under 0.25 m/s^2 for
        # at most ~0.3 s (real sets: 0.04-0.2 s, median 0.08; a ZUPT needs a longer rest)
        sel = (tr.t_s > reps[0].start_s) & (tr.t_s < reps[-1].end_s)
        assert np.all(tr.phase[sel] == Phase.SQUAT_REP)
        acc = np.gradient(np.gradient(tr.pelvis_height_m, tr.t_s), tr.t_s)
        for a in reps[:-1]:
            quiet = np.abs(acc[np.abs(tr.t_s - a.end_s) < 0.5]) < 0.25
            edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(int), [0]])))
            longest = int(np.max(edges[1::2] - edges[0::2]))
            assert longest / training.config.truth_rate_hz < 0.35


def test_training_session_starts_straight_into_a_set(training: SimSession) -> None:
    tr = training.truth
    first = tr.reps[0]
    assert 0.75 <= first.start_s <= 1.75  # 0.5 s lead-in + 0.3-1.2 s lead
    assert tr.static_s is None and tr.functional_s is None
    phases = set(np.unique(tr.phase).tolist())
    assert Phase.CALIB_STATIC not in phases and Phase.CALIB_BEND not in phases
    assert not isinstance(training.script.activities[0], Stand | Calibrate)


@pytest.mark.parametrize("seed", range(4))
def test_training_reps_keep_unambiguous_verdicts(seed: int) -> None:
    script = training_script(np.random.default_rng(seed), n_sets=2, calibrate=seed % 2 == 1)
    session = simulate(SimConfig.training(seed), script)
    _check_margins(session)
    tr = session.truth
    durations = [r.end_s - r.start_s for r in tr.reps]
    assert min(durations) >= 1.0 and max(durations) <= 6.0 + 2.0 + 1e-6  # tempo + a pause
    for rep in tr.reps:  # the truth fields agree with the truth curves, back to back or not
        sel = (tr.t_s >= rep.start_s) & (tr.t_s <= rep.end_s)
        assert np.max(tr.lumbopelvic_deg[sel]) == pytest.approx(rep.peak_flexion_deg, abs=0.05)
        drop = tr.pelvis_height_m[sel][0] - np.min(tr.pelvis_height_m[sel])
        assert drop * 100 == pytest.approx(rep.depth_cm, abs=0.3)
    assert (tr.static_s is not None) == (seed % 2 == 1)


def test_flowing_set_options() -> None:
    ok = Verdict.OK
    script = SessionScript(
        (
            SquatSet((ok,) * 4, depth_cm=24.0, back_to_back=True, tempo_s=(1.0, 1.2), lead_s=0.5),
            Stand(2.0),
            SquatSet((ok,) * 3, tempo_s=(5.5, 6.0), pause_prob=1.0),
        )
    )
    session = simulate(SimConfig.noiseless(seed=2), script)
    reps = session.truth.reps
    fast, slow = reps[:4], reps[4:]
    assert fast[0].start_s == pytest.approx(1.0)  # 0.5 s lead-in + 0.5 s lead
    assert all(1.0 <= r.end_s - r.start_s <= 1.2 + 1e-9 for r in fast)
    assert all(20.0 <= r.depth_cm <= 26.5 for r in fast)  # partial
    assert all(6.0 <= r.end_s - r.start_s <= 8.0 for r in slow)  # paused at the bottom
    assert all(b.start_s - a.end_s >= 0.39 for a, b in itertools.pairwise(slow))
    with pytest.raises(SimConfigError):
        SquatSet(tempo_s=(0.5, 2.0))
    with pytest.raises(SimConfigError):
        SquatSet(depth_cm=10.0)


def test_random_script_mixes_in_back_to_back_sets() -> None:
    classic = random_script(np.random.default_rng(5), n_sets=6)
    assert not any(isinstance(a, SquatSet) and a.flowing for a in classic.activities)
    mixed = random_script(np.random.default_rng(5), n_sets=6, back_to_back_prob=0.5)
    sets = [a for a in mixed.activities if isinstance(a, SquatSet)]
    assert isinstance(mixed.activities[1], Calibrate)
    assert any(s.back_to_back for s in sets) and not all(s.back_to_back for s in sets)


def _samples(session: SimSession, role: Role) -> tuple[np.ndarray, np.ndarray]:
    dev, acc = [], []
    for _, payload in session.frames[role]:
        f = decode_frame(payload)
        if f.n:
            assert f.t_dev_us is not None
            dev.append(f.t_dev_us)
            acc.append(f.acc_m_s2)
    return np.array(dev, dtype=np.int64), np.vstack(acc)


def test_facing_in_turns_the_sensor_face_into_the_body() -> None:
    cfg = SimConfig.noiseless(seed=4)
    inward = SimConfig.noiseless(seed=4, facing_in=(True, False))
    out_m, in_m = make_mounts(cfg), worn_mounts(inward)
    z_seg = {r: m.matrix[:, 2] for r, m in out_m.items()}  # sensor z in the segment frame
    np.testing.assert_allclose(in_m[Role.SACRUM].matrix[:, 2], -z_seg[Role.SACRUM], atol=1e-12)
    np.testing.assert_allclose(in_m[Role.SACRUM].matrix[:, 0], out_m[Role.SACRUM].matrix[:, 0])
    assert in_m[Role.LUMBAR] == out_m[Role.LUMBAR]
    # nominally z points out of the back (-x of the segment): facing in, into the body
    assert z_seg[Role.SACRUM][0] < -0.5 and in_m[Role.SACRUM].matrix[0, 2] > 0.5
    script = SessionScript((Stand(1.0),))
    a = _samples(simulate(cfg, script), Role.SACRUM)[1]
    b = _samples(simulate(inward, script), Role.SACRUM)[1]
    n = min(len(a), len(b))
    np.testing.assert_allclose(b[:n, 2], -a[:n, 2], atol=0.02)
    np.testing.assert_allclose(b[:n, 0], a[:n, 0], atol=0.02)
    assert np.mean(np.linalg.norm(b, axis=1)) == pytest.approx(STANDARD_GRAVITY_M_S2, abs=0.05)


def test_ms_clock_stamps_whole_ms_in_irregular_steps() -> None:
    cfg = SimConfig.noiseless(seed=3, max_batch=1).with_box_timing()
    session = simulate(cfg, SessionScript((Stand(40.0),)))
    assert session.start_params[Role.SACRUM].rate_hz == 110
    clock = session.clocks[Role.SACRUM]
    dev, _ = _samples(session, Role.SACRUM)
    steps = np.diff(dev) % (1 << 32)
    assert np.all(steps % 1000 == 0)
    counts = collections.Counter((steps // 1000).tolist())
    n = len(steps)
    assert counts[9] > 0.8 * n and counts[10] > 0.03 * n  # 9.09 ms period, floored
    assert 0 < counts[8] < 0.03 * n  # a stamp read 1 ms late
    assert 0 < sum(counts[k] for k in (13, 14, 15)) < 0.02 * n  # the loop stalled
    assert set(counts) <= {8, 9, 10, 13, 14, 15, 16}
    # the stamps tell the true sample times to within the 1 ms quantum (plus a late read)
    idx = np.arange(len(dev))
    true_us = (clock.sample_time_s(idx) - clock.start_s) * 1e6
    err = (dev - dev[0]) - true_us
    assert np.all((err > -1000.5) & (err < 1000.5))


def test_stalls_delay_samples_and_chunking_keeps_them() -> None:
    cfg = SimConfig(seed=5, stall_prob=0.05, stall_ms=(4.0, 6.0))
    a = simulate(cfg, SessionScript((Stand(3.0),)), chunk_s=0.3)
    b = simulate(cfg, SessionScript((Stand(3.0),)), chunk_s=5.0)
    assert a.frames == b.frames
    clock = a.clocks[Role.LUMBAR]
    t = clock.sample_time_s(np.arange(300))
    dt = np.diff(t) * 1e3
    assert np.min(dt) == pytest.approx(5.0, abs=0.01)  # 200 Hz
    assert np.any(dt > 8.9) and np.max(dt) < 11.1
    assert clock.samples_before(float(t[123])) == 123
    assert clock.samples_before(float(t[123]) + 1e-9) == 124
    many = clock.sample_time_s(np.arange(20_000))  # across blocks of random draws
    for when in np.random.default_rng(0).uniform(0.0, float(many[-1]), 50):
        assert clock.samples_before(float(when)) == int(np.searchsorted(many, when))


def test_random_configs_are_reproducible_by_seed() -> None:
    assert SimConfig.random(11) == SimConfig.random(11)
    assert SimConfig.training(11) == SimConfig.training(11)
    assert SimConfig.random(11) != SimConfig.random(12)
    configs = [SimConfig.training(s) for s in range(40)]
    assert min(c.acc_bias_m_s2 for c in configs) >= 0.15
    assert max(c.acc_bias_m_s2 for c in configs) <= 0.35
    assert all(0.018 <= c.acc_noise_m_s2 <= 0.04 for c in configs)
    assert {c.facing_in for c in configs} == {
        (False, False),
        (True, False),
        (False, True),
        (True, True),
    }
    assert {c.clock_ms for c in configs} == {False, True}
    assert all(c.sacrum_rate_hz == 110 for c in configs if c.clock_ms)
    a = training_script(np.random.default_rng(3), n_sets=3)
    assert a == training_script(np.random.default_rng(3), n_sets=3)


def test_random_session_styles() -> None:
    config, script = random_session(3)  # what the accuracy bench simulates
    assert config == SimConfig.random(3)
    assert script == random_script(np.random.default_rng(3))
    config, script = random_session(3, "back-to-back", n_sets=3)
    sets = [a for a in script.activities if isinstance(a, SquatSet)]
    assert isinstance(script.activities[1], Calibrate) and all(s.back_to_back for s in sets)
    config, script = random_session(3, "training", n_sets=3)
    assert config == SimConfig.training(3) and isinstance(script.activities[0], SquatSet)
    assert set(STYLES) == {"classic", "back-to-back", "training"}
    with pytest.raises(SimConfigError):
        random_session(3, "powerlifting")
