"""Live equals replay: what a live session decoded and analysed, its recording gives back.

Through bleak and bumble's virtual sensors, with injected loss, sensors going out of range and
coming back (their sample indices restart at 0; their device clocks run on, or are reset), the
live session records every event; the recording player then feeds the same session code.
Samples, angles, reps and alerts must be identical.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np

from winkmon.pipeline.events import Alert, Rep, StepResult
from winkmon.pipeline.offline import ResultCollector, SessionResult
from winkmon.pipeline.pipeline import Pipeline
from winkmon.protocol.constants import Role
from winkmon.recording import Recording, RecordingWriter, load_samples
from winkmon.samples import SampleBatch
from winkmon.session.offline import analyze_recording
from winkmon.session.recorder import SessionRecorder
from winkmon.session.run import run_source
from winkmon.session.session import Session
from winkmon.virtual.rig import VirtualRigConfig, open_virtual_rig
from winkmon.virtual.sensor import FaultConfig, VirtualSensor
from winkmon.virtual.source import RampSource, SampleSource

ROLES = (Role.SACRUM, Role.LUMBAR)


def run(coro_fn: Callable[[], Awaitable[None]], timeout_s: float) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro_fn(), timeout_s)

    asyncio.run(bounded())


class Live:
    """A live session on a virtual rig, recorded; what it decoded and produced."""

    def __init__(self) -> None:
        self.batches: dict[Role, list[SampleBatch]] = {r: [] for r in ROLES}
        self.steps: list[StepResult] = []
        self.result: SessionResult | None = None
        self.session: Session | None = None


async def live_session(
    path: Path,
    source: SampleSource,
    faults: dict[Role, FaultConfig],
    outages: list[tuple[Role, float, float]],
    seconds: float,
    pipeline_for: Callable[[dict[Role, float]], Pipeline | None],
) -> Live:
    live = Live()
    async with open_virtual_rig(VirtualRigConfig(faults=faults), source) as rig:
        hub = rig.hub
        rates = {r: float(hub.config.start.rate_hz) for r in ROLES}
        pipeline = pipeline_for(rates)
        session = Session(pipeline, session_start_ns=hub.session_start_ns)
        live.session = session
        session.batch_listeners.append(lambda b: live.batches[b.role].append(b))
        collector = ResultCollector(pipeline) if pipeline is not None else None
        if collector is not None:
            session.step_listeners.append(collector)
        with RecordingWriter(path, session_start_ns=hub.session_start_ns) as writer:
            session.start_recording(SessionRecorder(writer, hub.session_start_ns))
            loop = asyncio.get_running_loop()
            tasks: set[asyncio.Task[None]] = set()

            def outage(sensor: VirtualSensor, d: float) -> None:
                tasks.add(asyncio.ensure_future(sensor.outage(d)))

            for role, at, d in outages:
                loop.call_later(at, outage, rig.sensors[role], d)
            stop = asyncio.Event()
            loop.call_later(seconds, stop.set)
            await run_source(hub, session, stop)
            await hub.close()
            await run_source(hub, session)  # what came while closing
            session.finish()
        if collector is not None:
            live.result = collector.result(session.stats)
    return live


def assert_same_samples(live: Live, path: Path) -> None:
    with Recording.open(path) as rec:
        replay = load_samples(rec)
    for role in ROLES:
        got = SampleBatch.concat(live.batches[role])
        back = replay.samples[role]
        assert len(back) == len(got)
        np.testing.assert_array_equal(back.index, got.index)
        np.testing.assert_array_equal(back.t_dev_us, got.t_dev_us)
        np.testing.assert_array_equal(back.t_s, got.t_s)
        np.testing.assert_array_equal(back.acc_m_s2, got.acc_m_s2)
        np.testing.assert_array_equal(back.gyr_rad_s, got.gyr_rad_s)
        assert live.session is not None
        assert replay.stats[role] == live.session.stats[role]


def test_a_reconnect_after_3_s_gives_the_same_samples_live_and_on_replay(tmp_path: Path) -> None:
    """The case of the issue: lumbar out of range for 3 s at 200 Hz, indices restart at 0 and
    the device clock runs on. Replay used to read 600 of its samples as duplicates."""
    path = tmp_path / "reconnect.winkmon"

    async def body() -> None:
        live = await live_session(
            path, RampSource(), {}, [(Role.LUMBAR, 4.0, 3.0)], 9.0, lambda rates: None
        )
        assert live.session is not None
        stats = live.session.stats[Role.LUMBAR]
        assert stats.restarts == 1 and stats.duplicates == 0
        lumbar = SampleBatch.concat(live.batches[Role.LUMBAR])
        assert lumbar.index[0] == 0 and np.count_nonzero(np.diff(lumbar.index) < 0) == 1
        assert np.all(np.diff(lumbar.t_s) > 0)
        assert_same_samples(live, path)
        with Recording.open(path) as rec:
            reasons = [(s.role, s.reason) for s in rec.segments()]
        assert sorted(reasons) == [
            (Role.SACRUM, "start"),
            (Role.LUMBAR, "reconnect"),
            (Role.LUMBAR, "start"),
        ] or sorted(reasons, key=lambda x: (x[0], x[1] != "start")) == [
            (Role.SACRUM, "start"),
            (Role.LUMBAR, "start"),
            (Role.LUMBAR, "reconnect"),
        ]

    run(body, 60.0)


def test_demo_with_loss_and_reconnects_replays_identically(tmp_path: Path) -> None:
    """The demo's squats through bleak with 2 % loss, the lumbar sensor out of range (its
    clock reset when it comes back) and the sacrum out of range (its clock running on): the
    recording replays to the same samples, angles, reps and alerts."""
    from winkmon.gui.simsource import demo_model
    from winkmon.pipeline.model import Thresholds
    from winkmon.sim import SimConfig, SimStream
    from winkmon.sim.script import SessionScript, Stand, default_demo_script
    from winkmon.virtual.sim_source import SimSource

    acts = default_demo_script().activities
    script = SessionScript((Stand(3.0), *acts[6:]))
    config = SimConfig(seed=4)
    model = demo_model(SimStream(config, script), Thresholds())
    faults = {
        Role.SACRUM: FaultConfig(drop_probability=0.02, seed=1),
        Role.LUMBAR: FaultConfig(drop_probability=0.02, seed=2, reset_clock_on_restart=True),
    }
    path = tmp_path / "demo.winkmon"

    async def body() -> None:
        live = await live_session(
            path,
            SimSource(config, script, loop=False),
            faults,
            [(Role.LUMBAR, 9.0, 1.5), (Role.SACRUM, 19.0, 1.0)],
            31.0,
            lambda rates: Pipeline(model, rates),
        )
        assert live.session is not None and live.result is not None
        stats = live.session.stats
        assert stats[Role.LUMBAR].clock_resets == 1 and stats[Role.SACRUM].clock_resets == 0
        assert all(stats[r].restarts == 1 and stats[r].samples_lost > 0 for r in ROLES)
        assert_same_samples(live, path)
        with Recording.open(path) as rec:
            back = analyze_recording(rec, model)
        result = live.result
        assert result.reps, "the demo's first set gives reps"
        np.testing.assert_array_equal(back.angles.t_s, result.angles.t_s)
        np.testing.assert_array_equal(back.angles.lumbopelvic_deg, result.angles.lumbopelvic_deg)
        np.testing.assert_array_equal(back.angles.depth_cm, result.angles.depth_cm)
        # repr: a rep's set angle may be NaN (a sensor out of range at the set's start), and
        # NaN != NaN would fail equal reps.
        assert [repr(e) for e in back.events if isinstance(e, Rep | Alert)] == [
            repr(e) for e in result.events if isinstance(e, Rep | Alert)
        ]
        # Gap events come when the pipeline sees a sensor's data again: with the same times,
        # but live (notification by notification) and on replay (in blocks) between other events.
        assert sorted(map(repr, back.gaps)) == sorted(map(repr, result.gaps))
        assert len(back.gaps) == 2

    run(body, 120.0)
