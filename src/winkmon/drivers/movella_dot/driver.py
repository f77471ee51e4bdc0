"""Host side of the Movella DOT: set the output rate, check it, start rate quantities."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from winkmon.drivers.movella_dot import protocol as dot
from winkmon.drivers.movella_dot.decoder import DECODER_NAME
from winkmon.drivers.spec import DataCallback, StreamSpec
from winkmon.errors import BleError, FrameError

KIND = "movella-dot"


@dataclass(frozen=True, slots=True)
class DotParams:
    rate_hz: int = 60  #: live output rate, Hz (1/4/10/12/15/20/30/60)


class MovellaDotDriver:
    """:class:`~winkmon.drivers.spec.LinkDriver` of the Movella DOT."""

    kind = KIND

    def __init__(self, params: DotParams | None = None) -> None:
        self.params = params if params is not None else DotParams()

    async def start(self, client: BleakClient, on_data: DataCallback) -> StreamSpec:
        rate = self.params.rate_hz

        def on_payload(_c: BleakGATTCharacteristic, data: bytearray) -> None:
            on_data(bytes(data))

        await client.write_gatt_char(
            dot.DEVICE_CONTROL_UUID, dot.set_rate_command(rate), response=True
        )
        try:
            got = dot.rate_of_device_control(
                bytes(await client.read_gatt_char(dot.DEVICE_CONTROL_UUID))
            )
        except FrameError as exc:
            raise BleError(f"unreadable DOT device control: {exc}") from exc
        if got != rate:
            raise BleError(
                f"Movella DOT refused the {rate} Hz output rate (it streams at {got} Hz; live "
                f"rates: {', '.join(map(str, dot.LIVE_RATES_HZ))} Hz)"
            )
        await client.start_notify(dot.MEDIUM_PAYLOAD_UUID, on_payload)
        await client.write_gatt_char(
            dot.MEASUREMENT_CONTROL_UUID, dot.start_command(), response=True
        )
        params = {"rate_hz": rate, "mode": dot.MODE_RATE_QUANTITIES}
        return StreamSpec(DECODER_NAME, float(rate), params, {})

    async def stop(self, client: BleakClient) -> None:
        with contextlib.suppress(Exception):
            await client.write_gatt_char(
                dot.MEASUREMENT_CONTROL_UUID, dot.stop_command(), response=True
            )

    async def battery_pct(self, client: BleakClient) -> int | None:
        raw = await client.read_gatt_char(dot.BATTERY_UUID)
        return int(raw[0]) if raw else None


__all__ = ["KIND", "DotParams", "MovellaDotDriver"]
