"""The squat simulator (:mod:`winkmon.sim`) as a :class:`~winkmon.virtual.source.SampleSource`.

The simulator composes a session (athlete, mounts, script) and measures each sensor's IMU at
any sample time; the virtual sensor asks for samples by index after START, so sample ``k`` is
taken at ``k / rate_hz`` s into the scripted session (looping at its end when ``loop``).
The virtual sensor then does what the simulator's own firmware model does offline: batching,
numbering, time stamping; the Bluetooth link is the real (virtual) one.
"""

from __future__ import annotations

import time

import numpy as np

from winkmon.protocol.constants import Role
from winkmon.sim.config import SimConfig
from winkmon.sim.imu import ImuModel
from winkmon.sim.script import SessionScript
from winkmon.sim.session import SimStream
from winkmon.virtual.source import ImuSamples


class SimSource:
    """Samples of a simulated session (default: the demo script) for both roles."""

    def __init__(
        self,
        config: SimConfig | None = None,
        script: SessionScript | None = None,
        loop: bool = True,
    ) -> None:
        session = SimStream(config, script)
        self.config = session.config
        self.body = session.body
        self.mounts = session.mounts
        self.duration_s = session.duration_s
        self.loop = loop
        self._models: dict[tuple[Role, int], ImuModel] = {}
        self._t0: float | None = None  # host time of the first START of any sensor
        self._start_s: dict[Role, float] = {}  # session time of each sensor's current START

    def samples(self, role: Role, first_index: int, count: int, rate_hz: float) -> ImuSamples:
        key = (role, round(rate_hz))
        model = self._models.get(key)
        if model is None:
            mount_role = role if role in self.mounts else Role.SACRUM
            model = ImuModel(self.config, self.mounts[mount_role], round(rate_hz))
            self._models[key] = model
        if first_index == 0:
            # A START (again, after a reconnect): the athlete did not wait for the sensor, so
            # its samples go on from the time it started again, not from the beginning.
            now = time.monotonic()
            if self._t0 is None:
                self._t0 = now
            self._start_s[role] = now - self._t0
        start_s = self._start_s.get(role, 0.0)
        t_s = start_s + np.arange(first_index, first_index + count, dtype=np.float64) / rate_hz
        t_s = np.mod(t_s, self.duration_s) if self.loop else np.minimum(t_s, self.duration_s)
        acc, gyr, mag = model.measure(self.body, t_s, first_index)
        return ImuSamples(acc, gyr, mag)
