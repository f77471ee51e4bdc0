"""The ``polar-verity/1`` decoder: PMD ACC and GYRO frames to paired samples in SI units.

The Verity sends ACC and GYRO as separate frames on one characteristic, each stamped with
the device time (ns) of its last sample. Each frame's samples are timed by the SDK's rule
(:func:`~winkmon.drivers.polar_verity.protocol.sample_times_ns`), then ACC and GYRO samples
are paired by time (within half a period); a sample whose partner was lost is dropped and
shows as a gap (the base class counts it from the device times).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from winkmon.drivers.base import DecodedSamples, VendorDecoder, param
from winkmon.drivers.polar_verity import protocol as pmd
from winkmon.errors import FrameError, FrameErrorKind
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2
from winkmon.session.contract import StreamStarted

DECODER_NAME = "polar-verity/1"
_MAX_UNPAIRED_S = 2.0  # an unpaired backlog longer than this is dropped (the other stream stopped)


class PolarVerityDecoder(VendorDecoder):
    """Decodes one Verity's PMD data notifications (see module doc)."""

    host_timed = False

    def configure(self, started: StreamStarted) -> None:
        self.acc_factor = param(started, "acc_factor", 1.0)  # mG per LSB
        self.gyro_factor = param(started, "gyro_factor", 1.0)  # deg/s per LSB
        self._prev_ns: dict[int, int] = {}
        self._queues: dict[int, deque[tuple[int, tuple[int, int, int]]]] = {
            pmd.Measurement.ACC: deque(),
            pmd.Measurement.GYRO: deque(),
        }

    def parse(self, payload: bytes) -> DecodedSamples | None:
        frame = pmd.decode_frame(payload)
        m = frame.measurement
        if m not in self._queues:
            raise FrameError(FrameErrorKind.UNKNOWN_TYPE, f"PMD measurement type {m} not asked for")
        expected = pmd.ACC_FRAME_TYPE if m == pmd.Measurement.ACC else pmd.GYRO_FRAME_TYPE
        if frame.frame_type != expected:
            raise FrameError(
                FrameErrorKind.UNKNOWN_TYPE, f"PMD frame type 0x{frame.frame_type:02x} for {m}"
            )
        period_ns = 1e9 / self.rate_hz
        times = pmd.sample_times_ns(
            frame.t_last_ns, len(frame.samples), self._prev_ns.get(m), period_ns
        )
        self._prev_ns[m] = frame.t_last_ns
        queue = self._queues[m]
        for t, row in zip(times, frame.samples.tolist(), strict=True):
            queue.append((t, (row[0], row[1], row[2])))
        return self._pairs(period_ns)

    def _pairs(self, period_ns: float) -> DecodedSamples | None:
        acc_q = self._queues[pmd.Measurement.ACC]
        gyr_q = self._queues[pmd.Measurement.GYRO]
        t_out: list[int] = []
        acc: list[tuple[int, int, int]] = []
        gyr: list[tuple[int, int, int]] = []
        while acc_q and gyr_q:
            ta, a = acc_q[0]
            tg, g = gyr_q[0]
            if abs(ta - tg) <= period_ns / 2:
                acc_q.popleft()
                gyr_q.popleft()
                t_out.append(ta)
                acc.append(a)
                gyr.append(g)
            elif ta < tg:
                acc_q.popleft()
            else:
                gyr_q.popleft()
        limit = int(_MAX_UNPAIRED_S * self.rate_hz)
        for q in (acc_q, gyr_q):
            while len(q) > limit:
                q.popleft()
        if not t_out:
            return None
        g0 = STANDARD_GRAVITY_M_S2
        return DecodedSamples(
            acc_m_s2=np.asarray(acc, dtype=np.float64) * (self.acc_factor * 1e-3 * g0),
            gyr_rad_s=np.radians(np.asarray(gyr, dtype=np.float64) * self.gyro_factor),
            t_dev_us=np.asarray(t_out, dtype=np.int64) // 1000,
        )


__all__ = ["DECODER_NAME", "PolarVerityDecoder"]
