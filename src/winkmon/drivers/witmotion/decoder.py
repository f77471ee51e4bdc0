"""The ``witmotion/1`` decoder: ``55 61`` packets to samples, timed from host arrival.

The packets carry no time: the base class counts samples at the nominal rate and the
session's envelope clock fits offset and drift from the arrival times
(:class:`~winkmon.drivers.base.VendorDecoder`, host-timed). Register replies (``55 71``) on
the same characteristic are skipped; stray bytes are counted as a bad frame.
"""

from __future__ import annotations

from winkmon.drivers.base import DecodedSamples, VendorDecoder
from winkmon.drivers.witmotion.protocol import PacketStream
from winkmon.errors import FrameError, FrameErrorKind
from winkmon.session.contract import StreamStarted

DECODER_NAME = "witmotion/1"


class WitMotionDecoder(VendorDecoder):
    """Decodes one BWT901BLE's notifications (see module doc)."""

    host_timed = True

    def configure(self, started: StreamStarted) -> None:
        self._packets = PacketStream()

    def parse(self, payload: bytes) -> DecodedSamples | None:
        packets = self._packets.feed(payload)
        if packets.skipped_bytes and len(packets.acc_m_s2) == 0:
            raise FrameError(
                FrameErrorKind.UNKNOWN_TYPE, f"{packets.skipped_bytes} bytes of no WitMotion packet"
            )
        if len(packets.acc_m_s2) == 0:
            return None
        return DecodedSamples(packets.acc_m_s2, packets.gyr_rad_s)


__all__ = ["DECODER_NAME", "WitMotionDecoder"]
