"""What every vendor decoder shares: samples in, a :class:`~winkmon.samples.SampleBatch` out.

A vendor's :mod:`protocol` module turns one notification into :class:`DecodedSamples` (SI
units, and the device time of each sample when the device sends one). :class:`VendorDecoder`
does the rest the same way for every kind:

- **device-timed** kinds (Polar Verity: ns of a frame's last sample; Movella DOT: µs, 32-bit):
  the sample index advances by the number of nominal periods between consecutive device times,
  so a lost notification shows as a gap of the right length (counted in ``samples_lost``);
- **host-timed** kinds (MetaMotion, WitMotion: no time in their packets): samples are counted,
  device time := sample index x nominal period (µs) from the segment's first arrival, and the
  session's :class:`~winkmon.clock.EnvelopeClock` fits offset and drift from the arrival times
  (BLE batching and connection-event jitter sit above the envelope's lower edge). Loss cannot
  be seen in such a stream's data; it is seen in the arrivals
  (:class:`~winkmon.drivers.late_arrivals.LateArrivals`: the delays jump up by the samples
  lost, for good), about half a second later, and counted as a gap from there;
- the device time is mapped to session seconds through the clock model; times are made
  strictly increasing (a clock refit may step back by microseconds).

A decoder is a deterministic function of the notifications it was fed, in order: replay of a
recording decodes to the same samples as live.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from winkmon.clock import ClockModel
from winkmon.drivers.late_arrivals import LateArrivals
from winkmon.errors import FrameError, WinkmonError
from winkmon.packed import IntColumn
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch
from winkmon.session.contract import StreamStarted
from winkmon.session.decode import DeviceStatus
from winkmon.stream import StreamStats

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MIN_STEP_S = 1e-6  #: consecutive samples of one sensor are at least this far apart, s


@dataclass(frozen=True, slots=True, eq=False)
class DecodedSamples:
    """Samples of one notification: ``acc_m_s2``, ``gyr_rad_s`` (n, 3) and, for device-timed
    kinds, ``t_dev_us`` (n,) on the device clock (unwrapped by the decoder)."""

    acc_m_s2: FloatArray
    gyr_rad_s: FloatArray
    t_dev_us: IntArray | None = None
    #: host-timed kinds: samples the decoder knows were lost just before these (e.g. a packed
    #: notification whose partner never came); they advance the count and are counted lost
    lost_before: int = 0

    def __len__(self) -> int:
        return int(self.acc_m_s2.shape[0])


def param(started: StreamStarted, key: str, default: float) -> float:
    """A numeric stream parameter of ``started`` (``default`` if absent)."""
    value = started.params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WinkmonError(
            f"{started.role.label} sensor: stream parameter {key}={value!r} is not a number"
        )
    return float(value)


def params_json(params: Mapping[str, object]) -> str:
    return json.dumps(dict(params), sort_keys=True)


class VendorDecoder:
    """Base of the vendor decoders (see module doc). Subclasses implement :meth:`parse` and
    may override :meth:`configure` (read the segment's parameters) and :meth:`status`.

    ``host_timed``: the kind's packets carry no time (device time := index x period).
    """

    host_timed = False

    def __init__(
        self,
        started: StreamStarted,
        clock_factory: Callable[[], ClockModel],
        session_start_ns: int,
    ) -> None:
        self._role = started.role
        self._clock_factory = clock_factory
        self.clock = clock_factory()
        self.session_start_ns = int(session_start_ns)
        self._stats = StreamStats()
        self.status_bad = 0
        self._rate_hz = 0.0
        self._last_t_s: float | None = None
        self._next_index = 0  # index of the next sample (unwrapped, over the session)
        self._last_dev_us: int | None = None  # device time of the last sample decoded
        self._seg_samples = 0  # samples decoded in this segment (host-timed device time)
        self._seg_base_us: int | None = None  # host-timed: device time of the segment's sample 0
        self._late: LateArrivals | None = None  # host-timed: loss seen in the arrival times
        self._last_host_ns: int | None = None
        self._new_segment = False  # the next notification opens a segment (after the first)
        self._first_segment = True
        self._begin(started)

    # ------------------------------------------------------------------ Decoder protocol
    @property
    def role(self) -> Role:
        return self._role

    @property
    def rate_hz(self) -> float:
        return self._rate_hz

    @property
    def stats(self) -> StreamStats:
        return self._stats

    def restart(self, started: StreamStarted) -> None:
        self._stats.restarts += 1
        self._begin(started)

    def feed(self, t_host_ns: int, payload: bytes) -> SampleBatch | None:
        try:
            decoded = self.parse(payload)
        except FrameError as exc:
            self._stats.frames_bad += 1
            self._stats.last_error = str(exc)
            return None
        self._stats.frames_ok += 1
        if decoded is None or len(decoded) == 0:
            return None
        return self._batch(t_host_ns, decoded)

    def feed_many(self, t_host_ns: IntColumn, payloads: Sequence[bytes]) -> SampleBatch | None:
        batches = [
            b
            for t, p in zip(t_host_ns, payloads, strict=True)
            if (b := self.feed(int(t), p)) is not None
        ]
        return SampleBatch.concat(batches) if batches else None

    def status(self, payload: bytes) -> DeviceStatus | None:
        """A STATUS-channel notification (default: the Battery Level characteristic)."""
        if len(payload) != 1 or payload[0] > 100:
            self.status_bad += 1
            return None
        return DeviceStatus(battery_pct=float(payload[0]))

    # ------------------------------------------------------------------ for subclasses
    def configure(self, started: StreamStarted) -> None:
        """Read the segment's parameters (scales, ...). Called at every segment."""

    def parse(self, payload: bytes) -> DecodedSamples | None:
        """One DATA notification's samples; :class:`FrameError` if malformed."""
        raise NotImplementedError

    @property
    def period_us(self) -> float:
        return 1e6 / self._rate_hz

    # ------------------------------------------------------------------ internals
    def _begin(self, started: StreamStarted) -> None:
        if started.rate_hz <= 0:
            raise WinkmonError(f"{started.role.label} sensor: stream rate must be positive")
        self._rate_hz = float(started.rate_hz)
        self.configure(started)
        self._seg_samples = 0
        self._seg_base_us = None
        self._late = LateArrivals(self.period_us) if self.host_timed else None
        if self.host_timed and not self._first_segment:
            # A new segment of a host-timed sensor: counting starts again; its clock is
            # relearnt from the arrivals (the device time base restarts at the first arrival).
            self.clock = self._clock_factory()
            self._stats.clock_resets += 1
        self._new_segment = not self._first_segment
        self._first_segment = False

    def _batch(self, t_host_ns: int, d: DecodedSamples) -> SampleBatch:
        n = len(d)
        gap = 0
        if self.host_timed:
            if self._seg_base_us is None:
                arrival_us = (t_host_ns - self.session_start_ns) // 1000
                # The notification's last sample was taken about now: sample 0 is n-1 periods
                # earlier.
                self._seg_base_us = int(arrival_us - round((n - 1) * self.period_us))
            gap = d.lost_before
            if self._late is not None:
                arrival_us = (t_host_ns - self.session_start_ns) // 1000
                last_us = self._seg_base_us + (self._seg_samples + gap + n - 1) * self.period_us
                gap += self._late.observe(arrival_us, last_us)
            self._stats.samples_lost += gap
            k = self._seg_samples + gap + np.arange(n, dtype=np.int64)
            t_dev = self._seg_base_us + np.round(k * self.period_us).astype(np.int64)
            self._seg_samples += gap + n
            index = self._next_index + gap + np.arange(n, dtype=np.int64)
        else:
            if d.t_dev_us is None:
                raise WinkmonError("a device-timed decoder must give t_dev_us")
            t_dev = np.asarray(d.t_dev_us, dtype=np.int64)
            boundary = self._new_segment
            if boundary:
                self._check_clock(t_host_ns, int(t_dev[0]))
            steps = np.ones(n, dtype=np.int64)
            if self._last_dev_us is not None and t_dev[0] > self._last_dev_us:
                steps[0] = max(1, round((int(t_dev[0]) - self._last_dev_us) / self.period_us))
            if n > 1:
                steps[1:] = np.maximum(1, np.round(np.diff(t_dev) / self.period_us)).astype(
                    np.int64
                )
            if self._last_dev_us is None:
                steps[0] = 1
            gap = int(steps[0]) - 1
            # Samples missed while the link was down (a segment boundary) are a gap, not loss.
            self._stats.samples_lost += int(np.sum(steps[1:] - 1)) + (0 if boundary else gap)
            index = self._next_index - 1 + np.cumsum(steps)
            self._last_dev_us = int(t_dev[-1])
        self._next_index = int(index[-1]) + 1
        self._new_segment = False
        self._last_host_ns = t_host_ns
        self._stats.samples_received += n
        host_s = np.array([(t_host_ns - self.session_start_ns) / 1e9])
        frame = np.zeros(n, dtype=np.int64)
        t_s = self.clock.map_frames(t_dev[-1:], host_s, frame, t_dev)
        t_s = self._increasing(t_s)
        return SampleBatch(
            role=self._role,
            index=index,
            t_dev_us=t_dev,
            t_s=t_s,
            acc_m_s2=np.asarray(d.acc_m_s2, dtype=np.float64),
            gyr_rad_s=np.asarray(d.gyr_rad_s, dtype=np.float64),
            gap_before=gap,
            rate_hz=self._rate_hz,
        )

    def _check_clock(self, t_host_ns: int, t_dev_us: int) -> None:
        """At a segment's first notification: a device clock that did not run on (it went
        back, or jumped further than the host time that passed) is relearnt."""
        if self._last_dev_us is None or self._last_host_ns is None:
            return
        host_us = (t_host_ns - self._last_host_ns) / 1000.0
        ahead_us = t_dev_us - self._last_dev_us
        if 0 < ahead_us <= host_us * 1.001 + 1_000_000:
            return
        log.info("%s: the device clock was reset at a restart: relearning it", self._role.label)
        self._stats.clock_resets += 1
        self.clock = self._clock_factory()
        self._last_dev_us = None

    def _increasing(self, t_s: FloatArray) -> FloatArray:
        """``t_s`` strictly increasing, at least :data:`MIN_STEP_S` apart, after the last."""
        steps = MIN_STEP_S * np.arange(len(t_s))
        floor = -np.inf if self._last_t_s is None else self._last_t_s + MIN_STEP_S
        shifted = np.maximum.accumulate(np.maximum(t_s - steps, floor))
        out = shifted + steps
        self._last_t_s = float(out[-1])
        return out


__all__ = ["MIN_STEP_S", "DecodedSamples", "VendorDecoder", "param", "params_json"]
