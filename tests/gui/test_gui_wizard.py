from __future__ import annotations

from pathlib import Path

import numpy as np
from pytestqt.qtbot import QtBot

from conftest import FakeClock
from winkmon.gui.calibfeed import SimCalibrationFeed
from winkmon.gui.wizard import CalibrationWizard
from winkmon.profiles import ProfileStore
from winkmon.protocol.constants import Role
from winkmon.sim import SimConfig
from winkmon.sim.config import AthleteParams


def test_wizard_calibrates_and_saves_a_profile(
    qtbot: QtBot, clock: FakeClock, tmp_path: Path, screenshot_dir: Path
) -> None:
    wizard = CalibrationWizard(feed=SimCalibrationFeed(seed=4), profiles_dir=tmp_path, clock=clock)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.athlete.setCurrentText("Sam")
    wizard.next_button.click()
    assert wizard.step == 1
    wizard.grab().save(str(screenshot_dir / "wizard_sensors.png"))
    wizard.next_button.click()
    assert wizard.step == 2  # stand still: collecting
    for _ in range(int((wizard.feed.still_s + wizard.feed.bends_s) * 30) + 5):
        clock.advance(1 / 30)
        wizard.tick()
        if wizard.step == 3 and wizard.bend_progress.value() == 0:
            wizard.grab().save(str(screenshot_dir / "wizard_still.png"))
    assert wizard.step == 4, wizard.result_text.text()
    wizard.grab().save(str(screenshot_dir / "wizard_result.png"))
    assert wizard.calibration is not None, wizard.result_text.text()
    assert wizard.save_button.isEnabled()
    wizard.save_button.click()
    assert wizard.saved_path is not None and wizard.saved_path.exists()
    profile = ProfileStore(tmp_path).load("Sam")
    assert profile.name == "Sam"
    assert (
        "axis ±" in wizard.result_text.text() and "at 30° of flexion" in wizard.result_text.text()
    )
    assert profile.sensors[Role.SACRUM].quality.axis_uncertainty_deg is not None


def test_wizard_accepts_a_lumbar_dominant_athlete(
    qtbot: QtBot, clock: FakeClock, tmp_path: Path
) -> None:
    # tight hamstrings: the pelvis tilts only 9-12 deg while the lower back bends 50 deg
    athlete = AthleteParams(bend_pelvis_deg=(9.0, 12.0), bend_flexion_deg=(40.0, 45.0))
    feed = SimCalibrationFeed(config=SimConfig(seed=5, athlete=athlete))
    wizard = CalibrationWizard(feed=feed, profiles_dir=tmp_path, clock=clock)
    qtbot.addWidget(wizard)
    wizard.athlete.setCurrentText("Kim")
    wizard.next_button.click()
    wizard.next_button.click()
    for _ in range(int((feed.still_s + feed.bends_s) * 30) + 5):
        clock.advance(1 / 30)
        wizard.tick()
    assert wizard.step == 4 and wizard.calibration is not None, wizard.result_text.text()
    assert "further" not in wizard.result_text.text()
    wizard.save_button.click()
    # calibrating again keeps the first calibration in the athlete's history
    first = ProfileStore(tmp_path).load("Kim")
    again = CalibrationWizard(feed=SimCalibrationFeed(seed=6), profiles_dir=tmp_path, clock=clock)
    qtbot.addWidget(again)
    again.athlete.setCurrentText("Kim")
    again.next_button.click()
    again.next_button.click()
    for _ in range(int((again.feed.still_s + again.feed.bends_s) * 30) + 5):
        clock.advance(1 / 30)
        again.tick()
    assert again.calibration is not None, again.result_text.text()
    again.save_button.click()
    prof = ProfileStore(tmp_path).load("Kim")
    assert prof.revision == 2 and prof.history[0].reason == "calibrated again in the wizard"
    old = prof.model(revision=1).mounts[Role.SACRUM].matrix
    assert np.allclose(old, first.mounts[Role.SACRUM].matrix, atol=1e-8)


def test_wizard_needs_a_name(qtbot: QtBot, clock: FakeClock, tmp_path: Path) -> None:
    wizard = CalibrationWizard(feed=SimCalibrationFeed(), profiles_dir=tmp_path, clock=clock)
    qtbot.addWidget(wizard)
    wizard.athlete.setCurrentText("  ")
    wizard.next_button.click()
    assert wizard.step == 0
