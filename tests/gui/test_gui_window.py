from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from conftest import FakeClock, dashboard_source
from winkmon.gui.controller import SessionController
from winkmon.gui.sound import Cue, SoundPlayer
from winkmon.gui.window import DashboardWindow
from winkmon.pipeline.events import AlertLevel, Verdict


def run(window: DashboardWindow, clock: FakeClock, seconds: float, fps: float = 30.0) -> None:
    for _ in range(int(seconds * fps)):
        clock.advance(1.0 / fps)
        window.tick()


def make_window(qtbot: QtBot, clock: FakeClock, seed: int = 0) -> DashboardWindow:
    controller = SessionController(dashboard_source(seed), clock=clock)
    window = DashboardWindow(controller, sound=SoundPlayer(enabled=False), clock=clock)
    qtbot.addWidget(window)
    window.show()
    return window


def test_window_opens_in_demo_mode(qtbot: QtBot, clock: FakeClock) -> None:
    window = make_window(qtbot, clock)
    run(window, clock, 2.0)
    assert window.source_label.text().startswith("DEMO")
    assert window.controller.current() is not None
    assert window.gauge.text.endswith("°")
    assert not window.replay_bar.isVisible()
    assert "Sound unavailable" in window.sound_notice.text()


def test_alert_when_the_athlete_winks(qtbot: QtBot, clock: FakeClock) -> None:
    window = make_window(qtbot, clock)
    run(window, clock, 26.0)  # reps 1-4: good, good, good, extension lost
    assert window.sound.played == [Cue.EXTENSION_LOST]
    flashes = window.flash.count
    run(window, clock, 1.5)
    # Rep 5 winks: the red flash and the flexion cue come in the frame of the pipeline's event.
    levels = [a.level for a in window.controller.alerts]
    assert levels[-1] is AlertLevel.FLEXION
    assert window.sound.played[-1] is Cue.FLEXION
    assert window.flash.count > flashes
    assert window.flash.level is AlertLevel.FLEXION and window.flash.isVisible()
    run(window, clock, 3.0)
    rows = window.set_panel.table.rows()
    assert len(rows) == 5
    assert "Butt wink" in rows[-1][-1]
    assert window.controller.current_set is not None
    assert window.controller.current_set.verdict_counts()[Verdict.FLEXION] == 1


def test_mute_is_one_click(qtbot: QtBot, clock: FakeClock) -> None:
    window = make_window(qtbot, clock)
    window.mute_button.click()
    assert window.sound.muted
    run(window, clock, 31.0)
    assert window.sound.played == []
    assert window.flash.count >= 2  # the visual alerts still come


def test_screenshot(qtbot: QtBot, clock: FakeClock, screenshot_dir: Path) -> None:
    window = make_window(qtbot, clock)
    window.resize(1600, 900)
    run(window, clock, 27.4)
    qtbot.wait(10)
    path = screenshot_dir / "dashboard_wink.png"
    assert window.grab().save(str(path))
    run(window, clock, 1.2)
    assert window.grab().save(str(screenshot_dir / "dashboard_after_flash.png"))
    assert path.stat().st_size > 10_000


def test_demo_through_the_real_pipeline_alerts_on_the_wink(
    qtbot: QtBot, clock: FakeClock, screenshot_dir: Path
) -> None:
    """The default demo script: set 1 is good, good, good, extension lost, butt wink."""
    from winkmon.gui.simsource import SimulatedSource

    controller = SessionController(SimulatedSource(seed=0), clock=clock)
    window = DashboardWindow(controller, sound=SoundPlayer(enabled=False), clock=clock)
    qtbot.addWidget(window)
    window.resize(1600, 900)
    window.show()
    flexion_frame = None
    for frame in range(60 * 30):
        clock.advance(1 / 30)
        window.tick()
        if flexion_frame is None and any(
            a.level is AlertLevel.FLEXION for a in window.controller.alerts
        ):
            flexion_frame = frame
            # Cued in the very frame the pipeline reported it.
            assert window.sound.played[-1] is Cue.FLEXION
            assert window.flash.isVisible() and window.flash.level is AlertLevel.FLEXION
            window.grab().save(str(screenshot_dir / "demo_pipeline_wink.png"))
    assert flexion_frame is not None
    assert Cue.EXTENSION_LOST in window.sound.played
    window.grab().save(str(screenshot_dir / "demo_pipeline_60s.png"))
