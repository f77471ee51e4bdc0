"""An emulated WitMotion BWT901BLE on bumble, driven by a SampleSource.

GATT: service ``ffe5`` with ``ffe4`` (notify: packets) and ``ffe9`` (write: commands). Like
the device it streams ``55 61`` packets from the moment a central connects (at the rate in its
rate register, 10 Hz out of the box), as many 20-byte packets per notification as the ATT MTU
holds; it takes a rate write only after the unlock command, answers register reads with
``55 71`` packets, and silently ignores what it does not support (rate codes above
``max_rate_code``: an older firmware), as the device sends no acknowledgements. Angles are
sent as zero (winkmon does not use them). Follows the vendor's public SDK; not compared with a
real device's bytes.
"""

from __future__ import annotations

from bumble import gatt
from bumble.device import Connection

from winkmon.drivers.witmotion import protocol as wit
from winkmon.errors import FrameError
from winkmon.virtual.source import ImuSamples
from winkmon.virtual.vendor import VendorEmulator


class WitMotionEmulator(VendorEmulator):
    """The BWT901BLE's BLE side (see module doc)."""

    kind = "witmotion"
    default_name = "WT901BLE68"
    service_uuid = wit.SERVICE_UUID
    notify_interval_s = 0.05
    #: highest rate code this firmware takes (0x0B: 200 Hz)
    max_rate_code = 0x0B

    def services(self) -> list[gatt.Service]:
        props = gatt.Characteristic.Properties
        self.registers: dict[int, int] = {wit.REG_RATE: 0x06}
        self.unlocked = False
        self._notify_char: gatt.Characteristic[bytes] = gatt.Characteristic(
            wit.NOTIFY_UUID, props.NOTIFY, gatt.Characteristic.READABLE, b""
        )
        self._write_char: gatt.Characteristic[bytes] = gatt.Characteristic(
            wit.WRITE_UUID,
            props.WRITE | props.WRITE_WITHOUT_RESPONSE,
            gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(write=self._on_write),
        )
        return [gatt.Service(wit.SERVICE_UUID, [self._notify_char, self._write_char])]

    def _on_connection(self, connection: Connection) -> None:
        super()._on_connection(connection)
        if self.connection is connection:
            self.start_stream(wit.RATE_CODES[self.registers[wit.REG_RATE]])

    def _on_write(self, _conn: Connection | None, value: bytes) -> None:
        self.stats.commands += 1
        try:
            reg, val = wit.parse_command(bytes(value))
        except FrameError:
            self.stats.refused += 1
            return
        if reg == wit.REG_KEY:
            self.unlocked = val == wit.UNLOCK_VALUE
        elif reg == wit.REG_READ:
            values = [self.registers.get(val + k, 0) for k in range(8)]
            self.spawn(
                self.notify(self._notify_char, wit.encode_register_reply(val, values), False)
            )
        elif reg == wit.REG_SAVE:
            self.unlocked = False
        elif reg == wit.REG_RATE:
            if not self.unlocked or val not in wit.RATE_CODES or val > self.max_rate_code:
                self.stats.refused += 1
                return
            self.registers[wit.REG_RATE] = val
            if self.connection is not None:
                self.start_stream(wit.RATE_CODES[val])
        else:
            self.stats.refused += 1

    async def send_samples(self, first: int, samples: ImuSamples, t_first_dev_ns: int) -> None:
        raw = wit.encode_packets(samples.acc_m_s2, samples.gyr_rad_s)
        per = max(1, self.mtu_payload // wit.PACKET_BYTES) * wit.PACKET_BYTES
        for a in range(0, len(raw), per):
            await self.notify(self._notify_char, raw[a : a + per], data=True)


__all__ = ["WitMotionEmulator"]
