"""The demo's source: the simulator's notifications, paced in real time, through the pipeline.

:class:`SimulatedSource` advances the simulator (a
:class:`~winkmon.session.simulated.SimulatorSource`) to the wall clock every frame and hands
the events that have "arrived" to the one :class:`~winkmon.session.session.Session`, which
decodes them and runs the pipeline live data goes through. Its raw frames can be
recorded (Record button), so a demo session replays like a real one.

The demo athlete's model uses the simulator's true sensor mounts (calibration is the wizard's
job; the demo shows the dashboard). The session is the two-minute demo script followed by a
long random gym session, so the demo can run for hours.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from winkmon.errors import WinkmonError
from winkmon.gui.controller import LinkState, SensorStatus, SourceKind
from winkmon.pipeline.events import AngleBlock, StepResult
from winkmon.pipeline.model import AthleteModel, Mount, Thresholds
from winkmon.pipeline.pipeline import Pipeline
from winkmon.protocol.constants import Role
from winkmon.session.contract import NotificationBlock, SourceEvent
from winkmon.session.recorder import SessionRecorder
from winkmon.session.session import Session
from winkmon.session.simulated import SimulatorSource
from winkmon.sim import SimConfig, SimStream
from winkmon.sim.script import SessionScript, default_demo_script, random_script
from winkmon.stream import StreamStats

log = logging.getLogger(__name__)

ROLES = (Role.SACRUM, Role.LUMBAR)
RATE_WINDOW_S = 2.0


def demo_script(seed: int, hours: float = 3.0) -> SessionScript:
    """The demo script, then about ``hours`` of a random session (its calibration dropped)."""
    first = default_demo_script()
    rest = random_script(np.random.default_rng([seed, 0xDE30]), duration_s=hours * 3600.0)
    return SessionScript(first.activities + rest.activities[2:])


def demo_model(stream: SimStream, thresholds: Thresholds) -> AthleteModel:
    """The simulated athlete as the pipeline needs it (true mounts: segment <- sensor, .T)."""
    mounts = {r: Mount(np.asarray(stream.mounts[r].matrix).T) for r in ROLES}
    return AthleteModel(mounts=mounts, thresholds=thresholds, name="Demo athlete")


def model_document(model: AthleteModel) -> dict[str, object]:
    """The mounts and thresholds of a model, as stored in a recording's ``calibration``."""
    return {
        "athlete": model.name,
        "mounts": {r.label: model.mounts[r].as_list() for r in ROLES},
        "thresholds": model.thresholds.as_dict(),
        "origin": "simulator truth",
    }


class SimulatedSource:
    """A :class:`~winkmon.gui.controller.ResultSource`: simulator -> pipeline, real time."""

    kind = SourceKind.DEMO
    title = "virtual sensors"
    athlete_name = "Demo athlete"

    def __init__(
        self,
        seed: int = 0,
        thresholds: Thresholds | None = None,
        config: SimConfig | None = None,
        script: SessionScript | None = None,
        speed: float = 1.0,
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self.config = config or SimConfig(seed=seed)
        self.stream = SimStream(self.config, script or demo_script(self.config.seed))
        self.model = demo_model(self.stream, self.thresholds)
        self.rates_hz = {r: float(self.config.rate_hz(r)) for r in ROLES}
        self.pipeline = Pipeline(self.model, self.rates_hz)
        self.source = SimulatorSource(self.stream)
        self.session = Session(self.pipeline, session_start_ns=self.source.session_start_ns)
        self.session.event_listeners.append(self._count)
        self.speed = speed
        self._t0: float | None = None
        self._session_s = 0.0
        self._arrivals: dict[Role, list[tuple[float, int]]] = {r: [] for r in ROLES}
        self._recorder: SessionRecorder | None = None
        self._record_path: Path | None = None

    # -- ResultSource ----------------------------------------------------------------------
    def start(self, now_s: float) -> None:
        self._t0 = now_s

    def close(self) -> None:
        self.stop_recording()

    def pull(self, now_s: float) -> StepResult:
        if self._t0 is None:
            self._t0 = now_s
        target = (now_s - self._t0) * self.speed
        if target <= self._session_s:
            return StepResult(AngleBlock.empty(), ())
        self._session_s = min(target, self.stream.end_s)
        steps = [self.session.handle(e) for e in self.source.advance(self._session_s)]
        done = [st for st in steps if st is not None]
        if not done:
            return StepResult(AngleBlock.empty(), ())
        if len(done) == 1:
            return done[0]
        return StepResult(
            AngleBlock.concat([st.angles for st in done if len(st.angles)]),
            tuple(e for st in done for e in st.events),
        )

    def _count(self, event: SourceEvent) -> None:
        """Remember how many notifications came when (for the rate on the sensor panel)."""
        if not isinstance(event, NotificationBlock):
            return
        now = self._session_s
        roles = list(event.roles)
        for role in ROLES:
            n = roles.count(int(role))
            if n:
                self._arrivals[role].append((now, n))
            keep = [a for a in self._arrivals[role] if a[0] > now - RATE_WINDOW_S]
            self._arrivals[role] = keep

    def sensors(self) -> Mapping[Role, SensorStatus]:
        stats = self.session.stats
        out = {}
        for role in ROLES:
            st = stats.get(role) or StreamStats()
            arrivals = self._arrivals[role]
            recent = [a for a in arrivals if a[0] > self._session_s - 0.5]
            link = (
                LinkState.CONNECTED if recent or self._session_s < 1.0 else LinkState.RECONNECTING
            )
            # Notifications per second x samples per notification ~ sample rate.
            per = st.samples_received / max(1, st.frames_ok)
            rate = sum(n for _, n in arrivals) * per / RATE_WINDOW_S if arrivals else 0.0
            battery = max(5.0, (93.0 if role is Role.SACRUM else 78.0) - self._session_s / 90.0)
            out[role] = SensorStatus(role, link, rate, st.loss_pct, battery, f"sim-{role.label}")
        return out

    # -- recording -------------------------------------------------------------------------
    def start_recording(self, path: str | Path | None) -> Path:
        from winkmon.recording import RecordingWriter, output_path

        if self._recorder is not None:
            return self._record_path or Path()
        if path is None:
            from platformdirs import user_data_dir

            folder = Path(user_data_dir("winkmon")) / "recordings"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / time.strftime("demo-%Y%m%d-%H%M%S")
        target = output_path(Path(path))
        try:
            writer = RecordingWriter(target, session_start_ns=0, simulated=True, notes="demo")
        except OSError as exc:
            raise WinkmonError(f"cannot record to {target}: {exc}") from exc
        writer.set_calibration(model_document(self.model))
        writer.set_source({"simulator": {"seed": self.config.seed}, "from_s": self._session_s})
        self._recorder = SessionRecorder(writer, self.source.session_start_ns)
        self.session.start_recording(self._recorder)
        self._record_path = target
        return target

    def stop_recording(self) -> Path | None:
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return None
        self.session.stop_recording()
        recorder.close()
        return self._record_path
