"""The shipped demo recording, calibrated once, analysed once, for the report tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reports_testutil import Analysed

from winkmon.cli import main
from winkmon.commands.report import report_document
from winkmon.profiles import ProfileStore
from winkmon.recording import Recording
from winkmon.reports.html import session_info
from winkmon.session.offline import analyze_recording

SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "demo.winkmon"


@pytest.fixture(scope="session")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Analysed:
    work = tmp_path_factory.mktemp("reports")
    session = work / "demo.winkmon"
    shutil.copy(SAMPLE, session)
    profiles = work / "profiles"
    assert main(["calibrate", str(session), "--athlete", "Sam", "--profiles", str(profiles)]) == 0
    profile = ProfileStore(profiles).load("Sam")
    with Recording.open(session) as rec:
        result = analyze_recording(rec, profile.model())
        info = session_info(rec, float(result.angles.t_s[-1] - result.angles.t_s[0]))
    doc = report_document(result, profile, str(session))
    return Analysed(session, profiles, profile, result, doc, info)
