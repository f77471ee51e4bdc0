"""Samples lost from a host-timed stream, seen in the arrival times.

A host-timed sensor (MetaMotion, WitMotion) sends no time and no counter: its samples are
counted, and sample ``k`` is given device time ``k`` x the nominal period. A lost notification
cannot be seen in the data, so every later sample would be stamped early by the samples lost,
until the clock model's envelope caught up (minutes: it bounds the drift it believes). Here
they are seen in the arrivals instead: the *delay* of a notification, its arrival minus the
device time of its last sample, sits above a lower edge (the radio's least latency) and
jitters up to a connection interval or so; a loss lifts the whole delay distribution by the
samples lost, for good.

:class:`LateArrivals` keeps the delays of the last ``edge_s + window_s`` of arrivals. When every
notification of the last ``window_s`` (at least ``min_notifications`` of them, in both halves of
the window) arrived later than the lower edge of the ``edge_s`` before it (the median of the
delays' minima over half-windows) by at least ``min_jump_periods`` sample periods, and the
delays are not coming down (a backlog that drains after a radio stall comes down; a loss does
not), the jump, rounded to whole periods, is the number of samples lost: the decoder counts
them lost and goes on after the gap.

Until then (about ``window_s``) the samples after a loss are early by its length; afterwards
they are right again. A device whose true rate is below its nominal rate shows the same
signature, slowly: it is then counted as loss too, and its samples stay on time. Everything is
a function of the arrivals in order: replay finds the same losses as live.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class LateArrivalParams:
    """How a loss is recognised in a host-timed stream's arrivals."""

    #: every arrival of this long must be late, s
    window_s: float = 0.5
    #: the lower edge of the delays: the median of their minima over half-windows in this
    #: long before the window, s
    edge_s: float = 5.0
    #: late by at least this many sample periods (1 sample at 200 Hz: 5 ms)
    min_jump_periods: float = 1.0
    #: the window holds at least this many notifications in each half
    min_notifications: int = 3


class LateArrivals:
    """Counts the samples lost before each notification of a host-timed stream (module doc)."""

    def __init__(self, period_us: float, params: LateArrivalParams | None = None) -> None:
        self.period_us = float(period_us)
        self.p = params or LateArrivalParams()
        self._delays: deque[tuple[int, float]] = deque()  # (arrival µs, delay µs)

    def observe(self, arrival_us: int, last_dev_us: float) -> int:
        """A notification arrived at ``arrival_us`` (host µs) whose last sample is counted at
        device time ``last_dev_us``; returns how many samples were lost before it (0 mostly).

        When it returns ``L > 0`` the caller counts ``L`` samples lost before the notification
        (its samples move ``L`` periods later) and calls nothing else."""
        p = self.p
        delays = self._delays
        delays.append((int(arrival_us), float(arrival_us) - float(last_dev_us)))
        horizon = arrival_us - (p.edge_s + p.window_s) * 1e6
        while delays and delays[0][0] < horizon:
            delays.popleft()
        start = arrival_us - p.window_s * 1e6
        half_us = p.window_s * 0.5e6
        # Minima over half-windows: the window's two halves, and the edge as the median of the
        # half-window minima before it (a minimum over more arrivals would sit lower by chance
        # alone: like is compared with like).
        slices: dict[int, float] = {}
        first = second = float("inf")
        n_first = n_second = 0
        for a, d in delays:
            if a < start:
                k = int((start - a) // half_us)
                slices[k] = min(slices.get(k, d), d)
            elif a < start + half_us:
                first = min(first, d)
                n_first += 1
            else:
                second = min(second, d)
                n_second += 1
        if len(slices) < 2 or n_first < p.min_notifications or n_second < p.min_notifications:
            return 0
        edge = float(np.median(list(slices.values())))
        jump = min(first, second) - edge
        if jump < p.min_jump_periods * self.period_us or second < first - 0.5 * self.period_us:
            return 0  # on the edge, or a backlog still draining
        lost = round(jump / self.period_us)
        if lost < 1:
            return 0
        # The window's delays as they are once the loss is counted; the edge before it stays.
        shift = lost * self.period_us
        self._delays = deque((a, d - shift if a >= start else d) for a, d in delays)
        return lost
