"""The simulated IMU signals agree with the motion they come from."""

from __future__ import annotations

import numpy as np
import pytest

from winkmon.protocol import Role, decode_frame
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2
from winkmon.sim import Phase, SessionScript, SimConfig, SimSession, SquatSet, Stand, simulate
from winkmon.sim.rotation import matrix_from_quat, matrix_from_rotvec, rotvec_from_matrix


def _samples(session: SimSession, role: Role) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample indices, accelerometer and gyroscope of a full-frame session (no anchors)."""
    idx, acc, gyr = [], [], []
    for _, payload in session.frames[role]:
        f = decode_frame(payload)
        if f.n:
            idx.append(f.first_index + np.arange(f.n))
            acc.append(f.acc_m_s2)
            gyr.append(f.gyr_rad_s)
    return np.concatenate(idx), np.vstack(acc), np.vstack(gyr)


@pytest.fixture(scope="module")
def squat_session() -> SimSession:
    script = SessionScript((Stand(3.0), SquatSet(n_reps=2), Stand(2.0)))
    return simulate(SimConfig.noiseless(seed=11), script)


def test_specific_force_is_gravity_when_still() -> None:
    session = simulate(SimConfig(seed=2), SessionScript((Stand(6.0),)))
    for role in (Role.SACRUM, Role.LUMBAR):
        _, acc, _ = _samples(session, role)
        norm = np.linalg.norm(acc, axis=1)
        assert np.mean(norm) == pytest.approx(STANDARD_GRAVITY_M_S2, abs=0.12)
        assert np.std(norm) < 0.15


def test_accelerometer_sees_gravity_in_the_sensor_frame(squat_session: SimSession) -> None:
    for role in (Role.SACRUM, Role.LUMBAR):
        idx, acc, _ = _samples(squat_session, role)
        t = squat_session.sample_times_s(role, idx)
        still = np.interp(t, squat_session.truth.t_s, squat_session.truth.phase) == Phase.STAND
        r = matrix_from_quat(squat_session.sensor_quat_wxyz(role, t[still]))
        expected = r[:, 2, :] * STANDARD_GRAVITY_M_S2  # R^T @ [0, 0, g]
        assert np.median(np.linalg.norm(acc[still] - expected, axis=1)) < 0.05


def test_accelerometer_moves_during_a_squat(squat_session: SimSession) -> None:
    _, acc, _ = _samples(squat_session, Role.LUMBAR)
    norm = np.linalg.norm(acc, axis=1)
    assert np.max(np.abs(norm - STANDARD_GRAVITY_M_S2)) > 0.5


@pytest.mark.parametrize("role", [Role.SACRUM, Role.LUMBAR])
def test_gyro_integrates_to_the_true_orientation_change(
    squat_session: SimSession, role: Role
) -> None:
    idx, _, gyr = _samples(squat_session, role)
    assert np.all(np.diff(idx) == 1)  # noiseless: nothing lost
    t = squat_session.sample_times_s(role, idx)
    rep = squat_session.truth.reps[0]
    sel = (t >= rep.start_s - 0.5) & (t <= rep.bottom_s)  # top to bottom: a real change
    ts, ws = t[sel], gyr[sel]
    r = np.eye(3)
    for k in range(ts.size - 1):
        w = 0.5 * (ws[k] + ws[k + 1])  # trapezoid: the rate at the middle of the step
        r = r @ matrix_from_rotvec(w * (ts[k + 1] - ts[k]))
    q = squat_session.sensor_quat_wxyz(role, [ts[0], ts[-1]])
    r0, r1 = matrix_from_quat(q)
    true_change = r0.T @ r1
    assert np.degrees(np.linalg.norm(rotvec_from_matrix(true_change))) > 10.0
    err = np.degrees(np.linalg.norm(rotvec_from_matrix(true_change.T @ r)))
    assert err < 0.5


def test_gyro_bias_and_noise_are_present_by_default() -> None:
    session = simulate(SimConfig(seed=4, gyr_bias_dps=2.0), SessionScript((Stand(4.0),)))
    _, _, gyr = _samples(session, Role.SACRUM)
    assert np.std(gyr[:, 0]) > 0.003
    assert np.max(np.abs(np.degrees(np.mean(gyr, axis=0)))) > 0.05


def test_magnetometer_measures_the_world_field() -> None:
    session = simulate(SimConfig.noiseless(seed=3, mag_on=True), SessionScript((Stand(3.0),)))
    frames = [decode_frame(p) for _, p in session.frames[Role.LUMBAR]]
    mag = np.vstack([f.mag_uT for f in frames if f.n and f.mag_uT is not None])
    np.testing.assert_allclose(np.linalg.norm(mag, axis=1), 49.0, atol=0.2)
