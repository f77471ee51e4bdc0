"""The embedded demo: two virtual sensors on a simulated athlete, the whole live path.

The simulated athlete first does what a real one does: stands tall, bends forward twice. The
demo calibrates from that block exactly as ``winkmon calibrate`` would (same code, windows found
automatically), then streams the session through virtual sensors on bumble's in-memory radio,
bleak, the hub and the one session: GATT notifications to alerts. :class:`DemoFaults` injects
loss and sensors going out of range (``winkmon demo --headless --disconnect lumbar@40+3``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from winkmon.pipeline.model import Thresholds
from winkmon.pipeline.pipeline import Pipeline, PipelineConfig
from winkmon.profiles import AthleteProfile
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch
from winkmon.sim import SimConfig, SimStream, default_demo_script

if TYPE_CHECKING:
    from winkmon.ble.hub import SensorHub
    from winkmon.virtual.kinds import Emulated
    from winkmon.virtual.sensor import VirtualSensor
    from winkmon.virtual.source import SampleSource

DEMO_ATHLETE = "demo athlete"


def demo_config(seed: int = 0) -> SimConfig:
    return SimConfig(seed=seed)


def demo_profile(seed: int = 0) -> AthleteProfile:
    """Calibrate the simulated athlete from the calibration block of the demo session (its
    frames decoded by the one session, as a recording of it would be)."""
    from winkmon.calibration import calibrate
    from winkmon.errors import CalibrationError
    from winkmon.session.session import Session
    from winkmon.session.simulated import SimulatorSource

    stream = SimStream(demo_config(seed), default_demo_script())
    truth = stream.truth(rate_hz=50)
    end_s = (truth.functional_s[1] if truth.functional_s else 20.0) + 2.0
    source = SimulatorSource(stream)
    session = Session(None, session_start_ns=source.session_start_ns)
    batches: dict[Role, list[SampleBatch]] = {}
    session.batch_listeners.append(lambda b: batches.setdefault(b.role, []).append(b))
    session.run(source.advance(end_s))
    if set(batches) != {Role.SACRUM, Role.LUMBAR}:
        raise CalibrationError("the simulated calibration produced no samples")
    samples = {r: SampleBatch.concat(b) for r, b in batches.items()}
    cal = calibrate(samples, source="simulated demo session")
    return cal.profile(DEMO_ATHLETE)


@dataclass(frozen=True, slots=True)
class DemoFaults:
    """What goes wrong in the demo (to show, and to test, what a real session survives)."""

    #: chance each DATA notification is lost, per sensor (0..1)
    loss: float = 0.0
    #: (role, at s, for s): that sensor goes out of range at ``at`` s for ``for`` s
    outages: tuple[tuple[Role, float, float], ...] = ()
    #: the sensors' clocks start again from 0 when they reconnect (else they run on)
    reset_clock: bool = False


@contextlib.asynccontextmanager
async def open_demo(
    seed: int = 0,
    thresholds: Thresholds | None = None,
    faults: DemoFaults | None = None,
    sensor_kind: str = "winkmon",
) -> AsyncIterator[tuple[SensorHub, Pipeline, AthleteProfile]]:
    """A connected hub on two virtual sensors, a pipeline and the demo athlete's profile
    (with ``thresholds`` instead of the defaults, if given), with ``faults`` injected.
    ``sensor_kind`` is the sensors' firmware (:data:`winkmon.virtual.rig.SENSOR_KINDS`), or
    any kind of :mod:`winkmon.virtual.kinds` (a vendor's sensor), or a pair
    ``SACRUM-KIND,LUMBAR-KIND``."""
    from winkmon.virtual.rig import VirtualRigConfig, open_virtual_rig
    from winkmon.virtual.sensor import FaultConfig
    from winkmon.virtual.sim_source import SimSource

    faults = faults or DemoFaults()
    profile = demo_profile(seed)
    if thresholds is not None:
        profile = profile.with_thresholds(thresholds)
    source = SimSource(demo_config(seed), default_demo_script(), loop=True)
    from winkmon.virtual.rig import SENSOR_KINDS

    if sensor_kind not in SENSOR_KINDS:  # a vendor's sensor, or a pair
        from winkmon.virtual.kinds import parse_kinds

        kinds = parse_kinds(sensor_kind)
        async with _open_kind_demo(kinds, source, faults, seed) as hub:
            yield hub, Pipeline(profile.model(), _rates(hub), PipelineConfig()), profile
        return
    sensor_faults = {
        role: FaultConfig(
            drop_probability=faults.loss,
            reset_clock_on_restart=faults.reset_clock,
            seed=seed * 7 + int(role),
        )
        for role in (Role.SACRUM, Role.LUMBAR)
    }
    config = VirtualRigConfig(faults=sensor_faults, sensor_kind=sensor_kind, shared_timeline=True)
    async with open_virtual_rig(config, source) as rig:
        hub = rig.hub
        loop = asyncio.get_running_loop()
        handles = [
            loop.call_later(at_s, _outage, rig.sensors[role], for_s)
            for role, at_s, for_s in faults.outages
        ]
        rates = {r: float(hub.config.start.rate_hz) for r in hub.roles}
        try:
            yield hub, Pipeline(profile.model(), rates, PipelineConfig()), profile
        finally:
            for h in handles:
                h.cancel()


@contextlib.asynccontextmanager
async def _open_kind_demo(
    kinds: Mapping[Role, str], source: SampleSource, faults: DemoFaults, seed: int
) -> AsyncIterator[SensorHub]:
    """The demo's hub on emulated sensors of the given kinds (:mod:`winkmon.virtual.kinds`)."""
    from winkmon.virtual.kinds import DEFAULT_CLOCK_OFFSET_NS, open_kind_rig
    from winkmon.virtual.vendor import EmulatorConfig

    options = {
        role: EmulatorConfig(
            clock_offset_ns=DEFAULT_CLOCK_OFFSET_NS[role],
            drop_probability=faults.loss,
            reset_clock_on_restart=faults.reset_clock,
            seed=seed * 7 + int(role),
        )
        for role in kinds
    }
    async with open_kind_rig(kinds, source, options=options) as rig:
        loop = asyncio.get_running_loop()
        handles = [
            loop.call_later(at_s, _outage, rig.sensors[role], for_s)
            for role, at_s, for_s in faults.outages
        ]
        try:
            yield rig.hub
        finally:
            for h in handles:
                h.cancel()


def _rates(hub: SensorHub) -> dict[Role, float]:
    """The rate each role's sensor streams at (its kind's live rate)."""
    from winkmon.drivers import device_kind

    return {
        r: float(hub.config.start.rate_hz)
        if hub.config.kind(r) == "winkmon"
        else device_kind(hub.config.kind(r)).rate_hz
        for r in hub.roles
    }


_OUTAGES: set[asyncio.Task[None]] = set()


def _outage(sensor: VirtualSensor | Emulated, seconds: float) -> None:
    task = asyncio.ensure_future(sensor.outage(seconds))
    _OUTAGES.add(task)
    task.add_done_callback(_OUTAGES.discard)
