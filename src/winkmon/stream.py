"""From DATA notifications of one sensor to :class:`~winkmon.samples.SampleBatch` es.

:class:`SensorStream` is fed ``(t_host_ns, payload)`` in arrival order — from BLE, a recording or
the simulator alike — and

- decodes the frame (malformed ones are counted, remembered and skipped: the stream carries on);
- unwraps the 16-bit notification sequence, the 32-bit sample index and the 32-bit device clock;
- resolves compact frames against the last anchor;
- accounts loss exactly: lost notifications from ``seq``, lost samples from ``index``;
- drops duplicates (a notification delivered twice);
- maps device time onto the session time base through a :class:`~winkmon.clock.ClockModel`.

It is a plain object with no I/O, so chunking the input differently gives the same output.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from winkmon.clock import ClockModel, EnvelopeClock
from winkmon.errors import FrameError
from winkmon.protocol.constants import FrameFlags, FrameType, Role
from winkmon.protocol.frames import DataFrame
from winkmon.samples import SampleBatch

log = logging.getLogger(__name__)


@dataclass(slots=True)
class StreamStats:
    """Counters of one sensor stream. ``loss_pct`` is samples lost over samples expected."""

    frames_ok: int = 0
    frames_bad: int = 0
    notifications_lost: int = 0
    samples_received: int = 0
    samples_lost: int = 0
    duplicates: int = 0
    fifo_overflows: int = 0
    last_error: str = ""

    @property
    def loss_pct(self) -> float:
        expected = self.samples_received + self.samples_lost
        return 100.0 * self.samples_lost / expected if expected else 0.0


def _unwrap(value: int, previous: int | None, bits: int) -> int:
    """The unwrapped value nearest to ``previous`` whose low ``bits`` equal ``value``."""
    if previous is None:
        return value
    span = 1 << bits
    delta = (value - previous) % span
    if delta >= span // 2:
        delta -= span
    return previous + delta


class SensorStream:
    """Decodes one sensor's DATA notifications into sample batches (see module doc).

    Parameters
    ----------
    role:
        The sensor's role; frames claiming another role are still decoded (the role byte is
        the firmware's, the binding is the profile's) but counted in ``role_mismatches``.
    rate_hz:
        The sample rate configured by START; gives the spacing of samples within a frame.
    clock:
        Device-to-session time mapping (default :class:`EnvelopeClock`).
    session_start_ns:
        Host time of the session start: host receive times are taken relative to it.
    """

    def __init__(
        self,
        role: Role,
        rate_hz: float,
        clock: ClockModel | None = None,
        session_start_ns: int = 0,
    ) -> None:
        if rate_hz <= 0:
            raise ValueError("rate_hz must be positive")
        self.role = role
        self.rate_hz = float(rate_hz)
        self.period_us = 1e6 / self.rate_hz
        self.clock: ClockModel = clock if clock is not None else EnvelopeClock()
        self.session_start_ns = session_start_ns
        self.stats = StreamStats()
        self.role_mismatches = 0
        self._seq: int | None = None
        self._next_index: int | None = None
        self._last_index: int | None = None  # last index seen (anchor or sample)
        self._anchor: DataFrame | None = None
        self._anchor_index = 0  # unwrapped
        self._anchor_t_us = 0  # unwrapped
        self._t_ref: tuple[int, int] | None = None  # (wrapped t, unwrapped t) of last full frame
        self._last_t_s = -np.inf

    # ------------------------------------------------------------------ feeding
    def feed(self, t_host_ns: int, payload: bytes) -> SampleBatch | None:
        """One notification; returns its new samples, or None (anchor, duplicate, malformed)."""
        try:
            frame = DataFrame.from_bytes(payload)
        except FrameError as exc:
            self.stats.frames_bad += 1
            self.stats.last_error = str(exc)
            log.debug("%s: malformed frame: %s", self.role.label, exc)
            return None
        return self.feed_frame(t_host_ns, frame)

    def feed_frame(self, t_host_ns: int, frame: DataFrame) -> SampleBatch | None:
        self.stats.frames_ok += 1
        if frame.role is not self.role and frame.role is not Role.UNASSIGNED:
            self.role_mismatches += 1
        seq = _unwrap(frame.seq, self._seq, 16)
        if self._seq is not None and seq > self._seq + 1:
            self.stats.notifications_lost += seq - self._seq - 1
        if self._seq is None or seq > self._seq:
            self._seq = seq
        if frame.flags & FrameFlags.FIFO_OVERFLOW:
            self.stats.fifo_overflows += 1

        if frame.frame_type is FrameType.DATA:
            first = _unwrap(frame.first_index, self._last_index, 32)
            assert frame.t_dev_us is not None
            t_first_us = self._unwrap_time(frame.t_dev_us)
            self._anchor, self._anchor_index, self._anchor_t_us = frame, first, t_first_us
        else:
            if self._anchor is None:
                self.stats.frames_bad += 1
                self.stats.last_error = "compact frame before any anchor: skipped"
                return None
            first = _unwrap(frame.first_index, self._last_index, 16)
            t_first_us = self._anchor_t_us + round((first - self._anchor_index) * self.period_us)
            assert self._anchor.acc_range is not None and self._anchor.gyr_range is not None
            frame = frame.resolved(
                first,
                t_first_us,
                self._anchor.acc_range,
                self._anchor.gyr_range,
                self._anchor.flags,
            )
        last = first + max(frame.n - 1, 0)
        self._last_index = last if self._last_index is None else max(last, self._last_index)

        host_s = (t_host_ns - self.session_start_ns) / 1e9
        if frame.n == 0:
            return None
        last_dev_us = t_first_us + round((frame.n - 1) * self.period_us)
        self.clock.observe(last_dev_us, host_s)

        # Duplicates and overlaps: keep only samples past the last one delivered.
        skip = 0
        if self._next_index is not None and first < self._next_index:
            skip = min(self._next_index - first, frame.n)
            self.stats.duplicates += skip
            if skip == frame.n:
                return None
        gap = 0
        if self._next_index is not None and first > self._next_index:
            gap = first - self._next_index
            self.stats.samples_lost += gap
        k = np.arange(skip, frame.n, dtype=np.int64)
        index = first + k
        t_dev_us = t_first_us + np.rint(k * self.period_us).astype(np.int64)
        t_s = self.clock.to_session_s(t_dev_us)
        # The clock estimate may step back by a few ms when it refits: keep time monotone.
        t_s = np.maximum(t_s, self._last_t_s + 1e-6 * (np.arange(len(k)) + 1))
        self._last_t_s = float(t_s[-1])
        self._next_index = int(index[-1]) + 1
        self.stats.samples_received += len(k)
        mag = frame.mag_uT
        return SampleBatch(
            role=self.role,
            index=index,
            t_dev_us=t_dev_us,
            t_s=t_s,
            acc_m_s2=frame.acc_m_s2[skip:],
            gyr_rad_s=frame.gyr_rad_s[skip:],
            mag_uT=None if mag is None else mag[skip:],
            gap_before=gap,
            rate_hz=self.rate_hz,
        )

    def _unwrap_time(self, t_wrapped_us: int) -> int:
        if self._t_ref is None:
            self._t_ref = (t_wrapped_us, t_wrapped_us)
            return t_wrapped_us
        unwrapped = _unwrap(t_wrapped_us, self._t_ref[1], 32)
        if unwrapped > self._t_ref[1]:
            self._t_ref = (t_wrapped_us, unwrapped)
        return unwrapped
