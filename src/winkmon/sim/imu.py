"""The IMU model: where each sensor sits, how it is turned, and what it measures.

Mounts
------
A :class:`SimMount` places a sensor on its segment (sacrum sensor on the pelvis, lumbar sensor
on the lumbar segment): ``position_m`` in the segment frame and ``quat_wxyz``, the rotation
segment <- sensor (it maps sensor-frame vectors into the segment frame). Nominally the sensor's
``z`` points out of the back (``z_sensor = -x_segment``) and its ``x`` up. Each mount is then
spun by a uniformly random angle about that axis (the athlete tapes it on at any angle), tilted
by a few degrees about a random axis, turned sideways on the skin (about the segment's vertical)
by up to ``mount_roll_deg``, turned to face into the body for the roles in ``mount_facing_in``,
and the sacrum sensor also follows the sacral slope: its ``z`` turns by
``sacrum_surface_tilt_deg`` (20..40 deg by default) from horizontal towards superior about the
medio-lateral axis.

Signals
-------
With ``R_ws`` the sensor's orientation (world <- sensor) and ``p`` its world position, both
evaluated on the continuous-time body motion at each sample's true time ``t``:

* accelerometer (specific force): ``R_ws(t).T @ (p''(t) + [0, 0, 9.80665])``, with ``p''`` by
  central differences (``h`` = 1 ms) so lever-arm (tangential and centripetal) terms are in;
* gyroscope: body-frame angular rate, the rotation vector of ``R_ws(t-h).T @ R_ws(t+h)``
  divided by ``2h``, plus a bias (constant per axis + slow sinusoidal wander over minutes);
* magnetometer: a constant world field (ENU, pointing north and down at the dip angle) in the
  sensor frame.

White noise is drawn per sample index from counter-keyed random streams, so any chunking of a
session yields bit-identical samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2, Role
from winkmon.sim._keyed import KeyedStream
from winkmon.sim.config import SimConfig
from winkmon.sim.kinematics import BodyMotion
from winkmon.sim.rotation import (
    FloatArray,
    axis_angle_matrix,
    matmul33,
    matrix_from_quat,
    matvec33,
    quat_from_matrix,
    rot_y,
    rot_z,
    rotvec_from_matrix,
)

_FD_STEP_S = 1e-3


@dataclass(frozen=True, slots=True)
class SimMount:
    """How a sensor is attached to its segment (see the module docstring)."""

    role: Role
    position_m: tuple[float, float, float]  #: sensor origin in the segment frame
    quat_wxyz: tuple[float, float, float, float]  #: rotation segment <- sensor

    @property
    def matrix(self) -> FloatArray:
        """The rotation segment <- sensor as a 3x3 matrix."""
        return matrix_from_quat(np.asarray(self.quat_wxyz))


#: Nominal sensor axes in the segment frame: x_s = up, y_s = left, z_s = posterior.
NOMINAL_MOUNT = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


def make_mounts(config: SimConfig) -> dict[Role, SimMount]:
    """Random mounts of both sensors, drawn from the config's seed."""
    rng = np.random.default_rng([config.seed, 0x3047])
    mounts = {}
    for role in (Role.SACRUM, Role.LUMBAR):
        spin = rng.uniform(-np.pi, np.pi)
        tilt_axis_angle = rng.uniform(0.0, 2 * np.pi)
        tilt = np.radians(config.mount_tilt_deg) * np.sqrt(rng.uniform())
        tilt_axis = np.array([np.cos(tilt_axis_angle), np.sin(tilt_axis_angle), 0.0])
        r = NOMINAL_MOUNT @ axis_angle_matrix(tilt_axis, tilt) @ rot_z(spin)
        roll = np.radians(config.mount_roll_deg) * rng.uniform(-1.0, 1.0)
        r = rot_z(roll + (np.pi if role in config.mount_facing_in else 0.0)) @ r
        if role is Role.SACRUM:
            slope = np.radians(rng.uniform(*config.sacrum_surface_tilt_deg))
            r = rot_y(slope) @ r  # z_s from posterior towards superior
            pos = (rng.uniform(-0.10, -0.07), rng.uniform(-0.01, 0.01), rng.uniform(0.02, 0.06))
        else:
            pos = (rng.uniform(-0.08, -0.05), rng.uniform(-0.01, 0.01), rng.uniform(0.15, 0.20))
        q = quat_from_matrix(r)
        mounts[role] = SimMount(
            role,
            (float(pos[0]), float(pos[1]), float(pos[2])),
            (float(q[0]), float(q[1]), float(q[2]), float(q[3])),
        )
    return mounts


#: Turns a sensor over to face into the body: 180 deg about its own ``x`` axis.
FACE_IN = np.diag([1.0, -1.0, -1.0])


def face_in(mount: SimMount) -> SimMount:
    """``mount`` with the sensor turned over to face into the body, on the same spot.

    The sensor turns 180 deg about its own ``x`` axis (nominally the body's vertical), so its
    ``z`` (its face) and ``y`` reverse: a nominal sensor's ``z`` then points anterior, into the
    body, as a clip-on or pouch-worn sensor's does.
    """
    q = quat_from_matrix(mount.matrix @ FACE_IN)
    return SimMount(
        mount.role, mount.position_m, (float(q[0]), float(q[1]), float(q[2]), float(q[3]))
    )


def worn_mounts(config: SimConfig) -> dict[Role, SimMount]:
    """The mounts a session uses: :func:`make_mounts`, then ``config.facing_in`` applied."""
    mounts = make_mounts(config)
    for role, inward in zip((Role.SACRUM, Role.LUMBAR), config.facing_in, strict=True):
        if inward:
            mounts[role] = face_in(mounts[role])
    return mounts


def sensor_pose(
    body: BodyMotion, mount: SimMount, t_s: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """World position (N, 3) and orientation world <- sensor (N, 3, 3) at true times ``t_s``."""
    pose = body.pose(t_s)
    offset = np.asarray(mount.position_m)
    if mount.role is Role.SACRUM:
        r_seg, origin = pose.r_world_pelvis, pose.pelvis_pos_m
    else:
        r_seg, origin = pose.r_world_lumbar, pose.lumbar_origin_m
    return origin + matvec33(r_seg, offset), matmul33(r_seg, mount.matrix)


def ideal_signals(
    body: BodyMotion, mount: SimMount, t_s: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Noise-free specific force (m/s^2), angular rate (rad/s), world<-sensor (N, 3, 3)."""
    h = _FD_STEP_S
    # interleaved (t-h, t, t+h) per sample: sorted at rates below 1 / (2 h)
    times = (t_s[:, None] + np.array([-h, 0.0, h])).reshape(-1)
    pos, rot = sensor_pose(body, mount, times)
    p0, p1, p2 = pos[0::3], pos[1::3], pos[2::3]
    r0, r1, r2 = rot[0::3], rot[1::3], rot[2::3]
    acc_world = (p2 - 2.0 * p1 + p0) / (h * h)
    acc_world[:, 2] += STANDARD_GRAVITY_M_S2
    f = np.einsum("nji,nj->ni", r1, acc_world)
    gyr = rotvec_from_matrix(matmul33(np.swapaxes(r0, -1, -2), r2)) / (2.0 * h)
    return f, gyr, r1


class ImuModel:
    """One sensor's measurement model (mount, bias, noise), evaluated per sample index."""

    def __init__(self, config: SimConfig, mount: SimMount, rate_hz: int) -> None:
        self.mount = mount
        self.config = config
        self.rate_hz = rate_hz
        role = int(mount.role)
        rng = np.random.default_rng([config.seed, 0x1B1A5, role])
        self.acc_bias = rng.uniform(-1.0, 1.0, 3) * config.acc_bias_m_s2
        self.gyr_bias = np.radians(rng.uniform(-1.0, 1.0, 3) * config.gyr_bias_dps)
        # slow wander: two sinusoids per axis with periods of 5..40 minutes
        self.wander_amp = np.radians(config.gyr_bias_wander_dps) * rng.uniform(0.3, 1.0, (2, 3))
        self.wander_freq = 1.0 / rng.uniform(300.0, 2400.0, (2, 3))
        self.wander_phase = rng.uniform(0.0, 2 * np.pi, (2, 3))
        scale = np.sqrt(rate_hz / 200.0)
        self.acc_sigma = config.acc_noise_m_s2 * scale
        self.gyr_sigma = config.gyr_noise_rad_s * scale
        dip = np.radians(config.mag_dip_deg)
        self.mag_world = config.mag_field_uT * np.array([0.0, np.cos(dip), -np.sin(dip)])
        self._noise = KeyedStream((config.seed, 0x4015E, role), 9, normal=True)

    def gyro_bias_rad_s(self, t_s: FloatArray) -> FloatArray:
        """The true gyroscope bias (N, 3) at true times ``t_s``."""
        w = np.sin(2 * np.pi * t_s[:, None, None] * self.wander_freq + self.wander_phase)
        return self.gyr_bias + np.sum(self.wander_amp * w, axis=1)

    def measure(
        self, body: BodyMotion, t_s: FloatArray, first_index: int
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Accelerometer (m/s^2), gyroscope (rad/s), magnetometer (uT) for consecutive samples.

        ``t_s`` are the samples' true times, ``first_index`` the index of the first one.
        """
        n = t_s.shape[0]
        if n == 0:
            empty = np.zeros((0, 3))
            return empty, empty, empty
        f, gyr, rot = ideal_signals(body, self.mount, t_s)
        noise = self._noise.take(first_index, first_index + n)
        acc = f + self.acc_bias + self.acc_sigma * noise[:, 0:3]
        gyr = gyr + self.gyro_bias_rad_s(t_s) + self.gyr_sigma * noise[:, 3:6]
        mag = rot.transpose(0, 2, 1) @ self.mag_world
        mag = mag + self.config.mag_noise_uT * noise[:, 6:9]
        return acc, gyr, mag
