"""Mapping a sensor's device clock onto the session time base.

Each sensor has its own crystal: an unknown offset and a drift of tens of ppm. The host knows,
for every notification, when it arrived (host clock), and the device time of the frame's last
sample. Arrival = device time + offset + latency, with latency >= 0 and jittery, so the *lower
envelope* of ``t_host - t_dev`` tracks the offset, and its slope over minutes the drift.

:class:`EnvelopeClock` estimates both from that envelope: device time is cut into windows
(2 s by default); each finished window contributes its minimum delay, and a line fitted through
the recent minima (lower edge) gives offset and drift. The mapping used for a sample is the one
in force at the start of its frame's window, so it depends only on earlier windows: streaming
in any chunking, replay and offline runs all map every sample identically.

:class:`SharedClock` is for data whose device time already *is* the session clock (CSV
imports, where both files share one clock).
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class ClockModel(Protocol):
    """Maps device time (µs, unwrapped) to session seconds, learning from arrivals."""

    def map_frames(
        self,
        frame_dev_us: IntArray,
        frame_host_s: FloatArray,
        sample_frame: IntArray,
        sample_dev_us: IntArray,
    ) -> FloatArray:
        """Session seconds of samples.

        ``frame_dev_us``/``frame_host_s``: device time of each frame's last sample and the
        frame's arrival (session seconds, host clock), in arrival order. ``sample_frame``: the
        frame each sample belongs to (index into the frame arrays); ``sample_dev_us``: each
        sample's device time.
        """
        ...


class SharedClock:
    """Device time is session time, plus a fixed offset in µs."""

    def __init__(self, offset_us: int = 0) -> None:
        self.offset_us = int(offset_us)

    def map_frames(
        self,
        frame_dev_us: IntArray,
        frame_host_s: FloatArray,
        sample_frame: IntArray,
        sample_dev_us: IntArray,
    ) -> FloatArray:
        return (np.asarray(sample_dev_us, dtype=np.int64) + self.offset_us) / 1e6


class EnvelopeClock:
    """Offset and drift from the lower envelope of arrival delays (see module doc).

    Parameters
    ----------
    window_s:
        Length of one envelope window in device seconds (default 2 s).
    history:
        Number of window minima the drift line is fitted to (default 90: three minutes).
    max_drift_ppm:
        Drift estimates are clipped to this (default 500 ppm; real crystals are within 100).
    """

    def __init__(
        self, window_s: float = 2.0, history: int = 90, max_drift_ppm: float = 500.0
    ) -> None:
        self.window_us = int(window_s * 1e6)
        self.max_drift = max_drift_ppm * 1e-6
        # The window minima, as device seconds and delays (two queues: no unpacking per fit).
        self._min_t: deque[float] = deque(maxlen=history)
        self._min_d: deque[float] = deque(maxlen=history)
        self._dev0_us: int | None = None
        self._window = -1
        self._win_min: tuple[float, float] | None = None  # (dev_s, delay_s)
        self._offset_s = 0.0  # session - device at _ref_s
        self._ref_s = 0.0
        self._drift = 0.0

    @property
    def offset_s(self) -> float:
        return self._offset_s

    @property
    def drift_ppm(self) -> float:
        return self._drift * 1e6

    def map_frames(
        self,
        frame_dev_us: IntArray,
        frame_host_s: FloatArray,
        sample_frame: IntArray,
        sample_dev_us: IntArray,
    ) -> FloatArray:
        dev_us = np.asarray(frame_dev_us, dtype=np.int64)
        host_s = np.asarray(frame_host_s, dtype=np.float64)
        if len(dev_us) == 0:
            return np.empty(0)
        if self._dev0_us is None:
            self._dev0_us = int(dev_us[0])
            self._offset_s = float(host_s[0] - dev_us[0] / 1e6)
            self._ref_s = dev_us[0] / 1e6
        win = (dev_us - self._dev0_us) // self.window_us
        # A frame from an earlier window (the device clock stepped back) joins the current one.
        win = np.maximum.accumulate(np.maximum(win, self._window))
        delay = host_s - dev_us / 1e6
        frame_offset = np.empty(len(dev_us))
        frame_drift = np.empty(len(dev_us))
        frame_ref = np.empty(len(dev_us))
        if len(win) == 1:
            starts, ends = np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64)
        else:
            starts = np.flatnonzero(np.concatenate(([True], win[1:] != win[:-1])))
            ends = np.concatenate((starts[1:], [len(win)]))
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            w = int(win[a])
            if w != self._window:
                self._close_window()
                self._window = w
            frame_offset[a:b] = self._offset_s
            frame_drift[a:b] = self._drift
            frame_ref[a:b] = self._ref_s
            k = a + int(np.argmin(delay[a:b]))
            if self._win_min is None or delay[k] < self._win_min[1]:
                self._win_min = (int(dev_us[k]) / 1e6, float(delay[k]))
        fi = np.asarray(sample_frame, dtype=np.int64)
        dev_s = np.asarray(sample_dev_us, dtype=np.int64) / 1e6
        return dev_s + frame_offset[fi] + frame_drift[fi] * (dev_s - frame_ref[fi])

    def _close_window(self) -> None:
        """Add the finished window's minimum and fit the line again (plain floats: about 90
        points, once per window and sensor, where numpy's per-call cost would dominate)."""
        if self._win_min is None:
            return
        self._min_t.append(self._win_min[0])
        self._min_d.append(self._win_min[1])
        self._win_min = None
        t, d = self._min_t, self._min_d
        n = len(t)
        if n < 5:
            self._offset_s, self._ref_s, self._drift = min(d), t[-1], 0.0
            return
        t0 = t[-1]
        x = [ti - t0 for ti in t]
        xm, dm = sum(x) / n, sum(d) / n
        xc = [xi - xm for xi in x]
        var = sum([c * c for c in xc])
        cov = sum([c * (di - dm) for c, di in zip(xc, d, strict=True)])
        slope = cov / var if var > 0 else 0.0
        slope = min(max(slope, -self.max_drift), self.max_drift)
        intercept = dm - slope * xm
        resid = sorted([di - (intercept + slope * xi) for xi, di in zip(x, d, strict=True)])
        self._drift = slope
        # The fitted line runs through the middle of the minima; the envelope is their edge
        # (the 10th percentile of the residuals).
        self._offset_s = intercept + resid[n // 10]
        self._ref_s = t0
