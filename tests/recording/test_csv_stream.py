"""import-csv a block at a time gives exactly the frames of the whole-file synthesis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from winkmon.protocol.constants import Role
from winkmon.recording.csv_format import iter_imu_blocks, read_imu_csv, write_imu_csv
from winkmon.recording.csv_import import (
    FrameSynth,
    estimate_rate,
    scan_csv,
    synthesize_frames,
)


def _jittery_csv(path: Path, n: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    dt = np.full(n, 0.005)
    dt[rng.random(n) < 0.02] += 0.0003  # jitter
    dt[rng.random(n) < 0.01] *= 3  # missing rows
    t = 1000.0 + np.cumsum(dt)
    acc = rng.normal(0, 3, size=(n, 3))
    gyr = rng.normal(0, 1, size=(n, 3))
    mag = rng.normal(0, 40, size=(n, 3))
    write_imu_csv(path, t, acc, gyr, mag)
    return path


@pytest.mark.parametrize("block_rows", [1, 7, 39, 40, 41, 1000])
def test_block_by_block_synthesis_is_the_whole_file_synthesis(
    tmp_path: Path, block_rows: int
) -> None:
    path = _jittery_csv(tmp_path / "a.csv", 3000, block_rows)
    table = read_imu_csv(path)
    rate = estimate_rate(table)
    t0 = int(table.t_us[0]) - 12345
    whole, missing = synthesize_frames(Role.LUMBAR, table, t0, rate, 2, 3, 40)
    synth = FrameSynth(Role.LUMBAR, t0, rate, 2, 3, 40)
    streamed = []
    for block in iter_imu_blocks(path, block_rows):
        streamed += synth.feed(block)
    streamed += synth.finish()
    assert streamed == whole
    assert synth.missing == missing > 0 and synth.rows == len(table)


def test_scan_finds_the_whole_file_rate_and_extremes(tmp_path: Path) -> None:
    for n in (2, 3, 4, 2001):
        path = _jittery_csv(tmp_path / f"a{n}.csv", n, n)
        table = read_imu_csv(path)
        scan = scan_csv(path)
        assert scan.median_dt_us() == float(np.median(np.diff(table.t_us)))
        assert scan.rate_hz() == estimate_rate(table)
        assert scan.max_acc == float(np.max(np.abs(table.acc_m_s2)))
        assert scan.rows == len(table) and scan.has_mag


def test_time_going_backwards_across_a_block_boundary_is_found(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    rows = [f"{t},0,0,9.8,0,0,0" for t in (0.0, 0.01, 0.02, 0.015, 0.03)]
    path.write_text("time_s,ax,ay,az,gx,gy,gz\n" + "\n".join(rows) + "\n")
    from winkmon.errors import CsvImportError

    with pytest.raises(CsvImportError, match=r"line 5: time 0\.015 s goes backwards"):
        list(iter_imu_blocks(path, 3))
