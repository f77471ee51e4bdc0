from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from conftest import FakeClock, dashboard_source
from winkmon.gui.controller import SessionController
from winkmon.gui.replay import ReplaySource, SessionAnalysis
from winkmon.gui.simsource import SimulatedSource
from winkmon.gui.sound import SoundPlayer
from winkmon.gui.sources import SourceFactory, analyse_recording
from winkmon.gui.window import DashboardWindow
from winkmon.pipeline.events import Alert, AlertLevel, AngleBlock, Rep, StepResult
from winkmon.protocol.constants import Role


def demo_analysis(seconds: float = 120.0) -> SessionAnalysis:
    """The demo's sets through the real pipeline, as the replay gets them."""
    src = dashboard_source(seed=2)
    src.start(0.0)
    steps = [src.pull(i / 10) for i in range(1, int(seconds * 10) + 1)]
    result = StepResult(
        AngleBlock.concat([s.angles for s in steps]), tuple(e for s in steps for e in s.events)
    )
    return SessionAnalysis(
        result.angles, result.events, {Role.SACRUM: 400, Role.LUMBAR: 400}, {}, title="test"
    )


def test_replay_reveals_by_time_and_seeks() -> None:
    source = ReplaySource(demo_analysis())
    controller = SessionController(source)
    controller.poll(0.0)
    controller.poll(10.0)
    assert controller.current() is not None
    assert abs(controller.current().t_s - 10.0) < 0.02  # type: ignore[union-attr]
    source.set_speed(8.0)
    controller.poll(11.0)
    assert abs(source.position_s - 18.0) < 0.02
    source.seek(71.0)
    result = controller.poll(11.0)
    assert result.reset
    assert abs(controller.t_s.last(1)[0] - 71.0) < 0.02
    # History up to the seek point: set 1 (five reps) and two reps of set 2, with their alerts.
    assert [s.count for s in controller.sets] == [5, 2]
    assert controller.alerts and all(a.t_s <= 71.0 for a in controller.alerts)
    with pytest.raises(ValueError):
        source.set_speed(16.0)


def test_replay_jumps_to_next_and_previous_alert() -> None:
    source = ReplaySource(demo_analysis())
    source.pause()
    first = source.next_alert()
    assert first is not None and source.alerts[0].t_s == first
    second = source.next_alert()
    assert second is not None and second > first
    assert source.previous_alert() == first
    rep_start = source.next_rep()
    assert rep_start is not None and rep_start > first


def test_replay_in_window_seeks_with_the_timeline(qtbot: QtBot, clock: FakeClock) -> None:
    source = ReplaySource(demo_analysis())
    controller = SessionController(source, clock=clock)
    window = DashboardWindow(controller, SoundPlayer(enabled=False), clock=clock)
    qtbot.addWidget(window)
    window.show()
    window.tick()
    assert window.replay_bar.isVisible()
    assert window.source_label.text().startswith("REPLAY")
    tl = window.replay_bar.timeline
    tl.seek_requested.emit(20.0)
    window.tick()
    assert abs(controller.current().t_s - 20.0) < 0.05  # type: ignore[union-attr]
    assert window.flash.count == 0  # history never cues
    window.replay_bar.next_alert.click()
    window.tick()
    assert window.flash.count == 0
    after = min(a.t_s for a in source.alerts if a.t_s > 20.0)
    assert abs(source.position_s - (after + source.ALERT_OFFSET_S)) < 0.05
    window.replay_bar.play_button.click()  # pause
    assert not source.playing
    target = source.alerts[1]
    tl.seek_requested.emit(target.t_s - 1.0)
    window.replay_bar.play_button.click()  # play: the alert comes and cues like live
    assert source.playing
    for _ in range(60):
        clock.advance(1 / 30)
        window.tick()
    assert window.flash.count >= 1
    assert target in window.controller.alerts


def test_demo_recording_replays_with_the_same_reps_and_alerts(tmp_path: Path) -> None:
    source = SimulatedSource(seed=3)
    source.start(0.0)
    path = source.start_recording(tmp_path / "demo")
    live = []
    for i in range(1, 600):
        live.extend(e for e in source.pull(i / 10).events if isinstance(e, Rep | Alert))
    assert source.stop_recording() == path
    analysis = analyse_recording(path)
    replayed = [e for e in analysis.events if isinstance(e, Rep | Alert)]
    assert live and replayed == live
    assert any(isinstance(e, Alert) and e.level is AlertLevel.FLEXION for e in replayed)
    replay = SourceFactory().replay(path)
    assert isinstance(replay, ReplaySource) and replay.duration_s > 55


def test_replay_of_a_missing_file_is_a_user_error(tmp_path: Path) -> None:
    from winkmon.errors import WinkmonError

    with pytest.raises(WinkmonError):
        SourceFactory().replay(tmp_path / "nope.winkmon")


def test_a_recording_without_any_calibration_replays_reps_and_depth(tmp_path: Path) -> None:
    """No profile, no stored mounts, nothing to calibrate from: the replay still runs, with
    reps, depth and tempo and no angle (instead of refusing the recording)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recording"))
    from recording_testutil import write_session

    from winkmon.gui.sources import model_for_recording
    from winkmon.recording import Recording

    path = write_session(tmp_path / "plain.winkmon", frames_per_sensor=400)
    with Recording.open(path) as rec:
        model = model_for_recording(rec)
    assert model.mounts == {} and not model.has_angle
    analysis = analyse_recording(path)
    assert len(analysis.angles) > 0
