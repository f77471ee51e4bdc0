"""winkmon.orientation: every method tracks inclination; online chunks equal one batch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from winkmon import quaternion as quat
from winkmon.orientation import METHODS, estimate, make_filter


def _rotating_sensor(seconds: float = 20.0, rate: float = 200.0):
    n = int(seconds * rate)
    t = np.arange(n) / rate
    w = np.stack(
        [0.8 * np.sin(2 * np.pi * 0.3 * t), 0.5 * np.cos(2 * np.pi * 0.2 * t), 0.3 * np.ones(n)],
        axis=1,
    )
    q = np.empty((n, 4))
    q[0] = quat.normalize([0.9, 0.3, 0.2, 0.1])
    for i in range(1, n):
        q[i] = quat.normalize(quat.multiply(q[i - 1], quat.from_rotvec(w[i - 1] / rate)))
    acc = quat.rotate(quat.conjugate(q), np.array([0.0, 0.0, 9.80665]))
    return w, acc, q, rate


def _inclination_error_deg(q_est: np.ndarray, q_true: np.ndarray) -> np.ndarray:
    dots = np.sum(quat.up_in_sensor(q_est) * quat.up_in_sensor(q_true), axis=1)
    return np.degrees(np.arccos(np.clip(dots, -1.0, 1.0)))


@pytest.mark.parametrize("method", METHODS)
def test_every_method_tracks_inclination(method: str) -> None:
    gyr, acc, q_true, rate = _rotating_sensor(seconds=8.0 if method != "vqf" else 20.0)
    q = estimate(gyr, acc, rate, method=method)
    assert q.shape == (len(gyr), 4)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-6)
    err = _inclination_error_deg(q, q_true)
    assert err[0] < 1.0  # starts from the first accelerometer sample
    assert np.mean(err[len(err) // 2 :]) < 1.0


def test_vqf_chunks_equal_one_batch() -> None:
    gyr, acc, _, rate = _rotating_sensor(seconds=5.0)
    whole = make_filter("vqf", rate).update(gyr, acc)
    f = make_filter("vqf", rate)
    cuts = [0, 1, 17, 400, 401, 999, len(gyr)]
    parts = [f.update(gyr[a:b], acc[a:b]) for a, b in itertools.pairwise(cuts)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_bad_input_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown orientation method"):
        estimate(np.zeros((3, 3)), np.zeros((3, 3)), 100.0, method="kalman9000")
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        estimate(np.zeros((3, 3)), np.zeros((4, 3)), 100.0)
    with pytest.raises(ValueError, match="rate_hz"):
        estimate(np.zeros((3, 3)), np.zeros((3, 3)), 0.0)
