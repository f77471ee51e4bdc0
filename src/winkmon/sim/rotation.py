"""Vectorised rotation helpers (numpy only) used by the simulator.

Rotation matrices are stacked as ``(..., 3, 3)`` arrays. A matrix ``R_ab`` maps vectors written
in frame ``b`` into frame ``a`` (its columns are the axes of ``b`` written in ``a``). Quaternions
are scalar-first ``(w, x, y, z)`` with the same meaning (``q_ab`` rotates ``b`` into ``a``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _axis_rotation(angle_rad: npt.ArrayLike, axis: int) -> FloatArray:
    a = np.asarray(angle_rad, dtype=np.float64)
    c, s = np.cos(a), np.sin(a)
    out = np.zeros((*a.shape, 3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    out[..., axis, axis] = 1.0
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -s
    out[..., j, i] = s
    return out


def matmul33(a: FloatArray, b: FloatArray) -> FloatArray:
    """``a @ b`` for stacks of 3x3 matrices (explicit sums: faster than numpy's matmul here)."""
    a, b = np.broadcast_arrays(a, b)
    out = np.empty(a.shape)
    for i in range(3):
        for k in range(3):
            out[..., i, k] = (
                a[..., i, 0] * b[..., 0, k]
                + a[..., i, 1] * b[..., 1, k]
                + a[..., i, 2] * b[..., 2, k]
            )
    return out


def matvec33(a: FloatArray, v: FloatArray) -> FloatArray:
    """``a @ v`` for a stack of 3x3 matrices and a stack of (or one) 3-vector."""
    return np.einsum("...ij,...j->...i", a, v)


def euler_zyx(yaw_rad: FloatArray, pitch_rad: FloatArray, roll_rad: FloatArray) -> FloatArray:
    """``rot_z(yaw) @ rot_y(pitch) @ rot_x(roll)``, stacked, in closed form."""
    ca, sa = np.cos(yaw_rad), np.sin(yaw_rad)
    cb, sb = np.cos(pitch_rad), np.sin(pitch_rad)
    cc, sc = np.cos(roll_rad), np.sin(roll_rad)
    out = np.empty((*np.shape(yaw_rad), 3, 3))
    out[..., 0, 0], out[..., 0, 1], out[..., 0, 2] = (
        ca * cb,
        ca * sb * sc - sa * cc,
        ca * sb * cc + sa * sc,
    )
    out[..., 1, 0], out[..., 1, 1], out[..., 1, 2] = (
        sa * cb,
        sa * sb * sc + ca * cc,
        sa * sb * cc - ca * sc,
    )
    out[..., 2, 0], out[..., 2, 1], out[..., 2, 2] = -sb, cb * sc, cb * cc
    return out


def euler_yxz(theta_rad: FloatArray, phi_rad: FloatArray, psi_rad: FloatArray) -> FloatArray:
    """``rot_y(theta) @ rot_x(phi) @ rot_z(psi)``, stacked, in closed form."""
    ct, st = np.cos(theta_rad), np.sin(theta_rad)
    cf, sf = np.cos(phi_rad), np.sin(phi_rad)
    cp, sp = np.cos(psi_rad), np.sin(psi_rad)
    out = np.empty((*np.shape(theta_rad), 3, 3))
    out[..., 0, 0], out[..., 0, 1], out[..., 0, 2] = (
        ct * cp + st * sf * sp,
        st * sf * cp - ct * sp,
        st * cf,
    )
    out[..., 1, 0], out[..., 1, 1], out[..., 1, 2] = cf * sp, cf * cp, -sf
    out[..., 2, 0], out[..., 2, 1], out[..., 2, 2] = (
        ct * sf * sp - st * cp,
        st * sp + ct * sf * cp,
        ct * cf,
    )
    return out


def rot_x(angle_rad: npt.ArrayLike) -> FloatArray:
    """Right-handed rotation about x by ``angle_rad`` (stacked for array input)."""
    return _axis_rotation(angle_rad, 0)


def rot_y(angle_rad: npt.ArrayLike) -> FloatArray:
    """Right-handed rotation about y by ``angle_rad``: +angle turns +z towards +x."""
    return _axis_rotation(angle_rad, 1)


def rot_z(angle_rad: npt.ArrayLike) -> FloatArray:
    """Right-handed rotation about z by ``angle_rad``: +angle turns +x towards +y."""
    return _axis_rotation(angle_rad, 2)


def axis_angle_matrix(axis: npt.ArrayLike, angle_rad: float) -> FloatArray:
    """Rotation by ``angle_rad`` about the (normalised) ``axis`` (Rodrigues)."""
    k = np.asarray(axis, dtype=np.float64)
    k = k / np.linalg.norm(k)
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(angle_rad) * kx + (1.0 - np.cos(angle_rad)) * (kx @ kx)


def rotvec_from_matrix(r: FloatArray) -> FloatArray:
    """Rotation vectors (axis * angle, rad) of stacked rotation matrices, angles below pi."""
    v = 0.5 * np.stack(
        [r[..., 2, 1] - r[..., 1, 2], r[..., 0, 2] - r[..., 2, 0], r[..., 1, 0] - r[..., 0, 1]],
        axis=-1,
    )
    sin_a = np.linalg.norm(v, axis=-1)
    cos_a = 0.5 * (np.trace(r, axis1=-2, axis2=-1) - 1.0)
    angle = np.arctan2(sin_a, cos_a)
    scale = np.where(sin_a > 1e-12, angle / np.maximum(sin_a, 1e-300), 1.0)
    return v * scale[..., None]


def matrix_from_rotvec(v: npt.ArrayLike) -> FloatArray:
    """Stacked rotation matrices of rotation vectors (axis * angle, rad)."""
    vec = np.asarray(v, dtype=np.float64)
    angle = np.linalg.norm(vec, axis=-1)
    safe = np.where(angle > 1e-12, angle, 1.0)
    k = vec / safe[..., None]
    kx = np.zeros((*vec.shape[:-1], 3, 3))
    kx[..., 0, 1], kx[..., 0, 2] = -k[..., 2], k[..., 1]
    kx[..., 1, 0], kx[..., 1, 2] = k[..., 2], -k[..., 0]
    kx[..., 2, 0], kx[..., 2, 1] = -k[..., 1], k[..., 0]
    s = np.sin(angle)[..., None, None]
    c = (1.0 - np.cos(angle))[..., None, None]
    return np.eye(3) + s * kx + c * (kx @ kx)


def quat_from_matrix(r: FloatArray) -> FloatArray:
    """Unit quaternions ``(w, x, y, z)`` (w >= 0) of stacked rotation matrices."""
    m = np.asarray(r, dtype=np.float64)
    tr = np.trace(m, axis1=-2, axis2=-1)
    # Shepperd's method, vectorised: pick the best-conditioned of four formulas per matrix.
    cand = np.stack([tr, m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]], axis=-1)
    best = np.argmax(cand, axis=-1)
    q = np.empty((*m.shape[:-2], 4))
    for case in range(4):
        sel = best == case
        if not np.any(sel):
            continue
        mm = m[sel]
        if case == 0:
            s = np.sqrt(1.0 + tr[sel]) * 2.0
            qq = np.stack(
                [
                    0.25 * s,
                    (mm[:, 2, 1] - mm[:, 1, 2]) / s,
                    (mm[:, 0, 2] - mm[:, 2, 0]) / s,
                    (mm[:, 1, 0] - mm[:, 0, 1]) / s,
                ],
                -1,
            )
        elif case == 1:
            s = np.sqrt(1.0 + mm[:, 0, 0] - mm[:, 1, 1] - mm[:, 2, 2]) * 2.0
            qq = np.stack(
                [
                    (mm[:, 2, 1] - mm[:, 1, 2]) / s,
                    0.25 * s,
                    (mm[:, 0, 1] + mm[:, 1, 0]) / s,
                    (mm[:, 0, 2] + mm[:, 2, 0]) / s,
                ],
                -1,
            )
        elif case == 2:
            s = np.sqrt(1.0 + mm[:, 1, 1] - mm[:, 0, 0] - mm[:, 2, 2]) * 2.0
            qq = np.stack(
                [
                    (mm[:, 0, 2] - mm[:, 2, 0]) / s,
                    (mm[:, 0, 1] + mm[:, 1, 0]) / s,
                    0.25 * s,
                    (mm[:, 1, 2] + mm[:, 2, 1]) / s,
                ],
                -1,
            )
        else:
            s = np.sqrt(1.0 + mm[:, 2, 2] - mm[:, 0, 0] - mm[:, 1, 1]) * 2.0
            qq = np.stack(
                [
                    (mm[:, 1, 0] - mm[:, 0, 1]) / s,
                    (mm[:, 0, 2] + mm[:, 2, 0]) / s,
                    (mm[:, 1, 2] + mm[:, 2, 1]) / s,
                    0.25 * s,
                ],
                -1,
            )
        q[sel] = qq
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0.0, -q, q)


def matrix_from_quat(q: npt.ArrayLike) -> FloatArray:
    """Stacked rotation matrices of quaternions ``(w, x, y, z)`` (normalised first)."""
    qq = np.asarray(q, dtype=np.float64)
    qq = qq / np.linalg.norm(qq, axis=-1, keepdims=True)
    w, x, y, z = qq[..., 0], qq[..., 1], qq[..., 2], qq[..., 3]
    out = np.empty((*qq.shape[:-1], 3, 3))
    out[..., 0, 0] = 1 - 2 * (y * y + z * z)
    out[..., 0, 1] = 2 * (x * y - w * z)
    out[..., 0, 2] = 2 * (x * z + w * y)
    out[..., 1, 0] = 2 * (x * y + w * z)
    out[..., 1, 1] = 1 - 2 * (x * x + z * z)
    out[..., 1, 2] = 2 * (y * z - w * x)
    out[..., 2, 0] = 2 * (x * z - w * y)
    out[..., 2, 1] = 2 * (y * z + w * x)
    out[..., 2, 2] = 1 - 2 * (x * x + y * y)
    return out
