"""Drivers for sensors people already own, behind the one input contract.

Each device kind has a package with ``protocol.py`` (pure encode/decode of the vendor's
payloads and commands), a decoder registered under a versioned name (recordings store it, so
replay decodes through the same code), a ``driver.py`` (the host side over bleak, run by
:class:`~winkmon.ble.driver_link.DriverLink`) and an ``emulator.py`` (the device on bumble,
speaking the vendor's public protocol, driven by the simulator).

:data:`KINDS` lists every kind winkmon knows, ``winkmon`` included (its link is
:class:`~winkmon.ble.link.SensorLink`, its emulator :class:`~winkmon.virtual.sensor.VirtualSensor`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from winkmon.drivers.spec import LinkDriver, StreamSpec
from winkmon.errors import WinkmonError
from winkmon.protocol.constants import SERVICE_UUID as WINKMON_SERVICE_UUID
from winkmon.protocol.constants import Role
from winkmon.session.decode import WINKMON_DECODER, register_decoder

WINKMON_KIND = "winkmon"


@dataclass(frozen=True, slots=True)
class DeviceKind:
    """One kind of sensor: how to recognise it, drive it, decode it and emulate it."""

    kind: str
    label: str  #: for people ("Polar Verity Sense")
    decoder: str  #: the versioned decoder name its segments carry
    service_uuid: str  #: the vendor service it advertises or exposes
    name_prefixes: tuple[str, ...]  #: advertised names start with one of these
    rate_hz: float  #: the live rate winkmon asks for, Hz
    timing: str  #: "device" (samples carry device time) or "host" (counted, fitted)
    driver: str  #: "module:Class" of its LinkDriver ("" for winkmon: SensorLink)
    emulator: str  #: "module:Class" of its emulator

    def make_driver(self) -> LinkDriver:
        if not self.driver:
            raise WinkmonError(f"{self.kind} sensors are driven by the winkmon link")
        factory: Callable[[], LinkDriver] = _load(self.driver)
        return factory()

    def emulator_class(self) -> type:
        cls: type = _load(self.emulator)
        return cls


def _load(spec: str) -> type:
    module, _, name = spec.partition(":")
    cls: type = getattr(importlib.import_module(module), name)
    return cls


KINDS: dict[str, DeviceKind] = {
    WINKMON_KIND: DeviceKind(
        WINKMON_KIND,
        "winkmon sensor",
        WINKMON_DECODER,
        WINKMON_SERVICE_UUID,
        ("winkmon-",),
        200.0,
        "device",
        "",
        "winkmon.virtual.sensor:VirtualSensor",
    ),
}


def register_kind(kind: DeviceKind) -> None:
    """Make ``kind`` known to the hub, ``winkmon scan`` and ``--sensor-kind``."""
    KINDS[kind.kind] = kind


def device_kind(name: str) -> DeviceKind:
    """The kind called ``name``; a one-line error listing the known kinds otherwise."""
    kind = KINDS.get(name.strip().lower())
    if kind is None:
        raise WinkmonError(f"unknown sensor kind {name!r}: use one of {', '.join(sorted(KINDS))}")
    return kind


def stream_rate_hz(kind: str, winkmon_rate_hz: float) -> float:
    """The rate a sensor of ``kind`` streams at, Hz (winkmon sensors: the START rate asked)."""
    return float(winkmon_rate_hz) if kind == WINKMON_KIND else device_kind(kind).rate_hz


def kind_of_decoder(decoder: str) -> DeviceKind | None:
    """The kind whose notifications a recording's segment names with ``decoder``."""
    for kind in KINDS.values():
        if kind.decoder == decoder:
            return kind
    return None


def recorded_kinds(segments: Iterable[tuple[Role, str]]) -> dict[Role, str]:
    """The vendor kind each role was, from a recording's segments ``(role, decoder)`` (the
    last segment of a role wins; winkmon sensors, the default, and decoders no kind claims
    are left out)."""
    kinds: dict[Role, str] = {}
    for role, decoder in segments:
        kind = kind_of_decoder(decoder)
        if kind is not None and kind.kind != WINKMON_KIND:
            kinds[role] = kind.kind
        else:
            kinds.pop(role, None)
    return kinds


def kind_of(name: str | None, service_uuids: list[str]) -> DeviceKind | None:
    """The kind of an advertising device, from its service UUIDs or its name."""
    uuids = {u.lower() for u in service_uuids}
    for kind in KINDS.values():
        if kind.service_uuid.lower() in uuids:
            return kind
    if name:
        for kind in KINDS.values():
            if any(name.startswith(p) for p in kind.name_prefixes):
                return kind
    return None


def _register_builtin() -> None:
    from winkmon.drivers.polar_verity import protocol as pmd
    from winkmon.drivers.polar_verity.decoder import DECODER_NAME, PolarVerityDecoder

    register_decoder(DECODER_NAME, PolarVerityDecoder)
    register_kind(
        DeviceKind(
            "polar-verity",
            "Polar Verity Sense",
            DECODER_NAME,
            pmd.SERVICE_UUID,
            ("Polar Sense", "Polar OH1"),
            208.0,
            "device",
            "winkmon.drivers.polar_verity.driver:PolarVerityDriver",
            "winkmon.drivers.polar_verity.emulator:PolarVerityEmulator",
        )
    )

    from winkmon.drivers.witmotion import protocol as wit
    from winkmon.drivers.witmotion.decoder import DECODER_NAME as WIT_DECODER
    from winkmon.drivers.witmotion.decoder import WitMotionDecoder

    register_decoder(WIT_DECODER, WitMotionDecoder)
    register_kind(
        DeviceKind(
            "witmotion",
            "WitMotion BWT901BLE",
            WIT_DECODER,
            wit.SERVICE_UUID,
            ("WT901BLE", "BWT901"),
            200.0,
            "host",
            "winkmon.drivers.witmotion.driver:WitMotionDriver",
            "winkmon.drivers.witmotion.emulator:WitMotionEmulator",
        )
    )

    from winkmon.drivers.metamotion import protocol as mw
    from winkmon.drivers.metamotion.decoder import DECODER_NAME as MW_DECODER
    from winkmon.drivers.metamotion.decoder import MetaMotionDecoder

    register_decoder(MW_DECODER, MetaMotionDecoder)
    register_kind(
        DeviceKind(
            "metamotion",
            "MbientLab MetaMotion RL / S",
            MW_DECODER,
            mw.SERVICE_UUID,
            ("MetaWear",),
            200.0,
            "host",
            "winkmon.drivers.metamotion.driver:MetaMotionDriver",
            "winkmon.drivers.metamotion.emulator:MetaMotionEmulator",
        )
    )

    from winkmon.drivers.movella_dot import protocol as dot
    from winkmon.drivers.movella_dot.decoder import DECODER_NAME as DOT_DECODER
    from winkmon.drivers.movella_dot.decoder import MovellaDotDecoder

    register_decoder(DOT_DECODER, MovellaDotDecoder)
    register_kind(
        DeviceKind(
            "movella-dot",
            "Movella DOT",
            DOT_DECODER,
            dot.SERVICE_UUID,
            ("Movella DOT", "Xsens DOT"),
            60.0,
            "device",
            "winkmon.drivers.movella_dot.driver:MovellaDotDriver",
            "winkmon.drivers.movella_dot.emulator:MovellaDotEmulator",
        )
    )


_register_builtin()

__all__ = [
    "KINDS",
    "WINKMON_KIND",
    "DeviceKind",
    "LinkDriver",
    "StreamSpec",
    "device_kind",
    "kind_of",
    "register_kind",
]
