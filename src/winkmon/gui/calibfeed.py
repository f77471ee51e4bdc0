"""Raw samples for the calibration wizard (no Qt).

Calibration needs the sensors' own samples (not the pipeline's angle): a still stand, then two
forward bends. A :class:`CalibrationFeed` collects them while the wizard runs, paced by the
clock it is given. :class:`SimCalibrationFeed` is the demo's: a simulated athlete who does
what the wizard asks, when it asks.
"""

from __future__ import annotations

from typing import Protocol

from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch
from winkmon.session.session import Session
from winkmon.session.simulated import SimulatorSource
from winkmon.sim import SimConfig, SimStream
from winkmon.sim.script import Calibrate, SessionScript, Stand

ROLES = (Role.SACRUM, Role.LUMBAR)


class CalibrationFeed(Protocol):
    """Samples of both sensors from :meth:`start` on, session seconds on one time base."""

    #: How long the wizard's "stand tall and hold still" step lasts, seconds.
    still_s: float
    #: How long its "bend forward twice" step lasts, seconds.
    bends_s: float

    def start(self, now_s: float) -> None: ...

    def poll(self, now_s: float) -> None:
        """Take in what arrived up to now."""
        ...

    def samples(self) -> dict[Role, SampleBatch]:
        """Everything collected so far, per sensor (roles without data are left out)."""
        ...

    def close(self) -> None: ...


class SimCalibrationFeed:
    """A simulated athlete who stands still, then bends forward twice, in real time."""

    def __init__(self, seed: int = 0, speed: float = 1.0, config: SimConfig | None = None) -> None:
        """``config`` (default: the default athlete with ``seed``) sets who is simulated."""
        script = SessionScript((Stand(0.5), Calibrate(static_s=4.0), Stand(60.0)))
        self.stream = SimStream(config or SimConfig(seed=seed), script)
        truth = self.stream.truth(rate_hz=50)
        functional = truth.functional_s or (6.0, 14.0)
        self.still_s = float(functional[0])
        self.bends_s = float(functional[1] - functional[0]) + 1.0
        self.speed = speed
        self._batches: dict[Role, list[SampleBatch]] = {r: [] for r in ROLES}
        self._source = SimulatorSource(self.stream)
        self._session = Session(None, session_start_ns=self._source.session_start_ns)
        self._session.batch_listeners.append(self._take)
        self._t0: float | None = None

    def _take(self, batch: SampleBatch) -> None:
        if len(batch):
            self._batches[batch.role].append(batch)

    def start(self, now_s: float) -> None:
        self._t0 = now_s

    def poll(self, now_s: float) -> None:
        if self._t0 is None:
            self._t0 = now_s
        for event in self._source.advance((now_s - self._t0) * self.speed):
            self._session.handle(event)

    def samples(self) -> dict[Role, SampleBatch]:
        return {r: SampleBatch.concat(b) for r, b in self._batches.items() if b}

    def close(self) -> None:
        pass


class HubCalibrationFeed:
    """The athlete's real sensors: the samples a live
    :class:`~winkmon.gui.livesource.HubSource` receives while the wizard runs."""

    still_s = 4.0
    bends_s = 12.0

    def __init__(self, source: object) -> None:
        self.source = source
        self._batches: dict[Role, list[SampleBatch]] = {r: [] for r in ROLES}

    def _take(self, batch: SampleBatch) -> None:
        self._batches[batch.role].append(batch)

    def start(self, now_s: float) -> None:
        for b in self._batches.values():
            b.clear()
        self.source.batch_listeners.append(self._take)  # type: ignore[attr-defined]

    def poll(self, now_s: float) -> None:
        return None  # samples arrive through the listener

    def samples(self) -> dict[Role, SampleBatch]:
        return {r: SampleBatch.concat(b) for r, b in self._batches.items() if b}

    def close(self) -> None:
        listeners = self.source.batch_listeners  # type: ignore[attr-defined]
        if self._take in listeners:
            listeners.remove(self._take)
