"""File > Export image: the dashboard as it is now, or one rep of a replay, as a PNG.

``add_export_actions(window, file_menu)`` adds both actions to the window's File menu (the
one hook-up in :mod:`winkmon.gui.window`). The rep picture is drawn offscreen from the
replay's analysis, not grabbed from the scrolling trace: the rep from a second before its
start to a second after its end, the angle coloured by zone with the neutral and flexion
lines, the wink's peak marked, and the depth under it, with the rep's verdict in the title.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QAction, QKeySequence, QPixmap
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QVBoxLayout, QWidget

from winkmon.errors import WinkmonError
from winkmon.gui import theme
from winkmon.gui.replay import ReplaySource, SessionAnalysis
from winkmon.pipeline.events import Rep, Verdict, Zone
from winkmon.reports.html import rep_depth_curve

#: Seconds shown before a rep's start and after its end.
PAD_S = 1.0


def export_view(window: QWidget, path: str | Path) -> Path:
    """Save the window as it is on screen (PNG)."""
    p = Path(path)
    if not window.grab().save(str(p), "PNG"):
        raise WinkmonError(f"cannot write the image {p}")
    return p


def current_rep(source: ReplaySource) -> Rep | None:
    """The rep under the replay's position, else the last one before it, else the first."""
    reps = source.reps
    if not reps:
        return None
    t = source.position_s
    for r in reps:
        if r.start_s - PAD_S <= t <= r.end_s + PAD_S:
            return r
    before = [r for r in reps if r.end_s < t]
    return before[-1] if before else reps[0]


def rep_picture(analysis: SessionAnalysis, rep: Rep, width_px: int = 900) -> QPixmap:
    """The rep drawn offscreen (see the module doc)."""
    a = analysis.angles
    t0, t1 = rep.start_s - PAD_S, rep.end_s + PAD_S
    sl = slice(int(np.searchsorted(a.t_s, t0)), int(np.searchsorted(a.t_s, t1, side="right")))
    t = a.t_s[sl] - rep.start_s
    ang, dep, zone = a.lumbopelvic_deg[sl], a.depth_cm[sl], a.zone[sl]
    th = analysis.thresholds

    box = QWidget()
    box.setStyleSheet(f"background: {theme.BACKGROUND}; color: {theme.TEXT}")
    lay = QVBoxLayout(box)
    verdict = theme.VERDICT_WORD.get(rep.verdict, rep.verdict.value).lower()
    who = f"{analysis.athlete_name}: " if analysis.athlete_name else ""
    title = QLabel(
        f"{who}rep {rep.number}, {verdict}; depth {rep.depth_cm:.0f} cm"
        + (
            f", set {rep.set_angle_deg:+.1f}°, peak {rep.peak_flexion_deg:+.1f}°"
            if math.isfinite(rep.peak_flexion_deg)
            else ""
        )
    )
    title.setFont(theme.font(16, bold=True))
    colour = theme.VERDICT_COLOUR.get(rep.verdict, theme.TEXT)
    title.setStyleSheet(f"color: {colour}")
    lay.addWidget(title)

    angle_plot = pg.PlotWidget(background=theme.BACKGROUND)
    angle_plot.setLabel("left", "lumbopelvic angle, deg (up: flexion)")
    angle_plot.addLine(y=0.0, pen=pg.mkPen(theme.TEXT, width=1))
    angle_plot.addLine(
        y=th.flexion_deg, pen=pg.mkPen(theme.RED, width=2, style=pg.QtCore.Qt.PenStyle.DashLine)
    )
    for z, col in (
        (Zone.EXTENSION, theme.GREEN),
        (Zone.EXTENSION_LOST, theme.AMBER),
        (Zone.FLEXION, theme.RED),
    ):
        # each zone's samples plus their neighbours, so the coloured runs join up
        mask = zone == z
        near = mask | np.r_[mask[1:], False] | np.r_[False, mask[:-1]]
        y = np.where(near, ang, np.nan)
        angle_plot.plot(t, y, pen=pg.mkPen(col, width=3), connect="finite")
    if rep.verdict is Verdict.FLEXION and math.isfinite(rep.peak_flexion_deg):
        angle_plot.plot(
            [rep.peak_s - rep.start_s],
            [rep.peak_flexion_deg],
            pen=None,
            symbol="o",
            symbolSize=14,
            symbolBrush=theme.RED,
        )
    depth_plot = pg.PlotWidget(background=theme.BACKGROUND)
    depth_plot.setLabel("left", "depth, cm")
    depth_plot.setLabel("bottom", "seconds from the rep's start")
    depth_plot.invertY(True)
    curve = rep_depth_curve(a.t_s[sl], dep, rep.start_s, rep.end_s, rep.depth_cm)
    depth_plot.plot(t, curve, pen=pg.mkPen(theme.BLUE, width=3), connect="finite")
    depth_plot.setXLink(angle_plot)
    lay.addWidget(angle_plot, 3)
    lay.addWidget(depth_plot, 2)
    box.resize(width_px, int(width_px * 0.62))
    box.setAttribute(pg.QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    box.show()
    pixmap = box.grab()
    box.close()
    box.deleteLater()
    return pixmap


def export_rep(source: ReplaySource, path: str | Path, rep: Rep | None = None) -> Path:
    """Save the replay's current rep (or ``rep``) as a PNG."""
    rep = rep or current_rep(source)
    if rep is None:
        raise WinkmonError("this recording has no reps to export")
    p = Path(path)
    if not rep_picture(source.analysis, rep).save(str(p), "PNG"):
        raise WinkmonError(f"cannot write the image {p}")
    return p


def add_export_actions(window: Any, file_menu: Any) -> None:
    """File > Export image… (Ctrl+E) and File > Export rep image… (replay only)."""

    def ask(title: str, name: str) -> str:
        path, _ = QFileDialog.getSaveFileName(window, title, name, "PNG image (*.png)")
        return str(path)

    def view() -> None:
        path = ask("Export image", "winkmon.png")
        if path:
            try:
                export_view(window, path)
            except WinkmonError as exc:
                QMessageBox.warning(window, "winkmon", str(exc))

    def rep() -> None:
        source = window.controller.source
        if not isinstance(source, ReplaySource):
            QMessageBox.information(
                window, "winkmon", "Open a recording (File > Open) to export one of its reps."
            )
            return
        r = current_rep(source)
        path = ask("Export rep image", f"rep-{r.number if r else 0}.png")
        if path:
            try:
                export_rep(source, path, r)
            except WinkmonError as exc:
                QMessageBox.warning(window, "winkmon", str(exc))

    a_view = QAction("Export &image…", window)
    a_view.setShortcut(QKeySequence("Ctrl+E"))
    a_view.triggered.connect(view)
    a_rep = QAction("Export &rep image…", window)
    a_rep.triggered.connect(rep)
    file_menu.addAction(a_view)
    file_menu.addAction(a_rep)
    window.export_image_action, window.export_rep_action = a_view, a_rep
