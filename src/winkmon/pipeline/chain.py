"""Per-sensor processing: gap bridging, orientation filter, segment inclination, vertical acc.

A :class:`SensorChain` takes one sensor's :class:`~winkmon.samples.SampleBatch` es and returns,
for every sample, the sagittal inclination of the sensor's segment (degrees, from its mount),
the vertical acceleration of the sensor (m/s^2, up positive, gravity removed) and the norm of
the angular rate. A sensor without a mount (not calibrated) gives NaN inclination; its vertical
acceleration needs no mount. Both quantities come from the *inclination* of the filter's orientation
only, so the drifting heading of a 6D filter never enters.

Gaps (lost samples) up to ``max_fill_s`` are bridged for the filter with linearly interpolated
samples, so its state keeps pace with time; their outputs are marked invalid, so no made-up
value reaches the angle. A longer gap restarts the filter from the next accelerometer sample.
Interpolated angular rate is only a guess while the athlete moves (a 0.5 s gap in a squat can
leave the inclination 10-20 deg off, and the filter's 2 s accelerometer time constant would
carry that for seconds): after such a gap, in motion, the next ``SETTLE_S`` of samples give
no inclination while the filter settles; their vertical acceleration still counts. (A faster
accelerometer time constant was tried instead: in a squat it trades the gap's error for the
motion's, and did worse.)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from winkmon import quaternion as quat
from winkmon.orientation import FilterFactory, OrientationFilter, filter_factory
from winkmon.pipeline.model import Mount
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2, Role
from winkmon.samples import SampleBatch

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SETTLE_GAP_S = 0.1  #: a bridged gap at least this long is followed by settling, s ...
SETTLE_MOVING_RAD_S = 0.2  #: ... if the sensor turned faster than this at either end
SETTLE_S = 1.0  #: how long the filter settles after such a gap (no inclination), s


@dataclass(frozen=True, slots=True, eq=False)
class ChainOutput:
    """Per-sample results of one sensor chain (``valid`` False for bridged samples)."""

    t_s: FloatArray
    incl_deg: FloatArray
    a_vert_m_s2: FloatArray
    gyr_norm_rad_s: FloatArray
    valid: BoolArray
    #: The earth's up axis in the sensor frame (N x 3): the sensor's tilt, with no mount.
    up: FloatArray

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


class SensorChain:
    """Orientation and segment inclination of one sensor (see module doc)."""

    def __init__(
        self,
        role: Role,
        rate_hz: float,
        mount: Mount | None,
        orientation: str | FilterFactory = "vqf",
        max_fill_s: float = 0.25,
    ) -> None:
        self.role = role
        self.rate_hz = float(rate_hz)
        self.mount = mount
        self.make_filter = filter_factory(orientation)
        self.max_fill = max(1, round(max_fill_s * self.rate_hz))
        self.filter: OrientationFilter = self.make_filter(self.rate_hz)
        self.restarts = 0
        self.bridged_samples = 0
        self._last: tuple[int, float, FloatArray, FloatArray] | None = None  # index, t, acc, gyr
        self._settle_gap = max(1, round(SETTLE_GAP_S * self.rate_hz))
        self._settle_left = 0  # samples still settling after a gap
        self.settled_samples = 0

    def process(self, batch: SampleBatch) -> ChainOutput:
        idx, t, acc, gyr = batch.index, batch.t_s, batch.acc_m_s2, batch.gyr_rad_s
        # Split at gaps: positions where the index jumps (including from the previous batch).
        prev_idx = np.concatenate(
            ([self._last[0] if self._last is not None else idx[0] - 1], idx[:-1])
        )
        jumps = idx - prev_idx - 1
        cut = np.flatnonzero(jumps != 0)  # forward: samples lost; backward: sensor restarted
        bounds = [0, *cut.tolist(), len(idx)]
        outs: list[ChainOutput] = []
        for a, b in itertools.pairwise(bounds):
            if a == b:
                continue
            gap = int(jumps[a])
            if gap != 0 and self._last is not None:
                if 0 < gap <= self.max_fill:
                    moving = max(
                        float(np.linalg.norm(self._last[3])), float(np.linalg.norm(gyr[a]))
                    )
                    outs.append(self._bridge(gap, t[a], acc[a], gyr[a]))
                    if gap >= self._settle_gap and moving > SETTLE_MOVING_RAD_S:
                        self._start_settling()
                else:
                    self.filter = self.make_filter(self.rate_hz)
                    self.restarts += 1
            outs.extend(self._run_settling(t[a:b], acc[a:b], gyr[a:b]))
            self._last = (int(idx[b - 1]), float(t[b - 1]), acc[b - 1], gyr[b - 1])
        if len(outs) == 1:
            return outs[0]
        return ChainOutput(
            *(np.concatenate([getattr(o, f) for o in outs]) for f in ChainOutput.__slots__)
        )

    def _start_settling(self) -> None:
        self._settle_left = max(1, round(SETTLE_S * self.rate_hz))

    def _run_settling(self, t: FloatArray, acc: FloatArray, gyr: FloatArray) -> list[ChainOutput]:
        """Run measured samples; the first ones give no inclination while the filter settles."""
        n = len(t)
        k = min(self._settle_left, n)
        outs = []
        if k:
            # measured samples: depth and reps use them; the inclination is not trusted yet
            outs.append(self._run(t[:k], acc[:k], gyr[:k], np.ones(k, dtype=bool), False))
            self._settle_left -= k
            self.settled_samples += k
        if k < n:
            outs.append(self._run(t[k:], acc[k:], gyr[k:], np.ones(n - k, dtype=bool)))
        return outs

    def _bridge(
        self, gap: int, t_next: float, acc_next: FloatArray, gyr_next: FloatArray
    ) -> ChainOutput:
        if self._last is None:  # callers bridge only after a first sample
            return self._run(
                np.empty(0), np.empty((0, 3)), np.empty((0, 3)), np.ones(0, dtype=bool)
            )
        _, t_prev, acc_prev, gyr_prev = self._last
        w = (np.arange(1, gap + 1) / (gap + 1))[:, None]
        self.bridged_samples += gap
        return self._run(
            t_prev + w[:, 0] * (t_next - t_prev),
            acc_prev + w * (acc_next - acc_prev),
            gyr_prev + w * (gyr_next - gyr_prev),
            np.zeros(gap, dtype=bool),
        )

    def _run(
        self,
        t: FloatArray,
        acc: FloatArray,
        gyr: FloatArray,
        valid: BoolArray,
        angle_ok: bool = True,
    ) -> ChainOutput:
        q = self.filter.update(gyr, acc)
        up = quat.up_in_sensor(q)
        incl = self.mount.inclination_deg(up) if self.mount is not None else np.full(len(t), np.nan)
        if not angle_ok:
            incl[:] = np.nan
        a_vert = np.einsum("ij,ij->i", up, acc) - STANDARD_GRAVITY_M_S2
        return ChainOutput(
            t, np.where(valid, incl, np.nan), a_vert, np.linalg.norm(gyr, axis=1), valid, up
        )
