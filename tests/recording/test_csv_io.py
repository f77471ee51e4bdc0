"""CSV import and export: strict checks with file and line, exact round trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from recording_testutil import imu_rows, write_csv

from winkmon.errors import CsvImportError, RecordingError
from winkmon.protocol import DataFrame, Role
from winkmon.protocol.constants import acc_lsb_m_s2, gyr_lsb_rad_s
from winkmon.recording import Recording, load_samples
from winkmon.recording.csv_format import read_imu_csv
from winkmon.recording.csv_import import import_csv
from winkmon.recording.export import export_csv, export_parquet

EPOCH = 1_700_000_000.0


def _two_files(tmp_path: Path) -> dict[Role, Path]:
    sacrum = imu_rows(100, 500, EPOCH + 0.25, seed=1, mag=True, drop=(7, 8, 9, 200, 499))
    lumbar = imu_rows(400, 2000, EPOCH, seed=2, drop=(0, 1, 50, 1000, 1001, 1002), jitter_at=(300,))
    return {
        Role.SACRUM: write_csv(tmp_path / "S.csv", sacrum),
        Role.LUMBAR: write_csv(tmp_path / "L.csv", lumbar),
    }


def _frames(path: Path) -> list[tuple[Role, int, bytes]]:
    with Recording.open(path) as rec:
        return list(rec.iter_frames())


def test_import_reproduces_csv_times_and_values(tmp_path: Path) -> None:
    files = _two_files(tmp_path)
    report = import_csv(files, tmp_path / "s1")
    assert report.path == tmp_path / "s1.winkmon"
    s, lum = report.sensors[Role.SACRUM], report.sensors[Role.LUMBAR]
    assert (s.rate_hz, lum.rate_hz) == (100, 400)
    assert s.has_mag and not lum.has_mag
    assert s.missing_samples == 4 and lum.missing_samples == 4  # leading drops are invisible
    with Recording.open(report.path) as rec:
        assert rec.meta.clock == "shared"
        assert rec.meta.clock_offset_us == round((EPOCH + 0.0025 * 2) * 1e6)
        assert rec.sensors[Role.LUMBAR].start is not None
        assert rec.sensors[Role.LUMBAR].start.rate_hz == 400
        replay = load_samples(rec)
    for role, path in files.items():
        table = read_imu_csv(path)
        batch = replay.samples[role]
        info = report.sensors[role]
        np.testing.assert_array_equal(np.rint(batch.t_s * 1e6).astype(np.int64), table.t_us)
        assert np.max(np.abs(batch.acc_m_s2 - table.acc_m_s2)) <= acc_lsb_m_s2(info.acc_range) / 2
        assert (
            np.max(np.abs(batch.gyr_rad_s - table.gyr_rad_s)) <= gyr_lsb_rad_s(info.gyr_range) / 2
        )
        assert replay.stats[role].samples_lost == info.missing_samples
        assert replay.stats[role].frames_bad == 0
    # The smallest ranges that hold the data.
    for role, info in report.sensors.items():
        table = read_imu_csv(files[role])
        for values, code, lsb in (
            (table.acc_m_s2, info.acc_range, acc_lsb_m_s2),
            (table.gyr_rad_s, info.gyr_range, gyr_lsb_rad_s),
        ):
            top = float(np.max(np.abs(values)))
            assert top <= 32767 * lsb(code)
            assert code == 0 or top > 32767 * lsb(code - 1)
    np.testing.assert_allclose(
        replay.samples[Role.SACRUM].mag_uT, read_imu_csv(files[Role.SACRUM]).mag_uT, atol=0.05
    )
    # Missing rows are exact gaps in the index.
    idx = replay.samples[Role.SACRUM].index
    assert list(np.flatnonzero(np.diff(idx) > 1)) == [6, 196]
    assert list(np.diff(idx)[[6, 196]]) == [4, 2]


def test_frames_follow_the_protocol(tmp_path: Path) -> None:
    files = _two_files(tmp_path)
    path = import_csv(files, tmp_path / "f").path
    frames = _frames(path)
    # Arrival order: by time of each frame's last sample.
    assert [t for _, t, _ in frames] == sorted(t for _, t, _ in frames)
    for role in (Role.SACRUM, Role.LUMBAR):
        decoded = [DataFrame.from_bytes(p) for r, _, p in frames if r == role]
        assert [f.seq for f in decoded] == list(range(len(decoded)))
        assert all(1 <= f.n <= 40 and f.role == role for f in decoded)
    # A jittered row in the lumbar file starts a new frame, and so does the one after it.
    lumbar = [DataFrame.from_bytes(p) for r, _, p in frames if r == Role.LUMBAR]
    assert any(f.n == 1 for f in lumbar)


def test_round_trip_is_exact(tmp_path: Path) -> None:
    files = _two_files(tmp_path)
    rec1 = import_csv(files, tmp_path / "one").path
    with Recording.open(rec1) as rec:
        replay1 = load_samples(rec)
    export_csv(replay1, tmp_path / "out1")
    rec2 = import_csv(
        {
            Role.SACRUM: tmp_path / "out1" / "sacrum.csv",
            Role.LUMBAR: tmp_path / "out1" / "lumbar.csv",
        },
        tmp_path / "two",
    ).path
    # Identical frames: same int16 raw, ranges, indices, device times, seq, arrival.
    assert _frames(rec1) == _frames(rec2)
    with Recording.open(rec2) as rec:
        replay2 = load_samples(rec)
    for role in (Role.SACRUM, Role.LUMBAR):
        a, b = replay1.samples[role], replay2.samples[role]
        for name in ("index", "t_dev_us", "t_s", "acc_m_s2", "gyr_rad_s"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    export_csv(replay2, tmp_path / "out2")
    for name in ("sacrum.csv", "lumbar.csv"):
        assert (tmp_path / "out1" / name).read_text() == (tmp_path / "out2" / name).read_text()
    text = (tmp_path / "out1" / "sacrum.csv").read_text()
    assert text.startswith("time_s,ax,ay,az,gx,gy,gz,mx,my,mz\n1700000000.25,")


def test_export_refuses_to_overwrite_and_parquet(tmp_path: Path) -> None:
    files = _two_files(tmp_path)
    with Recording.open(import_csv(files, tmp_path / "p").path) as rec:
        replay = load_samples(rec)
    export_csv(replay, tmp_path / "o")
    with pytest.raises(RecordingError, match="already exist"):
        export_csv(replay, tmp_path / "o")
    export_csv(replay, tmp_path / "o", overwrite=True)
    pq = pytest.importorskip("pyarrow.parquet")
    written = export_parquet(replay, tmp_path / "pq")
    assert sorted(p.name for p in written) == ["lumbar.parquet", "sacrum.parquet"]
    table = pq.read_table(tmp_path / "pq" / "sacrum.parquet")
    assert table.column_names[:3] == ["time_s", "index", "t_dev_us"]
    assert "mz" in table.column_names
    np.testing.assert_array_equal(
        table.column("index").to_numpy(), replay.samples[Role.SACRUM].index
    )


def test_unknown_columns_are_ignored_and_reported(tmp_path: Path) -> None:
    rows = [[*r, 25.0] for r in imu_rows(200, 50, 3.0, seed=3)]
    path = write_csv(tmp_path / "x.csv", rows, header="time_s,ax,ay,az,gx,gy,gz,temp_C")
    report = import_csv({Role.SACRUM: path}, tmp_path / "x")
    assert report.sensors[Role.SACRUM].ignored_columns == ("temp_c",)
    assert any("temp_c" in w for w in report.warnings)


def test_columns_in_any_order_and_case(tmp_path: Path) -> None:
    rows = imu_rows(100, 30, 0.0, seed=4)
    order = [6, 0, 3, 1, 2, 4, 5]  # gz, time_s, gx, ax, ay, az, gy
    names = ["time_s", "ax", "ay", "az", "gx", "gy", "gz"]
    path = write_csv(
        tmp_path / "o.csv",
        [[r[i] for i in order] for r in rows],
        header=",".join(f" {names[i].upper()} " for i in order),
    )
    table = read_imu_csv(path)
    np.testing.assert_array_equal(table.gyr_rad_s, np.array(rows)[:, 4:7])
    assert table.t_us[1] == 10_000


def test_clipping_is_reported(tmp_path: Path) -> None:
    rows = imu_rows(100, 30, 0.0, seed=5)
    rows[10][1] = 400.0  # beyond +-16 g
    path = write_csv(tmp_path / "c.csv", rows)
    report = import_csv({Role.LUMBAR: path}, tmp_path / "c")
    assert report.sensors[Role.LUMBAR].clipped == ("accelerometer",)
    assert report.sensors[Role.LUMBAR].acc_range == 3
    assert any("clipped" in w for w in report.warnings)


def test_long_silence_keeps_times_exact(tmp_path: Path) -> None:
    rows = imu_rows(100, 20, 10.0, seed=6)
    rows += [[r[0] + 40 * 60 + 80 * 60, *r[1:]] for r in imu_rows(100, 20, 10.0, seed=7)]
    path = write_csv(tmp_path / "g.csv", rows)
    with Recording.open(import_csv({Role.SACRUM: path}, tmp_path / "g").path) as rec:
        replay = load_samples(rec)
    batch = replay.samples[Role.SACRUM]
    np.testing.assert_array_equal(
        np.rint(batch.t_s * 1e6).astype(np.int64), read_imu_csv(path).t_us
    )
    assert replay.stats[Role.SACRUM].samples_lost == 120 * 60 * 100 - 20


def _bad_cases() -> list[tuple[str, str, str]]:
    """(id, CSV text, expected message part incl. line)."""
    good = [",".join(map(repr, r)) for r in imu_rows(100, 6, 1.0, seed=9)]
    head = "time_s,ax,ay,az,gx,gy,gz"

    def with_row(i: int, row: str) -> str:
        rows = list(good)
        rows[i] = row
        return "\n".join([head, *rows]) + "\n"

    t3 = good[3].split(",")
    return [
        ("missing_column", "time_s,ax,ay,az,gx,gy\n1,2,3,4,5,6\n", "line 1: missing column(s) gz"),
        (
            "non_numeric",
            with_row(2, "1.02,0,abc,0,0,0,0"),
            "line 4: column ay: 'abc' is not a number",
        ),
        ("empty_cell", with_row(2, "1.02,0,,0,0,0,0"), "line 4: column ay: '' is not a number"),
        ("nan", with_row(3, "1.03,0,0,nan,0,0,0"), "line 5: column az: nan is not a finite"),
        ("inf", with_row(1, "1.01,0,0,0,-inf,0,0"), "line 3: column gx: -inf is not a finite"),
        ("backwards", with_row(4, "1.0," + ",".join(t3[1:])), "line 6: time 1.0 s goes backwards"),
        ("repeated", with_row(4, ",".join(t3)), "line 6: time 1.03 s repeats"),
        ("short_row", with_row(0, "1.0,1,2,3"), "line 2: expected 7 cells, found 4"),
        ("empty_file", "", "line 1: empty file"),
        ("blank_file", "\n\n", "line 1: empty file"),
        ("header_only", head + "\n", "line 1: no data rows"),
        ("one_row", head + "\n" + good[0] + "\n", "line 2: only one data row"),
        ("half_mag", head + ",mx,my\n" + good[0] + ",1,2\n", "line 1: magnetometer columns"),
        ("twice", head + ",ax\n" + good[0] + ",1\n", "line 1: column 'ax' appears twice"),
        ("ms_not_s", head + "\n0,0,0,0,0,0,0\n1000,0,0,0,0,0,0\n", "outside 1-65535 Hz"),
    ]


@pytest.mark.parametrize(
    ("content", "message"), [c[1:] for c in _bad_cases()], ids=[c[0] for c in _bad_cases()]
)
def test_bad_csv_is_refused_with_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    good = write_csv(tmp_path / "good.csv", imu_rows(100, 50, 1.0, seed=10))
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    before = set(tmp_path.iterdir())
    with pytest.raises(CsvImportError) as info:
        import_csv({Role.SACRUM: good, Role.LUMBAR: bad}, tmp_path / "out")
    assert str(info.value).startswith(str(bad))
    assert message in str(info.value)
    assert set(tmp_path.iterdir()) == before  # nothing written


def test_unreadable_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(CsvImportError, match="cannot read"):
        read_imu_csv(tmp_path / "missing.csv")
    with pytest.raises(CsvImportError, match="is a directory"):
        read_imu_csv(tmp_path)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(CsvImportError, match="not a text"):
        read_imu_csv(binary)


def test_files_far_apart_and_existing_output_are_refused(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", imu_rows(100, 10, 0.0, seed=11))
    b = write_csv(tmp_path / "b.csv", imu_rows(100, 10, 2 * 3600.0, seed=12))
    with pytest.raises(CsvImportError, match="apart"):
        import_csv({Role.SACRUM: a, Role.LUMBAR: b}, tmp_path / "far")
    import_csv({Role.SACRUM: a}, tmp_path / "x")
    with pytest.raises(RecordingError, match="already exists"):
        import_csv({Role.SACRUM: a}, tmp_path / "x.winkmon")
    report = import_csv({Role.LUMBAR: a}, tmp_path / "x", overwrite=True)
    with Recording.open(report.path) as rec:
        assert set(rec.sensors) == {Role.LUMBAR}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv", "x.winkmon"]
