"""The virtual sensor against PROTOCOL.md, through bleak's public API on the bumble backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bleak import BleakClient, BleakScanner

from winkmon.protocol import (
    CTRL_UUID,
    INFO_UUID,
    SERVICE_UUID,
    STATUS_UUID,
    Capability,
    CtrlRequest,
    CtrlResponse,
    CtrlStatus,
    Op,
    Role,
    SensorInfo,
    SensorStatus,
    StartParams,
)
from winkmon.protocol.constants import BATTERY_LEVEL_UUID
from winkmon.virtual.radio import VirtualRadio
from winkmon.virtual.sensor import VirtualSensor, VirtualSensorConfig
from winkmon.virtual.source import RampSource

TIMEOUT_S = 20.0


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro_fn(), TIMEOUT_S)

    asyncio.run(bounded())


@asynccontextmanager
async def one_sensor(
    config: VirtualSensorConfig | None = None,
) -> AsyncIterator[tuple[VirtualSensor, BleakClient, asyncio.Queue[CtrlResponse]]]:
    radio = VirtualRadio()
    sensor = await radio.add_sensor(RampSource(), config or VirtualSensorConfig(role=Role.SACRUM))
    backends = await radio.bleak_backends()
    responses: asyncio.Queue[CtrlResponse] = asyncio.Queue()
    try:
        async with BleakClient(sensor.address, backend=backends.client, timeout=5) as client:
            await client.start_notify(
                CTRL_UUID, lambda _c, data: responses.put_nowait(CtrlResponse.from_bytes(data))
            )
            yield sensor, client, responses
    finally:
        await radio.close()


async def ctrl(
    client: BleakClient, responses: asyncio.Queue[CtrlResponse], payload: bytes
) -> CtrlResponse:
    await client.write_gatt_char(CTRL_UUID, payload, response=True)
    return await asyncio.wait_for(responses.get(), 2.0)


def test_advertises_name_and_service_uuid() -> None:
    async def body() -> None:
        radio = VirtualRadio()
        try:
            cfg = VirtualSensorConfig(role=Role.LUMBAR, serial="XY0012AB")
            await radio.add_sensor(RampSource(), cfg)
            backends = await radio.bleak_backends()
            found = await BleakScanner.discover(
                timeout=0.3, service_uuids=[SERVICE_UUID], return_adv=True, backend=backends.scanner
            )
            (device, adv), *_ = found.values()
            assert adv.local_name == "winkmon-L-12AB"
            assert SERVICE_UUID in adv.service_uuids
            assert device.address == cfg.address
        finally:
            await radio.close()

    run(body)


def test_gatt_table_info_status_battery_dis() -> None:
    async def body() -> None:
        async with one_sensor() as (sensor, client, _):
            uuids = {s.uuid for s in client.services}
            assert SERVICE_UUID in uuids
            assert "0000180f-0000-1000-8000-00805f9b34fb" in uuids
            assert "0000180a-0000-1000-8000-00805f9b34fb" in uuids
            vendor = client.services.get_service(SERVICE_UUID)
            assert vendor is not None
            props = {c.uuid: set(c.properties) for c in vendor.characteristics}
            assert props[INFO_UUID] == {"read"}
            assert props[CTRL_UUID] == {"write", "notify"}
            assert props[STATUS_UUID] == {"read", "notify"}
            info = SensorInfo.from_bytes(await client.read_gatt_char(INFO_UUID))
            assert info == sensor.info()
            assert info.role is Role.SACRUM
            status = SensorStatus.from_bytes(await client.read_gatt_char(STATUS_UUID))
            assert status.att_mtu == client.mtu_size == 247
            assert (await client.read_gatt_char(BATTERY_LEVEL_UUID))[0] == 87
            serial = await client.read_gatt_char("00002a25-0000-1000-8000-00805f9b34fb")
            assert serial.decode() == sensor.config.serial

    run(body)


def test_ctrl_status_codes_and_req_id_echo() -> None:
    async def body() -> None:
        async with one_sensor() as (sensor, client, responses):
            r = await ctrl(client, responses, bytes([0x55, 77]))
            assert (r.op, r.req_id, r.status) == (0x55, 77, CtrlStatus.UNKNOWN_OP)
            r = await ctrl(client, responses, bytes([Op.START, 3, 1, 2]))
            assert (r.req_id, r.status) == (3, CtrlStatus.BAD_LENGTH)
            bad_rate = StartParams(rate_hz=5000)
            r = await ctrl(client, responses, bytes(CtrlRequest(Op.START, 4, bytes(bad_rate))))
            assert r.status is CtrlStatus.BAD_PARAM
            bad_range = StartParams(gyr_range=7)
            r = await ctrl(client, responses, bytes(CtrlRequest(Op.START, 5, bytes(bad_range))))
            assert r.status is CtrlStatus.BAD_PARAM
            r = await ctrl(client, responses, bytes(CtrlRequest(Op.GET_CAPS, 6)))
            assert SensorInfo.from_bytes(r.data) == sensor.info()
            r = await ctrl(
                client, responses, bytes(CtrlRequest(Op.TIME_SYNC, 7, b"\x01\x02\x03\x04"))
            )
            assert (
                r.status is CtrlStatus.OK and r.data[:4] == b"\x01\x02\x03\x04" and len(r.data) == 8
            )
            r = await ctrl(client, responses, bytes(CtrlRequest(Op.BUZZ, 8, b"\x02\x90\x01")))
            assert r.status is CtrlStatus.OK and sensor.stats.buzzes == [(2, 400)]
            r = await ctrl(client, responses, bytes(CtrlRequest(Op.BUZZ, 9, b"\x09\x90\x01")))
            assert r.status is CtrlStatus.BAD_PARAM
            r = await ctrl(client, responses, bytes(CtrlRequest(Op.SET_ROLE, 10, b"\x02")))
            assert r.status is CtrlStatus.OK
            assert SensorInfo.from_bytes(await client.read_gatt_char(INFO_UUID)).role is Role.LUMBAR
            r = await ctrl(client, responses, bytes(CtrlRequest(Op.SET_ROLE, 11, b"\x07")))
            assert r.status is CtrlStatus.BAD_PARAM
            r = await ctrl(
                client, responses, bytes(CtrlRequest(Op.START, 12, bytes(StartParams())))
            )
            assert r.status is CtrlStatus.OK and r.data[:4] == bytes(4)
            assert sensor.is_streaming
            r = await ctrl(client, responses, bytes(CtrlRequest(Op.STOP, 13)))
            assert r.status is CtrlStatus.OK and not sensor.is_streaming

    run(body)


def test_buzz_unsupported_without_motor() -> None:
    async def body() -> None:
        cfg = VirtualSensorConfig(role=Role.SACRUM, capabilities=Capability.TIME_SYNC)
        async with one_sensor(cfg) as (_sensor, client, responses):
            r = await ctrl(client, responses, bytes(CtrlRequest(Op.BUZZ, 1, b"\x01\x64\x00")))
            assert r.status is CtrlStatus.UNSUPPORTED

    run(body)
