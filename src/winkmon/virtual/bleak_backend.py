"""A bleak backend on a bumble central: bleak's public API over bumble's stack.

bleak >= 3 takes ``backend=`` in :class:`bleak.BleakClient` and :class:`bleak.BleakScanner`;
those construct the backend class themselves, so the bumble central a backend talks through is
bound to the class: :func:`bumble_backends` returns a fresh pair of subclasses of
:class:`BumbleBleakClient` and :class:`BumbleBleakScanner` that carry the central and the MTU
to request.

With it, winkmon's BLE code (which only uses ``BleakScanner``/``BleakClient``) runs unmodified
against virtual sensors on an in-memory link (:mod:`winkmon.virtual.radio`), or through a real
controller that bumble drives over a transport (``usb:0``, ``serial:...``).

Callbacks (notifications, advertisements, disconnection) run on the asyncio loop that runs
bumble, as they do on bleak's own backends.
"""

from __future__ import annotations

import asyncio
import logging
import uuid as uuidlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar, cast

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bumble import att
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt import Characteristic
from bumble.gatt_client import CharacteristicProxy
from bumble.hci import Address

from winkmon.errors import InputError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: bumble requests still running after their caller was cancelled (kept referenced).
_IN_FLIGHT: set[asyncio.Future[Any]] = set()


async def _to_completion(request: Awaitable[T]) -> T:
    """Run one bumble request (an HCI command, an ATT request) to its response even if the
    caller is cancelled.

    bumble keeps one pending future per HCI command and per ATT request and sets it when the
    response comes. A caller cancelled in between (a timeout, a shutdown cancelling the
    closing hub) cancels that future, but the response is often already queued on the
    in-memory link: it then lands on a cancelled future and asyncio prints an
    ``InvalidStateError`` traceback from ``Host.on_packet`` (seen at the demo's shutdown).
    Shielded, the request finishes in its own task; the caller's cancellation still takes
    effect at once.
    """
    task = asyncio.ensure_future(request)
    _IN_FLIGHT.add(task)
    task.add_done_callback(_finished)
    return await asyncio.shield(task)


def _finished(task: asyncio.Future[Any]) -> None:
    _IN_FLIGHT.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.debug("bumble request failed after its caller left: %s", task.exception())


_PROPERTY_NAMES: tuple[tuple[Characteristic.Properties, str], ...] = (
    (Characteristic.Properties.BROADCAST, "broadcast"),
    (Characteristic.Properties.READ, "read"),
    (Characteristic.Properties.WRITE_WITHOUT_RESPONSE, "write-without-response"),
    (Characteristic.Properties.WRITE, "write"),
    (Characteristic.Properties.NOTIFY, "notify"),
    (Characteristic.Properties.INDICATE, "indicate"),
    (Characteristic.Properties.AUTHENTICATED_SIGNED_WRITES, "authenticated-signed-writes"),
    (Characteristic.Properties.EXTENDED_PROPERTIES, "extended-properties"),
)


def uuid_str(u: UUID) -> str:
    """A bumble UUID as bleak spells UUIDs: 128-bit, lower case, dashed."""
    return str(uuidlib.UUID(bytes=bytes(reversed(u.to_bytes(force_128=True)))))


def _address_str(address: Address) -> str:
    return address.to_string(with_type_qualifier=False)


@dataclass(frozen=True, slots=True)
class BumbleBackends:
    """bleak backend classes bound to one bumble central (pass them as ``backend=``)."""

    client: type[BumbleBleakClient]
    scanner: type[BumbleBleakScanner]


def bumble_backends(central: Device, mtu: int = 247) -> BumbleBackends:
    """Backend classes for ``BleakClient(..., backend=)``/``BleakScanner(..., backend=)``.

    ``central`` must be powered on. ``mtu`` is requested in the ATT MTU exchange after each
    connect (the peripheral may accept less).
    """
    if not 23 <= mtu <= 517:
        raise InputError("ATT MTU must be within 23..517")
    client = cast(
        type[BumbleBleakClient],
        type("BumbleBleakClientBound", (BumbleBleakClient,), {"central": central, "mtu": mtu}),
    )
    scanner = cast(
        type[BumbleBleakScanner],
        type("BumbleBleakScannerBound", (BumbleBleakScanner,), {"central": central}),
    )
    return BumbleBackends(client, scanner)


class BumbleBleakScanner(BaseBleakScanner):
    """Scans with the bound bumble central; reports every advertisement to bleak."""

    central: ClassVar[Device | None] = None

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        *,
        bluez: object = None,
        cb: object = None,
        **kwargs: object,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        if self.central is None:
            raise BleakError("BumbleBleakScanner is not bound: use bumble_backends(central)")
        self._device: Device = self.central
        self._active = scanning_mode == "active"
        self._listening = False

    async def start(self) -> None:
        self.seen_devices = {}
        if not self._listening:
            self._device.on(self._device.EVENT_ADVERTISEMENT, self._on_advertisement)
            self._listening = True
        await _to_completion(
            self._device.start_scanning(active=self._active, filter_duplicates=False)
        )

    async def stop(self) -> None:
        if self._listening:
            self._device.remove_listener(self._device.EVENT_ADVERTISEMENT, self._on_advertisement)
            self._listening = False
        if self._device.is_scanning:
            await _to_completion(self._device.stop_scanning())

    def _on_advertisement(self, adv: Advertisement) -> None:
        data = adv.data
        uuids: list[str] = []
        for kind in (
            AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
            AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
            AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
            AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
        ):
            found = data.get(kind)
            if isinstance(found, list):
                uuids.extend(uuid_str(u) for u in found)
        if not self.is_allowed_uuid(uuids):
            return
        name_raw = data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or data.get(
            AdvertisingData.SHORTENED_LOCAL_NAME
        )
        name = name_raw if isinstance(name_raw, str) else None
        manufacturer: dict[int, bytes] = {}
        mfr = data.get(AdvertisingData.MANUFACTURER_SPECIFIC_DATA)
        if isinstance(mfr, tuple) and len(mfr) == 2:
            manufacturer[int(mfr[0])] = bytes(mfr[1])
        tx_power = data.get(AdvertisingData.TX_POWER_LEVEL)
        address = _address_str(adv.address)
        adv_data = AdvertisementData(
            local_name=name,
            manufacturer_data=manufacturer,
            service_data={},
            service_uuids=uuids,
            tx_power=tx_power if isinstance(tx_power, int) else None,
            rssi=int(adv.rssi),
            platform_data=(adv,),
        )
        device = self.create_or_update_device(address, address, name, adv.address, adv_data)
        self.call_detection_callbacks(device, adv_data)


class BumbleBleakClient(BaseBleakClient):
    """A GATT client over the bound bumble central (one connection per client)."""

    central: ClassVar[Device | None] = None
    mtu: ClassVar[int] = 247

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        if self.central is None:
            raise BleakError("BumbleBleakClient is not bound: use bumble_backends(central)")
        self._device: Device = self.central
        self._name = (
            address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        )
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._closing = False
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    # ------------------------------------------------------------------ properties
    @property
    def name(self) -> str:
        return self._name or self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        return int(self._connection.att_mtu) if self._connection is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    # ------------------------------------------------------------------ connectivity
    async def connect(self, pair: bool, **kwargs: Any) -> None:
        if self._connection is not None:
            return
        try:
            connection = await self._device.connect(Address(self.address), timeout=self._timeout)
        except Exception as exc:
            raise BleakDeviceNotFoundError(self.address, f"connect failed: {exc}") from exc
        self._connection = connection
        self._closing = False
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            async with asyncio.timeout(self._timeout):
                self._peer = Peer(connection)
                await _to_completion(self._peer.request_mtu(self.mtu))
                self.services = await _to_completion(self._discover(self._peer))
        except BaseException:
            await self.disconnect()
            raise

    def _on_disconnection(self, reason: int) -> None:
        unsolicited = not self._closing
        self._connection = None
        self._peer = None
        self._subscribers.clear()
        log.debug("%s: disconnected (reason 0x%02x)", self.address, reason)
        if unsolicited and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        self._closing = True
        try:
            await _to_completion(connection.disconnect())
        except Exception as exc:  # already gone
            log.debug("%s: disconnect: %s", self.address, exc)
        self._connection = None
        self._peer = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise BleakError("pairing is not supported by the bumble backend")

    async def unpair(self) -> None:
        raise BleakError("pairing is not supported by the bumble backend")

    async def _discover(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        services = await peer.discover_services()
        for proxy in services:
            service = BleakGATTService(proxy, proxy.handle, uuid_str(proxy.uuid))
            collection.add_service(service)
            for cproxy in await proxy.discover_characteristics():
                props = [name for flag, name in _PROPERTY_NAMES if cproxy.properties & flag]
                char = BleakGATTCharacteristic(
                    cproxy,
                    cproxy.handle,
                    uuid_str(cproxy.uuid),
                    props,  # type: ignore[arg-type]
                    lambda: self.mtu_size - 3,
                    service,
                )
                collection.add_characteristic(char)
                for dproxy in await cproxy.discover_descriptors():
                    desc = BleakGATTDescriptor(dproxy, dproxy.handle, uuid_str(dproxy.type), char)
                    collection.add_descriptor(desc)
        return collection

    # ------------------------------------------------------------------ I/O
    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError("Not connected")
        return self._peer

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        peer = self._require_peer()
        try:
            return bytearray(await _to_completion(peer.read_value(characteristic.handle)))
        except att.ATT_Error as exc:
            raise BleakGATTProtocolError(exc.error_code) from exc

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        peer = self._require_peer()
        try:
            return bytearray(await _to_completion(peer.read_value(descriptor.handle)))
        except att.ATT_Error as exc:
            raise BleakGATTProtocolError(exc.error_code) from exc

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        peer = self._require_peer()
        try:
            await _to_completion(
                peer.write_value(characteristic.handle, bytes(data), with_response=response)
            )
        except att.ATT_Error as exc:
            raise BleakGATTProtocolError(exc.error_code) from exc

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        peer = self._require_peer()
        try:
            await _to_completion(
                peer.write_value(descriptor.handle, bytes(data), with_response=True)
            )
        except att.ATT_Error as exc:
            raise BleakGATTProtocolError(exc.error_code) from exc

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        peer = self._require_peer()
        proxy = cast(CharacteristicProxy[bytes], characteristic.obj)

        def subscriber(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = subscriber
        await _to_completion(peer.subscribe(proxy, subscriber))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        peer = self._require_peer()
        proxy = cast(CharacteristicProxy[bytes], characteristic.obj)
        subscriber = self._subscribers.pop(characteristic.handle, None)
        await _to_completion(peer.unsubscribe(proxy, subscriber))
