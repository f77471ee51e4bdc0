"""Firmware in the loop: the C core serves virtual sensors on bumble, and the hub reaches them
through bleak's public API, exactly as with the Python emulator (tests/ble) and real boards."""

from __future__ import annotations

import asyncio
import io
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ble"))
from test_ble_hub_virtual import ROLES, Collector, assert_matches_source

from winkmon.ble import HubConfig, SensorHub
from winkmon.protocol import BuzzPattern, CtrlStatus, FrameType, Role
from winkmon.protocol.constants import acc_lsb_m_s2
from winkmon.protocol.records import SensorStatus
from winkmon.samples import SampleBatch
from winkmon.virtual.fw_core import flash_record
from winkmon.virtual.fw_sensor import FirmwareBoardConfig, FirmwareSensor
from winkmon.virtual.radio import VirtualRadio
from winkmon.virtual.rig import RIG_SENSORS, VirtualRigConfig, open_virtual_rig
from winkmon.virtual.sensor import FaultConfig, VirtualSensorConfig
from winkmon.virtual.source import RampSource

TIMEOUT_S = 30.0
FW = "winkmon-fw"


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro_fn(), TIMEOUT_S)

    asyncio.run(bounded())


@asynccontextmanager
async def firmware_rig(
    board: FirmwareBoardConfig, mtu: int = 247
) -> AsyncIterator[tuple[SensorHub, dict[Role, FirmwareSensor]]]:
    """Two firmware sensors on boards configured by ``board``, and a connected hub."""
    radio = VirtualRadio()
    sensors: dict[Role, FirmwareSensor] = {}
    try:
        for role, (address, serial) in RIG_SENSORS.items():
            config = VirtualSensorConfig(role=role, serial=serial, address=address, max_mtu=mtu)
            sensor = FirmwareSensor(radio.new_device(address), RampSource(), config, board=board)
            await sensor.start()
            radio.sensors.append(sensor)
            sensors[role] = sensor
        backends = await radio.bleak_backends()
        hub = SensorHub(
            HubConfig(), client_backend=backends.client, scanner_backend=backends.scanner
        )
        try:
            await hub.connect()
            yield hub, sensors
        finally:
            await hub.close()
    finally:
        await radio.close()


def test_rig_runs_the_firmware_core() -> None:
    async def body() -> None:
        async with open_virtual_rig(VirtualRigConfig(sensor_kind=FW)) as rig:
            assert all(isinstance(s, FirmwareSensor) for s in rig.sensors.values())
            assert all(s.is_streaming for s in rig.sensors.values())

    run(body)
    with pytest.raises(ValueError, match="unknown sensor kind"):
        VirtualRigConfig(sensor_kind="polar")


@pytest.mark.parametrize("mtu", [247, 23])
def test_stream_integrity_mtu_and_buzz_through_bleak(mtu: int) -> None:
    async def body() -> None:
        async with open_virtual_rig(VirtualRigConfig(mtu=mtu, sensor_kind=FW)) as rig:
            hub = rig.hub
            events = Collector(hub)
            await events.until(lambda: all(events.samples(r) >= 300 for r in ROLES))
            sacrum = rig.sensors[Role.SACRUM]
            assert isinstance(sacrum, FirmwareSensor)
            status = await hub.buzz(Role.SACRUM, BuzzPattern.TRIPLE_LONG, 600)
            assert status is CtrlStatus.OK
            assert sacrum.stats.buzzes == [(2, 600)]
            await events.until(lambda: len(sacrum.core.motor_log) >= 6)  # on/off three times
            ons = [on for _, on in sacrum.core.motor_log]
            assert ons == [True, False] * 3 and not sacrum.motor_on
            for role in ROLES:
                assert hub.counters(role).mtu == mtu
                stats = events.stats(role)
                assert stats.samples_lost == 0
                assert stats.notifications_lost == 0
                assert stats.frames_bad == 0
                assert_matches_source(events.batches[role], role, hub.config.start)
                types = {p[0] for p in events.payloads[role]}
                if mtu == 23:
                    assert types == {FrameType.DATA, FrameType.DATA_COMPACT}
                    assert max(len(p) for p in events.payloads[role]) == 20
                else:
                    assert types == {FrameType.DATA}
            assert len(events.statuses) >= 2  # the core's STATUS, once a second
            assert {SensorStatus.from_bytes(s.payload).att_mtu for s in events.statuses} == {mtu}
        await events.task

    run(body)


def test_role_binding_is_written_to_the_sensors_flash() -> None:
    async def body() -> None:
        # stored the other way round: the hub binds them by address and sends SET_ROLE
        hub_config = HubConfig(sacrum="D0:5E:AA:00:00:02", lumbar="D0:5E:AA:00:00:01")
        config = VirtualRigConfig(hub=hub_config, sensor_kind=FW)
        async with open_virtual_rig(config) as rig:
            first = rig.sensors[Role.SACRUM]
            assert isinstance(first, FirmwareSensor)
            assert first.core.flash == flash_record(Role.LUMBAR)
            assert first.core.stats.flash_writes == 1
            assert first.role is Role.LUMBAR and first.name.startswith("winkmon-L-")

    run(body)


def test_lost_notifications_on_the_air_are_counted_exactly() -> None:
    async def body() -> None:
        faults = {Role.LUMBAR: FaultConfig(drop_seqs=frozenset({4, 5, 12}))}
        async with open_virtual_rig(VirtualRigConfig(faults=faults, sensor_kind=FW)) as rig:
            events = Collector(rig.hub)
            await events.until(lambda: all(events.samples(r) >= 250 for r in ROLES))
            lumbar = events.stats(Role.LUMBAR)
            sensor = rig.sensors[Role.LUMBAR].stats
            assert sensor.notifications_dropped == 3
            assert lumbar.notifications_lost == 3
            assert lumbar.samples_lost == sensor.samples_dropped > 0
            assert_matches_source(events.batches[Role.LUMBAR], Role.LUMBAR, rig.hub.config.start)
        await events.task

    run(body)


def test_peripheral_disconnect_restarts_the_core_stream() -> None:
    async def body() -> None:
        faults = {Role.LUMBAR: FaultConfig(disconnect_after_s=0.4)}
        async with open_virtual_rig(VirtualRigConfig(faults=faults, sensor_kind=FW)) as rig:
            events = Collector(rig.hub)
            await events.until(lambda: rig.hub.counters(Role.LUMBAR).reconnects == 1)
            at_reconnect = events.samples(Role.LUMBAR)
            await events.until(lambda: events.samples(Role.LUMBAR) >= at_reconnect + 100)
            sensor = rig.sensors[Role.LUMBAR]
            assert isinstance(sensor, FirmwareSensor)
            assert sensor.core.stats.starts == 2 and sensor.stats.starts == 2
            batches = events.batches[Role.LUMBAR]
            split = next(
                i for i, b in enumerate(batches) if i and b.index[0] < batches[i - 1].index[0]
            )
            assert_matches_source(batches[:split], Role.LUMBAR, rig.hub.config.start)
            assert_matches_source(batches[split:], Role.LUMBAR, rig.hub.config.start)
        await events.task

    run(body)


def test_a_link_slower_than_the_imu_drops_the_oldest_and_the_hub_counts_it() -> None:
    """MTU 23 (one sample a notification) and a radio that takes one DATA notification per
    10 ms board tick: 100 notifications/s for 200 samples/s. The core's queue overflows; the
    hub sees exactly the samples the core dropped, and no lost notification."""

    async def body() -> None:
        board = FirmwareBoardConfig(tx_per_tick=1)
        async with firmware_rig(board, mtu=23) as (hub, sensors):
            events = Collector(hub)
            await events.until(lambda: all(events.samples(r) >= 300 for r in ROLES))
            for role in ROLES:
                core = sensors[role].core.stats
                stream = events.stats(role)
                assert core.samples_dropped > 100 and core.notify_busy > 0
                assert stream.notifications_lost == 0 and stream.frames_bad == 0
                # the tail may still be in flight: the hub has seen the drops up to its last frame
                assert 0 < stream.samples_lost <= core.samples_dropped
                assert stream.samples_lost >= core.samples_dropped - 2 * 128
                assert stream.fifo_overflows >= 1
                assert_matches_source(events.batches[role], role, hub.config.start)
            statuses = [SensorStatus.from_bytes(s.payload) for s in events.statuses]
            assert any(s.fifo_overflows >= 1 and s.tx_dropped > 0 for s in statuses)
        await events.task

    run(body)


def test_a_paused_host_is_not_a_lost_sample() -> None:
    """The event loop stalls for 1 s (a busy host): the virtual IMU FIFO holds 200 samples,
    the board drains it in chunks, and the core's 128-sample queue does not overflow."""

    async def body() -> None:
        async with firmware_rig(FirmwareBoardConfig()) as (hub, sensors):
            events = Collector(hub)
            await events.until(lambda: all(events.samples(r) >= 100 for r in ROLES))
            time.sleep(1.0)  # blocks the event loop on purpose
            at = {r: events.samples(r) for r in ROLES}
            await events.until(lambda: all(events.samples(r) >= at[r] + 300 for r in ROLES))
            for role in ROLES:
                assert sensors[role].core.stats.samples_dropped == 0
                assert events.stats(role).samples_lost == 0
                assert_matches_source(events.batches[role], role, hub.config.start)
        await events.task

    run(body)


def test_an_lsm6ds3_at_208_hz_streams_200_hz() -> None:
    """The XIAO's LSM6DS3 runs at 208 Hz when asked for 200: the core interpolates."""

    async def body() -> None:
        board = FirmwareBoardConfig(imu_odr_hz={200: 208})
        async with firmware_rig(board) as (hub, _sensors):
            events = Collector(hub)
            await events.until(lambda: all(events.samples(r) >= 600 for r in ROLES))
            for role in ROLES:
                got = SampleBatch.concat(events.batches[role])
                np.testing.assert_array_equal(got.index, np.arange(len(got)))
                assert events.stats(role).samples_lost == 0
                # sample j is the 208 Hz ramp at input position j * 208 / 200
                pos = got.index * 208 / 200
                ok = (pos % 1000 > 2) & (pos % 1000 < 998)  # away from the ramp's wrap
                sign = 1.0 if role is Role.LUMBAR else -1.0
                want = sign * 2.0 * (pos % 1000) / 1000
                lsb = acc_lsb_m_s2(hub.config.start.acc_range)
                err = np.abs(got.acc_m_s2[ok, 0] - want[ok])
                assert err.max() <= 2 * lsb
                assert np.all(np.diff(got.t_s) > 0)
        await events.task

    run(body)


# ---------------------------------------------------------------------- the demo
REP = re.compile(r"rep (\d+): depth (\d+) cm, set ([+-][\d.]+), peak ([+-][\d.]+) deg -> (.*)$")


def _reps(text: str) -> list[tuple[int, int, float, float, str]]:
    out = []
    for line in text.splitlines():
        m = REP.search(line)
        if m:
            n, depth, set_deg, peak, verdict = m.groups()
            out.append((int(n), int(depth), float(set_deg), float(peak), verdict))
    return out


@pytest.mark.slow
def test_demo_on_the_firmware_core_reports_the_emulators_reps() -> None:
    """``winkmon demo --headless --sensor-kind winkmon-fw`` against the Python emulator: each
    demo runs 60 s (the first set: five reps, the fourth losing extension, the last a butt
    wink), one after the other (two rigs in one process would share one event loop's time);
    the reps, their verdicts, depth and angles agree."""
    from winkmon import demo_headless

    def demo(kind: str) -> str:
        out = io.StringIO()
        asyncio.run(demo_headless.run_async(60.0, 0, out, sensor_kind=kind))
        return out.getvalue()

    emulator, firmware = demo("winkmon"), demo(FW)
    assert "firmware core in the loop" in firmware
    ours, theirs = _reps(firmware), _reps(emulator)
    assert [r[4] for r in ours] == [
        "good: stayed extended",
        "good: stayed extended",
        "good: stayed extended",
        "extension lost (back still extended)",
        "FLEXION: butt wink",
    ], firmware
    assert len(ours) == len(theirs), (firmware, emulator)
    for mine, emu in zip(ours, theirs, strict=True):
        assert mine[0] == emu[0] and mine[4] == emu[4]
        assert abs(mine[1] - emu[1]) <= 1  # depth, cm
        assert abs(mine[2] - emu[2]) <= 0.5 and abs(mine[3] - emu[3]) <= 0.5  # deg
    assert "ALERT rep 5: lumbar flexion" in firmware
