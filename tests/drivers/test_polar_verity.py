"""Polar Verity Sense: PMD vectors, the decoder, and the driver against the emulator through
bleak and bumble (start, data = truth within quantisation, refusal, reconnect, replay)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.drivers.live import assert_replays_identically, live_session, run

from winkmon.clock import EnvelopeClock
from winkmon.drivers.polar_verity import protocol as pmd
from winkmon.drivers.polar_verity.decoder import DECODER_NAME, PolarVerityDecoder
from winkmon.drivers.polar_verity.driver import PolarVerityDriver, VerityParams
from winkmon.errors import BleError, FrameError
from winkmon.protocol.constants import STANDARD_GRAVITY_M_S2, Role
from winkmon.session.contract import StreamStarted
from winkmon.virtual.kinds import open_kind_rig
from winkmon.virtual.source import RampSource

# ---------------------------------------------------------------------- vectors


def test_start_command_is_the_documented_acc_52_hz_command() -> None:
    cmd = pmd.start_command(pmd.Measurement.ACC, 52, 8)
    assert cmd.hex(" ") == "02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03"
    gyro = pmd.start_command(pmd.Measurement.GYRO, 52, 2000)
    assert gyro.hex(" ") == "02 05 00 01 34 00 01 01 10 00 02 01 d0 07 04 01 03"
    assert pmd.sdk_mode_command(True) == bytes([0x02, 0x09])
    assert pmd.stop_command(pmd.Measurement.ACC) == bytes([0x03, 0x02])


def test_the_sdk_gyro_vector_decodes_to_its_samples() -> None:
    """The Polar SDK's own GyrDataTest frame (compressed type 0, 3-bit deltas)."""
    frame = bytes.fromhex("05 ffffffffffffff7f 80 eaff 0800 0d00 03 01 df 00".replace(" ", ""))
    got = pmd.decode_frame(frame)
    assert got.measurement == 5 and got.frame_type == 0x80
    assert got.t_last_ns == 9223372036854775807
    assert got.samples.tolist() == [[-22, 8, 13], [-23, 11, 16]]


def test_a_hand_computed_acc_frame_round_trips() -> None:
    # deltas (1, -1, 2) at 3 bits, LSB first: 001 111 010 -> bits 1,0,0,1,1,1,0,1,0
    # -> byte 0 = 0b10111001 = 0xB9, byte 1 = 0x00
    samples = np.array([[1000, -2, 0], [1001, -3, 2]])
    frame = pmd.encode_frame(pmd.Measurement.ACC, 123_456_789, pmd.ACC_FRAME_TYPE, samples)
    expected = "02" + (123_456_789).to_bytes(8, "little").hex() + "81" + "e803feff0000" + "0301b900"
    assert frame.hex() == expected
    assert pmd.decode_frame(frame).samples.tolist() == samples.tolist()


def test_delta_blocks_of_any_width_round_trip() -> None:
    rng = np.random.default_rng(1)
    samples = np.cumsum(rng.integers(-3000, 3000, size=(50, 3)), axis=0)
    payload = pmd.encode_delta(samples, 16, block=7)
    np.testing.assert_array_equal(pmd.decode_delta(payload, 3, 16), samples)


def test_settings_and_replies() -> None:
    params = pmd.encode_settings({pmd.Setting.FACTOR: (0.5,)})
    assert params.hex() == "0501" + "0000003f"
    reply = pmd.Response(2, 5, 0, False, params)
    assert bytes(reply).hex() == "f0020500000501" + "0000003f"
    back = pmd.Response.from_bytes(bytes(reply))
    assert pmd.decode_settings(back.params)[pmd.Setting.FACTOR] == (0.5,)
    refused = pmd.Response.from_bytes(bytes([0xF0, 2, 2, 8]))
    assert refused.status_name == "INVALID_SAMPLE_RATE"


def test_truncated_frames_are_refused() -> None:
    with pytest.raises(FrameError):
        pmd.decode_frame(bytes(5))
    frame = pmd.encode_frame(2, 0, pmd.ACC_FRAME_TYPE, np.array([[1, 2, 3], [4, 5, 6]]))
    with pytest.raises(FrameError):
        pmd.decode_frame(frame[:-1])


# ---------------------------------------------------------------------- decoder


def _started(rate: float = 208.0) -> StreamStarted:
    return StreamStarted(
        Role.SACRUM, 0, DECODER_NAME, rate, {"acc_factor": 1.0, "gyro_factor": 0.5}
    )


def test_decoder_pairs_acc_and_gyro_and_counts_a_lost_frame() -> None:
    dec = PolarVerityDecoder(_started(), EnvelopeClock, 0)
    period = round(1e9 / 208)
    t0 = 5_000_000_000
    acc = np.array([[0, 0, 1000]] * 4)
    gyr = np.array([[2, -2, 4]] * 4)
    out = []
    for f in range(3):
        t_last = t0 + (f * 4 + 3) * period
        if f == 1:
            continue  # both frames of the second batch lost
        for m, ft, s in ((2, pmd.ACC_FRAME_TYPE, acc), (5, pmd.GYRO_FRAME_TYPE, gyr)):
            b = dec.feed(t_last // 1000 + 20_000_000 + f, pmd.encode_frame(m, t_last, ft, s))
            if b is not None:
                out.append(b)
    assert [len(b) for b in out] == [4, 4]
    assert out[1].index.tolist() == [8, 9, 10, 11] and out[1].gap_before == 4
    assert dec.stats.samples_lost == 4 and dec.stats.samples_received == 8
    np.testing.assert_allclose(out[0].acc_m_s2[0], [0, 0, STANDARD_GRAVITY_M_S2])
    np.testing.assert_allclose(np.degrees(out[0].gyr_rad_s[0]), [1.0, -1.0, 2.0])
    assert out[0].t_dev_us[-1] == (t0 + 3 * period) // 1000


def test_decoder_counts_a_malformed_frame_and_carries_on() -> None:
    dec = PolarVerityDecoder(_started(), EnvelopeClock, 0)
    assert dec.feed(1, b"\x02\x00") is None
    assert dec.stats.frames_bad == 1 and "PMD" in dec.stats.last_error


# ---------------------------------------------------------------------- through bleak


def test_verity_streams_the_truth_at_208_hz_through_bleak() -> None:
    source = RampSource()

    async def body() -> None:
        live = await live_session({Role.SACRUM: "polar-verity"}, source, 2.5)
        assert live.session is not None
        got = live.samples(Role.SACRUM)
        assert len(got) > 350
        truth = source.expected(Role.SACRUM, got.index)
        # quantisation: 1 mG and 2000/32768 deg/s per LSB (half of each, rounded)
        assert np.abs(got.acc_m_s2 - truth.acc_m_s2).max() <= 0.5e-3 * STANDARD_GRAVITY_M_S2 + 1e-9
        assert np.abs(np.degrees(got.gyr_rad_s - truth.gyr_rad_s)).max() <= 2000 / 32768 / 2 + 1e-9
        assert got.index[0] == 0 and np.all(np.diff(got.index) == 1)
        view = live.session.sensors[Role.SACRUM]
        assert view.decoder == DECODER_NAME and view.rate_hz == 208.0
        assert view.battery_pct == 80.0
        assert np.all(np.diff(got.t_s) > 0)

    run(body, 60.0)


def test_a_rate_the_verity_refuses_gives_a_clear_error() -> None:
    async def body() -> None:
        async with open_kind_rig({Role.SACRUM: "polar-verity"}, RampSource(), connect=False) as rig:
            from bleak import BleakClient

            async with BleakClient(
                rig.sensors[Role.SACRUM].address, backend=rig.backends.client
            ) as client:
                driver = PolarVerityDriver(VerityParams(rate_hz=100))
                with pytest.raises(
                    BleError, match=r"refused .start ACC 100 Hz.*INVALID_SAMPLE_RATE"
                ):
                    await driver.start(client, lambda _b: None)

    run(body, 30.0)


def test_verity_live_equals_replay_across_loss_and_a_reconnect(tmp_path: Path) -> None:
    from winkmon.virtual.kinds import DEFAULT_CLOCK_OFFSET_NS
    from winkmon.virtual.vendor import EmulatorConfig

    path = tmp_path / "verity.winkmon"
    options = {
        r: EmulatorConfig(
            clock_offset_ns=DEFAULT_CLOCK_OFFSET_NS[r], drop_probability=0.03, seed=int(r)
        )
        for r in (Role.SACRUM, Role.LUMBAR)
    }

    async def body() -> None:
        live = await live_session(
            {Role.SACRUM: "polar-verity", Role.LUMBAR: "polar-verity"},
            RampSource(),
            6.0,
            path,
            options,
            outages=((Role.LUMBAR, 2.0, 1.0),),
        )
        assert live.session is not None
        stats = live.session.stats
        assert stats[Role.LUMBAR].restarts == 1
        assert stats[Role.SACRUM].samples_lost > 0
        assert_replays_identically(live, path)

    run(body, 90.0)
