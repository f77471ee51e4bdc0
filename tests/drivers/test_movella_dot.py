"""Movella DOT: payload vectors, the 32-bit µs clock wrapping, and the driver against the
emulator through bleak and bumble (rate set and checked, refusal, data = truth, replay)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from bleak import BleakClient
from tests.drivers.live import assert_replays_identically, live_session, run

from winkmon.clock import EnvelopeClock
from winkmon.drivers.movella_dot import protocol as dot
from winkmon.drivers.movella_dot.decoder import DECODER_NAME, MovellaDotDecoder
from winkmon.drivers.movella_dot.driver import DotParams, MovellaDotDriver
from winkmon.errors import BleError, FrameError
from winkmon.protocol.constants import Role
from winkmon.session.contract import StreamStarted
from winkmon.virtual.kinds import open_kind_rig
from winkmon.virtual.source import RampSource


def test_commands_are_the_documented_bytes() -> None:
    assert dot.start_command().hex(" ") == "01 01 15"
    assert dot.stop_command().hex(" ") == "01 00 15"
    rate = dot.set_rate_command(60)
    assert len(rate) == 32 and rate[0] == 0x10 and rate[24:26] == bytes([60, 0])
    assert dot.MEDIUM_PAYLOAD_UUID == "15172003-4947-11e9-8646-d663bd873d93"


def test_a_hand_computed_payload_decodes() -> None:
    # t = 0x01020304 µs; acc (0, 0, 9.5) m/s²; gyro (1.5, 0, -2) deg/s, float32 LE
    raw = bytes.fromhex("04030201") + struct.pack("<6f", 0.0, 0.0, 9.5, 1.5, 0.0, -2.0)
    rq = dot.decode_rate_quantities(raw)
    assert rq.t_us == 0x01020304 and rq.acc_m_s2 == (0.0, 0.0, 9.5)
    assert rq.gyr_dps == (1.5, 0.0, -2.0)
    with pytest.raises(FrameError):
        dot.decode_rate_quantities(raw[:-1])


def test_the_microsecond_clock_is_unwrapped_after_71_minutes() -> None:
    started = StreamStarted(Role.SACRUM, 0, DECODER_NAME, 60.0, {})
    dec = MovellaDotDecoder(started, EnvelopeClock, 0)
    period = 16_667
    t0 = (1 << 32) - 2 * period  # two samples before the wrap
    out = []
    for k in range(5):
        t = (t0 + k * period) & 0xFFFFFFFF
        raw = dot.encode_rate_quantities(t, np.zeros(3), np.zeros(3))
        b = dec.feed(10**9 + k * period * 1000, raw)
        assert b is not None
        out.append(int(b.t_dev_us[0]))
    assert np.all(np.diff(out) == period)
    assert out[-1] > 1 << 32 and dec.stats.samples_lost == 0


def test_dot_streams_the_truth_at_60_hz_through_bleak() -> None:
    source = RampSource()

    async def body() -> None:
        live = await live_session({Role.SACRUM: "movella-dot"}, source, 2.5)
        assert live.session is not None
        got = live.samples(Role.SACRUM)
        assert len(got) > 100 and got.index[0] == 0
        truth = source.expected(Role.SACRUM, got.index)
        # float32 on the wire
        np.testing.assert_allclose(got.acc_m_s2, truth.acc_m_s2, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(got.gyr_rad_s, truth.gyr_rad_s, rtol=1e-6, atol=1e-6)
        view = live.session.sensors[Role.SACRUM]
        assert view.decoder == DECODER_NAME and view.rate_hz == 60.0
        assert view.battery_pct == 80.0

    run(body, 60.0)


def test_a_recording_only_rate_gives_a_clear_error() -> None:
    async def body() -> None:
        async with open_kind_rig({Role.SACRUM: "movella-dot"}, RampSource(), connect=False) as rig:
            address = rig.sensors[Role.SACRUM].address
            async with BleakClient(address, backend=rig.backends.client) as client:
                with pytest.raises(BleError, match="refused the 120 Hz output rate"):
                    await MovellaDotDriver(DotParams(rate_hz=120)).start(client, lambda _b: None)

    run(body, 30.0)


def test_dot_live_equals_replay_across_loss_and_a_reconnect(tmp_path: Path) -> None:
    from winkmon.virtual.kinds import DEFAULT_CLOCK_OFFSET_NS
    from winkmon.virtual.vendor import EmulatorConfig

    path = tmp_path / "dot.winkmon"
    options = {
        r: EmulatorConfig(
            clock_offset_ns=DEFAULT_CLOCK_OFFSET_NS[r], drop_probability=0.03, seed=int(r)
        )
        for r in (Role.SACRUM, Role.LUMBAR)
    }

    async def body() -> None:
        live = await live_session(
            {Role.SACRUM: "movella-dot", Role.LUMBAR: "movella-dot"},
            RampSource(),
            6.0,
            path,
            options,
            outages=((Role.SACRUM, 2.0, 1.0),),
        )
        assert live.session is not None
        assert live.session.stats[Role.SACRUM].restarts == 1
        assert live.session.stats[Role.LUMBAR].samples_lost > 0
        assert_replays_identically(live, path)

    run(body, 90.0)
