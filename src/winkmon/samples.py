"""Sample batches: what a source hands the pipeline, in SI units, on the session time base."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from winkmon.errors import InputError
from winkmon.protocol.constants import Role

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class SampleBatch:
    """Consecutive samples of one sensor.

    ``index`` counts every sample the IMU produced (unwrapped, so a gap's length is exact);
    ``t_dev_us`` is the sensor's own clock (unwrapped); ``t_s`` is the session time base
    (seconds since the session started, host clock), onto which both sensors are mapped.
    ``gap_before`` is the number of samples lost between the previous batch and this one.
    """

    role: Role
    index: IntArray
    t_dev_us: IntArray
    t_s: FloatArray
    acc_m_s2: FloatArray
    gyr_rad_s: FloatArray
    mag_uT: FloatArray | None = None
    gap_before: int = 0
    rate_hz: float = field(default=0.0)

    def __post_init__(self) -> None:
        n = self.index.shape[0]
        shapes_ok = (
            self.t_dev_us.shape == (n,)
            and self.t_s.shape == (n,)
            and self.acc_m_s2.shape == (n, 3)
            and self.gyr_rad_s.shape == (n, 3)
            and (self.mag_uT is None or self.mag_uT.shape == (n, 3))
        )
        if not shapes_ok:
            raise InputError("SampleBatch arrays must share their first dimension")

    def __len__(self) -> int:
        return int(self.index.shape[0])

    @staticmethod
    def concat(batches: list[SampleBatch]) -> SampleBatch:
        """One batch from several consecutive batches of the same sensor."""
        if not batches:
            raise InputError("nothing to concatenate")
        mags = [b.mag_uT for b in batches if b.mag_uT is not None]
        mag = np.concatenate(mags) if len(mags) == len(batches) else None
        return SampleBatch(
            role=batches[0].role,
            index=np.concatenate([b.index for b in batches]),
            t_dev_us=np.concatenate([b.t_dev_us for b in batches]),
            t_s=np.concatenate([b.t_s for b in batches]),
            acc_m_s2=np.concatenate([b.acc_m_s2 for b in batches]),
            gyr_rad_s=np.concatenate([b.gyr_rad_s for b in batches]),
            mag_uT=mag,
            gap_before=batches[0].gap_before,
            rate_hz=batches[0].rate_hz,
        )
