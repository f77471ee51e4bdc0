"""Host side of the MetaMotion RL and S: find the chip, configure and start packed ACC + GYRO.

The ACC module's implementation says which board it is (1: BMI160, the RL; 4: BMI270, the S)
and the GYRO module must answer its partner (0 on a BMI160, 1 on a BMI270); anything else is
refused with a one-line error. The stream's params carry ``chip`` so a replay decodes the
packed registers of the same chip.

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
_MODULE_NAMES = {mw.MODULE_ACC: "accelerometer", mw.MODULE_GYRO: "gyroscope"}


@dataclass(frozen=True, slots=True)
class MetaMotionParams:
    rate_hz: float = 200.0  #: ACC and GYRO output rate, Hz (25/50/100/200/400)
    acc_range_g: int = 8  #: accelerometer range, ±g (2/4/8/16)
    gyro_range_dps: int = 2000  #: gyroscope range, ±deg/s (125/250/500/1000/2000)
    reply_timeout_s: float = 2.0  #: how long a register read may take, s


class MetaMotionDriver:
    """:class:`~winkmon.drivers.spec.LinkDriver` of the MetaMotion RL and S."""

    kind = KIND

    def __init__(self, params: MetaMotionParams | None = None) -> None:
        self.params = params if params is not None else MetaMotionParams()
        self._replies: asyncio.Queue[bytes] = asyncio.Queue()
        self._chip_seen = mw.BMI160  #: the chip of the last start (stop unsubscribes its registers)

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
        chip = await self._chip(client)
        self._chip_seen = chip
        if p.rate_hz not in mw.ODR_CODES:
            raise BleError(f"MetaMotion has no output rate {p.rate_hz:g} Hz")
        await self._write(client, CONNECTION_7_5_MS)
        for command in mw.start_commands(p.rate_hz, p.acc_range_g, p.gyro_range_dps, chip):
            await self._write(client, command)
        # The board does not acknowledge configuration: read both configs back.
        for module, want in (
            (mw.MODULE_ACC, mw.acc_config(p.rate_hz, p.acc_range_g, chip)),
            (mw.MODULE_GYRO, mw.gyro_config(p.rate_hz, p.gyro_range_dps)),
        ):
            cfg = await self._read(client, bytes([module, mw.READ | mw.CONFIG]))
            if cfg[2:4] != want:
                raise BleError(
                    f"{chip.board} did not take the {p.rate_hz:g} Hz "
                    f"{_MODULE_NAMES[module]} configuration {want.hex(' ')} "
                    f"(it reads back {cfg[2:].hex(' ') or 'nothing'})"
                )
        params = {
            "rate_hz": p.rate_hz,
            "acc_range_g": p.acc_range_g,
            "gyro_range_dps": p.gyro_range_dps,
            "packed": True,
            "chip": chip.name,
        }
        return StreamSpec(DECODER_NAME, p.rate_hz, params, {"chip": chip.name, "model": chip.board})

    async def _chip(self, client: BleakClient) -> mw.Chip:
        """The board's chip from the ACC and GYRO module info (see module doc)."""
        acc = await self._read(client, mw.info_read(mw.MODULE_ACC))
        chip = mw.chip_of_acc_impl(acc[2]) if len(acc) >= 4 else None
        if chip is None:
            impl = acc[2] if len(acc) > 2 else "none"
            raise BleError(
                f"this MetaWear board's accelerometer is implementation {impl}: winkmon drives "
                "the MetaMotion RL (BMI160, 1) and S (BMI270, 4) only"
            )
        gyro = await self._read(client, mw.info_read(mw.MODULE_GYRO))
        if len(gyro) < 4 or gyro[2] != chip.gyro_impl:
            impl = gyro[2] if len(gyro) > 2 else "none"
            raise BleError(
                f"this {chip.board}'s gyroscope is implementation {impl}, not the "
                f"{chip.name}'s ({chip.gyro_impl}): winkmon cannot drive this board"
            )
        revision = min(acc[3], gyro[3])
        if revision < chip.packed_revision:
            raise BleError(
                f"this {chip.board}'s firmware has no packed data (module revision {revision}): "
                "update it with the MetaBase app"
            )
        return chip

    async def stop(self, client: BleakClient) -> None:
        for command in mw.stop_commands(self._chip_seen):
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
