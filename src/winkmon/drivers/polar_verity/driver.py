"""Host side of the Polar Verity Sense: PMD control point commands through bleak.

Start sequence (as the Polar SDK does it): read the control point (feature bits: ACC and
GYRO must be there), subscribe to the control point (indications) and the data
characteristic, switch SDK mode on (rates above 52 Hz need it; it turns heart rate off), then
START ACC and START GYRO at the configured rate. Each START reply carries the stream's
FACTOR, which goes into the segment's parameters for the decoder.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.exc import BleakError

from winkmon.drivers.polar_verity import protocol as pmd
from winkmon.drivers.polar_verity.decoder import DECODER_NAME
from winkmon.drivers.spec import DataCallback, StreamSpec
from winkmon.errors import BleError, FrameError

KIND = "polar-verity"
NAME_PREFIXES = ("Polar Sense", "Polar OH1")


@dataclass(frozen=True, slots=True)
class VerityParams:
    """What the Verity is asked to stream."""

    rate_hz: int = 208  #: ACC and GYRO rate, Hz (26/52/104/208/416; above 52 needs SDK mode)
    acc_range_g: int = 8  #: ±g
    gyro_range_dps: int = 2000  #: ±deg/s
    reply_timeout_s: float = 3.0  #: longest a control point reply takes, s


class PolarVerityDriver:
    """:class:`~winkmon.drivers.spec.LinkDriver` of the Polar Verity Sense."""

    kind = KIND

    def __init__(self, params: VerityParams | None = None) -> None:
        self.params = params if params is not None else VerityParams()
        self._replies: asyncio.Queue[bytes] = asyncio.Queue()

    async def start(self, client: BleakClient, on_data: DataCallback) -> StreamSpec:
        p = self.params
        feature = bytes(await client.read_gatt_char(pmd.CONTROL_POINT_UUID))
        if len(feature) < 2 or feature[0] != 0x0F:
            raise BleError(f"unexpected PMD feature read {feature.hex()}: is this a Polar sensor?")
        if not (feature[1] & pmd.FEATURE_ACC and feature[1] & pmd.FEATURE_GYRO):
            raise BleError(
                "this Polar sensor streams no accelerometer + gyroscope (feature bits "
                f"{feature[1]:#04x}): winkmon needs a Verity Sense"
            )
        self._replies = asyncio.Queue()

        def on_cp(_c: BleakGATTCharacteristic, data: bytearray) -> None:
            self._replies.put_nowait(bytes(data))

        def on_pmd(_c: BleakGATTCharacteristic, data: bytearray) -> None:
            on_data(bytes(data))

        await client.start_notify(pmd.CONTROL_POINT_UUID, on_cp)
        await client.start_notify(pmd.DATA_UUID, on_pmd)
        if p.rate_hz > 52:
            await self._command(client, pmd.sdk_mode_command(True), "SDK mode on")
        acc = await self._command(
            client,
            pmd.start_command(pmd.Measurement.ACC, p.rate_hz, p.acc_range_g),
            f"start ACC {p.rate_hz} Hz ±{p.acc_range_g} g",
        )
        gyro = await self._command(
            client,
            pmd.start_command(pmd.Measurement.GYRO, p.rate_hz, p.gyro_range_dps),
            f"start GYRO {p.rate_hz} Hz ±{p.gyro_range_dps} deg/s",
        )
        params = {
            "rate_hz": p.rate_hz,
            "acc_range_g": p.acc_range_g,
            "gyro_range_dps": p.gyro_range_dps,
            "acc_factor": _factor(acc),
            "gyro_factor": _factor(gyro),
            "sdk_mode": p.rate_hz > 52,
        }
        return StreamSpec(DECODER_NAME, float(p.rate_hz), params, {"feature_hex": feature.hex()})

    async def stop(self, client: BleakClient) -> None:
        for m in (pmd.Measurement.ACC, pmd.Measurement.GYRO):
            with contextlib.suppress(BleakError, BleError, TimeoutError):
                await self._command(client, pmd.stop_command(m), f"stop {m.name}")
        if self.params.rate_hz > 52:
            with contextlib.suppress(BleakError, BleError, TimeoutError):
                await self._command(client, pmd.sdk_mode_command(False), "SDK mode off")

    async def battery_pct(self, client: BleakClient) -> int | None:
        raw = await client.read_gatt_char(pmd.BATTERY_LEVEL_UUID)
        return int(raw[0]) if raw else None

    async def _command(self, client: BleakClient, command: bytes, what: str) -> pmd.Response:
        await client.write_gatt_char(pmd.CONTROL_POINT_UUID, command, response=True)
        try:
            async with asyncio.timeout(self.params.reply_timeout_s):
                while True:
                    raw = await self._replies.get()
                    try:
                        reply = pmd.Response.from_bytes(raw)
                    except FrameError:
                        continue  # e.g. a "measurement stopped" notice
                    if reply.op == command[0]:
                        break
        except TimeoutError:
            raise BleError(f"Polar sensor did not answer '{what}'") from None
        if reply.status != pmd.Status.SUCCESS:
            raise BleError(f"Polar sensor refused '{what}': {reply.status_name}")
        return reply


def _factor(reply: pmd.Response) -> float:
    try:
        settings = pmd.decode_settings(reply.params)
    except FrameError as exc:
        raise BleError(f"unreadable settings in the Polar START reply: {exc}") from exc
    values = settings.get(pmd.Setting.FACTOR)
    return float(values[0]) if values else 1.0


__all__ = ["KIND", "NAME_PREFIXES", "PolarVerityDriver", "VerityParams"]
