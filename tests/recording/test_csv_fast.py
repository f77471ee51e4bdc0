"""The fast CSV path (pyarrow reading, whole-array frame making, one read) gives exactly what
the strict, plain path gives, and hands every file it does not take as is to it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from winkmon.errors import CsvImportError
from winkmon.protocol.constants import FrameFlags, FrameType, Role
from winkmon.protocol.frames import DataFrame, encode_data_frames
from winkmon.recording import Recording
from winkmon.recording.csv_format import (
    _fast_blocks,
    _NotPlain,
    _strict_blocks,
    iter_imu_blocks,
    read_imu_csv,
    write_imu_csv,
)
from winkmon.recording.csv_import import (
    FrameSynth,
    estimate_rate,
    import_csv,
    synthesize_frames,
)

HEAD = "time_s,ax,ay,az,gx,gy,gz"


def _rows(n: int, seed: int, rate_hz: float = 200.0) -> list[str]:
    rng = np.random.default_rng(seed)
    t = 5.0 + np.arange(n) / rate_hz
    vals = rng.normal(0, 2, size=(n, 6))
    return [",".join(map(repr, [float(t[i]), *map(float, vals[i])])) for i in range(n)]


def _same(a: list, b: list) -> None:
    for name in ("t_us", "acc_m_s2", "gyr_rad_s", "line"):
        np.testing.assert_array_equal(
            np.concatenate([getattr(x, name) for x in a]),
            np.concatenate([getattr(x, name) for x in b]),
        )


def test_a_plain_file_is_read_fast_and_equals_the_strict_reading(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    rng = np.random.default_rng(1)
    n = 5000
    t = 1000.0 + np.cumsum(np.full(n, 0.005) + rng.normal(0, 1e-5, n))
    write_imu_csv(path, t, rng.normal(0, 5, (n, 3)), rng.normal(0, 2, (n, 3)))
    fast = list(_fast_blocks(path, 777))  # raises _NotPlain if it hands over
    assert max(len(b) for b in fast) <= 777 and len(fast) > 1
    _same(fast, list(_strict_blocks(path, 1000)))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "blank line mid-file",
            HEAD + "\n" + "\n".join([*_rows(300, 1)[:200], "", *_rows(300, 1)[200:]]) + "\n",
        ),
        (
            "spaces around numbers",
            HEAD + "\n" + "\n".join(r.replace(",", " , ") for r in _rows(50, 2)) + "\n",
        ),
        (
            "quoted cells",
            HEAD + "\n" + "\n".join('"' + r.replace(",", '","') + '"' for r in _rows(50, 3)) + "\n",
        ),
        ("header after a blank line", "\n" + HEAD + "\n" + "\n".join(_rows(50, 4)) + "\n"),
        ("byte order mark", "\ufeff" + HEAD + "\n" + "\n".join(_rows(50, 5)) + "\n"),
        ("blank lines at the end", HEAD + "\n" + "\n".join(_rows(50, 6)) + "\n\n\n"),
        (
            "underscores in numbers",
            HEAD + "\n" + "\n".join(_rows(50, 7)[:-1]) + "\n1_000,0,0,0,0,0,0\n",
        ),
        ("windows line ends", HEAD + "\r\n" + "\r\n".join(_rows(50, 8)) + "\r\n"),
        (
            "extra text column",
            HEAD + ",label\n" + "\n".join(r + ",squat x" for r in _rows(50, 9)) + "\n",
        ),
    ],
)
def test_any_file_reads_as_the_strict_reader_reads_it(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8", newline="")
    for block_rows in (7, 64, 100_000):
        _same(list(iter_imu_blocks(path, block_rows)), list(_strict_blocks(path, block_rows)))


def test_a_file_handed_over_mid_way_goes_on_from_the_row_it_stopped_at(tmp_path: Path) -> None:
    rows = _rows(5000, 11)
    rows.insert(4000, "   ")  # whitespace only: skipped by the strict reader, not by pyarrow
    path = tmp_path / "m.csv"
    path.write_text(HEAD + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(_NotPlain):
        list(_fast_blocks(path, 1000))
    got = list(iter_imu_blocks(path, 1000))
    _same(got, list(_strict_blocks(path, 1000)))
    assert sum(len(b) for b in got) == 5000
    assert int(got[-1].line[-1]) == 5002  # header, 5000 rows, one blank line


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{t},0,0,abc,0,0,0", "line 903: column az: 'abc' is not a number"),
        ("{t},0,0,,0,0,0", "line 903: column az: '' is not a number"),
        ("{t},0,0,0,0,0", "line 903: expected 7 cells, found 6"),
        ("{t},0,0,nan,0,0,0", "line 903: column az: nan is not a finite number"),
        ("1.0,0,0,0,0,0,0", "line 903: time 1.0 s goes backwards"),
        ("{t},0,0,1e300,0,0,0", "line 903: column az: 1e+300 is out of range"),
    ],
)
def test_errors_name_the_same_line_either_way(tmp_path: Path, bad: str, message: str) -> None:
    rows = _rows(2000, 12)
    t = float(rows[901].split(",")[0]) + 0.0001
    rows[901] = bad.format(t=t)
    path = tmp_path / "bad.csv"
    path.write_text(HEAD + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(CsvImportError, match=re.escape(message)):
        list(iter_imu_blocks(path, 500))
    with pytest.raises(CsvImportError, match=re.escape(message)):
        list(_strict_blocks(path, 500))


def _messy_table(tmp_path: Path, rate_hz: float, seed: int):
    """Jitter, lost rows, a clipped stretch and a silence longer than 2^30 µs."""
    rng = np.random.default_rng(seed)
    n = 4000
    period = 1.0 / rate_hz
    dt = np.full(n, period)
    dt[rng.random(n) < 0.05] += 0.0003
    dt[rng.random(n) < 0.02] *= 3
    dt[2500] += 1300.0  # 21.7 min of silence: anchors
    t = 10.0 + np.cumsum(dt)
    acc = rng.normal(0, 3, (n, 3))
    acc[100:130, 1] = 500.0  # beyond ±16 g: clipped
    gyr = rng.normal(0, 1, (n, 3))
    path = tmp_path / f"messy{seed}.csv"
    write_imu_csv(path, t, acc, gyr)
    return path, read_imu_csv(path)


@pytest.mark.parametrize("rate_hz", [200.0, 208.0, 60.0, 100.0, 52.0])
@pytest.mark.parametrize("block_rows", [1, 39, 40, 1000, 100_000])
def test_frames_are_the_plain_synthesis_at_any_rate(
    tmp_path: Path, rate_hz: float, block_rows: int
) -> None:
    path, table = _messy_table(tmp_path, rate_hz, int(rate_hz) + block_rows)
    rate = estimate_rate(table)
    t0 = int(table.t_us[0]) - 999
    whole, missing = synthesize_frames(Role.SACRUM, table, t0, rate, 3, 2, 40)
    synth = FrameSynth(Role.SACRUM, t0, rate, 3, 2, 40)
    made = []
    for block in iter_imu_blocks(path, block_rows):
        made += synth.feed(block)
    made += synth.finish()
    assert made == whole
    anchors = [DataFrame.from_bytes(p) for _, p in whole]
    assert any(f.n == 0 for f in anchors)
    assert any(f.flags & FrameFlags.ACC_CLIP for f in anchors)
    assert synth.missing == missing > 0


def test_the_batch_encoder_makes_the_frames_bytes() -> None:
    rng = np.random.default_rng(3)
    for width in (6, 9):
        raw = rng.integers(-32768, 32768, size=(300, width), dtype=np.int64).astype(np.int16)
        starts = np.array([0, 40, 40, 95, 200])
        ends = np.array([40, 40, 95, 200, 300])
        seq = np.array([65534, 65535, 65536, 7, 8])
        first = np.array([2**32 - 1, 2**32, 5, 6, 7])
        t_dev = np.array([0, 2**32 + 3, 10, 11, 12])
        flags = np.array([0, 1, 2, 3, 0])
        got = encode_data_frames(Role.LUMBAR, 2, 3, raw, starts, ends, seq, first, t_dev, flags)
        mag = FrameFlags.MAG_PRESENT if width == 9 else FrameFlags.NONE
        for k in range(5):
            want = DataFrame(
                FrameType.DATA,
                Role.LUMBAR,
                int(seq[k]) & 0xFFFF,
                int(first[k]) & 0xFFFFFFFF,
                int(t_dev[k]) & 0xFFFFFFFF,
                2,
                3,
                FrameFlags(int(flags[k])) | mag,
                raw[starts[k] : ends[k]],
            )
            assert got[k] == bytes(want)


def _frames(path: Path) -> list[tuple[int, int, bytes]]:
    with Recording.open(path) as rec:
        return [(int(r), t, p) for r, t, p in rec.iter_frames()]


def test_one_read_and_two_reads_write_the_same_recording(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    files = {}
    for role, start, rate in ((Role.SACRUM, 3.0, 200.0), (Role.LUMBAR, 3.0021, 208.0)):
        n = 6000
        dt = np.full(n, 1 / rate)
        dt[rng.random(n) < 0.03] += 0.0004
        t = start + np.cumsum(dt)
        files[role] = tmp_path / f"{role.label}.csv"
        write_imu_csv(files[role], t, rng.normal(0, 4, (n, 3)), rng.normal(0, 1, (n, 3)))
    once = import_csv(files, tmp_path / "once")
    twice = import_csv(files, tmp_path / "twice", keep_rows=1000)
    assert _frames(once.path) == _frames(twice.path)
    assert once.sensors == twice.sensors


def test_a_failed_write_stops_the_frame_makers_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from winkmon.errors import RecordingError
    from winkmon.recording.writer import RecordingWriter

    rng = np.random.default_rng(8)
    files = {}
    for role in (Role.SACRUM, Role.LUMBAR):
        n = 40_000
        t = 2.0 + np.arange(n) / 200.0
        files[role] = tmp_path / f"{role.label}.csv"
        write_imu_csv(files[role], t, rng.normal(0, 4, (n, 3)), rng.normal(0, 1, (n, 3)))

    def full_disk(self: RecordingWriter, rows: object) -> None:
        raise RecordingError(f"{self.path}: cannot write: database or disk is full")

    import winkmon.recording.csv_import as csv_import

    monkeypatch.setattr(RecordingWriter, "write_mixed_frames", full_disk)
    # 40 blocks a sensor: more than the frame makers may queue ahead of the writer
    monkeypatch.setattr(csv_import, "IMPORT_BLOCK_ROWS", 1000)
    with pytest.raises(RecordingError, match="disk is full"):
        import_csv(files, tmp_path / "out", max_batch=1)
    assert not any(t.name.startswith("import-") for t in threading.enumerate())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lumbar.csv", "sacrum.csv"]
