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
        raw = (dev_us - self._dev0_us) // self.window_us
        delay = host_s - dev_us / 1e6
        if self._win_min is not None and int(raw.max()) <= self._window:
            # The usual live call (a notification or two): all in the window already open,
            # so no window closes; the general path below gives the same, with more steps.
            k = int(np.argmin(delay))
            if delay[k] < self._win_min[1]:
                self._win_min = (int(dev_us[k]) / 1e6, float(delay[k]))
            dev_s = np.asarray(sample_dev_us, dtype=np.int64) / 1e6
            return dev_s + self._offset_s + self._drift * (dev_s - self._ref_s)
        # A frame from an earlier window (the device clock stepped back) joins the current one.
        win = np.maximum.accumulate(np.maximum(raw, self._window))
        # Runs of frames in one window, and each run's smallest delay (its first, on a tie).
        starts = np.flatnonzero(np.concatenate(([True], win[1:] != win[:-1])))
        lengths = np.diff(np.append(starts, len(win)))
        run_d = np.minimum.reduceat(delay, starts)
        hits = np.flatnonzero(delay == np.repeat(run_d, lengths))
        run_t = dev_us[hits[np.searchsorted(hits, starts)]] / 1e6
        min_t, min_d = run_t.tolist(), run_d.tolist()
        # The windows these frames close, oldest first: the current one if the first run is
        # in a later window, then the window of every run but the last (which stays open).
        closed_t: list[float] = []
        closed_d: list[float] = []
        if self._win_min is not None:
            if int(win[0]) != self._window:
                closed_t.append(self._win_min[0])
                closed_d.append(self._win_min[1])
            elif not min_d[0] < self._win_min[1]:  # the window's earlier minimum stands
                min_t[0], min_d[0] = self._win_min
        before = len(closed_t)  # windows closed before the first run
        closed_t += min_t[:-1]
        closed_d += min_d[:-1]
        self._win_min = (min_t[-1], min_d[-1])
        self._window = int(win[-1])
        # Fit i is the one in force after the i-th close (0: the one in force now); run j
        # maps with the fit after the closes before it.
        offset, drift, ref = self._refit(closed_t, closed_d)
        pick = slice(before, before + len(starts))
        frame_offset = np.repeat(offset[pick], lengths)
        frame_drift = np.repeat(drift[pick], lengths)
        frame_ref = np.repeat(ref[pick], lengths)
        fi = np.asarray(sample_frame, dtype=np.int64)
        dev_s = np.asarray(sample_dev_us, dtype=np.int64) / 1e6
        return dev_s + frame_offset[fi] + frame_drift[fi] * (dev_s - frame_ref[fi])

    def _refit(
        self, closed_t: list[float], closed_d: list[float]
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Add the closed windows' minima to the history, one by one, and fit the line after
        each: offsets, drifts and reference times, the fit in force now first. Every fit sees
        only the minima up to its own window and is computed the same way however many are
        fitted at once (row by row, see :func:`_fit_lines`), so any chunking of the frames
        maps them identically."""
        count = len(closed_t)
        offset = np.empty(count + 1)
        drift = np.empty(count + 1)
        ref = np.empty(count + 1)
        offset[0], drift[0], ref[0] = self._offset_s, self._drift, self._ref_s
        if count == 0:
            return offset, drift, ref
        size = self._min_t.maxlen or 1
        held = len(self._min_t)
        all_t = np.array([*self._min_t, *closed_t])
        all_d = np.array([*self._min_d, *closed_d])
        # Fits over fewer minima than the history holds (a session's first minutes): each
        # its own length, one at a time.
        growing = min(count, max(0, size - held))
        for i in range(1, growing + 1):
            end = held + i
            fit = _fit_lines(all_t[None, :end], all_d[None, :end], self.max_drift)
            offset[i], drift[i], ref[i] = (f[0] for f in fit)
        if growing < count:  # the rest over a full history: all at once
            windows = np.lib.stride_tricks.sliding_window_view
            rows = slice(held + growing + 1 - size, held + count + 1 - size)
            t_rows = np.ascontiguousarray(windows(all_t, size)[rows])
            d_rows = np.ascontiguousarray(windows(all_d, size)[rows])
            fit = _fit_lines(t_rows, d_rows, self.max_drift)
            offset[growing + 1 :], drift[growing + 1 :], ref[growing + 1 :] = fit
        self._min_t.extend(closed_t)
        self._min_d.extend(closed_d)
        self._offset_s, self._drift, self._ref_s = (
            float(offset[-1]),
            float(drift[-1]),
            float(ref[-1]),
        )
        return offset, drift, ref


def _fit_lines(
    t: FloatArray, d: FloatArray, max_drift: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per row of window minima (device seconds ``t``, delays ``d``; rows of one length, in
    C order): the lower-edge line's offset at the last window, its slope (the drift) and that
    window's time. Every step is element-wise or a reduction along the row, so a row's result
    does not depend on the other rows. Fewer than five minima: their smallest delay, no drift."""
    n = t.shape[1]
    t0 = t[:, -1]
    if n < 5:
        return d.min(axis=1), np.zeros(len(t)), t0
    x = t - t0[:, None]
    xm, dm = x.sum(axis=1) / n, d.sum(axis=1) / n
    xc = x - xm[:, None]
    var = (xc * xc).sum(axis=1)
    cov = (xc * (d - dm[:, None])).sum(axis=1)
    slope = np.divide(cov, var, out=np.zeros_like(cov), where=var > 0)
    slope = np.minimum(np.maximum(slope, -max_drift), max_drift)
    intercept = dm - slope * xm
    resid = d - (intercept[:, None] + slope[:, None] * x)
    # The fitted line runs through the middle of the minima; the envelope is their edge
    # (the 10th percentile of the residuals).
    edge = np.partition(resid, n // 10, axis=1)[:, n // 10]
    return intercept + edge, slope, t0
