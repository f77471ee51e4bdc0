"""SensorHub end to end: bleak's public API (bumble backend) against two virtual sensors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import numpy as np
import pytest
from bleak import BleakScanner

from winkmon.ble import HubConfig, SensorHub, discover_sensors, read_battery
from winkmon.errors import BleError
from winkmon.pipeline.events import StepResult
from winkmon.protocol import SERVICE_UUID, BuzzPattern, CtrlStatus, FrameType, Role, StartParams
from winkmon.protocol.constants import acc_lsb_m_s2, gyr_lsb_rad_s
from winkmon.protocol.frames import encode_samples
from winkmon.samples import SampleBatch
from winkmon.session.contract import Channel, LinkChanged, LinkState, Notification, StreamStarted
from winkmon.session.run import run_source
from winkmon.session.session import Session
from winkmon.virtual.radio import VirtualRadio
from winkmon.virtual.rig import VirtualRigConfig, open_virtual_rig, start_virtual_sensors
from winkmon.virtual.sensor import FaultConfig
from winkmon.virtual.source import RampSource

TIMEOUT_S = 25.0
ROLES = (Role.SACRUM, Role.LUMBAR)


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro_fn(), TIMEOUT_S)

    asyncio.run(bounded())


class Collector:
    """Runs the hub through a decoding session in a task, keeping everything by role."""

    def __init__(self, hub: SensorHub) -> None:
        self.hub = hub
        self.batches: dict[Role, list[SampleBatch]] = {r: [] for r in ROLES}
        self.payloads: dict[Role, list[bytes]] = {r: [] for r in ROLES}
        self.states: list[LinkChanged] = []
        self.statuses: list[Notification] = []
        self.segments: list[StreamStarted] = []
        self.session = Session(None, session_start_ns=hub.session_start_ns, roles=hub.roles)
        self.session.batch_listeners.append(lambda b: self.batches[b.role].append(b))
        self.session.event_listeners.append(self._keep)
        self.task = asyncio.create_task(run_source(hub, self.session))

    def _keep(self, event: object) -> None:
        if isinstance(event, Notification):
            if event.channel is Channel.DATA:
                self.payloads[event.role].append(event.payload)
            else:
                self.statuses.append(event)
        elif isinstance(event, LinkChanged):
            self.states.append(event)
        elif isinstance(event, StreamStarted):
            self.segments.append(event)

    def samples(self, role: Role) -> int:
        return sum(len(b) for b in self.batches[role])

    def stats(self, role: Role):  # type: ignore[no-untyped-def]
        return self.session.stats[role]

    async def until(self, predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not predicate():
                await asyncio.sleep(0.02)


def assert_matches_source(batches: list[SampleBatch], role: Role, start: StartParams) -> None:
    assert batches
    joined = SampleBatch.concat(batches)
    expected = RampSource().expected(role, joined.index)
    raw, _ = encode_samples(expected.acc_m_s2, expected.gyr_rad_s, start.acc_range, start.gyr_range)
    np.testing.assert_allclose(joined.acc_m_s2, raw[:, :3] * acc_lsb_m_s2(start.acc_range))
    np.testing.assert_allclose(joined.gyr_rad_s, raw[:, 3:6] * gyr_lsb_rad_s(start.gyr_range))
    assert np.all(np.diff(joined.t_s) > 0)


def test_scan_finds_both_sensors_with_role_and_battery() -> None:
    async def body() -> None:
        radio = VirtualRadio()
        try:
            await start_virtual_sensors(radio, RampSource(), VirtualRigConfig())
            backends = await radio.bleak_backends()
            found = await discover_sensors(2.0, scanner_backend=backends.scanner)
            assert [(f.role, f.name) for f in found] == [
                (Role.SACRUM, "winkmon-S-1A2B"),
                (Role.LUMBAR, "winkmon-L-3C4D"),
            ]
            assert all(f.rssi == -50 for f in found)
            with_battery = await read_battery(found[0], client_backend=backends.client)
            assert with_battery.battery_pct == 87
            # and through bleak's own discover, filtered on the service
            devices = await BleakScanner.discover(
                timeout=0.2, service_uuids=[SERVICE_UUID], backend=backends.scanner
            )
            assert len(devices) == 2
        finally:
            await radio.close()

    run(body)


@pytest.mark.parametrize("mtu", [247, 23])
def test_connect_both_stream_integrity_and_mtu(mtu: int) -> None:
    async def body() -> None:
        async with open_virtual_rig(VirtualRigConfig(mtu=mtu)) as rig:
            hub = rig.hub
            events = Collector(hub)
            await events.until(lambda: all(events.samples(r) >= 150 for r in ROLES))
            status = await hub.buzz(Role.SACRUM, BuzzPattern.TRIPLE_LONG, 600)
            assert status is CtrlStatus.OK
            assert rig.sensors[Role.SACRUM].stats.buzzes == [(2, 600)]
            for role in ROLES:
                assert hub.links[role].is_connected
                assert hub.counters(role).mtu == mtu
                stats = events.stats(role)
                assert stats.samples_lost == 0
                assert stats.notifications_lost == 0
                assert stats.frames_bad == 0
                assert events.session.sensors[role].battery_pct == 87
                assert_matches_source(events.batches[role], role, hub.config.start)
                types = {p[0] for p in events.payloads[role]}
                sizes = [len(p) for p in events.payloads[role]]
                if mtu == 23:
                    assert FrameType.DATA_COMPACT in types  # plus anchors
                    assert max(sizes) <= 20
                else:
                    assert types == {FrameType.DATA}
                    assert max(sizes) > 20
            starts = [(e.role, e.decoder, e.rate_hz, e.reason) for e in events.segments]
            rate = float(hub.config.start.rate_hz)
            assert sorted(starts) == [(r, "winkmon", rate, "start") for r in ROLES]
        await events.task

    run(body)


def test_loss_accounting_with_injected_drops() -> None:
    async def body() -> None:
        faults = {
            Role.LUMBAR: FaultConfig(drop_seqs=frozenset({4, 5, 12})),
            Role.SACRUM: FaultConfig(drop_probability=0.1, seed=3),
        }
        async with open_virtual_rig(VirtualRigConfig(faults=faults)) as rig:
            events = Collector(rig.hub)
            await events.until(lambda: all(events.samples(r) >= 250 for r in ROLES))
            lumbar = events.stats(Role.LUMBAR)
            sensor = rig.sensors[Role.LUMBAR].stats
            assert sensor.notifications_dropped == 3
            assert lumbar.notifications_lost == 3
            assert lumbar.samples_lost == sensor.samples_dropped > 0
            sacrum = events.stats(Role.SACRUM)
            dropped = rig.sensors[Role.SACRUM].stats
            assert dropped.notifications_dropped > 0
            # a drop at the very tail is not visible yet
            assert dropped.notifications_dropped - 2 <= sacrum.notifications_lost
            assert sacrum.notifications_lost <= dropped.notifications_dropped
            assert 0 < sacrum.samples_lost <= dropped.samples_dropped
            assert sacrum.loss_pct > 0
            for role in ROLES:
                assert_matches_source(events.batches[role], role, rig.hub.config.start)
        await events.task

    run(body)


def test_malformed_notifications_are_counted_and_stream_survives() -> None:
    async def body() -> None:
        faults = {Role.SACRUM: FaultConfig(malformed_before_seqs=frozenset({3, 10, 11}))}
        async with open_virtual_rig(VirtualRigConfig(faults=faults)) as rig:
            events = Collector(rig.hub)
            await events.until(lambda: events.samples(Role.SACRUM) >= 200)
            counters = events.stats(Role.SACRUM)
            assert rig.sensors[Role.SACRUM].stats.malformed_sent == 3
            assert counters.frames_bad == 3
            assert counters.last_error
            assert counters.samples_lost == 0 and counters.notifications_lost == 0
            assert_matches_source(events.batches[Role.SACRUM], Role.SACRUM, rig.hub.config.start)
        await events.task

    run(body)


def test_peripheral_disconnect_reconnects_and_marks_gap() -> None:
    async def body() -> None:
        faults = {Role.LUMBAR: FaultConfig(disconnect_after_s=0.4)}
        config = VirtualRigConfig(faults=faults)
        async with open_virtual_rig(config) as rig:
            events = Collector(rig.hub)

            def lumbar_states() -> list[LinkState]:
                return [e.state for e in events.states if e.role is Role.LUMBAR]

            await events.until(
                lambda: lumbar_states()[-2:] == [LinkState.RECONNECTING, LinkState.CONNECTED]
            )
            at_reconnect = events.samples(Role.LUMBAR)
            sacrum_at_reconnect = events.samples(Role.SACRUM)
            await events.until(lambda: events.samples(Role.LUMBAR) >= at_reconnect + 100)
            lumbar = rig.hub.counters(Role.LUMBAR)
            assert lumbar.reconnects == 1
            assert lumbar.gap_s_total > 0
            assert rig.sensors[Role.LUMBAR].stats.starts == 2
            reconnected = [e for e in events.states if e.state is LinkState.CONNECTED]
            assert "gap" in reconnected[-1].detail
            # the session goes on: counters carry over, both sensors keep streaming
            assert events.stats(Role.LUMBAR).samples_received == events.samples(Role.LUMBAR)
            assert events.stats(Role.LUMBAR).restarts == 1
            assert [e.reason for e in events.segments if e.role is Role.LUMBAR] == [
                "start",
                "reconnect",
            ]
            assert events.samples(Role.SACRUM) > sacrum_at_reconnect
            assert rig.hub.counters(Role.SACRUM).reconnects == 0
            # each segment decodes to what the source produced (indices restart at 0)
            batches = events.batches[Role.LUMBAR]
            split = next(
                i for i, b in enumerate(batches) if i and b.index[0] < batches[i - 1].index[0]
            )
            assert_matches_source(batches[:split], Role.LUMBAR, rig.hub.config.start)
            assert_matches_source(batches[split:], Role.LUMBAR, rig.hub.config.start)
            # session time keeps going forward across the gap
            t_before = batches[split - 1].t_s[-1]
            assert batches[split].t_s[0] > t_before
        await events.task

    run(body)


def test_incompatible_protocol_version_is_refused() -> None:
    async def body() -> None:
        config = VirtualRigConfig(protocol_version={Role.LUMBAR: 2})
        async with open_virtual_rig(config, connect=False) as rig:
            with pytest.raises(BleError) as excinfo:
                await rig.hub.connect()
            message = str(excinfo.value)
            assert "lumbar" in message
            assert "version 2" in message and "version 1" in message
            # what was opened is closed again
            await asyncio.sleep(0.1)
            assert not rig.sensors[Role.SACRUM].is_connected

    run(body)


def test_explicit_addresses_and_role_binding() -> None:
    async def body() -> None:
        # The sensors were stored the other way round: the hub binds them by address and
        # writes the role it bound them to.
        hub_config = HubConfig(sacrum="D0:5E:AA:00:00:02", lumbar="D0:5E:AA:00:00:01")
        config = VirtualRigConfig(hub=hub_config)
        async with open_virtual_rig(config) as rig:
            assert rig.sensors[Role.SACRUM].role is Role.LUMBAR
            assert rig.sensors[Role.LUMBAR].role is Role.SACRUM
            assert rig.hub.links[Role.SACRUM].address == "D0:5E:AA:00:00:02"

    run(body)


def test_missing_sensor_is_a_clear_error() -> None:
    async def body() -> None:
        radio = VirtualRadio()
        try:
            backends = await radio.bleak_backends()
            hub = SensorHub(
                HubConfig(scan_timeout_s=0.3),
                client_backend=backends.client,
                scanner_backend=backends.scanner,
            )
            with pytest.raises(BleError, match="no sacrum sensor found"):
                await hub.connect()
        finally:
            await radio.close()

    run(body)


def test_one_sensor_session_connects_only_the_sacrum() -> None:
    """An athlete with one sensor (or a flat lumbar one): the hub connects the sacrum sensor
    alone, through bleak and bumble, and the session's pipeline gives depth with no angle."""
    from winkmon.pipeline.model import AthleteModel
    from winkmon.pipeline.pipeline import Pipeline

    async def body() -> None:
        config = VirtualRigConfig(hub=HubConfig(roles=(Role.SACRUM,)))
        async with open_virtual_rig(config) as rig:
            hub = rig.hub
            assert set(hub.links) == {Role.SACRUM}
            pipeline = Pipeline(
                AthleteModel.uncalibrated(), {Role.SACRUM: float(hub.config.start.rate_hz)}
            )
            steps: list[StepResult] = []
            session = Session(pipeline, session_start_ns=hub.session_start_ns)
            session.step_listeners.append(steps.append)
            assert set(session.sensors) == {Role.SACRUM}
            stop = asyncio.Event()
            runner = asyncio.ensure_future(run_source(hub, session, stop))
            async with asyncio.timeout(10.0):
                while sum(len(s.angles) for s in steps) < 100:
                    await asyncio.sleep(0.02)
            stop.set()
            await runner
            assert hub.links[Role.SACRUM].is_connected
            assert not rig.sensors[Role.LUMBAR].stats.connections
            depth = np.concatenate([s.angles.depth_cm for s in steps])
            angle = np.concatenate([s.angles.lumbopelvic_deg for s in steps])
            assert np.isfinite(depth).any() and np.isnan(angle).all()

    run(body)

    with pytest.raises(ValueError):
        HubConfig(roles=())
