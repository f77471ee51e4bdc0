"""MetaMotion RL (MetaWear, BMI160): register vectors, packed pairing, and the driver against
the emulator through bleak and bumble (start, data = truth, refusal, reconnect, replay)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bleak import BleakClient
from tests.drivers.live import assert_replays_identically, live_session, run

from winkmon.clock import EnvelopeClock
from winkmon.drivers.metamotion import protocol as mw
from winkmon.drivers.metamotion.decoder import DECODER_NAME, MetaMotionDecoder
from winkmon.drivers.metamotion.driver import MetaMotionDriver
from winkmon.drivers.metamotion.emulator import MetaMotionEmulator
from winkmon.errors import BleError
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2, Role
from winkmon.session.contract import StreamStarted
from winkmon.virtual.kinds import open_kind_rig
from winkmon.virtual.source import RampSource

G = STANDARD_GRAVITY_M_S2


def test_start_commands_are_the_documented_bytes() -> None:
    got = [c.hex(" ") for c in mw.start_commands(200.0, 8, 2000)]
    assert got == [
        "03 03 29 08",
        "13 03 29 00",
        "03 1c 01",
        "13 07 01",
        "03 02 01 00",
        "13 02 01 00",
        "13 01 01",
        "03 01 01",
    ]
    assert mw.info_read(mw.MODULE_ACC).hex(" ") == "03 80"


def test_a_hand_computed_packed_acc_notification() -> None:
    # 3 samples at ±8 g (4096 LSB/g): (0, 0, 1 g) = (0, 0, 4096 = 0x1000), (1 g, 0, 0), (0,-1 g,0)
    raw = bytes.fromhex("031c" + "000000000010" + "001000000000" + "000000f00000")
    module, counts = mw.decode_packed(raw)
    assert module == mw.MODULE_ACC
    assert counts.tolist() == [[0, 0, 4096], [4096, 0, 0], [0, -4096, 0]]
    np.testing.assert_allclose(mw.acc_m_s2(counts, 8)[0], [0, 0, G])
    assert mw.encode_packed(mw.MODULE_ACC, counts) == raw


def _decoder() -> MetaMotionDecoder:
    started = StreamStarted(Role.SACRUM, 0, DECODER_NAME, 200.0, {"acc_range_g": 8})
    return MetaMotionDecoder(started, EnvelopeClock, 0)


def test_packed_acc_and_gyro_are_paired_and_a_lost_partner_is_counted() -> None:
    dec = _decoder()
    acc = mw.encode_packed(mw.MODULE_ACC, np.array([[0, 0, 4096]] * 3))
    gyr = mw.encode_packed(mw.MODULE_GYRO, np.array([[164, 0, 0]] * 3))  # 10 deg/s
    t = 15_000_000
    assert dec.feed(t, acc) is None
    first = dec.feed(t + 1, gyr)
    assert first is not None and first.index.tolist() == [0, 1, 2]
    np.testing.assert_allclose(np.degrees(first.gyr_rad_s[0]), [10.0, 0, 0])
    # the next GYRO packet is lost: its ACC is dropped when the following ACC comes
    dec.feed(2 * t, acc)
    dec.feed(3 * t, acc)
    third = dec.feed(3 * t + 1, gyr)
    assert third is not None and third.index.tolist() == [6, 7, 8] and third.gap_before == 3
    assert dec.stats.samples_lost == 3
    assert np.all(np.diff(third.t_dev_us) == 5000)


def test_metamotion_streams_the_truth_at_200_hz_through_bleak() -> None:
    source = RampSource()

    async def body() -> None:
        live = await live_session({Role.LUMBAR: "metamotion"}, source, 2.5)
        assert live.session is not None
        got = live.samples(Role.LUMBAR)
        assert len(got) > 300 and got.index[0] == 0
        truth = source.expected(Role.LUMBAR, got.index)
        assert np.abs(got.acc_m_s2 - truth.acc_m_s2).max() <= 0.5 / 4096 * G + 1e-9
        assert np.abs(np.degrees(got.gyr_rad_s - truth.gyr_rad_s)).max() <= 0.5 / 16.4 + 1e-9
        view = live.session.sensors[Role.LUMBAR]
        assert view.decoder == DECODER_NAME and view.rate_hz == 200.0
        assert view.battery_pct == 80.0

    run(body, 60.0)


def test_a_rate_the_board_does_not_take_gives_a_clear_error() -> None:
    async def body() -> None:
        async with open_kind_rig({Role.SACRUM: "metamotion"}, RampSource(), connect=False) as rig:
            emulator = rig.sensors[Role.SACRUM]
            assert isinstance(emulator, MetaMotionEmulator)
            emulator.rates_hz = (25.0, 50.0, 100.0)
            async with BleakClient(emulator.address, backend=rig.backends.client) as client:
                with pytest.raises(BleError, match="did not take the 200 Hz configuration"):
                    await MetaMotionDriver().start(client, lambda _b: None)

    run(body, 30.0)


def test_metamotion_live_equals_replay_across_loss_and_a_reconnect(tmp_path: Path) -> None:
    from winkmon.virtual.vendor import EmulatorConfig

    path = tmp_path / "mw.winkmon"
    options = {
        Role.SACRUM: EmulatorConfig(drop_probability=0.02, seed=3),
        Role.LUMBAR: EmulatorConfig(seed=4),
    }

    async def body() -> None:
        live = await live_session(
            {Role.SACRUM: "metamotion", Role.LUMBAR: "metamotion"},
            RampSource(),
            6.0,
            path,
            options,
            outages=((Role.LUMBAR, 2.0, 1.0),),
        )
        assert live.session is not None
        assert live.session.stats[Role.LUMBAR].restarts == 1
        assert live.session.stats[Role.SACRUM].samples_lost > 0
        assert_replays_identically(live, path)

    run(body, 90.0)
