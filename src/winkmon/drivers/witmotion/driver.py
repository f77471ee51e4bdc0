"""Host side of the WitMotion BWT901BLE: set the output rate, read it back, stream.

The device streams ``55 61`` packets as soon as notifications are on. To set the rate it
needs unlock, the rate register write and save, each as a write without response (the
vendor SDK waits about 100 ms between them; it also forgets to await them). The device
does not acknowledge writes, so the driver reads the rate register back (``FF AA 27 03 00``
-> ``55 71 03 00 ...``) and refuses to go on if the device did not take the rate.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from winkmon.drivers.spec import DataCallback, StreamSpec
from winkmon.drivers.witmotion import protocol as wit
from winkmon.drivers.witmotion.decoder import DECODER_NAME
from winkmon.errors import BleError

KIND = "witmotion"


@dataclass(frozen=True, slots=True)
class WitMotionParams:
    rate_hz: float = 200.0  #: output rate, Hz (10/20/50/100/200)
    command_gap_s: float = 0.1  #: pause between unlock, write and save, s (as the SDK)
    reply_timeout_s: float = 2.0  #: longest the register read-back takes, s


class WitMotionDriver:
    """:class:`~winkmon.drivers.spec.LinkDriver` of the WitMotion BWT901BLE."""

    kind = KIND

    def __init__(self, params: WitMotionParams | None = None) -> None:
        self.params = params if params is not None else WitMotionParams()
        self._replies: asyncio.Queue[bytes] = asyncio.Queue()

    async def start(self, client: BleakClient, on_data: DataCallback) -> StreamSpec:
        p = self.params
        code = wit.rate_code(p.rate_hz)
        self._replies = asyncio.Queue()
        packets = wit.PacketStream()
        confirmed = False

        def on_notify(_c: BleakGATTCharacteristic, data: bytearray) -> None:
            raw = bytes(data)
            if confirmed:
                on_data(raw)  # the decoder skips register replies itself
                return
            # Until the rate is confirmed, packets come at the old rate: not part of the stream.
            for reg in packets.feed(raw).registers:
                self._replies.put_nowait(reg)

        await client.start_notify(wit.NOTIFY_UUID, on_notify)
        for command in (wit.unlock_command(), wit.write_register(wit.REG_RATE, code)):
            await client.write_gatt_char(wit.WRITE_UUID, command, response=False)
            await asyncio.sleep(p.command_gap_s)
        await client.write_gatt_char(wit.WRITE_UUID, wit.save_command(), response=False)
        got = await self._read_register(client, wit.REG_RATE)
        if got != code:
            have = wit.RATE_CODES.get(got, 0.0)
            raise BleError(
                f"WitMotion sensor refused the {p.rate_hz:g} Hz output rate (it runs at "
                f"{have:g} Hz, rate code {got:#04x}); update its firmware or choose a lower rate"
            )
        confirmed = True
        params = {
            "rate_hz": p.rate_hz,
            "rate_code": code,
            "acc_range_g": 16,
            "gyro_range_dps": 2000,
        }
        return StreamSpec(DECODER_NAME, p.rate_hz, params, {})

    async def stop(self, client: BleakClient) -> None:
        with contextlib.suppress(Exception):
            await client.stop_notify(wit.NOTIFY_UUID)

    async def battery_pct(self, client: BleakClient) -> int | None:
        return None  # not offered over BLE by the BWT901BLE

    async def _read_register(self, client: BleakClient, reg: int) -> int:
        await client.write_gatt_char(wit.WRITE_UUID, wit.read_register_command(reg), response=False)
        try:
            async with asyncio.timeout(self.params.reply_timeout_s):
                while True:
                    reply = await self._replies.get()
                    if reply[2] == reg:
                        return reply[4] | reply[5] << 8
        except TimeoutError:
            raise BleError("WitMotion sensor did not answer a register read") from None


__all__ = ["KIND", "WitMotionDriver", "WitMotionParams"]
