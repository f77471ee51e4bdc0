"""Two virtual sensors on an in-memory link and a connected hub: the demo's and tests' rig.

::

    async with open_virtual_hub() as hub:            # sacrum + lumbar, streaming
        async for event in hub.events(): ...

    async with open_virtual_rig(VirtualRigConfig(mtu=23)) as rig:   # tests: faults, sensors
        rig.sensors[Role.LUMBAR].disconnect() ...

The hub talks to the sensors through bleak's public API with the bumble backend
(:mod:`winkmon.virtual.bleak_backend`), so this runs exactly the code a real session runs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from winkmon.ble.config import HubConfig
from winkmon.ble.hub import SensorHub
from winkmon.protocol.constants import PROTOCOL_VERSION, Role
from winkmon.virtual.bleak_backend import BumbleBackends
from winkmon.virtual.fw_sensor import FirmwareSensor
from winkmon.virtual.radio import VirtualRadio
from winkmon.virtual.sensor import FaultConfig, VirtualSensor, VirtualSensorConfig
from winkmon.virtual.source import RampSource, SampleSource

#: What firmware the virtual sensors run, by ``--sensor-kind``: the Python emulator, or the C
#: firmware core of ``firmware_protocol/core`` built for this machine (firmware in the loop).
SENSOR_KINDS: dict[str, type[VirtualSensor]] = {
    "winkmon": VirtualSensor,
    "winkmon-fw": FirmwareSensor,
}

#: Addresses and serials of the rig's two sensors.
RIG_SENSORS: dict[Role, tuple[str, str]] = {
    Role.SACRUM: ("D0:5E:AA:00:00:01", "VS00001A2B"),
    Role.LUMBAR: ("D0:5E:AA:00:00:02", "VS00003C4D"),
}


@dataclass(frozen=True, slots=True)
class VirtualRigConfig:
    """The virtual sensors of a rig and how the hub drives them."""

    hub: HubConfig = field(default_factory=HubConfig)  #: addresses left None: found by scan
    mtu: int = 247  #: largest ATT MTU both sensors accept (23: compact frames)
    central_mtu: int = 247  #: MTU the central asks for
    #: per-role faults (missing roles: none)
    faults: dict[Role, FaultConfig] = field(default_factory=dict)
    protocol_version: dict[Role, int] = field(default_factory=dict)  #: per-role override
    clock_offset_us: dict[Role, int] = field(
        default_factory=lambda: {Role.SACRUM: 1_000_000_000, Role.LUMBAR: 3_000_000_000}
    )
    drift_ppm: dict[Role, float] = field(default_factory=dict)
    #: the roles the sensors are told they have (as stored in firmware); default: their roles
    stored_roles: dict[Role, Role] = field(default_factory=dict)
    sensor_kind: str = "winkmon"  #: a key of :data:`SENSOR_KINDS`
    #: the sensors sample the source on one timeline starting when the rig starts (the demo:
    #: both see the athlete at the same moments whatever the delay between their STARTs);
    #: False: each sensor's START is the source's time 0 (tests that check values by index)
    shared_timeline: bool = False

    def __post_init__(self) -> None:
        if self.sensor_kind not in SENSOR_KINDS:
            kinds = ", ".join(SENSOR_KINDS)
            raise ValueError(f"unknown sensor kind {self.sensor_kind!r} (known: {kinds})")


@dataclass(slots=True)
class VirtualRig:
    """What :func:`open_virtual_rig` yields."""

    radio: VirtualRadio
    sensors: dict[Role, VirtualSensor]
    backends: BumbleBackends
    hub: SensorHub


async def start_virtual_sensors(
    radio: VirtualRadio, source: SampleSource, config: VirtualRigConfig
) -> dict[Role, VirtualSensor]:
    """The rig's two sensors, advertising on ``radio``."""
    sensors: dict[Role, VirtualSensor] = {}
    origin_ns = time.monotonic_ns() if config.shared_timeline else None
    for role, (address, serial) in RIG_SENSORS.items():
        sensor_config = VirtualSensorConfig(
            role=config.stored_roles.get(role, role),
            serial=serial,
            address=address,
            protocol_version=config.protocol_version.get(role, PROTOCOL_VERSION),
            max_mtu=config.mtu,
            clock_offset_us=config.clock_offset_us.get(role, 0),
            drift_ppm=config.drift_ppm.get(role, 0.0),
            timeline_origin_ns=origin_ns,
        )
        sensors[role] = await radio.add_sensor(
            source, sensor_config, config.faults.get(role), SENSOR_KINDS[config.sensor_kind]
        )
    return sensors


@contextlib.asynccontextmanager
async def open_virtual_rig(
    config: VirtualRigConfig | None = None,
    source: SampleSource | None = None,
    *,
    connect: bool = True,
) -> AsyncIterator[VirtualRig]:
    """Two virtual sensors on an in-memory link and a hub connected to them (``connect``).

    ``source`` drives both sensors (default :class:`RampSource`). Everything is closed on exit.
    """
    config = config if config is not None else VirtualRigConfig()
    source = source if source is not None else RampSource()
    radio = VirtualRadio()
    try:
        sensors = await start_virtual_sensors(radio, source, config)
        backends = await radio.bleak_backends(mtu=config.central_mtu)
        hub = SensorHub(
            config.hub, client_backend=backends.client, scanner_backend=backends.scanner
        )
        try:
            if connect:
                await hub.connect()
            yield VirtualRig(radio, sensors, backends, hub)
        finally:
            await hub.close()
    finally:
        await radio.close()


@contextlib.asynccontextmanager
async def open_virtual_hub(
    config: VirtualRigConfig | None = None, source: SampleSource | None = None
) -> AsyncIterator[SensorHub]:
    """A connected :class:`SensorHub` on two virtual sensors driven by ``source``.

    For the demo: pass the simulator's source (:func:`winkmon.virtual.sim_source.SimSource`
    when the simulator is installed); the default is the deterministic :class:`RampSource`.
    """
    async with open_virtual_rig(config, source) as rig:
        yield rig.hub
