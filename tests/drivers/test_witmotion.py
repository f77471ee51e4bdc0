"""WitMotion BWT901BLE: packet vectors, reassembly, and the driver against the emulator through
bleak and bumble (rate set and read back, refusal, data = truth, reconnect, replay)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bleak import BleakClient
from tests.drivers.live import assert_replays_identically, live_session, run

from winkmon.clock import EnvelopeClock
from winkmon.drivers.witmotion import protocol as wit
from winkmon.drivers.witmotion.decoder import DECODER_NAME, WitMotionDecoder
from winkmon.drivers.witmotion.driver import WitMotionDriver
from winkmon.drivers.witmotion.emulator import WitMotionEmulator
from winkmon.errors import BleError
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2, Role
from winkmon.session.contract import StreamStarted
from winkmon.virtual.kinds import open_kind_rig
from winkmon.virtual.source import RampSource

G = STANDARD_GRAVITY_M_S2

# A packet computed by hand: acc (0, 0, 1 g) = (0, 0, 2048) -> 00 00 00 00 00 08;
# gyro (0, 0, -100 deg/s) = (0, 0, -1638.4 -> -1638 = 0xF99A) -> 00 00 00 00 9A F9; angles 0.
PACKET = bytes.fromhex("5561" + "000000000008" + "000000009af9" + "000000000000")


def test_commands_are_the_documented_bytes() -> None:
    assert wit.unlock_command().hex(" ") == "ff aa 69 88 b5"
    assert wit.save_command().hex(" ") == "ff aa 00 00 00"
    assert wit.write_register(wit.REG_RATE, wit.rate_code(200)).hex(" ") == "ff aa 03 0b 00"
    assert wit.read_register_command(0x03).hex(" ") == "ff aa 27 03 00"


def test_a_hand_computed_packet_encodes_and_decodes() -> None:
    acc = np.array([[0.0, 0.0, G]])
    gyr = np.radians(np.array([[0.0, 0.0, -100.0]]))
    assert wit.encode_packets(acc, gyr) == PACKET
    got = wit.PacketStream().feed(PACKET)
    np.testing.assert_allclose(got.acc_m_s2, acc)
    np.testing.assert_allclose(np.degrees(got.gyr_rad_s), [[0, 0, -1638 * 2000 / 32768]])


def test_packets_split_across_notifications_and_register_replies_are_reassembled() -> None:
    stream = wit.PacketStream()
    reply = wit.encode_register_reply(0x03, [0x0B])
    raw = PACKET + reply + PACKET
    first = stream.feed(raw[:27])
    second = stream.feed(raw[27:])
    assert len(first.acc_m_s2) == 1 and len(second.acc_m_s2) == 1
    assert second.registers == [reply] and reply[4] == 0x0B


def test_decoder_times_samples_by_count_and_skips_garbage() -> None:
    started = StreamStarted(Role.LUMBAR, 0, DECODER_NAME, 200.0, {})
    dec = WitMotionDecoder(started, EnvelopeClock, 0)
    b1 = dec.feed(50_000_000, PACKET * 10)
    b2 = dec.feed(100_000_000, PACKET * 10)
    assert b1 is not None and b2 is not None
    assert b2.index.tolist() == list(range(10, 20))
    assert np.all(np.diff(np.concatenate([b1.t_dev_us, b2.t_dev_us])) == 5000)
    assert dec.feed(150_000_000, b"\x01\x02\x03") is None
    assert dec.stats.frames_bad == 1


def _aligned_error(got_acc: np.ndarray, got_index: np.ndarray, source: RampSource) -> float:
    """Host-timed streams number samples from the first one the host kept: find the shift."""
    best = np.inf
    for shift in range(0, 1000):
        truth = source.expected(Role.SACRUM, got_index[:50] + shift).acc_m_s2
        err = float(np.abs(truth - got_acc[:50]).max())
        if err < best:
            best, best_shift = err, shift
    truth = source.expected(Role.SACRUM, got_index + best_shift).acc_m_s2
    return float(np.abs(truth - got_acc).max())


def test_witmotion_streams_the_truth_at_200_hz_through_bleak() -> None:
    source = RampSource()

    async def body() -> None:
        live = await live_session({Role.SACRUM: "witmotion"}, source, 2.5)
        assert live.session is not None
        got = live.samples(Role.SACRUM)
        assert len(got) > 300
        assert _aligned_error(got.acc_m_s2, got.index, source) <= 8 / 32768 * G + 1e-9
        view = live.session.sensors[Role.SACRUM]
        assert view.decoder == DECODER_NAME and view.rate_hz == 200.0
        # 200 Hz: about 5 ms apart once the envelope has settled
        assert np.median(np.diff(got.t_s)) == pytest.approx(0.005, abs=2e-4)

    run(body, 60.0)


def test_a_rate_the_firmware_does_not_take_gives_a_clear_error() -> None:
    async def body() -> None:
        async with open_kind_rig({Role.SACRUM: "witmotion"}, RampSource(), connect=False) as rig:
            emulator = rig.sensors[Role.SACRUM]
            assert isinstance(emulator, WitMotionEmulator)
            emulator.max_rate_code = 0x09  # an older firmware: 100 Hz at most
            async with BleakClient(emulator.address, backend=rig.backends.client) as client:
                with pytest.raises(BleError, match=r"refused the 200 Hz output rate.*10 Hz"):
                    await WitMotionDriver().start(client, lambda _b: None)

    run(body, 30.0)


def test_witmotion_live_equals_replay_across_a_reconnect(tmp_path: Path) -> None:
    path = tmp_path / "wit.winkmon"

    async def body() -> None:
        live = await live_session(
            {Role.SACRUM: "polar-verity", Role.LUMBAR: "witmotion"},
            RampSource(),
            6.0,
            path,
            outages=((Role.LUMBAR, 2.0, 1.0),),
        )
        assert live.session is not None
        assert live.session.stats[Role.LUMBAR].restarts == 1
        assert_replays_identically(live, path)

    run(body, 90.0)
