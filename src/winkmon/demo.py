"""The embedded demo: two virtual sensors on a simulated athlete, the whole live path.

The simulated athlete first does what a real one does: stands tall, bends forward twice. The
demo calibrates from that block exactly as ``winkmon calibrate`` would (same code, windows found
automatically), then streams the session through virtual sensors on bumble's in-memory radio,
bleak, the hub and the pipeline: GATT notifications to alerts.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from winkmon.pipeline.model import Thresholds
from winkmon.pipeline.pipeline import Pipeline, PipelineConfig
from winkmon.profiles import AthleteProfile
from winkmon.protocol.constants import Role
from winkmon.sim import SimConfig, SimStream, default_demo_script

DEMO_ATHLETE = "demo athlete"


def demo_config(seed: int = 0) -> SimConfig:
    return SimConfig(seed=seed)


def demo_profile(seed: int = 0) -> AthleteProfile:
    """Calibrate the simulated athlete from the calibration block of the demo session."""
    from winkmon.calibration import calibrate
    from winkmon.stream import SensorStream

    stream = SimStream(demo_config(seed), default_demo_script())
    truth = stream.truth(rate_hz=50)
    end_s = (truth.functional_s[1] if truth.functional_s else 20.0) + 2.0
    frames = stream.advance(end_s)
    samples = {}
    for role in (Role.SACRUM, Role.LUMBAR):
        s = SensorStream(role, stream.start_params[role].rate_hz)
        rows = [(f.t_host_ns, f.payload) for f in frames if f.role == role]
        batch = s.feed_many([t for t, _ in rows], [p for _, p in rows])
        if batch is None:  # pragma: no cover - the simulator always sends data
            raise RuntimeError("the simulated calibration produced no samples")
        samples[role] = batch
    cal = calibrate(samples, source="simulated demo session")
    return cal.profile(DEMO_ATHLETE)


@contextlib.asynccontextmanager
async def open_demo(
    seed: int = 0, thresholds: Thresholds | None = None, sensor_kind: str = "winkmon"
) -> AsyncIterator[tuple[object, Pipeline, AthleteProfile]]:
    """A connected hub on two virtual sensors, a pipeline and the demo athlete's profile
    (with ``thresholds`` instead of the defaults, if given). ``sensor_kind`` is the sensors'
    firmware (:data:`winkmon.virtual.rig.SENSOR_KINDS`)."""
    from winkmon.virtual.rig import VirtualRigConfig, open_virtual_hub
    from winkmon.virtual.sim_source import SimSource

    profile = demo_profile(seed)
    if thresholds is not None:
        profile = profile.with_thresholds(thresholds)
    source = SimSource(demo_config(seed), default_demo_script(), loop=True)
    rig = VirtualRigConfig(sensor_kind=sensor_kind, shared_timeline=True)
    async with open_virtual_hub(rig, source) as hub:
        rates = {r: float(hub.config.start.rate_hz) for r in (Role.SACRUM, Role.LUMBAR)}
        # The hub decodes the notifications (its streams map the clocks); the pipeline is fed
        # its sample batches.
        pipeline = Pipeline(profile.model(), rates, PipelineConfig())
        yield hub, pipeline, profile
