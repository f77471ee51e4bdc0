"""The hub with sensors of different kinds: found by scanning, bound per role, and
``winkmon scan`` listing every kind."""

from __future__ import annotations

import pytest
from tests.drivers.live import run

from winkmon.ble.config import HubConfig
from winkmon.ble.driver_link import DriverLink
from winkmon.ble.hub import SensorHub
from winkmon.cli import main
from winkmon.errors import BleError
from winkmon.protocol.constants import BuzzPattern, CtrlStatus, Role
from winkmon.session.contract import LinkChanged, LinkState, StreamStarted
from winkmon.virtual.kinds import emulator_entry
from winkmon.virtual.radio import VirtualRadio
from winkmon.virtual.source import RampSource
from winkmon.virtual.vendor import EmulatorConfig


def test_a_vendor_sensor_without_an_address_is_found_by_its_service() -> None:
    async def body() -> None:
        radio = VirtualRadio()
        try:
            await emulator_entry("movella-dot").start(
                radio, RampSource(), Role.SACRUM, EmulatorConfig()
            )
            backends = await radio.bleak_backends()
            config = HubConfig(
                roles=(Role.SACRUM,), kinds={Role.SACRUM: "movella-dot"}, scan_timeout_s=2.0
            )
            hub = SensorHub(
                config, client_backend=backends.client, scanner_backend=backends.scanner
            )
            async with hub:
                assert isinstance(hub.links[Role.SACRUM], DriverLink)
                assert hub.links[Role.SACRUM].address == "E0:5E:AA:00:00:01"
                # vendor sensors have no motor winkmon drives
                assert (
                    await hub.buzz(Role.SACRUM, BuzzPattern.TRIPLE_LONG) is CtrlStatus.UNSUPPORTED
                )
                events = []
                async for e in hub.events():
                    events.append(e)
                    if isinstance(e, LinkChanged) and e.state is LinkState.CONNECTED:
                        break
                started = [e for e in events if isinstance(e, StreamStarted)]
                assert started[0].decoder == "movella-dot/1" and started[0].rate_hz == 60.0
                assert started[0].info["kind"] == "movella-dot"
        finally:
            await radio.close()

    run(body, 30.0)


def test_two_vendor_sensors_of_one_kind_need_addresses() -> None:
    async def body() -> None:
        config = HubConfig(kinds={Role.SACRUM: "witmotion", Role.LUMBAR: "witmotion"})
        with pytest.raises(BleError, match="two witmotion sensors: give both addresses"):
            await SensorHub(config).connect()

    run(body, 10.0)


def test_scan_lists_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--virtual", "--battery", "--timeout", "1"]) == 0
    out = capsys.readouterr().out
    for kind in ("winkmon", "polar-verity", "metamotion", "movella-dot", "witmotion"):
        assert kind in out
    assert "Polar Sense B5A9C12E" in out and "MetaWear" in out
