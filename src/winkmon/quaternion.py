"""Vectorised quaternion helpers. Quaternions are ``w, x, y, z`` (scalar first), shape (..., 4).

A quaternion ``q`` "sensor to earth" rotates sensor-frame vectors into the earth frame:
``v_earth = rotate(q, v_sensor)``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def multiply(a: npt.ArrayLike, b: npt.ArrayLike) -> FloatArray:
    """Hamilton product ``a * b``, broadcasting over leading dimensions."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=-1,
    )


def conjugate(q: npt.ArrayLike) -> FloatArray:
    q = np.asarray(q, dtype=np.float64)
    return q * np.array([1.0, -1.0, -1.0, -1.0])


def normalize(q: npt.ArrayLike) -> FloatArray:
    q = np.asarray(q, dtype=np.float64)
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def rotate(q: npt.ArrayLike, v: npt.ArrayLike) -> FloatArray:
    """Rotate vectors ``v`` (..., 3) by quaternions ``q`` (..., 4)."""
    q = np.asarray(q, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    u = q[..., 1:]
    w = q[..., :1]
    t = 2.0 * np.cross(u, v)
    return v + w * t + np.cross(u, t)


def from_rotvec(rv: npt.ArrayLike) -> FloatArray:
    """Quaternions of rotation vectors (axis * angle in rad), shape (..., 3)."""
    rv = np.asarray(rv, dtype=np.float64)
    angle = np.linalg.norm(rv, axis=-1, keepdims=True)
    half = 0.5 * angle
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(angle > 1e-12, np.sin(half) / np.where(angle > 0, angle, 1.0), 0.5)
    return np.concatenate([np.cos(half), rv * k], axis=-1)


def up_in_sensor(q: npt.ArrayLike) -> FloatArray:
    """The earth's up axis expressed in the sensor frame, for sensor-to-earth quaternions.

    This is the third row of the rotation matrix; it depends on inclination only, not on
    heading, which is why the lumbopelvic angle is computed from it.
    """
    w, x, y, z = np.moveaxis(np.asarray(q, dtype=np.float64), -1, 0)
    return np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1)


def from_two_vectors(a: npt.ArrayLike, b: npt.ArrayLike) -> FloatArray:
    """The shortest rotation taking direction ``a`` to direction ``b`` (both 3-vectors)."""
    va = np.asarray(a, dtype=np.float64)
    vb = np.asarray(b, dtype=np.float64)
    va = va / np.linalg.norm(va)
    vb = vb / np.linalg.norm(vb)
    c = float(np.dot(va, vb))
    if c < -1 + 1e-12:
        axis = np.cross(va, np.array([1.0, 0.0, 0.0]))
        if np.linalg.norm(axis) < 1e-6:
            axis = np.cross(va, np.array([0.0, 1.0, 0.0]))
        axis /= np.linalg.norm(axis)
        return np.array([0.0, *axis])
    return normalize(np.array([1.0 + c, *np.cross(va, vb)]))
