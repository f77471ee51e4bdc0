"""What drives a virtual sensor: a :class:`SampleSource` hands it SI samples by sample index.

The virtual sensor does what firmware does with an IMU FIFO: it asks the source for the samples
that are due, quantises them to the configured ranges, batches them into frames that fit the
MTU, numbers notifications and samples, and stamps its own device clock. The source only knows
physics: sample ``k`` after START is the IMU reading at ``k / rate_hz`` seconds after START.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from winkmon.errors import InputError
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2, Role

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class ImuSamples:
    """Consecutive IMU samples in SI units: ``acc_m_s2`` and ``gyr_rad_s`` are (n, 3);
    ``mag_uT`` is (n, 3) or None."""

    acc_m_s2: FloatArray
    gyr_rad_s: FloatArray
    mag_uT: FloatArray | None = None

    def __post_init__(self) -> None:
        n = self.acc_m_s2.shape[0]
        if self.acc_m_s2.shape != (n, 3) or self.gyr_rad_s.shape != (n, 3):
            raise InputError("acc_m_s2 and gyr_rad_s must both be (n, 3)")
        if self.mag_uT is not None and self.mag_uT.shape != (n, 3):
            raise InputError("mag_uT must be (n, 3) like the other axes")

    def __len__(self) -> int:
        return int(self.acc_m_s2.shape[0])


class SampleSource(Protocol):
    """Produces the IMU samples a virtual sensor streams.

    ``samples(role, first_index, count, rate_hz)`` returns samples ``first_index ..
    first_index + count - 1`` of the sensor in ``role``, sample ``k`` being the reading at
    ``k / rate_hz`` s after START. It is called from the event loop, with increasing
    ``first_index`` and no overlap, restarting at 0 when the host sends START again (on a rig
    with a shared timeline, ``VirtualSensorConfig.timeline_origin_ns``, the indices start at
    the time of START on that timeline instead, so sensors started apart see one body). It must be
    quick (a few ms at most): it runs on the loop that carries the Bluetooth traffic.
    """

    def samples(self, role: Role, first_index: int, count: int, rate_hz: float) -> ImuSamples:
        """Samples ``first_index`` .. ``first_index + count - 1`` of ``role`` (see class doc)."""
        ...


class RampSource:
    """A deterministic source for tests: gravity on +z plus small index-dependent ramps.

    The value of every sample is a pure function of ``(role, index)``, so a test can compute
    what the host must decode without looking at the sensor (:meth:`expected`).
    """

    def __init__(self, with_mag: bool = False) -> None:
        self.with_mag = with_mag

    def samples(self, role: Role, first_index: int, count: int, rate_hz: float) -> ImuSamples:
        return self.expected(role, np.arange(first_index, first_index + count, dtype=np.int64))

    def expected(self, role: Role, index: npt.NDArray[np.int64]) -> ImuSamples:
        """The samples at ``index`` (any integer array) for ``role``."""
        k = np.asarray(index, dtype=np.int64)
        ramp = (k % 1000).astype(np.float64) / 1000.0  # 0 .. 1
        sign = 1.0 if role is Role.LUMBAR else -1.0
        acc = np.zeros((k.size, 3))
        acc[:, 0] = sign * 2.0 * ramp  # m/s^2
        acc[:, 1] = 0.5
        acc[:, 2] = STANDARD_GRAVITY_M_S2
        gyr = np.zeros((k.size, 3))
        gyr[:, 0] = sign * ramp  # rad/s
        gyr[:, 2] = -0.25
        mag = None
        if self.with_mag:
            mag = np.tile(np.array([20.0, 0.0, -40.0]), (k.size, 1))
        return ImuSamples(acc, gyr, mag)
