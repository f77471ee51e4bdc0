"""The info, import-csv and export commands, through winkmon.cli.main."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from recording_testutil import imu_rows, write_csv, write_session

from winkmon.cli import main
from winkmon.protocol import Role
from winkmon.recording import Event, RecordingWriter, append_events


def _csvs(tmp_path: Path) -> tuple[Path, Path]:
    s = write_csv(tmp_path / "S.csv", imu_rows(100, 300, 50.0, seed=1, mag=True, drop=(10,)))
    lum = write_csv(tmp_path / "L.csv", imu_rows(400, 1200, 50.0, seed=2))
    return s, lum


def test_import_info_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s, lum = _csvs(tmp_path)
    out = tmp_path / "session"
    assert main(["import-csv", "--sacrum", str(s), "--lumbar", str(lum), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "sacrum: 299 rows at 100 Hz" in text and "lumbar: 1200 rows at 400 Hz" in text
    assert f"wrote {out}.winkmon" in text

    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    for part in ("duration:", "sacrum", "lumbar", "100 Hz", "400 Hz", "simulated:", "gaps: none"):
        assert part in text
    assert "1 (0.33%)" in text  # one missing row of 300 on the sacrum
    assert "recording format 3)" in text

    assert main(["info", str(out), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["clock"] == "shared" and facts["closed_cleanly"] is True
    sac = next(x for x in facts["sensors"] if x["role"] == "sacrum")
    assert (sac["samples"], sac["samples_lost"], sac["malformed_frames"]) == (299, 1, 0)
    assert facts["duration_s"] == pytest.approx(3.0, abs=0.01)

    assert (
        main(["export", str(out), "--csv", str(tmp_path / "c"), "--parquet", str(tmp_path / "p")])
        == 0
    )
    text = capsys.readouterr().out
    assert "sacrum.csv" in text and "lumbar.parquet" in text
    assert (tmp_path / "c" / "sacrum.csv").read_text().startswith("time_s,ax,ay,az,gx,gy,gz,mx")


def test_info_of_live_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "live.winkmon"
    with RecordingWriter(path, session_start_ns=0, simulated=True, notes="test squat") as w:
        w.add_sensor(Role.SACRUM, 400, address="AA:BB")
        w.set_athlete({"name": "Ana"})
        w.set_calibration({"neutral_deg": 3.0})
        w.write_frame(Role.SACRUM, 1, b"\x01\x01")
        w.mark_gap(Role.SACRUM, 1.5, "disconnect", "rssi low")
    append_events(path, "rep", [Event("rep", 1.0)])
    write_session(tmp_path / "two.winkmon", frames_per_sensor=40)
    assert main(["info", str(path)]) == 0
    text = capsys.readouterr().out
    for part in (
        "Ana",
        "neutral_deg",
        "test squat",
        "simulated:   yes",
        "AA:BB",
        "disconnect",
        "rep: 1",
    ):
        assert part in text
    assert main(["info", str(tmp_path / "two")]) == 0
    text = capsys.readouterr().out
    assert "BMI270" in text and "1.2.3" in text


def test_errors_print_one_line_and_return_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, lum = _csvs(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("time_s,ax,ay,az,gx,gy,gz\n0,0,0,0,0,0,0\n0.01,0,x,0,0,0,0\n")
    cases = [
        (["info", str(tmp_path / "nope")], "no such recording"),
        (["info", str(s)], "not a winkmon recording"),
        (["import-csv", "--sacrum", str(bad), "-o", str(tmp_path / "o")], "line 3: column ay"),
        (["import-csv", "-o", str(tmp_path / "o")], "give at least one"),
        (["export", str(tmp_path / "nope")], "nothing to do"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("winkmon: error: ") and message in err, (argv, err)
        assert err.count("\n") == 1
    assert not (tmp_path / "o.winkmon").exists()

    assert main(["import-csv", "--sacrum", str(s), "-o", str(tmp_path / "x")]) == 0
    assert main(["import-csv", "--sacrum", str(s), "-o", str(tmp_path / "x")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["import-csv", "--lumbar", str(lum), "-o", str(tmp_path / "x"), "--overwrite"]) == 0

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    assert main(["export", str(tmp_path / "x"), "--parquet", str(tmp_path / "pq")]) == 2
    assert "needs pyarrow" in capsys.readouterr().err


def test_damaged_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_session(tmp_path / "g.winkmon", frames_per_sensor=1500)
    cut = tmp_path / "cut.winkmon"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size * 2 // 3])
    assert main(["export", str(cut), "--csv", str(tmp_path / "c")]) == 2
    assert "truncated or corrupted" in capsys.readouterr().err
    code = main(["info", str(cut)])
    captured = capsys.readouterr()
    if code == 0:  # partial summary, with the damage as a warning
        assert "truncated or corrupted" in captured.out
    else:
        assert code == 2 and "truncated or corrupted" in captured.err
