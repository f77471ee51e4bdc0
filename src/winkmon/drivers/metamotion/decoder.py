"""The ``metamotion/1`` decoder: packed ACC and GYRO notifications to paired samples.

Packed notifications carry 3 samples and no time: the base class counts samples at the
nominal rate and the session's envelope clock fits offset and drift from arrivals. The board
sends a sample triple's ACC packet, then its GYRO packet; the decoder pairs them in that
order. A GYRO packet with no ACC waiting (its ACC was lost), or an ACC packet still waiting
when the next ACC comes (its GYRO was lost), is dropped and its 3 samples counted lost: the
count of the following samples stays right.

The stream's ``chip`` parameter (``BMI160``: MetaMotion RL, the default of recordings made
before the S was supported; ``BMI270``: MetaMotion S) picks the packed registers; the ranges
(``acc_range_g``, ``gyro_range_dps``) pick the scales, which both chips share.
"""

from __future__ import annotations

import numpy as np

from winkmon.drivers.base import DecodedSamples, VendorDecoder, param
from winkmon.drivers.metamotion import protocol as mw
from winkmon.errors import WinkmonError
from winkmon.session.contract import StreamStarted

DECODER_NAME = "metamotion/1"


class MetaMotionDecoder(VendorDecoder):
    """Decodes one MetaMotion RL's or S's packed notifications (see module doc)."""

    host_timed = True

    def configure(self, started: StreamStarted) -> None:
        self.acc_range_g = int(param(started, "acc_range_g", 8))
        self.gyro_range_dps = int(param(started, "gyro_range_dps", 2000))
        name = started.params.get("chip", mw.BMI160.name)
        chip = mw.CHIPS.get(name) if isinstance(name, str) else None
        if chip is None:
            raise WinkmonError(
                f"{started.role.label} sensor: MetaMotion chip {name!r} is unknown "
                f"(this winkmon decodes {', '.join(mw.CHIPS)})"
            )
        self.chip = chip
        self._acc: np.ndarray | None = None
        self._lost = 0

    def parse(self, payload: bytes) -> DecodedSamples | None:
        module, counts = mw.decode_packed(payload, self.chip)
        if module == mw.MODULE_ACC:
            if self._acc is not None:
                self._lost += mw.SAMPLES_PER_PACKED  # its GYRO partner never came
            self._acc = counts
            return None
        if self._acc is None:
            self._lost += mw.SAMPLES_PER_PACKED  # its ACC partner never came
            return None
        acc, self._acc = self._acc, None
        lost, self._lost = self._lost, 0
        return DecodedSamples(
            mw.acc_m_s2(acc, self.acc_range_g),
            mw.gyr_rad_s(counts, self.gyro_range_dps),
            lost_before=lost,
        )


__all__ = ["DECODER_NAME", "MetaMotionDecoder"]
