"""The command-line proof: `winkmon demo --headless --record --json --disconnect`, then
`winkmon report --json` on the recording, gives the same reps and alerts (to the ms)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def winkmon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "winkmon", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_demo_live_json_equals_report_of_its_recording(tmp_path: Path) -> None:
    rec, live_json, replay_json = tmp_path / "out.winkmon", tmp_path / "l.json", tmp_path / "r.json"
    # The demo's first set runs from about 38 s to 57 s; the lumbar sensor drops out in it.
    live = winkmon(
        "demo",
        "--headless",
        "--seconds",
        "58",
        "--record",
        str(rec),
        "--json",
        str(live_json),
        "--disconnect",
        "lumbar@47+2",
        "--loss",
        "1",
    )
    assert live.returncode == 0, live.stderr
    assert "reconnected" in live.stdout
    report = winkmon("report", str(rec), "--json", str(replay_json))
    assert report.returncode == 0, report.stderr
    assert "calibration stored in the recording" in report.stderr
    a = json.loads(live_json.read_text())
    b = json.loads(replay_json.read_text())
    assert len(a["reps"]) >= 3 and a["alerts"]
    assert a["reps"] == b["reps"]
    assert a["alerts"] == b["alerts"]
    assert [g["sensor"] for g in a["gaps"]] == ["lumbar"]
    assert a["gaps"] == b["gaps"]
    assert a["sensors"] == b["sensors"]  # the same loss, counted the same way
