"""Frames, the lumbopelvic sign convention, channels and mounts of the simulator."""

from __future__ import annotations

import numpy as np
import pytest

from winkmon.protocol import Role
from winkmon.sim import SimConfig, lumbopelvic_angles_deg, simulate
from winkmon.sim.imu import make_mounts
from winkmon.sim.kinematics import BodyGeometry, BodyMotion, Channel
from winkmon.sim.rotation import (
    euler_yxz,
    euler_zyx,
    matrix_from_quat,
    matrix_from_rotvec,
    quat_from_matrix,
    rot_x,
    rot_y,
    rot_z,
    rotvec_from_matrix,
)


def _posed(flex: float, lateral: float = 0.0, twist: float = 0.0, heading: float = 0.0):
    body = BodyMotion(BodyGeometry(), 0.95, heading)
    body.flexion_deg.to(1.0, flex)
    body.lateral_deg.to(1.0, lateral)
    body.twist_deg.to(1.0, twist)
    return body.pose(np.array([2.0]))


def test_positive_angle_is_flexion_top_moves_anterior() -> None:
    pose = _posed(30.0, heading=90.0)  # facing north
    z_lumbar = pose.r_world_lumbar[0, :, 2]
    # heading 90 deg: anterior is world +y; the lumbar long axis tips forward and stays up
    assert z_lumbar[1] == pytest.approx(np.sin(np.radians(30.0)))
    assert z_lumbar[2] == pytest.approx(np.cos(np.radians(30.0)))
    x_lumbar = pose.r_world_lumbar[0, :, 0]
    assert x_lumbar[2] < 0  # the anterior axis points down: a forward bend


def test_angles_round_trip_with_out_of_plane_motion() -> None:
    pose = _posed(-12.0, 4.0, -3.0, heading=37.0)
    theta, phi, psi = lumbopelvic_angles_deg(pose.r_world_pelvis, pose.r_world_lumbar)
    assert theta[0] == pytest.approx(-12.0)
    assert phi[0] == pytest.approx(4.0)
    assert psi[0] == pytest.approx(-3.0)


def test_channel_is_smooth_and_holds() -> None:
    ch = Channel(1.0)
    ch.to(2.0, 3.0)
    ch.hold_until(4.0)
    ch.oscillate(4.0, 6.0, 2.0, 0.5)
    ch.cruise(6.0, 10.0, 0.5, ramp_s=1.0)
    t = np.linspace(0.0, 12.0, 120_001)
    v = ch(t)
    assert v[0] == 1.0
    assert v[np.searchsorted(t, 3.0)] == pytest.approx(3.0)
    assert v[-1] == pytest.approx(3.0 + 0.5 * 3.0)
    vel = np.gradient(v, t)
    acc = np.gradient(vel, t)
    assert np.max(np.abs(np.diff(vel))) < 0.02  # no velocity steps (acc * dt is ~0.008)
    assert np.max(np.abs(np.diff(acc))) < 0.5  # no acceleration steps (jerk * dt ~0.1)
    with pytest.raises(ValueError):
        ch.to(1.0, 0.0)


def test_closed_form_euler_matrices() -> None:
    rng = np.random.default_rng(1)
    a, b, c = rng.uniform(-3.0, 3.0, (3, 20))
    np.testing.assert_allclose(euler_zyx(a, b, c), rot_z(a) @ rot_y(b) @ rot_x(c), atol=1e-12)
    np.testing.assert_allclose(euler_yxz(a, b, c), rot_y(a) @ rot_x(b) @ rot_z(c), atol=1e-12)


def test_rotation_helpers_round_trip() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 3))
    v *= (rng.uniform(0.0, 3.0, 50) / np.linalg.norm(v, axis=1))[:, None]
    r = matrix_from_rotvec(v)
    np.testing.assert_allclose(rotvec_from_matrix(r), v, atol=1e-9)
    np.testing.assert_allclose(matrix_from_quat(quat_from_matrix(r)), r, atol=1e-12)


def test_truth_angle_equals_the_angle_of_the_simulated_segments() -> None:
    session = simulate(SimConfig.noiseless(seed=5))
    t = session.truth.t_s[::50]
    pose = session.body.pose(t)
    theta, phi, _ = lumbopelvic_angles_deg(pose.r_world_pelvis, pose.r_world_lumbar)
    np.testing.assert_allclose(theta, session.truth.lumbopelvic_deg[::50], atol=1e-9)
    assert np.max(np.abs(phi)) > 1.0  # out-of-plane motion is present


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mounts_face_out_of_the_back(seed: int) -> None:
    cfg = SimConfig(seed=seed)
    mounts = make_mounts(cfg)
    for role, mount in mounts.items():
        z_s = mount.matrix[:, 2]  # sensor z in the segment frame
        assert np.linalg.norm(mount.matrix @ mount.matrix.T - np.eye(3)) < 1e-9
        if role is Role.LUMBAR:
            angle = np.degrees(np.arccos(-z_s[0]))
            assert angle <= cfg.mount_tilt_deg + 1e-6
        else:
            # the sacral slope turns z from posterior towards superior (about y)
            unslope = rot_y(-np.arctan2(z_s[2], -z_s[0])) @ z_s
            assert z_s[0] < 0 and z_s[2] > 0
            slope = np.degrees(np.arctan2(z_s[2], -z_s[0]))
            assert 20.0 - cfg.mount_tilt_deg <= slope <= 40.0 + cfg.mount_tilt_deg
            assert unslope[0] < -0.9
        assert np.linalg.norm(mount.position_m) > 0.05
