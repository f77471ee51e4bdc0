"""Host side of the MetaMotion RL: check the chip, configure and start packed ACC + GYRO.

Writes go to the command characteristic without response, as the MetaWear SDKs do; replies
(module info, battery) and data come on the notify characteristic. Above 100 Hz the board
needs packed mode (3 samples a notification) and a short connection interval: the driver asks
for 7.5 ms (``11 09 06 00 06 00 00 00 58 02``).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from winkmon.drivers.metamotion import protocol as mw
from winkmon.drivers.metamotion.decoder import DECODER_NAME
from winkmon.drivers.spec import DataCallback, StreamSpec
from winkmon.errors import BleError

KIND = "metamotion"
CONNECTION_7_5_MS = bytes.fromhex("1109060006000000" + "5802")


@dataclass(frozen=True, slots=True)
class MetaMotionParams:
    rate_hz: float = 200.0  #: ACC and GYRO output rate, Hz (25/50/100/200/400)
    acc_range_g: int = 8
    gyro_range_dps: int = 2000
    reply_timeout_s: float = 2.0


class MetaMotionDriver:
    """:class:`~winkmon.drivers.spec.LinkDriver` of the MetaMotion RL."""

    kind = KIND

    def __init__(self, params: MetaMotionParams | None = None) -> None:
        self.params = params if params is not None else MetaMotionParams()
        self._replies: asyncio.Queue[bytes] = asyncio.Queue()

    async def start(self, client: BleakClient, on_data: DataCallback) -> StreamSpec:
        p = self.params
        self._replies = asyncio.Queue()

        def on_notify(_c: BleakGATTCharacteristic, data: bytearray) -> None:
            raw = bytes(data)
            if len(raw) >= 2 and raw[1] & mw.READ:
                self._replies.put_nowait(raw)
            else:
                on_data(raw)

        await client.start_notify(mw.NOTIFY_UUID, on_notify)
        for module in (mw.MODULE_ACC, mw.MODULE_GYRO):
            info = await self._read(client, mw.info_read(module))
            if len(info) < 4 or info[2] != mw.IMPL_BMI160:
                impl = info[2] if len(info) > 2 else "none"
                raise BleError(
                    f"this MetaWear board's {'accelerometer' if module == 3 else 'gyroscope'} "
                    f"is implementation {impl}: winkmon drives the MetaMotion RL (BMI160, 1) only"
                )
        if p.rate_hz not in mw.ODR_CODES:
            raise BleError(f"MetaMotion has no output rate {p.rate_hz:g} Hz")
        await self._write(client, CONNECTION_7_5_MS)
        for command in mw.start_commands(p.rate_hz, p.acc_range_g, p.gyro_range_dps):
            await self._write(client, command)
        # The board does not acknowledge configuration: read the ACC config back.
        cfg = await self._read(client, bytes([mw.MODULE_ACC, mw.READ | mw.ACC_CONFIG]))
        if len(cfg) < 4 or cfg[2] != mw.config_byte(p.rate_hz):
            raise BleError(
                f"MetaMotion did not take the {p.rate_hz:g} Hz configuration "
                f"(it reads back {cfg[2:].hex() or 'nothing'})"
            )
        params = {
            "rate_hz": p.rate_hz,
            "acc_range_g": p.acc_range_g,
            "gyro_range_dps": p.gyro_range_dps,
            "packed": True,
        }
        return StreamSpec(DECODER_NAME, p.rate_hz, params, {"chip": "BMI160"})

    async def stop(self, client: BleakClient) -> None:
        for command in mw.stop_commands():
            with contextlib.suppress(Exception):
                await self._write(client, command)

    async def battery_pct(self, client: BleakClient) -> int | None:
        queue: asyncio.Queue[bytes] = asyncio.Queue()

        def on_notify(_c: BleakGATTCharacteristic, data: bytearray) -> None:
            queue.put_nowait(bytes(data))

        await client.start_notify(mw.NOTIFY_UUID, on_notify)
        try:
            await self._write(client, mw.battery_read())
            async with asyncio.timeout(self.params.reply_timeout_s):
                while True:
                    raw = await queue.get()
                    if raw[:2] == mw.battery_read():
                        return int(raw[2]) if len(raw) > 2 else None
        finally:
            await client.stop_notify(mw.NOTIFY_UUID)

    async def _write(self, client: BleakClient, command: bytes) -> None:
        await client.write_gatt_char(mw.COMMAND_UUID, command, response=False)

    async def _read(self, client: BleakClient, command: bytes) -> bytes:
        await self._write(client, command)
        try:
            async with asyncio.timeout(self.params.reply_timeout_s):
                while True:
                    raw = await self._replies.get()
                    if raw[:2] == command[:2]:
                        return raw
        except TimeoutError:
            raise BleError(f"MetaMotion did not answer the read {command.hex(' ')}") from None


__all__ = ["KIND", "MetaMotionDriver", "MetaMotionParams"]
