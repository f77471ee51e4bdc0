"""The dashboard from 3 m: headline words, replay buttons, trace range, notes, full screen."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from glyphcheck import missing_glyphs, missing_in_window
from pytestqt.qtbot import QtBot
from test_gui_replay import demo_analysis
from test_gui_window import make_window, run

from conftest import FakeClock
from winkmon.gui import theme
from winkmon.gui.controller import LinkState, SensorStatus, SessionController, SourceKind
from winkmon.gui.headline import BETWEEN_REPS, Side, headline, side_of
from winkmon.gui.replay import ReplaySource
from winkmon.gui.sound import SoundPlayer
from winkmon.gui.window import DashboardWindow
from winkmon.pipeline.events import AngleBlock, Phase, StepResult, Zone
from winkmon.pipeline.model import Thresholds
from winkmon.protocol.constants import Role

FLEXION_WORD = theme.ZONE_WORD[Zone.FLEXION]


class BendSource:
    """A pick-up bend: the angle goes 20 deg into flexion (the pipeline's zone is red), the
    pelvis goes 12 cm down, and no rep starts (too shallow for a squat)."""

    kind = SourceKind.DEMO
    thresholds = Thresholds()

    def __init__(self, error: str | None = None) -> None:
        self.error = error
        self._k = 0

    def start(self, now_s: float) -> None:
        pass

    def pull(self, now_s: float) -> StepResult:
        if self.error:
            return StepResult(AngleBlock.empty(), ())
        k = np.arange(self._k, self._k + 5)
        self._k += 5
        t = k / 100.0
        angle = np.minimum(20.0, t * 10.0)
        zone = np.where(angle > 2.0, int(Zone.FLEXION), int(Zone.EXTENSION)).astype(np.int8)
        block = AngleBlock(
            t_s=t,
            lumbopelvic_deg=angle,
            depth_cm=np.minimum(12.0, t * 6.0),
            phase=np.full(t.size, int(Phase.DESCENT), np.int8),
            zone=zone,
        )
        return StepResult(block, ())

    def sensors(self) -> Mapping[Role, SensorStatus]:
        link = LinkState.DISCONNECTED if self.error else LinkState.CONNECTED
        return {r: SensorStatus(r, link, 100.0) for r in (Role.SACRUM, Role.LUMBAR)}

    def close(self) -> None:
        pass


def bend_window(qtbot: QtBot, clock: FakeClock, error: str | None = None) -> DashboardWindow:
    controller = SessionController(BendSource(error), clock=clock)  # type: ignore[arg-type]
    window = DashboardWindow(controller, sound=SoundPlayer(enabled=False), clock=clock)
    qtbot.addWidget(window)
    window.show()
    return window


def test_side_word_has_a_dead_band_and_hysteresis() -> None:
    side = Side.EXTENSION
    shown = []
    for angle in (-3.0, -0.8, 0.3, 0.8, -0.7, 0.9, 1.2, 0.7, 0.2, -0.6, -1.5):
        side = side_of(angle, side)
        shown.append(side)
    assert shown == [
        Side.EXTENSION,
        Side.EXTENSION,  # inside 1 deg: no change yet
        Side.NEUTRAL,
        Side.NEUTRAL,  # walking noise around 0 does not flicker into "flexion"
        Side.NEUTRAL,
        Side.NEUTRAL,
        Side.FLEXION,
        Side.FLEXION,
        Side.NEUTRAL,
        Side.NEUTRAL,
        Side.EXTENSION,
    ]


def test_verdict_words_only_during_a_rep() -> None:
    bend = headline(20.0, Zone.FLEXION, rep_under_way=False, side=Side.FLEXION)
    assert (
        bend.word == BETWEEN_REPS and bend.colour != theme.RED and bend.number_colour == theme.TEXT
    )
    walking = headline(0.3, Zone.EXTENSION, rep_under_way=False, side=Side.NEUTRAL)
    assert walking.word == BETWEEN_REPS and walking.colour != theme.GREEN
    wink = headline(6.0, Zone.FLEXION, rep_under_way=True, side=Side.FLEXION)
    assert wink.word == FLEXION_WORD and wink.colour == theme.RED


def test_a_pick_up_bend_is_not_called_butt_wink(qtbot: QtBot, clock: FakeClock) -> None:
    window = bend_window(qtbot, clock)
    run(window, clock, 3.0)
    hl = window.gauge.headline
    assert window.controller.current().zone is Zone.FLEXION  # type: ignore[union-attr]
    assert hl.word == BETWEEN_REPS and "wink" not in hl.word.lower()
    assert hl.colour != theme.RED and window.gauge.text == "20°" and hl.side == "flexion"
    # Nor is the trace red: outside a rep it has no verdict colour.
    curves = window.trace._curves
    _, red = curves[Zone.FLEXION].getData()
    _, neutral = curves[Zone.UNKNOWN].getData()
    assert red is None or not np.isfinite(red).any()
    assert neutral is not None and np.nanmax(neutral) == 20.0


def test_between_sets_is_not_good_and_a_wink_in_a_rep_is(qtbot: QtBot, clock: FakeClock) -> None:
    window = make_window(qtbot, clock, seed=2)
    seen = set()
    for _ in range(32 * 30):  # set 1 of the script: five reps, the last one winks
        clock.advance(1 / 30)
        window.tick()
        seen.add((window.gauge.headline.word, window.controller.rep_in_progress is not None))
    assert (FLEXION_WORD, True) in seen and (FLEXION_WORD, False) not in seen
    assert ("Good", False) not in seen
    run(window, clock, 6.0)  # resting after the set
    assert window.gauge.headline.word == BETWEEN_REPS
    assert window.gauge.cue == "Butt wink on rep 5: stop the set here"


def test_no_signal_says_why(qtbot: QtBot, clock: FakeClock) -> None:
    reason = "No Bluetooth: no Bluetooth adapter found; plug one in"
    window = bend_window(qtbot, clock, error=reason)
    run(window, clock, 1.0)
    assert window.gauge.headline.word == "No signal"
    assert window.gauge.headline.side == reason


def test_coaching_notes_follow_the_set(qtbot: QtBot, clock: FakeClock) -> None:
    window = make_window(qtbot, clock)
    run(window, clock, 31.0)
    notes = window.set_panel.notes.text()
    assert window.set_panel.notes.isVisible()
    assert "Butt wink (lumbar flexion) in 1 of 5 reps: 5" in notes
    assert "late in the set" in notes  # the fatigue pattern of the script
    assert window.set_panel.table.horizontalHeaderItem(2).text() == "Set-up angle"


def test_trace_is_not_cut_off_above_fifteen_degrees(qtbot: QtBot, clock: FakeClock) -> None:
    window = make_window(qtbot, clock)
    trace = window.trace
    t = np.linspace(-9.0, 0.0, 901)
    angle = 28.0 * np.exp(-((t + 3.0) ** 2))  # a 28 deg peak
    zone = np.full(t.size, int(Zone.FLEXION), np.int8)
    trace.set_thresholds(Thresholds(flexion_deg=14.0))
    trace.update_data(t, angle, np.zeros_like(t), zone, [])
    low, high = trace.angle_range_deg
    assert high >= 28.0 + 2.0 and low <= -25.0
    trace.update_data(t, np.zeros_like(t), np.zeros_like(t), zone, [])
    assert trace.angle_range_deg[1] >= 14.0 + 2.0  # the athlete's threshold stays in view


def test_full_screen_with_f11_and_the_view_menu(qtbot: QtBot, clock: FakeClock) -> None:
    window = make_window(qtbot, clock)
    action = window.full_screen_action
    assert action.shortcut().toString() == "F11"
    view = next(m for m in window.menuBar().actions() if m.text() == "&View").menu()
    assert action in view.actions()  # type: ignore[union-attr]
    action.trigger()
    assert window.isFullScreen() and action.isChecked()
    action.trigger()
    assert not window.isFullScreen()


def test_replay_buttons_render(qtbot: QtBot, clock: FakeClock, screenshot_dir: Path) -> None:
    source = ReplaySource(demo_analysis())
    controller = SessionController(source, clock=clock)
    window = DashboardWindow(controller, SoundPlayer(enabled=False), clock=clock)
    qtbot.addWidget(window)
    window.resize(1600, 900)
    window.show()
    window.replay_bar.timeline.seek_requested.emit(24.0)
    run(window, clock, 0.5)
    qtbot.wait(10)
    bar = window.replay_bar
    for button in (bar.play_button, bar.prev_rep, bar.next_rep, bar.prev_alert, bar.next_alert):
        assert not button.icon().isNull()
        assert not missing_glyphs(button.text(), button.font())
    assert missing_in_window(window) == []
    assert window.grab().save(str(screenshot_dir / "dashboard_replay.png"))


def test_no_text_in_the_window_shows_a_missing_glyph(
    qtbot: QtBot, clock: FakeClock, screenshot_dir: Path
) -> None:
    window = make_window(qtbot, clock)
    window.resize(1600, 900)
    run(window, clock, 27.6)  # rep 5, in the wink
    assert window.gauge.headline.word == FLEXION_WORD
    assert missing_in_window(window) == []
    assert missing_glyphs("⏮ ⏭ ⏸", window.font())  # the check can fail: these are not in it
    qtbot.wait(10)  # let the panels lay out their new text before the picture
    assert window.grab().save(str(screenshot_dir / "dashboard_wink_gym.png"))


def test_dashboard_depths_follow_the_one_rounding_rule(qtbot: QtBot) -> None:
    """A rep of 35.46 cm is stored as 35.5 and shown "36 cm" by the CLI: the table and the
    set header show 36 too (they showed 35 before), and the onset is clipped to it."""
    from winkmon.gui.controller import SetSummary
    from winkmon.gui.panels import RepTable, summary_text
    from winkmon.pipeline.events import Rep, Verdict

    rep = Rep(
        number=1,
        start_s=0.0,
        bottom_s=1.0,
        end_s=2.0,
        depth_cm=35.46,
        set_angle_deg=-10.0,
        peak_flexion_deg=6.0,
        peak_s=1.0,
        verdict=Verdict.FLEXION,
        flexion_onset_s=0.9,
        flexion_onset_depth_cm=35.46,
    )
    table = RepTable()
    table.show_reps([rep])
    assert table.rows()[0][1] == "36 cm"
    text = summary_text(SetSummary(1, [rep]))
    assert "Set 1: 1 rep ·" in text and "depth 36 cm" in text and "at 36 cm" in text
