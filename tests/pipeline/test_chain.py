"""One sensor's chain: bridged gaps, and the settling after a gap in motion."""

from __future__ import annotations

import numpy as np

from winkmon.pipeline.chain import SETTLE_S, SensorChain
from winkmon.pipeline.model import Mount
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2, Role
from winkmon.samples import SampleBatch

RATE = 100.0


def batch(index: np.ndarray, gyr_y_rad_s: float) -> SampleBatch:
    """A sensor turning steadily about y (or still), gravity kept consistent with the turn."""
    t = index / RATE
    ang = gyr_y_rad_s * t
    acc = STANDARD_GRAVITY_M_S2 * np.stack([-np.sin(ang), 0 * ang, np.cos(ang)], axis=1)
    gyr = np.tile([0.0, gyr_y_rad_s, 0.0], (len(t), 1))
    return SampleBatch(Role.SACRUM, index, np.round(t * 1e6).astype(np.int64), t, acc, gyr)


def run(gyr_y_rad_s: float) -> np.ndarray:
    """Where the chain gives an inclination (a mount makes it compute one)."""
    chain = SensorChain(Role.SACRUM, RATE, Mount(), max_fill_s=0.6)
    idx = np.arange(600)
    keep = (idx < 300) | (idx >= 340)  # a 0.4 s gap at 3 s
    out = chain.process(batch(idx[keep], gyr_y_rad_s))
    assert np.isfinite(out.a_vert_m_s2[out.valid]).all()  # depth keeps every measured sample
    return np.asarray(np.isfinite(out.incl_deg))


def test_after_a_gap_in_motion_the_filter_settles_before_it_counts() -> None:
    """Interpolated rate over a gap in motion is a guess: the next SETTLE_S are not used.
    Standing still, interpolation is exact, and the data counts at once."""
    settle = round(SETTLE_S * RATE)
    moving = run(0.5)
    still = run(0.0)
    first_after = 300 + 40  # outputs: 300 measured, 40 bridged, then measured again
    assert not moving[300:first_after].any() and not still[300:first_after].any()  # bridged
    assert not moving[first_after : first_after + settle].any()
    assert moving[first_after + settle :].all()
    assert still[first_after:].all()
