"""Virtual sensors of any kind: a registry of kind -> emulator factory, and a mixed rig.

::

    async with open_kind_rig({Role.SACRUM: "polar-verity", Role.LUMBAR: "witmotion"}) as rig:
        async for event in rig.hub.events(): ...

:data:`EMULATORS` maps a ``--sensor-kind`` name to an :class:`EmulatorEntry`: the kind of link
the hub uses for it (``winkmon.drivers.KINDS``) and a factory that starts the emulated device
on a :class:`~winkmon.virtual.radio.VirtualRadio`. Another emulator (say, the C firmware in the
loop) registers itself with :func:`register_emulator`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from winkmon.ble.config import HubConfig
from winkmon.ble.hub import SensorHub
from winkmon.errors import WinkmonError
from winkmon.protocol.constants import Role
from winkmon.virtual.bleak_backend import BumbleBackends
from winkmon.virtual.radio import VirtualRadio
from winkmon.virtual.rig import RIG_SENSORS
from winkmon.virtual.sensor import FaultConfig, VirtualSensorConfig
from winkmon.virtual.source import RampSource, SampleSource
from winkmon.virtual.vendor import EmulatorConfig

#: Addresses of the vendor emulators of a rig, per role.
EMULATOR_ADDRESSES: dict[Role, str] = {
    Role.SACRUM: "E0:5E:AA:00:00:01",
    Role.LUMBAR: "E0:5E:AA:00:00:02",
}


class Emulated(Protocol):
    """What a rig needs of an emulated sensor of any kind."""

    @property
    def address(self) -> str: ...

    async def outage(self, seconds: float) -> None: ...

    async def close(self) -> None: ...


#: Starts one emulated sensor: (radio, source, role, options) -> the started sensor.
EmulatorFactory = Callable[[VirtualRadio, SampleSource, Role, EmulatorConfig], Awaitable[Emulated]]


@dataclass(frozen=True, slots=True)
class EmulatorEntry:
    """A ``--sensor-kind``: the hub's link kind for it and how to start its emulator."""

    link_kind: str
    start: EmulatorFactory


async def _start_winkmon(
    radio: VirtualRadio, source: SampleSource, role: Role, opts: EmulatorConfig
) -> Emulated:
    address, serial = RIG_SENSORS[role]
    config = VirtualSensorConfig(
        role=role,
        serial=serial,
        address=address,
        clock_offset_us=opts.clock_offset_ns // 1000,
        drift_ppm=opts.drift_ppm,
    )
    faults = FaultConfig(
        drop_probability=opts.drop_probability,
        reset_clock_on_restart=opts.reset_clock_on_restart,
        seed=opts.seed,
    )
    return await radio.add_sensor(source, config, faults)


def _vendor_factory(kind: str, model: str = "") -> EmulatorFactory:
    """Starts the emulator of ``kind`` (or ``model``'s, "module:Class", another model of it)."""

    async def start(
        radio: VirtualRadio, source: SampleSource, role: Role, opts: EmulatorConfig
    ) -> Emulated:
        import importlib

        from winkmon.drivers import device_kind

        if model:
            module, _, name = model.partition(":")
            cls = getattr(importlib.import_module(module), name)
        else:
            cls = device_kind(kind).emulator_class()
        default_address = EmulatorConfig().address
        config = EmulatorConfig(
            role=role,
            address=EMULATOR_ADDRESSES[role] if opts.address == default_address else opts.address,
            name=opts.name,
            battery_pct=opts.battery_pct,
            drift_ppm=opts.drift_ppm,
            clock_offset_ns=opts.clock_offset_ns,
            drop_probability=opts.drop_probability,
            seed=opts.seed,
            max_mtu=opts.max_mtu,
            reset_clock_on_restart=opts.reset_clock_on_restart,
            connection_interval_ms=opts.connection_interval_ms,
        )
        emulator = cls(radio.new_device(config.address, name=kind), source, config)
        await emulator.start()
        radio.emulators.append(emulator)
        return emulator

    return start


EMULATORS: dict[str, EmulatorEntry] = {
    "winkmon": EmulatorEntry("winkmon", _start_winkmon),
}

#: Other models of a vendor kind: the same link kind (its driver tells the models apart),
#: another emulator. name -> (link kind, "module:Class").
MODEL_EMULATORS: dict[str, tuple[str, str]] = {
    "metamotion-s": ("metamotion", "winkmon.drivers.metamotion.emulator:MetaMotionSEmulator"),
}


def register_emulator(name: str, entry: EmulatorEntry) -> None:
    """Make ``name`` a ``--sensor-kind`` of the demo and the rigs."""
    EMULATORS[name] = entry


def _register_vendors() -> None:
    from winkmon.drivers import KINDS

    for kind in KINDS:
        if kind not in EMULATORS:
            register_emulator(kind, EmulatorEntry(kind, _vendor_factory(kind)))
    for name, (kind, model) in MODEL_EMULATORS.items():
        if name not in EMULATORS:
            register_emulator(name, EmulatorEntry(kind, _vendor_factory(kind, model)))


def emulator_entry(name: str) -> EmulatorEntry:
    _register_vendors()
    entry = EMULATORS.get(name.strip().lower())
    if entry is None:
        raise WinkmonError(
            f"unknown sensor kind {name!r}: use one of {', '.join(sorted(EMULATORS))}"
        )
    return entry


def parse_kinds(text: str, roles: tuple[Role, ...] = (Role.SACRUM, Role.LUMBAR)) -> dict[Role, str]:
    """``KIND`` (both sensors) or ``SACRUM-KIND,LUMBAR-KIND`` -> kind per role (checked)."""
    parts = [p.strip().lower() for p in text.split(",")]
    if len(parts) == 1:
        parts = parts * len(roles)
    if len(parts) != len(roles) or not all(parts):
        raise WinkmonError(
            f"--sensor-kind {text!r}: give one kind, or one per sensor (sacrum,lumbar)"
        )
    for p in parts:
        emulator_entry(p)
    return dict(zip(roles, parts, strict=True))


#: Device clock offsets of the emulators (ns at host monotonic 0), per role: distinct, so a
#: test notices a decoder that mixes them up.
DEFAULT_CLOCK_OFFSET_NS: dict[Role, int] = {
    Role.SACRUM: 820_454_400 * 1_000_000_000,  # 2026-01-01 on the Polar epoch (2000-01-01)
    Role.LUMBAR: 820_454_400 * 1_000_000_000 + 3_000_000_000,
}


@dataclass(slots=True)
class KindRig:
    """What :func:`open_kind_rig` yields."""

    radio: VirtualRadio
    sensors: dict[Role, Emulated]
    backends: BumbleBackends
    hub: SensorHub
    kinds: dict[Role, str] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def open_kind_rig(
    kinds: Mapping[Role, str],
    source: SampleSource | None = None,
    *,
    options: Mapping[Role, EmulatorConfig] | None = None,
    hub_config: HubConfig | None = None,
    connect: bool = True,
) -> AsyncIterator[KindRig]:
    """Emulated sensors of the given kinds (one per role) and a hub bound to them by address
    and kind. ``options`` sets each emulator's faults, drift, clock; ``source`` drives them
    (default :class:`~winkmon.virtual.source.RampSource`)."""
    source = source if source is not None else RampSource()
    options = options or {}
    radio = VirtualRadio()
    try:
        sensors: dict[Role, Emulated] = {}
        link_kinds: dict[Role, str] = {}
        for role, name in kinds.items():
            entry = emulator_entry(name)
            opts = options.get(role) or EmulatorConfig(
                clock_offset_ns=DEFAULT_CLOCK_OFFSET_NS[role], seed=int(role)
            )
            sensors[role] = await entry.start(radio, source, role, opts)
            link_kinds[role] = entry.link_kind
        base = hub_config if hub_config is not None else HubConfig()
        config = HubConfig(
            roles=tuple(r for r in (Role.SACRUM, Role.LUMBAR) if r in kinds),
            sacrum=sensors[Role.SACRUM].address if Role.SACRUM in sensors else None,
            lumbar=sensors[Role.LUMBAR].address if Role.LUMBAR in sensors else None,
            start=base.start,
            scan_timeout_s=base.scan_timeout_s,
            connect_timeout_s=base.connect_timeout_s,
            reconnect_initial_s=base.reconnect_initial_s,
            reconnect_give_up_s=base.reconnect_give_up_s,
            kinds=link_kinds,
        )
        backends = await radio.bleak_backends()
        hub = SensorHub(config, client_backend=backends.client, scanner_backend=backends.scanner)
        try:
            if connect:
                await hub.connect()
            yield KindRig(radio, sensors, backends, hub, dict(kinds))
        finally:
            await hub.close()
    finally:
        await radio.close()


__all__ = [
    "EMULATORS",
    "EMULATOR_ADDRESSES",
    "Emulated",
    "EmulatorEntry",
    "EmulatorFactory",
    "KindRig",
    "emulator_entry",
    "open_kind_rig",
    "parse_kinds",
    "register_emulator",
]
