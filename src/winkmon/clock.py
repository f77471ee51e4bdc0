"""Mapping a sensor's device clock onto the session time base.

Each sensor has its own crystal: an unknown offset and a drift of tens of ppm. The host knows,
for every notification, when it arrived (``t_host_ns``), and the device timestamp of the frame's
samples. Arrival = device time + offset + latency, with latency >= 0 and jittery, so the
*lower envelope* of ``t_host - t_dev`` tracks the offset, and its slope over minutes the drift.

:class:`EnvelopeClock` estimates both online from that envelope (one minimum per window, a
least-squares line through the recent minima). It is causal and depends only on the sequence
of observations, so live, replay and offline runs map identically. TIME_SYNC round trips
(:meth:`EnvelopeClock.observe_sync`) tighten it where a sensor answers them.

:class:`SharedClock` is for data whose device time already *is* the session clock (CSV imports,
where both files share one clock).
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

import numpy as np
import numpy.typing as npt


class ClockModel(Protocol):
    """Maps device time (µs, unwrapped) to session seconds."""

    def observe(self, t_dev_us: int, t_host_s: float) -> None:
        """A sample taken at device time ``t_dev_us`` reached the host at ``t_host_s``."""

    def to_session_s(self, t_dev_us: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Session seconds of device times."""


class SharedClock:
    """Device time is session time (plus a fixed offset in µs)."""

    def __init__(self, offset_us: int = 0) -> None:
        self.offset_us = offset_us

    def observe(self, t_dev_us: int, t_host_s: float) -> None:
        return None

    def to_session_s(self, t_dev_us: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return (np.asarray(t_dev_us, dtype=np.int64) + self.offset_us) / 1e6


class EnvelopeClock:
    """Online offset-and-drift estimate from the lower envelope of arrival delays.

    Parameters
    ----------
    window_s:
        Length of one envelope window in device seconds (default 2 s). One minimum is kept
        per window.
    history:
        Number of window minima the drift line is fitted to (default 60, two minutes).
    """

    def __init__(self, window_s: float = 2.0, history: int = 60) -> None:
        self.window_us = int(window_s * 1e6)
        self._minima: deque[tuple[float, float]] = deque(maxlen=history)
        self._win_start_us: int | None = None
        self._win_min: tuple[float, float] | None = None
        self._offset_s: float | None = None  # session - device, at _ref_us
        self._ref_us = 0
        self._drift = 0.0

    @property
    def offset_s(self) -> float | None:
        return self._offset_s

    @property
    def drift_ppm(self) -> float:
        return self._drift * 1e6

    def observe(self, t_dev_us: int, t_host_s: float) -> None:
        delay = t_host_s - t_dev_us / 1e6
        if self._win_start_us is None:
            self._win_start_us = t_dev_us
        if self._win_min is None or delay < self._win_min[1]:
            self._win_min = (t_dev_us / 1e6, delay)
        if self._offset_s is None:
            self._offset_s, self._ref_us = delay, t_dev_us
        elif delay < self._predict(t_dev_us):
            # Arrival earlier than the model allows: the model is late, pull it down at once.
            self._offset_s = delay - self._drift * (t_dev_us - self._ref_us) / 1e6
        if t_dev_us - self._win_start_us >= self.window_us:
            self._minima.append(self._win_min)
            self._win_start_us, self._win_min = t_dev_us, None
            self._refit()

    def observe_sync(self, t_dev_us: int, t_host_mid_s: float) -> None:
        """A TIME_SYNC round trip: device time ``t_dev_us`` at host time ``t_host_mid_s``."""
        self.observe(t_dev_us, t_host_mid_s)

    def _predict(self, t_dev_us: int) -> float:
        assert self._offset_s is not None
        return self._offset_s + self._drift * (t_dev_us - self._ref_us) / 1e6

    def _refit(self) -> None:
        if len(self._minima) < 3:
            self._offset_s = min(d for _, d in self._minima)
            return
        t = np.array([m[0] for m in self._minima])
        d = np.array([m[1] for m in self._minima])
        t0 = t[-1]
        slope, intercept = np.polyfit(t - t0, d, 1)
        # The line goes through the middle of the minima; the envelope is their lower edge.
        resid = d - (intercept + slope * (t - t0))
        self._drift = float(np.clip(slope, -500e-6, 500e-6))
        self._offset_s = float(intercept + resid.min())
        self._ref_us = int(t0 * 1e6)

    def to_session_s(self, t_dev_us: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        if self._offset_s is None:
            raise RuntimeError("no observation yet")
        dev = np.asarray(t_dev_us, dtype=np.int64)
        return (dev / 1e6 + self._offset_s + self._drift * (dev - self._ref_us) / 1e6).astype(
            np.float64
        )
