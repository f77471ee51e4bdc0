"""Scripts, truth labels and rep outcomes of the simulator."""

from __future__ import annotations

import numpy as np
import pytest

from winkmon.sim import (
    Phase,
    PickUp,
    SessionScript,
    SimConfig,
    SimConfigError,
    SimSession,
    SquatSet,
    Stand,
    Verdict,
    default_demo_script,
    random_script,
    simulate,
)


@pytest.fixture(scope="module")
def demo() -> SimSession:
    return simulate(SimConfig(seed=0))


def _check_margins(session: SimSession) -> None:
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
        assert 25.0 <= rep.depth_cm <= 70.0
        assert rep.start_s < rep.bottom_s < rep.end_s


def test_demo_reps_follow_the_script(demo: SimSession) -> None:
    scripted = [
        v
        for act in default_demo_script().activities
        if isinstance(act, SquatSet)
        for v in (act.outcomes or ())
    ]
    assert [r.verdict for r in demo.truth.reps] == scripted
    first = [r for r in demo.truth.reps if r.set_index == 0]
    assert [r.verdict for r in first] == [
        Verdict.OK,
        Verdict.OK,
        Verdict.OK,
        Verdict.EXTENSION_LOST,
        Verdict.FLEXION,
    ]
    assert first[-1].peak_flexion_deg > 0.0
    _check_margins(demo)


def test_truth_curve_matches_rep_labels(demo: SimSession) -> None:
    tr = demo.truth
    for rep in tr.reps:
        sel = (tr.t_s >= rep.start_s) & (tr.t_s <= rep.end_s)
        assert np.max(tr.lumbopelvic_deg[sel]) == pytest.approx(rep.peak_flexion_deg, abs=0.05)
        drop = tr.pelvis_height_m[sel][0] - np.min(tr.pelvis_height_m[sel])
        assert drop * 100 == pytest.approx(rep.depth_cm, abs=0.2)
        i = np.searchsorted(tr.t_s, rep.bottom_s)
        assert tr.phase[i] == Phase.SQUAT_REP


def test_calibration_windows(demo: SimSession) -> None:
    tr = demo.truth
    assert tr.static_s is not None and tr.functional_s is not None
    a, b = tr.static_s
    assert 3.0 <= b - a <= 4.0
    still = (tr.t_s >= a) & (tr.t_s <= b)
    assert np.all(tr.phase[still] == Phase.CALIB_STATIC)
    assert np.max(np.abs(tr.lumbopelvic_deg[still])) < 0.5
    c, d = tr.functional_s
    assert c > b
    bend = (tr.t_s >= c) & (tr.t_s <= d)
    assert 20.0 <= np.max(tr.lumbopelvic_deg[bend]) <= 40.5
    assert 30.0 <= np.max(tr.pelvis_tilt_deg[bend]) <= 61.0


def test_pickup_is_shallow_and_not_a_rep() -> None:
    script = SessionScript((Stand(2.0), PickUp(), Stand(2.0)))
    session = simulate(SimConfig.noiseless(seed=1), script)
    tr = session.truth
    assert tr.reps == ()
    sel = tr.phase == Phase.PICKUP
    assert np.any(sel)
    drop = tr.pelvis_height_m[0] - np.min(tr.pelvis_height_m[sel])
    assert 0.05 <= drop <= 0.16
    assert np.max(tr.lumbopelvic_deg[sel]) > 5.0


@pytest.mark.parametrize("seed", range(6))
def test_random_sessions_have_unambiguous_reps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    script = random_script(rng, n_sets=2)
    session = simulate(SimConfig.random(seed), script)
    assert len(session.truth.reps) >= 6
    _check_margins(session)
    phases = set(np.unique(session.truth.phase).tolist())
    assert {Phase.CALIB_STATIC, Phase.CALIB_BEND, Phase.SQUAT_REP, Phase.RERACK} <= phases


def test_random_script_reaches_a_duration() -> None:
    script = random_script(np.random.default_rng(3), duration_s=600.0)
    n = script.n_reps
    assert n > 10
    assert sum(isinstance(a, SquatSet) for a in script.activities) >= 3


def test_config_checks() -> None:
    with pytest.raises(SimConfigError):
        SimConfig(sacrum_rate_hz=5)
    with pytest.raises(SimConfigError):
        SimConfig(mtu=10)
    with pytest.raises(SimConfigError):
        SquatSet(set_angle_deg=5.0)
    with pytest.raises(SimConfigError):
        SessionScript(())
