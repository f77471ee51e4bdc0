"""The shipped demo recording, calibrated from itself and analysed once, for the output tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from winkmon.calibration import calibrate
from winkmon.pipeline.offline import SessionResult
from winkmon.recording import Recording, load_samples
from winkmon.session.offline import analyze_recording

SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "demo.winkmon"


@pytest.fixture(scope="session")
def demo_result() -> SessionResult:
    with Recording.open(SAMPLE) as rec:
        profile = calibrate(load_samples(rec).samples, source=str(SAMPLE)).profile("Sam")
        return analyze_recording(rec, profile.model())
