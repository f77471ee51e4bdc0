"""Put the two sensors on one uniform time grid.

Each sensor has its own rate, clock and losses. :class:`GridAligner` buffers each chain's
output and interpolates both onto the grid ``t = k / out_rate_hz`` (session seconds). A grid
point is emitted once both sensors have data past it; a sensor that falls more than
``max_wait_s`` behind the other (it dropped out) no longer holds the output back: its grid
points are emitted as NaN. Fed in arrival order (as sensors deliver and recordings store
them), a grid point's value does not depend on how the input was chunked, only on the data:
a sensor contributes NaN exactly where it has no valid samples within ``gap_periods`` sample
periods on both sides. (Data that arrives more than ``max_wait_s`` after the other sensor's
data for the same time comes too late and is left out; live, that only happens after a
dropout, when there is no such data.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from winkmon.pipeline.chain import ChainOutput
from winkmon.protocol.constants import Role

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class GridBlock:
    """Both sensors on the grid: inclinations, vertical accelerations, sacrum angular rate."""

    t_s: FloatArray
    incl_pelvis_deg: FloatArray
    incl_lumbar_deg: FloatArray
    a_vert_m_s2: FloatArray  #: sacrum sensor
    gyr_norm_rad_s: FloatArray  #: sacrum sensor
    a_vert_lumbar_m_s2: FloatArray
    #: The earth's up axis in the sacrum sensor's frame (N x 3; NaN where it has no data).
    up_sacrum: FloatArray

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


class _Buffer:
    __slots__ = ("a", "g", "incl", "latest", "t", "tol", "up", "valid")

    def __init__(self, rate_hz: float, gap_periods: float) -> None:
        self.t = np.empty(0)
        self.incl = np.empty(0)
        self.a = np.empty(0)
        self.g = np.empty(0)
        self.up = np.empty((0, 3))
        self.valid = np.empty(0, dtype=bool)
        self.tol = gap_periods / rate_hz
        self.latest = -math.inf

    def push(self, out: ChainOutput) -> None:
        if len(out) == 0:
            return
        self.t = np.concatenate((self.t, out.t_s))
        self.incl = np.concatenate((self.incl, out.incl_deg))
        self.a = np.concatenate((self.a, out.a_vert_m_s2))
        self.g = np.concatenate((self.g, out.gyr_norm_rad_s))
        self.up = np.concatenate((self.up, out.up))
        self.valid = np.concatenate((self.valid, out.valid))
        self.latest = max(self.latest, float(out.t_s[-1]))

    def sample(self, tg: FloatArray, with_gyr: bool = True) -> tuple[FloatArray, ...]:
        """Inclination, vertical acceleration (and angular rate norm and the up axis's three
        components) at grid times ``tg``; NaN where the sensor has no valid samples on both
        sides within the tolerance."""
        n = len(self.t)
        if n < 2:
            nan = np.full(len(tg), np.nan)
            k = 6 if with_gyr else 2
            return tuple(nan.copy() for _ in range(k))
        t = self.t
        right = np.searchsorted(t, tg, side="right")
        r = np.minimum(np.maximum(right, 1), n - 1)
        left = r - 1
        # Bridged samples (valid False) kept the filter in step; they carry no measurement.
        ok = (right >= 1) & (right < n) & (t[r] - t[left] <= self.tol)
        ok &= self.valid[left] & self.valid[r]
        arrays: tuple[FloatArray, ...] = (
            (self.incl, self.a, self.g, self.up[:, 0], self.up[:, 1], self.up[:, 2])
            if with_gyr
            else (self.incl, self.a)
        )
        return tuple(np.where(ok, np.interp(tg, t, arr), np.nan) for arr in arrays)

    def trim(self, t_keep: float) -> None:
        """Drop samples no longer needed to interpolate at or after ``t_keep``."""
        k = int(np.searchsorted(self.t, t_keep, side="right")) - 1
        if k > 0:
            for name in ("t", "incl", "a", "g", "up", "valid"):
                setattr(self, name, getattr(self, name)[k:])


class GridAligner:
    """Interpolates the sacrum and lumbar chains onto a common grid (see module doc)."""

    def __init__(
        self,
        rates_hz: dict[Role, float],
        out_rate_hz: float = 100.0,
        max_wait_s: float = 1.0,
        gap_periods: float = 2.5,
    ) -> None:
        self.out_rate_hz = float(out_rate_hz)
        self.max_wait_s = float(max_wait_s)
        #: Only the roles given take part: a session with one sensor never waits for the other.
        self._buf = {r: _Buffer(rate, gap_periods) for r, rate in rates_hz.items()}
        self._next_k = 0
        #: Time of the first sample pushed (arrival order), None before. The grid starts
        #: ``max_wait_s`` before it (not at t = 0): a session on an epoch clock (an imported
        #: CSV or vendor export) would otherwise emit ~1e11 empty grid points first.
        self._t_first: float | None = None

    def push(self, role: Role, out: ChainOutput) -> None:
        if self._t_first is None and len(out):
            self._t_first = float(out.t_s[0])
            start = math.floor((self._t_first - self.max_wait_s) * self.out_rate_hz)
            self._next_k = max(self._next_k, start)
        self._buf[role].push(out)

    def pull(self, final: bool = False) -> GridBlock:
        """Grid points that are ready (all remaining ones if ``final``)."""
        latest = [b.latest for b in self._buf.values()]
        if not latest:
            return _empty()
        hi, lo = max(latest), min(latest)
        if hi == -math.inf:
            return _empty()
        t_ready = hi if final else max(lo, hi - self.max_wait_s)
        k_end = math.floor(t_ready * self.out_rate_hz + 1e-9)
        if k_end < self._next_k:
            return _empty()
        k = np.arange(self._next_k, k_end + 1)
        tg = k / self.out_rate_hz
        s, lum = self._buf.get(Role.SACRUM), self._buf.get(Role.LUMBAR)
        nan = np.full(len(tg), np.nan)
        ip, a, g, ux, uy, uz = s.sample(tg) if s is not None else (nan,) * 6
        il, al = lum.sample(tg, with_gyr=False) if lum is not None else (nan, nan)
        self._next_k = k_end + 1
        t_keep = self._next_k / self.out_rate_hz
        for b in self._buf.values():
            b.trim(t_keep)
        return GridBlock(tg, ip, il, a, g, al, np.stack([ux, uy, uz], axis=1))


def _empty() -> GridBlock:
    e = np.empty(0)
    return GridBlock(e, e, e, e, e, e, np.empty((0, 3)))
