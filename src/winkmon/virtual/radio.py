"""An in-memory Bluetooth LE "radio": bumble controllers on one :class:`~bumble.link.LocalLink`.

Every device gets its own virtual controller and host, as in bumble's own tests; the link
carries advertising, connections and ATT between them inside the process, on the running
asyncio loop. :meth:`VirtualRadio.bleak_backends` gives the bleak backend classes for a central
on this radio, so code written against bleak's public API talks to the virtual sensors.
"""

from __future__ import annotations

import itertools

from bumble.controller import Controller
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from winkmon.virtual.bleak_backend import BumbleBackends, bumble_backends
from winkmon.virtual.sensor import FaultConfig, VirtualSensor, VirtualSensorConfig
from winkmon.virtual.source import SampleSource
from winkmon.virtual.vendor import VendorEmulator


class VirtualRadio:
    """Controllers on one in-memory link; make devices, sensors and a central on it."""

    def __init__(self) -> None:
        self.link = LocalLink()
        self._counter = itertools.count(1)
        self.sensors: list[VirtualSensor] = []
        #: vendor emulators on this link (:mod:`winkmon.virtual.kinds` adds them)
        self.emulators: list[VendorEmulator] = []
        self._central: Device | None = None

    def new_device(self, address: str | None = None, name: str = "winkmon") -> Device:
        """A bumble device with its own controller on this link (not powered on yet)."""
        k = next(self._counter)
        if address is None:
            address = f"C0:7A:00:00:00:{k:02X}"
        controller = Controller(f"ctrl-{k}", link=self.link, public_address=address)
        host = Host(controller, AsyncPipeSink(controller))
        return Device(name=name, address=Address(address), host=host)

    async def central(self) -> Device:
        """The (one) powered-on central device the host side uses."""
        if self._central is None:
            self._central = self.new_device("C0:7A:CE:00:00:01", name="winkmon-host")
            await self._central.power_on()
        return self._central

    async def add_sensor(
        self,
        source: SampleSource,
        config: VirtualSensorConfig | None = None,
        faults: FaultConfig | None = None,
        sensor_class: type[VirtualSensor] = VirtualSensor,
    ) -> VirtualSensor:
        """A started (advertising) virtual sensor on this link; ``sensor_class`` picks the
        firmware it runs (the Python emulator, or e.g. the C core's
        :class:`~winkmon.virtual.fw_sensor.FirmwareSensor`)."""
        config = config if config is not None else VirtualSensorConfig()
        sensor = sensor_class(self.new_device(config.address), source, config, faults)
        await sensor.start()
        self.sensors.append(sensor)
        return sensor

    async def bleak_backends(self, mtu: int = 247) -> BumbleBackends:
        """bleak client and scanner backend classes bound to this radio's central.

        ``mtu`` is what the central asks for in the MTU exchange (each sensor may accept less).
        """
        return bumble_backends(await self.central(), mtu=mtu)

    async def close(self) -> None:
        for sensor in self.sensors:
            await sensor.close()
        self.sensors.clear()
        for emulator in self.emulators:
            await emulator.close()
        self.emulators.clear()
