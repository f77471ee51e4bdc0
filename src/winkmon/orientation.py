"""Orientation of one IMU from its gyroscope and accelerometer (and optionally magnetometer).

Public API (stable):

``estimate(gyr_rad_s, acc_m_s2, rate_hz, mag_uT=None, method="vqf") -> (N, 4)``
    Quaternions ``w, x, y, z``, sensor to earth (ENU: z up), one per sample.

``make_filter(method, rate_hz) -> OrientationFilter``
    The same filters as online objects, fed batches of any size: splitting a stream into
    chunks gives the same quaternions as feeding it whole (tested).

Methods: ``"vqf"`` (VQF, Laidig & Seel 2023, with ``tauAcc`` = :data:`VQF_TAU_ACC_S`; the
default: the most accurate in ``bench/accuracy.py`` and ~50x faster than the ``ahrs`` filters
because its loop is in C++), ``"madgwick"``, ``"mahony"``, ``"ekf"`` (from the ``ahrs``
package, run sample by sample in Python). 6D (no magnetometer) by default: steel racks
disturb magnetometers, and the lumbopelvic angle needs inclination only. Pass ``mag_uT`` to
use 9D where the method supports it (vqf, madgwick, ekf).

Every filter starts from the inclination of its first accelerometer sample.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from winkmon import quaternion as quat
from winkmon.errors import InputError

FloatArray = npt.NDArray[np.float64]

METHODS = ("vqf", "madgwick", "mahony", "ekf")
#: VQF's accelerometer time constant. VQF's own default is 3 s; squats and walking are slow
#: movements (pelvis accelerations of 1-2 m/s^2 against 9.81), so a quicker correction from
#: gravity removes more gyroscope drift than it lets motion in: 2 s measured best for the
#: lumbopelvic angle in ``bench/accuracy.py`` (1, 2, 3 and 5 s compared; see the README).
VQF_TAU_ACC_S = 2.0
DEFAULT_METHOD = "vqf"


class OrientationFilter(Protocol):
    """An online orientation filter: feed batches in order, get one quaternion per sample."""

    rate_hz: float

    def update(
        self, gyr_rad_s: FloatArray, acc_m_s2: FloatArray, mag_uT: FloatArray | None = None
    ) -> FloatArray:
        """Quaternions (n, 4), sensor to earth (ENU), after each of the n samples."""
        ...


def _check(
    gyr: npt.ArrayLike, acc: npt.ArrayLike, mag: npt.ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    g = np.ascontiguousarray(gyr, dtype=np.float64)
    a = np.ascontiguousarray(acc, dtype=np.float64)
    m = None if mag is None else np.ascontiguousarray(mag, dtype=np.float64)
    if (
        g.ndim != 2
        or g.shape[1] != 3
        or a.shape != g.shape
        or (m is not None and m.shape != g.shape)
    ):
        raise InputError(
            f"gyr_rad_s, acc_m_s2 (and mag_uT) must be (N, 3) arrays of one length; got "
            f"{g.shape}, {a.shape}{'' if m is None else ', ' + str(m.shape)}"
        )
    return g, a, m


class VqfFilter:
    """VQF (``vqf`` package) as an online filter. ``params`` go to ``vqf.VQF`` unchanged."""

    def __init__(self, rate_hz: float, **params: float | bool) -> None:
        from vqf import VQF

        self.rate_hz = float(rate_hz)
        self._vqf = VQF(1.0 / self.rate_hz, **params)

    def update(
        self, gyr_rad_s: FloatArray, acc_m_s2: FloatArray, mag_uT: FloatArray | None = None
    ) -> FloatArray:
        g, a, m = _check(gyr_rad_s, acc_m_s2, mag_uT)
        if len(g) == 0:
            return np.empty((0, 4))
        if m is None:
            out = self._vqf.updateBatch(g, a)
            return np.asarray(out["quat6D"], dtype=np.float64)
        out = self._vqf.updateBatch(g, a, m)
        return np.asarray(out["quat9D"], dtype=np.float64)


class AhrsFilter:
    """One of the ``ahrs`` package's filters, run sample by sample (slow: ~60-100 µs/sample)."""

    def __init__(self, method: str, rate_hz: float) -> None:
        from ahrs.filters import EKF, Madgwick, Mahony

        self.rate_hz = float(rate_hz)
        self.method = method
        if method == "madgwick":
            self._f: object = Madgwick(frequency=self.rate_hz)
        elif method == "mahony":
            self._f = Mahony(frequency=self.rate_hz)
        elif method == "ekf":
            # ahrs's EKF in its NED setting yields sensor-to-ENU inclination with our
            # initialisation (checked in tests/test_orientation.py).
            self._f = EKF(frequency=self.rate_hz, frame="NED")
        else:
            raise InputError(f"unknown ahrs method {method!r}")
        self._q: FloatArray | None = None

    def update(
        self, gyr_rad_s: FloatArray, acc_m_s2: FloatArray, mag_uT: FloatArray | None = None
    ) -> FloatArray:
        g, a, m = _check(gyr_rad_s, acc_m_s2, mag_uT)
        out = np.empty((len(g), 4))
        f = self._f
        for i in range(len(g)):
            if self._q is None:
                self._q = quat.from_two_vectors(a[i], [0.0, 0.0, 1.0])
            q = self._q
            if self.method == "ekf":
                q = f.update(q, g[i], a[i], None if m is None else m[i])  # type: ignore[attr-defined]
            elif m is not None and self.method == "madgwick":
                q = f.updateMARG(q, g[i], a[i], m[i] * 1e3)  # type: ignore[attr-defined]
            else:
                q = f.updateIMU(q, g[i], a[i])  # type: ignore[attr-defined]
            self._q = np.asarray(q, dtype=np.float64)
            out[i] = self._q
        return out


#: Makes an online filter for a sensor sampled at ``rate_hz`` (the pipeline's injection point).
FilterFactory = Callable[[float], OrientationFilter]


def filter_factory(method: str | FilterFactory) -> FilterFactory:
    """A factory from a method name (:data:`METHODS`), or ``method`` itself if it is one: any
    callable ``rate_hz -> OrientationFilter`` (a filter of one's own) can be injected."""
    if callable(method):
        return method
    name = method.lower()
    if name not in METHODS:
        raise InputError(
            f"unknown orientation method {method!r}; choose one of {', '.join(METHODS)}"
        )
    return lambda rate_hz: make_filter(name, rate_hz)


def make_filter(method: str, rate_hz: float) -> OrientationFilter:
    """An online filter by name (see :data:`METHODS`)."""
    name = method.lower()
    if rate_hz <= 0:
        raise InputError("rate_hz must be positive")
    if name == "vqf":
        return VqfFilter(rate_hz, tauAcc=VQF_TAU_ACC_S)
    if name in ("madgwick", "mahony", "ekf"):
        return AhrsFilter(name, rate_hz)
    raise InputError(f"unknown orientation method {method!r}; choose one of {', '.join(METHODS)}")


def estimate(
    gyr_rad_s: npt.ArrayLike,
    acc_m_s2: npt.ArrayLike,
    rate_hz: float,
    mag_uT: npt.ArrayLike | None = None,
    method: str = DEFAULT_METHOD,
) -> FloatArray:
    """Orientation of one sensor for every sample.

    Parameters
    ----------
    gyr_rad_s, acc_m_s2:
        (N, 3) angular rate in rad/s and specific force in m/s^2, in the sensor frame, sampled
        uniformly at ``rate_hz``.
    mag_uT:
        Optional (N, 3) magnetic field in µT for 9D estimation.
    method:
        ``"vqf"`` (default), ``"madgwick"``, ``"mahony"`` or ``"ekf"``.

    Returns
    -------
    (N, 4) unit quaternions ``w, x, y, z`` rotating sensor-frame vectors into the earth frame
    (ENU, z up). In 6D the heading is arbitrary (it starts at 0 and drifts slowly).
    """
    g, a, m = _check(gyr_rad_s, acc_m_s2, mag_uT)
    return make_filter(method, rate_hz).update(g, a, m)
