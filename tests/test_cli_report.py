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
    before = session.read_bytes()
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
    assert session.read_bytes() == before  # analysing a file does not change it
    with Recording.open(session) as rec:
        assert rec.events("rep") == []
    args = ["report", str(session), "--athlete", "Sam", "--profiles", str(profiles)]
    assert main([*args, "--save"]) == 0
    with Recording.open(session) as rec:  # asked: the derived events are stored
        assert len(rec.events("rep")) == len(truth)
    assert main([*args, "--no-save", "--json", str(out), "--overwrite"]) == 0  # still accepted


def test_report_table_reads_at_a_glance(
    calibrated: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """One rounding rule (the JSON's 0.1 cm, half up), "1 rep", a documented change column."""
    from winkmon.numbers import whole_cm

    session, profiles = calibrated
    out = session.parent / "glance.json"
    args = ["report", str(session), "--athlete", "Sam", "--profiles", str(profiles)]
    assert main([*args, "--json", str(out)]) == 0
    table = capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert "rise deg" not in table and "peak-set: how far the back moved" in table
    assert " 1 reps" not in table
    for rep in doc["reps"]:
        onset = rep["flexion_onset_depth_cm"]
        assert onset is None or onset <= rep["depth_cm"]
        assert f"{whole_cm(rep['depth_cm'])}" in table


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


def test_report_without_a_profile_gives_reps_depth_and_tempo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No calibration at all: every rep with its depth and tempo; the angle and verdicts
    are marked unavailable (null, not zero), and the table says why."""
    session = tmp_path / "demo.winkmon"
    shutil.copy(SAMPLE, session)
    out = tmp_path / "r.json"
    assert main(["report", str(session), "--json", str(out), "--no-save"]) == 0
    doc = json.loads(out.read_text())
    truth = Recording.open(session).meta.source["truth"]["rep_list"]  # type: ignore[index]
    assert len(doc["reps"]) == len(truth)
    assert doc["athlete"] is None and doc["calibration"] is None
    assert doc["lumbopelvic"] == {"available": False, "note": doc["lumbopelvic"]["note"]}
    assert "no athlete profile" in doc["lumbopelvic"]["note"]
    for rep, want in zip(doc["reps"], truth, strict=True):
        assert rep["verdict"] == "unavailable"
        assert rep["set_angle_deg"] is None and rep["peak_flexion_deg"] is None
        assert abs(rep["depth_cm"] - want["depth_cm"]) < 0.2 * want["depth_cm"]
        assert rep["descent_s"] > 0 and rep["ascent_s"] > 0
        assert rep["duration_s"] == pytest.approx(rep["descent_s"] + rep["ascent_s"], abs=0.02)
    assert not doc["alerts"]
    notes = " ".join(n for s in doc["sets"] for n in s["notes"])
    assert "depth" in notes and "extended" not in notes
    assert main(["report", str(session), "--no-save"]) == 0
    text = capsys.readouterr().out
    assert "depth and tempo" in text and "verdict" not in text


def test_sacrum_only_recording_reports_reps_and_pelvic_tilt(
    calibrated: tuple[Path, Path], tmp_path: Path
) -> None:
    """One sensor (the other flat or not owned): reps and depth as with both, the pelvic tilt
    in the angles CSV, the lumbopelvic angle empty."""
    session, profiles = calibrated
    csv_dir = tmp_path / "csv"
    assert main(["export", str(session), "--csv", str(csv_dir)]) == 0
    sacrum_csv = next(csv_dir.glob("*sacrum*.csv"))
    one = tmp_path / "sacrum_only.winkmon"
    assert main(["import-csv", "--sacrum", str(sacrum_csv), "-o", str(one)]) == 0
    out, angles = tmp_path / "r.json", tmp_path / "a.csv"
    rc = main(
        [
            "report",
            str(one),
            "--athlete",
            "Sam",
            "--profiles",
            str(profiles),
            "--json",
            str(out),
            "--angles-csv",
            str(angles),
            "--no-save",
        ]
    )
    assert rc == 0
    doc = json.loads(out.read_text())
    truth = Recording.open(session).meta.source["truth"]["rep_list"]  # type: ignore[index]
    assert len(doc["reps"]) == len(truth)
    assert not doc["lumbopelvic"]["available"]
    assert "only the sacrum sensor" in doc["lumbopelvic"]["note"]
    assert {r["verdict"] for r in doc["reps"]} == {"unavailable"}
    with angles.open() as fh:
        rows = list(csv.DictReader(fh))
    assert all(r["lumbopelvic_deg"] == "" for r in rows)
    tilts = [float(r["pelvis_tilt_deg"]) for r in rows if r["pelvis_tilt_deg"]]
    assert len(tilts) > 0.9 * len(rows) and max(tilts) - min(tilts) > 10.0


def test_report_with_an_earlier_calibration_revision(
    calibrated: tuple[Path, Path], tmp_path: Path
) -> None:
    session, profiles = calibrated
    work = tmp_path / "p"
    shutil.copytree(profiles, work)
    assert main(["calibrate", str(session), "--athlete", "Sam", "--profiles", str(work)]) == 0
    docs = []
    for rev in ("1", "2"):
        out = tmp_path / f"r{rev}.json"
        args = ["report", str(session), "--athlete", "Sam", "--profiles", str(work)]
        assert main([*args, "--revision", rev, "--json", str(out), "--no-save"]) == 0
        docs.append(json.loads(out.read_text()))
    assert [d["calibration"]["revision_used"] for d in docs] == [1, 2]
    assert all(d["calibration"]["revision"] == 2 for d in docs)
    assert any("axis ±" in line for line in docs[0]["calibration"]["quality"])
    assert main(["report", str(session), "--revision", "1", "--no-save"]) != 0
