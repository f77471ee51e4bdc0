from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from conftest import FakeClock
from winkmon.gui.calibfeed import SimCalibrationFeed
from winkmon.gui.wizard import CalibrationWizard
from winkmon.profiles import ProfileStore


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


def test_wizard_needs_a_name(qtbot: QtBot, clock: FakeClock, tmp_path: Path) -> None:
    wizard = CalibrationWizard(feed=SimCalibrationFeed(), profiles_dir=tmp_path, clock=clock)
    qtbot.addWidget(wizard)
    wizard.athlete.setCurrentText("  ")
    wizard.next_button.click()
    assert wizard.step == 0
