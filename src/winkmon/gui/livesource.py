"""The dashboard's live source: a sensor hub (real or virtual sensors) through the pipeline.

:class:`HubSource` runs the one :class:`~winkmon.session.session.Session` on the hub
(:func:`~winkmon.session.run.run_source`) as an asyncio task on the GUI's
event loop (qasync): bleak's callbacks, the pipeline and the widgets share one thread. The
session appends pipeline results to a list; the window's timer calls :meth:`pull` every frame
and takes everything that arrived since (never a Qt signal per sample).

``open_hub`` is an async context manager factory yielding ``(hub, pipeline)``: the embedded
demo (:func:`demo_hub`: two virtual sensors on bumble's in-memory radio, reached through
bleak) and the athlete's real sensors (:func:`sensor_hub`) differ only there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from winkmon.errors import WinkmonError
from winkmon.gui.controller import LinkState, SensorStatus, SourceKind
from winkmon.pipeline.events import AngleBlock, Event, StepResult
from winkmon.pipeline.model import Thresholds
from winkmon.pipeline.pipeline import Pipeline, PipelineConfig
from winkmon.protocol.constants import Role

log = logging.getLogger(__name__)

ROLES = (Role.SACRUM, Role.LUMBAR)
HubOpener = Callable[[], AbstractAsyncContextManager[tuple[Any, Pipeline]]]


def demo_hub(
    seed: int = 0, thresholds: Thresholds | None = None, sensor_kind: str = "winkmon"
) -> HubOpener:
    """The embedded demo: two virtual sensors worn by the simulated athlete. ``sensor_kind``
    as ``winkmon demo --sensor-kind``: ``winkmon``, ``winkmon-fw``, a vendor's kind for both
    sensors, or ``SACRUM-KIND,LUMBAR-KIND``."""

    @contextlib.asynccontextmanager
    async def opener() -> AsyncIterator[tuple[Any, Pipeline]]:
        from winkmon.demo import open_demo

        async with open_demo(seed, thresholds, sensor_kind=sensor_kind) as (hub, pipeline, _):
            yield hub, pipeline

    return opener


def demo_title(sensor_kind: str = "winkmon") -> str:
    """How the window names a demo on ``sensor_kind`` sensors."""
    if sensor_kind == "winkmon":
        return "virtual sensors"
    if sensor_kind == "winkmon-fw":
        return "virtual sensors (firmware core)"
    from winkmon.virtual.kinds import parse_kinds

    kinds = parse_kinds(sensor_kind)
    if len(set(kinds.values())) == 1:
        return f"virtual {next(iter(kinds.values()))} sensors"
    return "virtual sensors (" + ", ".join(f"{r.label} {k}" for r, k in kinds.items()) + ")"


def sensor_hub(profile: Any, rate_hz: int = 200) -> HubOpener:
    """The athlete's own sensors, by the addresses in their profile (else found by scan)."""

    @contextlib.asynccontextmanager
    async def opener() -> AsyncIterator[tuple[Any, Pipeline]]:
        from winkmon.ble.config import HubConfig
        from winkmon.ble.hub import open_hub
        from winkmon.drivers import stream_rate_hz
        from winkmon.protocol.records import StartParams

        addr = profile.addresses
        # A profile calibrated on the sacrum sensor alone: connect that one only.
        roles = tuple(r for r in ROLES if r in profile.sensors) or ROLES
        config = HubConfig(
            roles=roles,
            sacrum=addr.get(Role.SACRUM),
            lumbar=addr.get(Role.LUMBAR),
            start=StartParams(rate_hz=rate_hz),
            kinds={r: c.driver for r, c in profile.sensors.items() if c.driver},
        )
        async with open_hub(config) as hub:
            rates = {r: stream_rate_hz(config.kind(r), rate_hz) for r in roles}
            yield hub, Pipeline(profile.model(), rates, PipelineConfig())

    return opener


class HubSource:
    """A :class:`~winkmon.gui.controller.ResultSource` fed by a live sensor hub."""

    def __init__(
        self,
        open_hub: HubOpener,
        kind: SourceKind,
        title: str,
        athlete_name: str,
        thresholds: Thresholds,
        athlete_doc: dict[str, Any] | None = None,
    ) -> None:
        self.open_hub = open_hub
        self.kind = kind
        self.title = title
        self.athlete_name = athlete_name
        self.thresholds = thresholds
        #: The athlete's profile as stored in recordings (so a replay finds the calibration).
        self.athlete_doc = athlete_doc
        self.error: str | None = None  #: why the hub stopped, for the window to show
        self._pending: list[StepResult] = []
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._session: Any = None
        self._hub: Any = None
        self._recorder: Any = None
        self._record_path: Path | None = None
        self._arrived: dict[Role, list[tuple[float, int]]] = {r: [] for r in ROLES}
        #: Called with every decoded sample batch (the calibration wizard listens here).
        self.batch_listeners: list[Callable[[Any], None]] = []
        #: Publish the pipeline's output as Lab Streaming Layer streams while live.
        self.lsl = False

    # -- ResultSource ----------------------------------------------------------------------
    def start(self, now_s: float) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        from winkmon.session.run import run_source
        from winkmon.session.session import Session

        try:
            async with self.open_hub() as (hub, pipeline):
                session = Session(pipeline, session_start_ns=hub.session_start_ns)
                session.step_listeners.append(self._pending.append)
                session.batch_listeners.append(self._on_batch)
                self._hub, self._session = hub, session
                with contextlib.ExitStack() as outputs:
                    if self.lsl:
                        from winkmon.outputs.lsl import LslPublisher

                        lsl = outputs.enter_context(
                            LslPublisher(session_start_ns=hub.session_start_ns)
                        )
                        session.step_listeners.append(lsl.push_step)
                    await run_source(hub, session, self._stop)
        except WinkmonError as exc:
            self.error = str(exc)
            log.warning("sensor hub stopped: %s", exc)
        except Exception as exc:  # a Bluetooth stack failing must not take the window down
            self.error = f"the sensors stopped: {exc}"
            log.exception("sensor hub failed")
        finally:
            self._hub = None

    def _on_batch(self, batch: Any) -> None:
        self._arrived[batch.role].append((time.monotonic(), len(batch)))
        for listener in list(self.batch_listeners):
            listener(batch)

    def pull(self, now_s: float) -> StepResult:
        if not self._pending:
            return StepResult(AngleBlock.empty(), ())
        steps, self._pending[:] = list(self._pending), []
        events: list[Event] = [e for s in steps for e in s.events]
        blocks = [s.angles for s in steps if len(s.angles)]
        return StepResult(AngleBlock.concat(blocks), tuple(events))

    def sensors(self) -> Mapping[Role, SensorStatus]:
        out: dict[Role, SensorStatus] = {}
        now = time.monotonic()
        for role in ROLES:
            arrived = [a for a in self._arrived[role] if a[0] > now - 2.0]
            self._arrived[role] = arrived
            span = now - arrived[0][0] if len(arrived) > 1 else 0.0
            rate = sum(n for _, n in arrived[1:]) / span if span > 0.2 else 0.0
            link, battery, loss, name = LinkState.CONNECTING, None, 0.0, role.label
            kind = ""
            if self._session is not None:
                view = self._session.sensors.get(role)
                if view is None:  # not part of this session (one sensor)
                    out[role] = SensorStatus(
                        role, LinkState.DISCONNECTED, 0.0, 0.0, None, "not used"
                    )
                    continue
                link, battery = view.state, view.battery_pct
                name = view.address or name
                kind = view.decoder.partition("/")[0] if view.decoder != "winkmon" else ""
                stats = self._session.stats.get(role)
                loss = stats.loss_pct if stats is not None else 0.0
            if self._hub is None and self._task is not None and self._task.done():
                link = LinkState.DISCONNECTED
            out[role] = SensorStatus(role, link, rate, loss, battery, name, kind)
        return out

    def close(self) -> None:
        self.stop_recording()
        self._stop.set()

    async def aclose(self, timeout_s: float = 5.0) -> None:
        """Close and wait (up to ``timeout_s``) for the sensors to disconnect."""
        self.close()
        task = self._task
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout_s)
            except TimeoutError:
                task.cancel()

    # -- recording -------------------------------------------------------------------------
    def start_recording(self, path: str | Path | None) -> Path:
        from winkmon.recording import RecordingWriter, output_path
        from winkmon.session.recorder import SessionRecorder

        if self._recorder is not None:
            return self._record_path or Path()
        hub, session = self._hub, self._session
        if hub is None or session is None:
            raise WinkmonError("the sensors are not connected yet: nothing to record")
        if path is None:
            from platformdirs import user_data_dir

            folder = Path(user_data_dir("winkmon")) / "recordings"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / time.strftime("session-%Y%m%d-%H%M%S")
        target = output_path(Path(path))
        writer = RecordingWriter(
            target,
            session_start_ns=hub.session_start_ns,
            simulated=self.kind is SourceKind.DEMO,
            notes=f"{self.title}, {self.athlete_name}",
        )
        writer.set_athlete(self.athlete_doc or {"name": self.athlete_name})
        self._recorder = SessionRecorder(writer, hub.session_start_ns)
        session.start_recording(self._recorder)
        self._record_path = target
        return target

    def stop_recording(self) -> Path | None:
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return None
        if self._session is not None:
            self._session.stop_recording()
        recorder.close()
        return self._record_path
