"""MetaMotion RL (MetaWear, BMI160) and S (BMI270): register vectors (the SDK's own for the S),
packed pairing, and the driver against the emulator through bleak and bumble (discovery, chip
detection, start, data = truth, refusals, reconnect, replay)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from bleak import BleakClient
from tests.drivers.live import assert_replays_identically, live_session, run

from winkmon.clock import EnvelopeClock
from winkmon.drivers.metamotion import protocol as mw
from winkmon.drivers.metamotion.decoder import DECODER_NAME, MetaMotionDecoder
from winkmon.drivers.metamotion.driver import MetaMotionDriver
from winkmon.drivers.metamotion.emulator import MetaMotionEmulator, MetaMotionSEmulator
from winkmon.errors import BleError, FrameError, WinkmonError
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


def _decoder(chip: str | None = None) -> MetaMotionDecoder:
    params: dict[str, object] = {"acc_range_g": 8}
    if chip is not None:
        params["chip"] = chip
    started = StreamStarted(Role.SACRUM, 0, DECODER_NAME, 200.0, params)
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


@pytest.mark.parametrize("kind", ["metamotion", "metamotion-s"])
def test_metamotion_streams_the_truth_at_200_hz_through_bleak(kind: str) -> None:
    source = RampSource()

    async def body() -> None:
        live = await live_session({Role.LUMBAR: kind}, source, 2.5)
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
                with pytest.raises(
                    BleError,
                    match=r"MetaMotion RL did not take the 200 Hz accelerometer configuration "
                    r"29 08 \(it reads back 28 03\)",
                ):
                    await MetaMotionDriver().start(client, lambda _b: None)

    run(body, 30.0)


@pytest.mark.parametrize(("kind", "chip"), [("metamotion", "BMI160"), ("metamotion-s", "BMI270")])
def test_metamotion_live_equals_replay_across_loss_and_a_reconnect(
    tmp_path: Path, kind: str, chip: str
) -> None:
    from winkmon.recording import Recording
    from winkmon.virtual.vendor import EmulatorConfig

    path = tmp_path / "mw.winkmon"
    options = {
        Role.SACRUM: EmulatorConfig(drop_probability=0.02, seed=3),
        Role.LUMBAR: EmulatorConfig(seed=4),
    }

    async def body() -> None:
        live = await live_session(
            {Role.SACRUM: kind, Role.LUMBAR: kind},
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
        with Recording.open(path) as rec:
            segments = rec.segments()
        assert len(segments) == 3  # two starts and the lumbar's reconnect
        assert {seg.params["chip"] for seg in segments} == {chip}

    run(body, 90.0)


# ---------------------------------------------------------------- MetaMotion S (BMI270)


def test_bmi270_start_and_stop_commands_are_the_sdk_bytes() -> None:
    # ACC config A9 02 = test/test_accelerometer_bmi270.py::test_set_odr_and_range (200 Hz, 8 g);
    # packed registers 5 and 5 (accelerometer_bosch_register.h, gyro_bosch_register.h).
    got = [c.hex(" ") for c in mw.start_commands(200.0, 8, 2000, mw.BMI270)]
    assert got == [
        "03 03 a9 02",
        "13 03 29 00",
        "03 05 01",
        "13 05 01",
        "03 02 01 00",
        "13 02 01 00",
        "13 01 01",
        "03 01 01",
    ]
    assert [c.hex(" ") for c in mw.stop_commands(mw.BMI270)][-2:] == ["03 05 00", "13 05 00"]


@pytest.mark.parametrize(
    ("rate_hz", "range_g", "sdk"),
    [(25.0, 8, "a6 02"), (50.0, 8, "a7 02"), (100.0, 16, "a8 03"), (400.0, 8, "aa 02")],
)
def test_bmi270_acc_config_matches_the_sdk_test_table(
    rate_hz: float, range_g: int, sdk: str
) -> None:
    assert mw.acc_config(rate_hz, range_g, mw.BMI270).hex(" ") == sdk


def test_the_chip_comes_from_the_acc_implementation() -> None:
    assert mw.chip_of_acc_impl(1) is mw.BMI160 and mw.chip_of_acc_impl(4) is mw.BMI270
    assert mw.chip_of_acc_impl(3) is None  # BMA255 (MetaMotion C): not driven


def test_a_hand_computed_packed_bmi270_gyro_notification() -> None:
    # 3 samples at ±2000 deg/s (16.4 LSB per deg/s): 164 = 0x00A4 -> 10 deg/s; -328 -> -20
    raw = bytes.fromhex("1305" + "a40000000000" + "0000b8fe0000" + "00000000a400")
    module, counts = mw.decode_packed(raw, mw.BMI270)
    assert module == mw.MODULE_GYRO
    assert counts.tolist() == [[164, 0, 0], [0, -328, 0], [0, 0, 164]]
    np.testing.assert_allclose(np.degrees(mw.gyr_rad_s(counts, 2000)[1]), [0, -20.0, 0])
    assert mw.encode_packed(mw.MODULE_GYRO, counts, mw.BMI270) == raw
    with pytest.raises(FrameError, match="no packed BMI160 data"):
        mw.decode_packed(raw)  # a BMI160's GYRO packed register is 07


def test_the_decoder_reads_the_chip_of_the_stream_params() -> None:
    dec = _decoder("BMI270")
    acc = mw.encode_packed(mw.MODULE_ACC, np.array([[0, 0, 4096]] * 3), mw.BMI270)
    gyr = mw.encode_packed(mw.MODULE_GYRO, np.array([[164, 0, 0]] * 3), mw.BMI270)
    assert dec.feed(15_000_000, acc) is None
    got = dec.feed(15_000_001, gyr)
    assert got is not None and got.index.tolist() == [0, 1, 2]
    np.testing.assert_allclose(got.acc_m_s2[0], [0, 0, G])
    np.testing.assert_allclose(np.degrees(got.gyr_rad_s[0]), [10.0, 0, 0])
    with pytest.raises(WinkmonError, match="MetaMotion chip 'BMI999' is unknown"):
        _decoder("BMI999")


async def _start_against(
    emulator_setup: Callable[[MetaMotionEmulator], None], kind: str = "metamotion-s"
) -> None:
    """Start the driver on an emulator of ``kind`` after ``emulator_setup(emulator)``."""
    async with open_kind_rig({Role.SACRUM: kind}, RampSource(), connect=False) as rig:
        emulator = rig.sensors[Role.SACRUM]
        assert isinstance(emulator, MetaMotionEmulator)
        emulator_setup(emulator)
        async with BleakClient(emulator.address, backend=rig.backends.client) as client:
            await MetaMotionDriver().start(client, lambda _b: None)


def test_the_s_is_discovered_as_a_metamotion_and_started_as_a_bmi270() -> None:
    from winkmon.ble.scan import discover_devices

    async def body() -> None:
        async with open_kind_rig({Role.SACRUM: "metamotion-s"}, RampSource(), connect=False) as rig:
            emulator = rig.sensors[Role.SACRUM]
            assert isinstance(emulator, MetaMotionSEmulator)
            found = await discover_devices(1.0, scanner_backend=rig.backends.scanner)
            assert [(f.address, f.kind, f.name) for f in found] == [
                (emulator.address, "metamotion", "MetaWear")
            ]
            async with BleakClient(emulator.address, backend=rig.backends.client) as client:
                driver = MetaMotionDriver()
                spec = await driver.start(client, lambda _b: None)
                assert spec.params["chip"] == "BMI270"
                assert spec.info == {"chip": "BMI270", "model": "MetaMotion S"}
                assert emulator.acc_config.hex(" ") == "a9 02"
                assert emulator.packed == {mw.MODULE_ACC, mw.MODULE_GYRO}
                assert emulator.stats.refused == 0
                await driver.stop(client)
                for _ in range(200):  # writes without response: the last ones may be in flight
                    if not (emulator.packed or emulator.powered):
                        break
                    await asyncio.sleep(0.01)
                assert emulator.packed == set() and emulator.powered == set()
                assert emulator.stats.refused == 0

    run(body, 30.0)


def test_a_rate_the_s_does_not_take_gives_a_clear_error() -> None:
    def narrow(emulator: MetaMotionEmulator) -> None:
        emulator.rates_hz = (25.0, 50.0, 100.0)

    with pytest.raises(
        BleError,
        match=r"MetaMotion S did not take the 200 Hz accelerometer configuration a9 02 "
        r"\(it reads back a8 02\)",
    ):
        run(lambda: _start_against(narrow), 30.0)


def test_an_s_given_bmi160_range_codes_refuses_them_and_the_driver_says_so() -> None:
    # An S that answered its module info like an RL would get BMI160 codes (range 08): the
    # BMI270 firmware keeps its config and the read-back shows it.
    def pose_as_rl(emulator: MetaMotionEmulator) -> None:
        emulator.module_info = {mw.MODULE_ACC: (1, 2), mw.MODULE_GYRO: (0, 1)}

    with pytest.raises(
        BleError, match=r"MetaMotion RL did not take .* 29 08 \(it reads back a8 02\)"
    ):
        run(lambda: _start_against(pose_as_rl), 30.0)


@pytest.mark.parametrize(
    ("info", "message"),
    [
        (
            {mw.MODULE_ACC: (3, 0)},
            r"accelerometer is implementation 3: winkmon drives the "
            r"MetaMotion RL \(BMI160, 1\) and S \(BMI270, 4\) only",
        ),
        (
            {mw.MODULE_GYRO: (0, 0)},
            r"MetaMotion S's gyroscope is implementation 0, not the "
            r"BMI270's \(1\)",
        ),
    ],
)
def test_a_board_that_is_no_rl_or_s_is_refused_clearly(
    info: dict[int, tuple[int, int]], message: str
) -> None:
    def set_info(emulator: MetaMotionEmulator) -> None:
        emulator.module_info = info

    with pytest.raises(BleError, match=message):
        run(lambda: _start_against(set_info), 30.0)


def test_an_rl_without_packed_data_is_refused_clearly() -> None:
    def old_firmware(emulator: MetaMotionEmulator) -> None:
        emulator.module_info = {mw.MODULE_ACC: (1, 0)}

    with pytest.raises(BleError, match=r"no packed data \(module revision 0\): update it"):
        run(lambda: _start_against(old_firmware, "metamotion"), 30.0)
