"""``winkmon report`` and ``winkmon simulate`` end to end on the shipped sample recording."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from winkmon.cli import main
from winkmon.recording import Recording

SAMPLE = Path(__file__).resolve().parents[1] / "recordings" / "demo.winkmon"


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("report")
    session = work / "demo.winkmon"
    shutil.copy(SAMPLE, session)
    profiles = work / "profiles"
    assert main(["calibrate", str(session), "--athlete", "Sam", "--profiles", str(profiles)]) == 0
    return session, profiles


def test_report_json_and_angles_csv(
    calibrated: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session, profiles = calibrated
    out, angles = tmp_path / "r.json", tmp_path / "a.csv"
    rc = main(
        [
            "report",
            str(session),
            "--athlete",
            "Sam",
            "--profiles",
            str(profiles),
            "--json",
            str(out),
            "--angles-csv",
            str(angles),
        ]
    )
    assert rc == 0
    doc = json.loads(out.read_text())
    truth = Recording.open(session).meta.source["truth"]["rep_list"]  # type: ignore[index]
    assert len(doc["reps"]) == len(truth)
    keys = {
        "start_s",
        "bottom_s",
        "end_s",
        "depth_cm",
        "set_angle_deg",
        "peak_flexion_deg",
        "verdict",
    }
    for rep, want in zip(doc["reps"], truth, strict=True):
        assert keys <= set(rep)
        assert rep["verdict"] == want["verdict"]
    assert any(a["level"] == "flexion" for a in doc["alerts"])
    assert doc["calibration"]["thresholds"]["flexion_deg"] == 2.0
    assert doc["sets"] and doc["sets"][0]["notes"]
    with angles.open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:2] == ["time_s", "lumbopelvic_deg"]
    times = [float(r[0]) for r in rows[1:]]
    assert len(times) / (times[-1] - times[0]) >= 50  # at least 50 Hz
    table = capsys.readouterr().out
    assert "FLEXION" in table and "set 1" in table
    with Recording.open(session) as rec:  # the derived events are stored in the recording
        assert len(rec.events("rep")) == len(truth)


def test_report_errors_are_one_line(
    calibrated: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session, profiles = calibrated
    assert main(["report", str(session), "--athlete", "Nobody", "--profiles", str(profiles)]) == 2
    err = capsys.readouterr().err
    assert "no profile for athlete 'Nobody'" in err and "Traceback" not in err
    missing = tmp_path / "missing.winkmon"
    assert main(["report", str(missing), "--athlete", "Sam", "--profiles", str(profiles)]) == 2
    assert "no such recording" in capsys.readouterr().err


def test_simulate_writes_a_recording_with_truth(tmp_path: Path) -> None:
    out = tmp_path / "sim.winkmon"
    assert main(["simulate", "-o", str(out), "--random", "--seed", "5", "--minutes", "1"]) == 0
    with Recording.open(out) as rec:
        assert rec.meta.simulated
        assert set(rec.sensors) == {1, 2}
        assert rec.duration_s > 50
    assert main(["simulate", "-o", str(out)]) == 2  # refuses to overwrite
