"""Finding winkmon sensors: a scan filtered on the winkmon service UUID.

The role comes from the advertised name (``winkmon-S-...`` sacrum, ``winkmon-L-...`` lumbar,
``winkmon-U-...`` unassigned). The battery level needs a connection (advertising does not carry
it), so :func:`read_battery` is separate and connects to one sensor at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError

from winkmon.ble.availability import no_bluetooth
from winkmon.errors import BleError
from winkmon.protocol.constants import BATTERY_LEVEL_UUID, SERVICE_UUID, Role

log = logging.getLogger(__name__)

_ROLE_LETTERS = {"S": Role.SACRUM, "L": Role.LUMBAR, "U": Role.UNASSIGNED}


def role_from_name(name: str | None) -> Role | None:
    """The role a sensor advertises in its name, or None if it is not a winkmon name."""
    if not name or not name.startswith("winkmon-") or len(name) < 10 or name[9] != "-":
        return None
    return _ROLE_LETTERS.get(name[8])


@dataclass(frozen=True, slots=True)
class FoundSensor:
    """A winkmon sensor seen in a scan."""

    name: str
    address: str
    role: Role | None  #: from the advertised name; None if the name does not say
    rssi: int  #: strongest RSSI seen during the scan, dBm
    battery_pct: int | None = None  #: filled in by :func:`read_battery`
    device: BLEDevice | None = field(default=None, repr=False, compare=False)


async def discover_sensors(
    timeout_s: float = 5.0,
    *,
    scanner_backend: type[BaseBleakScanner] | None = None,
    want_roles: frozenset[Role] = frozenset(),
) -> list[FoundSensor]:
    """Scan for sensors advertising the winkmon service.

    Scans for ``timeout_s`` seconds, or until a sensor of each role in ``want_roles`` was seen
    (if given). Sorted by role, then RSSI (strongest first).
    """
    seen: dict[str, tuple[BLEDevice, AdvertisementData, int]] = {}
    done = asyncio.Event()

    def on_advert(device: BLEDevice, adv: AdvertisementData) -> None:
        if SERVICE_UUID not in adv.service_uuids:
            return
        best = max(adv.rssi, seen[device.address][2]) if device.address in seen else adv.rssi
        seen[device.address] = (device, adv, best)
        if want_roles:
            roles = {role_from_name(a.local_name or d.name) for d, a, _ in seen.values()}
            if want_roles <= roles:
                done.set()

    scanner = BleakScanner(on_advert, service_uuids=[SERVICE_UUID], backend=scanner_backend)
    try:
        async with scanner:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout_s)
    except (BleakError, OSError) as exc:
        raise _scan_error(exc) from exc
    found = [
        FoundSensor(
            name=adv.local_name or device.name or "?",
            address=device.address,
            role=role_from_name(adv.local_name or device.name),
            rssi=rssi,
            device=device,
        )
        for device, adv, rssi in seen.values()
    ]
    order = {Role.SACRUM: 0, Role.LUMBAR: 1, Role.UNASSIGNED: 2, None: 3}
    return sorted(found, key=lambda f: (order[f.role], -f.rssi))


@dataclass(frozen=True, slots=True)
class FoundDevice:
    """A sensor of any known kind seen in a scan (:func:`discover_devices`)."""

    name: str
    address: str
    kind: str  #: ``winkmon.drivers.KINDS`` key
    role: Role | None  #: advertised role (winkmon sensors only)
    rssi: int
    device: BLEDevice | None = field(default=None, repr=False, compare=False)


async def discover_devices(
    timeout_s: float = 5.0, *, scanner_backend: type[BaseBleakScanner] | None = None
) -> list[FoundDevice]:
    """Scan for every kind of sensor winkmon knows (by service UUID or name), for
    ``timeout_s`` seconds. Sorted by kind, then RSSI (strongest first)."""
    from winkmon.drivers import kind_of

    seen: dict[str, tuple[BLEDevice, str, str, int]] = {}

    def on_advert(device: BLEDevice, adv: AdvertisementData) -> None:
        name = adv.local_name or device.name
        kind = kind_of(name, list(adv.service_uuids))
        if kind is None:
            return
        prev = seen.get(device.address)
        best = adv.rssi if prev is None else max(adv.rssi, prev[3])
        known_name = name or (prev[1] if prev is not None else "?")
        seen[device.address] = (device, known_name, kind.kind, best)

    scanner = BleakScanner(on_advert, backend=scanner_backend)
    try:
        async with scanner:
            await asyncio.sleep(timeout_s)
    except (BleakError, OSError) as exc:
        raise _scan_error(exc) from exc
    found = [
        FoundDevice(
            name=name,
            address=device.address,
            kind=kind,
            role=role_from_name(name) if kind == "winkmon" else None,
            rssi=rssi,
            device=device,
        )
        for device, name, kind, rssi in seen.values()
    ]
    return sorted(found, key=lambda f: (f.kind, -f.rssi))


async def read_device_battery(
    found: FoundDevice,
    *,
    client_backend: type[BaseBleakClient] | None = None,
    timeout_s: float = 10.0,
) -> int | None:
    """The battery level of a sensor of any kind (None if it offers none or is unreadable):
    the Battery service for winkmon sensors, the kind's driver otherwise."""
    from winkmon.drivers import WINKMON_KIND, device_kind

    target: BLEDevice | str = found.device if found.device is not None else found.address
    try:
        async with BleakClient(target, timeout=timeout_s, backend=client_backend) as client:
            if found.kind == WINKMON_KIND:
                raw = await client.read_gatt_char(BATTERY_LEVEL_UUID)
                return raw[0] if raw else None
            return await device_kind(found.kind).make_driver().battery_pct(client)
    except (BleakError, BleError, TimeoutError, OSError) as exc:
        log.info("battery of %s: %s", found.address, exc)
        return None


def _scan_error(exc: BaseException) -> BleError:
    return no_bluetooth(exc) or BleError(f"cannot scan for sensors: {exc}")


async def check_bluetooth(*, scanner_backend: type[BaseBleakScanner] | None = None) -> None:
    """Raise :class:`~winkmon.ble.availability.NoBluetoothError` (one line: what is missing
    and what to do) unless this machine can scan; returns as soon as a scan has started."""
    try:
        async with BleakScanner(service_uuids=[SERVICE_UUID], backend=scanner_backend):
            pass
    except (BleakError, OSError) as exc:
        raise _scan_error(exc) from exc


async def read_battery(
    sensor: FoundSensor,
    *,
    client_backend: type[BaseBleakClient] | None = None,
    timeout_s: float = 10.0,
) -> FoundSensor:
    """``sensor`` with ``battery_pct`` read from its Battery service (None if unreadable)."""
    target: BLEDevice | str = sensor.device if sensor.device is not None else sensor.address
    level: int | None = None
    try:
        async with BleakClient(target, timeout=timeout_s, backend=client_backend) as client:
            raw = await client.read_gatt_char(BATTERY_LEVEL_UUID)
            level = raw[0] if raw else None
    except (BleakError, TimeoutError, OSError) as exc:
        log.info("battery of %s: %s", sensor.address, exc)
    return FoundSensor(sensor.name, sensor.address, sensor.role, sensor.rssi, level, sensor.device)
