"""The ``movella-dot/1`` decoder: mode-21 payloads (one sample each) in SI units.

Device-timed: each payload's u32 µs timestamp is unwrapped (it wraps after 71.6 min) into
the device time, from which the base class numbers samples and counts lost ones.
"""

from __future__ import annotations

import numpy as np

from winkmon.drivers.base import DecodedSamples, VendorDecoder
from winkmon.drivers.movella_dot import protocol as dot
from winkmon.session.contract import StreamStarted

DECODER_NAME = "movella-dot/1"
_SPAN = 1 << dot.TIMESTAMP_BITS


class MovellaDotDecoder(VendorDecoder):
    """Decodes one DOT's rate-quantities payloads (see module doc)."""

    host_timed = False

    def configure(self, started: StreamStarted) -> None:
        self._last_unwrapped: int | None = None

    def parse(self, payload: bytes) -> DecodedSamples | None:
        rq = dot.decode_rate_quantities(payload)
        t = rq.t_us
        if self._last_unwrapped is not None:
            delta = (t - self._last_unwrapped) % _SPAN
            if delta >= _SPAN // 2:
                delta -= _SPAN
            t = self._last_unwrapped + delta
        self._last_unwrapped = t
        return DecodedSamples(
            acc_m_s2=np.array([rq.acc_m_s2], dtype=np.float64),
            gyr_rad_s=np.radians(np.array([rq.gyr_dps], dtype=np.float64)),
            t_dev_us=np.array([t], dtype=np.int64),
        )


__all__ = ["DECODER_NAME", "MovellaDotDecoder"]
