"""Run in a subprocess on a real X server (Xvfb): the dashboard through Qt's xcb plugin.

Steps the demo as ``winkmon demo --screenshot F --seconds 70`` does (the pick-up bend comes at
70 s), then replays the shipped recording at its butt wink. Grabs each picture from the X
server itself (what a person would see on the screen), and prints what it found as JSON.
Usage: ``python xvfb_probe.py OUT_DIR`` with DISPLAY set.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from glyphcheck import missing_in_window
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from winkmon.gui.controller import SessionController
from winkmon.gui.sound import SoundPlayer
from winkmon.gui.sources import SourceFactory
from winkmon.gui.window import DashboardWindow

FPS = 30.0
SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "demo.winkmon"


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def open_window(source: object, clock: Clock) -> DashboardWindow:
    controller = SessionController(source, clock=clock)  # type: ignore[arg-type]
    window = DashboardWindow(controller, SoundPlayer(enabled=False), clock=clock)
    window.resize(1600, 900)
    window.show()
    QTest.qWaitForWindowExposed(window)
    controller.start()
    return window


def grab(window: DashboardWindow, path: Path) -> bool:
    QApplication.processEvents()
    screen = QApplication.primaryScreen()
    return screen.grabWindow(window.winId()).save(str(path))


def main(out: Path) -> dict[str, object]:
    app = QApplication(sys.argv[:1])
    found: dict[str, object] = {"platform": app.platformName()}

    clock = Clock()
    window = open_window(SourceFactory(seed=0).demo(), clock)
    words: set[tuple[str, bool]] = set()
    wink_shot = False
    for _ in range(round(70 * FPS)):
        clock.t += 1 / FPS
        window.tick()
        word = window.gauge.headline.word
        words.add((word, window.controller.rep_in_progress is not None))
        if "wink" in word.lower() and not wink_shot:
            wink_shot = grab(window, out / "xvfb_demo_wink.png")
    found["demo_words"] = sorted(words)
    found["demo_70s_word"] = window.gauge.headline.word
    found["demo_70s_zone"] = window.controller.current().zone.name  # type: ignore[union-attr]
    found["demo_missing_glyphs"] = missing_in_window(window)
    found["demo_shot"] = grab(window, out / "xvfb_demo_pickup.png")
    found["demo_exposed"] = window.isVisible() and not window.visibleRegion().isEmpty()
    window.close()

    clock = Clock()
    source = SourceFactory().replay(SAMPLE)
    window = open_window(source, clock)
    alert = next(a for a in source.alerts if a.level.value == "flexion")  # type: ignore[attr-defined]
    window.replay_bar.seek(alert.t_s + 0.2)
    for _ in range(10):
        clock.t += 1 / FPS
        window.tick()
    bar = window.replay_bar
    buttons = (bar.play_button, bar.prev_rep, bar.next_rep, bar.prev_alert, bar.next_alert)
    found["replay_icons"] = [not b.icon().isNull() for b in buttons]
    found["replay_word"] = window.gauge.headline.word
    found["replay_missing_glyphs"] = missing_in_window(window)
    found["replay_shot"] = grab(window, out / "xvfb_replay.png")
    window.close()
    return found


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
