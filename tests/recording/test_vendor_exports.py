"""Vendor app exports: detection, units, times, the acc+gyro join, strict one-line errors.

The files are synthetic, written in each app's layout (see vendor_writers.py and
tests/data/vendor_exports/README.md for why no real export is committed); the hand-checked
rows below give each value as the app writes it and the SI value it must become.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from vendor_writers import dot_header, write_dot, write_metabase_pair, write_psl_pair

from winkmon.errors import CsvImportError
from winkmon.recording.vendor_exports import VendorSource, detect, open_sensor
from winkmon.recording.vendor_exports.join import join_acc_gyr
from winkmon.recording.vendor_exports.metabase import spread_packed_times
from winkmon.recording.vendor_exports.movella_dot import unwrap_us

G = 9.80665
D2R = math.pi / 180

PSL_ACC = """Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]
2026-07-26T21:56:26.765;838432586543515816;12;-1003;45
2026-07-26T21:56:26.785;838432586562746585;-7;998;-31
2026-07-26T21:56:26.804;838432586581977354;0;1000;2
"""
PSL_GYR = """Phone timestamp;sensor timestamp [ns];X [dps];Y [dps];Z [dps]
2026-07-26T21:56:26.760;838432586533900431;1.5;-2.25;90.0
2026-07-26T21:56:26.780;838432586553131200;3.5;-2.25;180.0
2026-07-26T21:56:26.799;838432586572361969;5.5;0.75;0.0
2026-07-26T21:56:26.818;838432586591592738;7.5;0.75;-90.0
"""


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _source(paths: list[Path]) -> VendorSource:
    source, _ = open_sensor(paths)
    assert isinstance(source, VendorSource)
    return source


def test_polar_sensor_logger_rows_by_hand(tmp_path: Path) -> None:
    acc = _write(tmp_path / "Polar_Sense_B5_20260726_215626_ACC.txt", PSL_ACC)
    gyr = _write(tmp_path / "Polar_Sense_B5_20260726_215626_GYRO.txt", PSL_GYR)
    assert detect(acc).describe().endswith("Polar Sensor Logger accelerometer")
    assert detect(gyr).kind == "gyr"
    source = _source([gyr, acc])  # either order
    t = source.table
    assert source.paths == (acc, gyr)
    np.testing.assert_allclose(t.acc_m_s2[0], [12 * G / 1000, -1003 * G / 1000, 45 * G / 1000])
    # Gyroscope interpolated onto the accelerometer's sensor times (in whole µs): the first
    # ACC time is 9615 µs after GYRO row 1, of a 19231 µs step, i.e. half-way.
    frac = (838432586543516 - 838432586533900) / (838432586553131 - 838432586533900)
    expect = np.array([1.5 + 2.0 * frac, -2.25, 90.0 + 90.0 * frac]) * D2R
    np.testing.assert_allclose(t.gyr_rad_s[0], expect, rtol=1e-9)
    # Times: the sensor clock, moved onto the phone clock by the median (phone - sensor).
    assert list(np.diff(t.t_us)) == [19231, 19230]  # ns rounded to µs
    phone0 = np.datetime64("2026-07-26T21:56:26.785", "us").astype(np.int64)
    assert abs(int(t.t_us[1]) - int(phone0)) < 1000  # within the phone's ms resolution
    assert list(t.line) == [2, 3, 4]


def test_polar_gyro_gap_is_not_bridged(tmp_path: Path) -> None:
    t = np.arange(0, 2.0, 1 / 52)
    acc, gyr = write_psl_pair(
        tmp_path / "P", t, np.tile([0, 0, G], (len(t), 1)), np.zeros((len(t), 3))
    )
    lines = gyr.read_text().splitlines()
    del lines[41:51]  # ten gyroscope rows lost
    gyr.write_text("\n".join(lines) + "\n")
    source = _source([acc, gyr])
    assert len(source.table) == len(t) - 10  # rows in the gap dropped, not invented
    assert any("in gaps of" in w for w in source.warnings)


def test_metabase_rows_by_hand_and_packed_times(tmp_path: Path) -> None:
    acc = _write(
        tmp_path / "S_2022-01-14T15.28.32.189_E2EDDF1A1AA4_Accelerometer.csv",
        "epoc (ms),timestamp (-0800),elapsed (s),x-axis (g),y-axis (g),z-axis (g)\n"
        "1642202912189,2022-01-14T15.28.32.189,0.000,0.210,-0.522,-0.811\n"
        "1642202912189,2022-01-14T15.28.32.189,0.000,0.212,-0.527,-0.818\n"
        "1642202912349,2022-01-14T15.28.32.349,0.160,0.211,-0.526,-0.816\n"
        "1642202912349,2022-01-14T15.28.32.349,0.160,0.211,-0.526,-0.815\n",
    )
    gyr = _write(
        tmp_path / "S_2022-01-14T15.28.32.189_E2EDDF1A1AA4_Gyroscope.csv",
        "epoc (ms),timestamp (-0800),elapsed (s),x-axis (deg/s),y-axis (deg/s),z-axis (deg/s)\n"
        "1642202912189,2022-01-14T15.28.32.189,0.000,10.0,0.0,-5.0\n"
        "1642202912269,2022-01-14T15.28.32.269,0.080,20.0,0.0,-5.0\n"
        "1642202912349,2022-01-14T15.28.32.349,0.160,30.0,0.0,-5.0\n"
        "1642202912429,2022-01-14T15.28.32.429,0.240,40.0,0.0,-5.0\n",
    )
    source = _source([acc, gyr])
    t = source.table
    # Packed pairs: two rows per time, spread to the next time (80 ms apart).
    assert list(t.t_us - 1642202912189000) == [0, 80000, 160000, 240000]
    assert any("spread evenly" in w for w in source.warnings)
    np.testing.assert_allclose(t.acc_m_s2[1], [0.212 * G, -0.527 * G, -0.818 * G])
    np.testing.assert_allclose(t.gyr_rad_s[:, 0], np.array([10.0, 20.0, 30.0, 40.0]) * D2R)
    np.testing.assert_allclose(t.gyr_rad_s[:, 2], -5.0 * D2R)


def test_spread_packed_times() -> None:
    t, n = spread_packed_times(np.array([0, 0, 0, 300, 300, 300, 600, 600, 600]))
    assert list(t) == [0, 100, 200, 300, 400, 500, 600, 700, 800] and n == 6
    same, n = spread_packed_times(np.array([1, 2, 3]))
    assert list(same) == [1, 2, 3] and n == 0


def test_movella_dot_rate_quantities_by_hand(tmp_path: Path) -> None:
    # The SDK logger's variant: header lines padded with commas, cells separated by ", ".
    header = [
        line + ",,,,,,,," if line.endswith(tuple("0123456789dC")) else line for line in dot_header()
    ]
    text = "\n".join(
        [
            *header,
            "PacketCounter,SampleTimeFine,Acc_X,Acc_Y,Acc_Z,Gyr_X,Gyr_Y,Gyr_Z,Mag_X,Mag_Y,Mag_Z",
            "1, 4294950000, 0.1, -9.8, 0.25, 90.0, 0.0, -45.0, 0.5, 0.1, 0.2",
            "2, 4294966667, 0.2, -9.7, 0.25, 91.0, 0.0, -45.0, 0.5, 0.1, 0.2",
            "4, 32705, 0.3, -9.6, 0.25, 92.0, 0.0, -45.0, 0.5, 0.1, 0.2",
        ]
    )
    path = _write(tmp_path / "20241210_143340_dot1.csv", text + "\n")
    assert detect(path).vendor == "Movella DOT"
    source = _source([path])
    t = source.table
    assert source.format_label == "Movella DOT (Rate quantities)"
    # SampleTimeFine wraps at 2^32 µs between rows 2 and 4 (packet 3 lost).
    assert list(np.diff(t.t_us)) == [16667, 2 * 16667]
    np.testing.assert_allclose(t.acc_m_s2[2], [0.3, -9.6, 0.25])
    np.testing.assert_allclose(t.gyr_rad_s[0], [math.pi / 2, 0.0, -math.pi / 4])
    assert t.ignored_columns == ("Mag_X", "Mag_Y", "Mag_Z")
    assert any("wrapped 1 time" in w for w in source.warnings)
    assert not any("SyncStatus" in w for w in source.warnings)


def test_movella_dot_with_label_column(tmp_path: Path) -> None:
    lines = [
        *dot_header(mode="Custom mode 5"),
        "Label,PacketCounter,SampleTimeFine,Quat_W,Quat_X,Quat_Y,Quat_Z,Acc_X,Acc_Y,Acc_Z,"
        "Gyr_X,Gyr_Y,Gyr_Z",
        "squat,1, 1000, 1.0, 0.0, 0.0, 0.0, 0.5, 9.8, -0.1, 0.0, 10.0, 0.0",
        "squat,2, 17667, 1.0, 0.0, 0.0, 0.0, 0.6, 9.7, -0.1, 0.0, 20.0, 0.0",
    ]
    t = _source([_write(tmp_path / "l.csv", "\n".join(lines) + "\n")]).table
    assert list(t.t_us) == [1000, 17667]
    np.testing.assert_allclose(t.gyr_rad_s[:, 1], [10 * D2R, 20 * D2R])
    assert t.ignored_columns == ("Label", "Quat_W", "Quat_X", "Quat_Y", "Quat_Z")


def test_unwrap() -> None:
    w = 1 << 32
    assert list(unwrap_us(np.array([w - 10, w - 5, 3, 8]))) == [w - 10, w - 5, w + 3, w + 8]


def test_movella_dot_unsynced_warns(tmp_path: Path) -> None:
    t = np.arange(0, 1, 1 / 60)
    path = write_dot(
        tmp_path / "d.csv", t, np.zeros((len(t), 3)), np.zeros((len(t), 3)), sync="Un-synced"
    )
    assert any("not synchronised" in w for w in _source([path]).warnings)


def test_movella_dot_orientation_mode_is_refused(tmp_path: Path) -> None:
    lines = [
        *dot_header(mode="Sensor fusion Mode - Extended(Euler)"),
        "PacketCounter,SampleTimeFine,Euler_X,Euler_Y,Euler_Z,FreeAcc_X,FreeAcc_Y,FreeAcc_Z,Status",
        "1,296953427,-176.426392,-69.994225,179.647781,0.154830,0.005952,-0.021008,0",
    ]
    path = _write(tmp_path / "mitte.csv", "\n".join(lines) + "\n")
    with pytest.raises(CsvImportError) as err:
        open_sensor([path])
    msg = str(err.value)
    assert "\n" not in msg and "line 12" in msg
    assert "'Sensor fusion Mode - Extended(Euler)'" in msg and "Rate quantities" in msg


WIT = (
    "Time\tDevice name\tChip Time()\tAcceleration X(g)\tAcceleration Y(g)\tAcceleration Z(g)\t"
    "Angular velocity X(°/s)\tAngular velocity Y(°/s)\tAngular velocity Z(°/s)\tAngle X(°)\t"
    "Temperature(°C)\r\n"
    "16:09:58.052\tWT901BLE67(d6:a8)\t2025-11-12 16:09:58:050\t0,012\t-0,998\t0,021\t"
    "1,221\t-0,061\t180,000\t-0,44\t24,5\r\n"
    "16:09:58.062\tWT901BLE67(d6:a8)\t2025-11-12 16:09:58:060\t0,013\t-0,997\t0,020\t"
    "1,282\t0,000\t-90,000\t-0,44\t24,5\r\n"
)


def test_witmotion_gbk_tabs_decimal_comma_by_hand(tmp_path: Path) -> None:
    path = _write(tmp_path / "_WT901BLE67_0.txt", WIT, encoding="gb18030")
    assert b"\xa1\xe3" in path.read_bytes()  # the degree sign as the PC software writes it
    assert detect(path).vendor == "WitMotion"
    source = _source([path])
    t = source.table
    assert source.format_label == "WitMotion (times from Chip Time())"
    assert int(t.t_us[0]) == round(np.datetime64("2025-11-12T16:09:58.050", "us").astype(np.int64))
    assert int(t.t_us[1] - t.t_us[0]) == 10_000
    np.testing.assert_allclose(t.acc_m_s2[0], [0.012 * G, -0.998 * G, 0.021 * G])
    np.testing.assert_allclose(t.gyr_rad_s[1], [1.282 * D2R, 0.0, -math.pi / 2])
    assert t.ignored_columns == ("Angle X(°)", "Temperature(°C)")


def test_witmotion_two_devices_in_one_file_is_refused(tmp_path: Path) -> None:
    text = WIT + WIT.splitlines()[2].replace("WT901BLE67(d6:a8)", "WT901BLE67(ff:01)") + "\r\n"
    path = _write(tmp_path / "two.txt", text, encoding="gb18030")
    with pytest.raises(CsvImportError, match=r"holds 2 devices .*one file per sensor"):
        open_sensor([path])


def test_witmotion_without_dates_is_refused(tmp_path: Path) -> None:
    text = WIT.replace("2025-11-12 16:09:58:050", "null").replace("2025-11-12 16:09:58:060", "null")
    path = _write(tmp_path / "nodate.txt", text)
    with pytest.raises(CsvImportError, match="line 2: no time column with a date and time"):
        open_sensor([path])


def test_join_refuses_files_that_do_not_overlap(tmp_path: Path) -> None:
    t = np.arange(0, 1, 0.01)
    z = np.zeros((len(t), 3))
    acc, _ = write_psl_pair(tmp_path / "A", t, z, z)
    _, gyr = write_psl_pair(tmp_path / "B", t + 60.0, z, z)
    with pytest.raises(CsvImportError, match=r"does not overlap in time with A_ACC\.txt"):
        open_sensor([acc, gyr])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "u.csv",
            "time,acc_x,acc_y\n1,2,3\n",
            "line 1: unknown format (header 'time,acc_x,acc_y')",
        ),
        ("e.csv", "", "line 1: empty file"),
        (
            "X_ECG.txt",
            "Phone timestamp;sensor timestamp [ns];timestamp [ms];ecg [uV]\n",
            "line 1: a Polar Sensor Logger file that is not ACC or GYRO",
        ),
        (
            "t_ACC.txt",
            PSL_ACC[:-8] + "\n",
            "t_ACC.txt, line 4: expected 5 cells, found 3 (a cut-off row?",
        ),
        (
            "n_ACC.txt",
            PSL_ACC.replace(";-7;", ";abc;"),
            "line 3: column x [mg]: 'abc' is not a number",
        ),
        (
            "b_ACC.txt",
            PSL_ACC.replace("838432586562746585", "838432586500000000"),
            "line 3: sensor timestamp [ns] goes backwards",
        ),
        (
            "p_ACC.txt",
            PSL_ACC.replace("2026-07-26T21:56:26.785", "yesterday"),
            "line 3: Phone timestamp 'yesterday' is not a date",
        ),
    ],
)
def test_broken_files_give_one_line_errors(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = _write(tmp_path / name, content)
    gyr = _write(tmp_path / "ok_GYRO.txt", PSL_GYR)
    files = [path, gyr] if name.endswith("_ACC.txt") else [path]
    with pytest.raises(CsvImportError) as err:
        open_sensor(files)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_lone_acc_file_names_its_partner(tmp_path: Path) -> None:
    acc = _write(tmp_path / "X_ACC.txt", PSL_ACC)
    with pytest.raises(
        CsvImportError,
        match=r"no matching gyroscope file: pass its gyroscope file too \(e.g. X_GYRO.txt\)",
    ):
        open_sensor([acc])
    _write(tmp_path / "X_GYRO.txt", PSL_GYR)
    with pytest.raises(CsvImportError, match=r"X_GYRO\.txt is next to it: pass both"):
        open_sensor([acc])
    m_acc, m_gyr = write_metabase_pair(
        tmp_path / "M", np.arange(3) / 10, np.zeros((3, 3)), np.zeros((3, 3)), 1.7e9
    )
    with pytest.raises(
        CsvImportError, match=r"writes the gyroscope alone.*M_Accelerometer\.csv is next"
    ):
        open_sensor([m_gyr])
    with pytest.raises(CsvImportError, match="are both accelerometer files"):
        open_sensor([acc, _write(tmp_path / "Z_ACC.txt", PSL_ACC)])
    with pytest.raises(CsvImportError, match="two files for one sensor must be"):
        open_sensor([acc, m_gyr])  # two vendors
    with pytest.raises(CsvImportError, match="give one file per sensor, or two"):
        open_sensor([acc, m_acc, m_gyr])


def test_join_keeps_acc_times_within_the_gyro_span() -> None:
    from winkmon.recording.vendor_exports._common import Stream

    t = np.arange(10, dtype=np.int64) * 10_000
    acc = Stream(Path("a"), "acc", t, np.ones((10, 3)), np.arange(2, 12), 5)
    gyr = Stream(
        Path("g"), "gyr", t[2:8] + 1, np.arange(18, dtype=float).reshape(6, 3), np.arange(2, 8)
    )
    table, notes = join_acc_gyr(acc, gyr)
    assert list(table.t_us) == list(t[3:8] + 5)  # inside [20001, 70001], on the shared clock
    assert list(table.line) == [5, 6, 7, 8, 9]
    assert "5 accelerometer row(s) outside" in notes[0]
