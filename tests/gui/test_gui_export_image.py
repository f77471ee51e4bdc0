"""File > Export image: the dashboard view and a replayed rep as PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from pytestqt.qtbot import QtBot

from winkmon.calibration import calibrate
from winkmon.gui.controller import SessionController
from winkmon.gui.export_image import current_rep, export_rep, export_view
from winkmon.gui.replay import ReplaySource, SessionAnalysis
from winkmon.gui.sound import SoundPlayer
from winkmon.gui.window import DashboardWindow
from winkmon.pipeline.events import Verdict
from winkmon.recording import Recording, load_samples
from winkmon.session.offline import analyze_recording

SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "demo.winkmon"
RED = np.array([0xEF, 0x44, 0x44])


def _demo_replay() -> ReplaySource:
    with Recording.open(SAMPLE) as rec:
        profile = calibrate(load_samples(rec).samples, source=str(SAMPLE)).profile("Sam")
        res = analyze_recording(rec, profile.model())
        rates = {r: s.rate_hz for r, s in rec.sensors.items()}
    analysis = SessionAnalysis(
        res.angles,
        tuple(res.events),
        rates,
        {r: s.loss_pct for r, s in res.stats.items()},
        profile.thresholds,
        "demo",
        "Sam",
    )
    return ReplaySource(analysis)


def _img(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def test_export_view_and_rep(qtbot: QtBot, tmp_path: Path) -> None:
    source = _demo_replay()
    window = DashboardWindow(SessionController(source), SoundPlayer(enabled=False))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    window.tick()
    assert window.export_image_action.text().startswith("Export")
    view = _img(export_view(window, tmp_path / "view.png"))
    assert view.shape[:2] == (window.height(), window.width()) and view.std() > 10

    wink = next(r for r in source.reps if r.verdict is Verdict.FLEXION)
    source.seek(wink.bottom_s)
    assert current_rep(source) == wink
    pic = _img(export_rep(source, tmp_path / "rep.png"))
    assert pic.shape[1] == 900 and pic.std() > 10
    red = (np.abs(pic - RED).max(axis=-1) < 40).sum()
    assert red > 200  # the angle in flexion, the peak marker, the title

    good = next(r for r in source.reps if r.verdict is Verdict.OK)
    ok_pic = _img(export_rep(source, tmp_path / "good.png", good))
    assert (np.abs(ok_pic - RED).max(axis=-1) < 40).sum() < red / 2  # only the dashed line
