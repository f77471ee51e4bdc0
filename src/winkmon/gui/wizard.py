"""The calibration wizard: athlete, sensor placement, still stand, two bends, result and Save.

Each step is a page; the two movement steps collect samples from a
:class:`~winkmon.gui.calibfeed.CalibrationFeed` with a progress bar, then
:func:`winkmon.calibration.calibrate` computes the mounts (its windows found automatically in
what was collected). The result page shows the quality in plain words; Save writes the
athlete's profile to the :class:`~winkmon.profiles.ProfileStore`.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from winkmon.errors import WinkmonError
from winkmon.gui import theme
from winkmon.gui.calibfeed import CalibrationFeed, SimCalibrationFeed
from winkmon.pipeline.model import Thresholds

Clock = Callable[[], float]


class PlacementFigure(QWidget):
    """A back view of the athlete with the two sensor spots (drawn, no image files)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(420, 380)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        s = min(w / 420, h / 400)
        p.translate((w - 420 * s) / 2, (h - 400 * s) / 2)
        p.scale(s, s)
        skin = theme.colour("#c9d2de")
        p.setPen(QPen(theme.colour(theme.DIM), 2))
        p.setBrush(theme.colour("#2a3240"))
        # Torso (shoulders to hips) and the buttocks, seen from behind.
        torso = QPainterPath()
        torso.moveTo(70, 40)
        torso.cubicTo(110, 25, 190, 25, 230, 40)
        torso.lineTo(215, 170)
        torso.cubicTo(205, 215, 215, 250, 225, 280)
        torso.lineTo(75, 280)
        torso.cubicTo(85, 250, 95, 215, 85, 170)
        torso.closeSubpath()
        p.drawPath(torso)
        p.drawEllipse(QRectF(75, 250, 78, 95))
        p.drawEllipse(QRectF(147, 250, 78, 95))
        # Spine, dotted, from the neck to the sacrum.
        p.setPen(QPen(skin, 3, Qt.PenStyle.DotLine))
        p.drawLine(QPointF(150, 30), QPointF(150, 268))
        p.setPen(QPen(theme.colour(theme.DIM), 2))
        p.drawLine(QPointF(138, 268), QPointF(150, 290))
        p.drawLine(QPointF(162, 268), QPointF(150, 290))

        def sensor(y: float, label: str, detail: str) -> None:
            p.setPen(QPen(theme.colour("#0b0e13"), 2))
            p.setBrush(theme.colour(theme.BLUE))
            p.drawRoundedRect(QRectF(132, y - 13, 36, 26), 5, 5)
            p.setPen(theme.colour(theme.TEXT))
            p.setFont(theme.font(17, bold=True))
            p.drawText(QRectF(178, y - 24, 240, 24), Qt.AlignmentFlag.AlignLeft, label)
            p.setFont(theme.font(13))
            p.setPen(theme.colour(theme.DIM))
            p.drawText(QRectF(178, y, 240, 22), Qt.AlignmentFlag.AlignLeft, detail)

        sensor(130, "Lumbar", "around L1, waist")
        sensor(238, "Sacrum", "flat bone, above the cleft")
        p.end()


class CalibrationWizard(QDialog):
    """Step by step calibration; ``feed`` defaults to the demo athlete's."""

    STEPS = ("Athlete", "Sensors", "Stand tall", "Bend forward", "Result")

    def __init__(
        self,
        controller: object | None = None,
        factory: object | None = None,
        parent: QWidget | None = None,
        feed: CalibrationFeed | None = None,
        profiles_dir: Path | None = None,
        clock: Clock = time.monotonic,
        thresholds: Thresholds | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibrate an athlete")
        self.setStyleSheet(theme.STYLESHEET)
        self.setFont(theme.font(18))
        self.resize(900, 640)
        self._clock = clock
        self.feed = feed if feed is not None else SimCalibrationFeed(getattr(factory, "seed", 0))
        if profiles_dir is None:
            profiles_dir = getattr(factory, "profiles_dir", None)
        from winkmon.profiles import ProfileStore, resolve_profiles_dir

        self.store = ProfileStore(resolve_profiles_dir(profiles_dir))
        self.thresholds = thresholds or getattr(factory, "thresholds", None) or Thresholds()
        self.calibration: object | None = None
        self.saved_path: Path | None = None
        self._step_started = 0.0
        self._collecting = False

        root = QVBoxLayout(self)
        self.step_label = QLabel()
        self.step_label.setFont(theme.font(18))
        self.step_label.setObjectName("dim")
        root.addWidget(self.step_label)
        self.pages = QStackedWidget()
        root.addWidget(self.pages, 1)
        nav = QHBoxLayout()
        self.back_button = QPushButton("Back")
        self.next_button = QPushButton("Next")
        self.save_button = QPushButton("Save profile")
        self.cancel_button = QPushButton("Cancel")
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        nav.addWidget(self.cancel_button)
        nav.addStretch(1)
        for b in (self.back_button, self.next_button, self.save_button):
            nav.addWidget(b)
        root.addLayout(nav)

        self._build_pages()
        self.timer = QTimer(self)
        self.timer.setInterval(33)
        self.timer.timeout.connect(self.tick)
        self.finished.connect(lambda _=0: self._stop())
        self._show(0)

    # -- pages -----------------------------------------------------------------------------
    def _page(self, title: str, text: str) -> tuple[QWidget, QVBoxLayout]:
        page = QWidget()
        lay = QVBoxLayout(page)
        t = QLabel(title)
        t.setFont(theme.font(34, bold=True))
        body = QLabel(text)
        body.setWordWrap(True)
        body.setFont(theme.font(22))
        lay.addWidget(t)
        lay.addWidget(body)
        self.pages.addWidget(page)
        return page, lay

    def _build_pages(self) -> None:
        _, lay = self._page(
            "Who is training?",
            "Choose an athlete, or type a new name. Calibrating again updates the athlete's "
            "sensor placement (the previous one is kept in their history) and keeps their "
            "thresholds.",
        )
        self.athlete = QComboBox()
        self.athlete.setEditable(True)
        self.athlete.setFont(theme.font(24))
        self.athlete.addItems(self.store.names())
        lay.addWidget(self.athlete)
        lay.addStretch(1)

        _page, lay = self._page(
            "Put the sensors on",
            "Lumbar sensor: on the spine at the waist, around L1. Sacrum sensor: on the flat "
            "bone just above the buttocks' cleft. Any rotation is fine, face out or in (a clip "
            "or a pouch); tape them flat so they do not wobble.",
        )
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(PlacementFigure())
        row.addStretch(1)
        lay.addLayout(row, 1)

        _, lay = self._page(
            "Stand tall and hold still",
            "Feet under the hips, look ahead, arms relaxed: the posture you call neutral. "
            "Don't move until the bar is full.",
        )
        self.still_progress = QProgressBar()
        lay.addWidget(self.still_progress)
        lay.addStretch(1)

        _, lay = self._page(
            "Bend forward twice",
            "Knees soft, bend forward slowly as if reaching for your shins, stand up fully, "
            "then once more. Any size of bend that feels easy is fine.",
        )
        self.bend_progress = QProgressBar()
        lay.addWidget(self.bend_progress)
        lay.addStretch(1)

        _, lay = self._page("Result", "")
        self.result_title = QLabel()
        self.result_title.setFont(theme.font(30, bold=True))
        self.result_text = QLabel()
        self.result_text.setWordWrap(True)
        self.result_text.setFont(theme.font(20))
        lay.addWidget(self.result_title)
        lay.addWidget(self.result_text)
        lay.addStretch(1)

    # -- navigation ------------------------------------------------------------------------
    @property
    def step(self) -> int:
        return self.pages.currentIndex()

    def _show(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        names = "  ›  ".join(
            f"<b style='color:{theme.TEXT}'>{n}</b>" if i == index else n
            for i, n in enumerate(self.STEPS)
        )
        self.step_label.setText(names)
        moving = index in (2, 3)
        self.back_button.setEnabled(index > 0 and not moving)
        self.next_button.setVisible(index < 4)
        self.next_button.setEnabled(not moving)
        self.save_button.setVisible(index == 4)
        self.save_button.setEnabled(index == 4 and self.calibration is not None)
        if index == 2:
            self._start_collecting()

    def back(self) -> None:
        target = 1 if self.step == 4 else self.step - 1
        self._show(max(0, target))

    def next(self) -> None:
        if self.step == 0 and not self.athlete_name:
            self.athlete.setFocus()
            return
        self._show(min(self.step + 1, 4))

    @property
    def athlete_name(self) -> str:
        return self.athlete.currentText().strip()

    # -- collecting ------------------------------------------------------------------------
    def _start_collecting(self) -> None:
        self._collecting = True
        now = self._clock()
        self.feed.start(now)
        self._step_started = now
        self.still_progress.setValue(0)
        self.bend_progress.setValue(0)
        self.timer.start()

    def tick(self) -> None:
        if not self._collecting:
            return
        now = self._clock()
        self.feed.poll(now)
        elapsed = now - self._step_started
        if self.step == 2:
            self.still_progress.setValue(min(100, int(100 * elapsed / self.feed.still_s)))
            if elapsed >= self.feed.still_s:
                self._step_started = now
                self._show(3)
        elif self.step == 3:
            self.bend_progress.setValue(min(100, int(100 * elapsed / self.feed.bends_s)))
            if elapsed >= self.feed.bends_s:
                self._stop()
                self._compute()
                self._show(4)

    def _stop(self) -> None:
        self._collecting = False
        self.timer.stop()
        self.feed.close()

    def _compute(self) -> None:
        from winkmon.calibration import calibrate

        try:
            cal = calibrate(self.feed.samples(), source="calibration wizard")
        except (WinkmonError, ValueError) as exc:
            self.calibration = None
            self.result_title.setText("Let's do that again")
            self.result_title.setStyleSheet(f"color: {theme.AMBER}")
            self.result_text.setText(
                f"{exc}\n\nPress Back to repeat the stand and the bends, or save nothing and "
                "start training: the first squats can calibrate too (winkmon calibrate)."
            )
            return
        self.calibration = cal
        self.result_title.setText("Calibrated")
        self.result_title.setStyleSheet(f"color: {theme.GREEN}")
        self.result_text.setText(quality_text(cal))

    def save(self) -> None:
        cal = self.calibration
        if cal is None:
            return
        name = self.athlete_name or "athlete"
        profile = cal.profile(name, thresholds=self.thresholds)  # type: ignore[attr-defined]
        if self.store.exists(name):
            with contextlib.suppress(WinkmonError):
                stored = self.store.load(name)
                profile = stored.updated(
                    profile.with_thresholds(stored.thresholds), "calibrated again in the wizard"
                )
        self.saved_path = self.store.save(profile)
        self.result_text.setText(self.result_text.text() + f"\n\nSaved as “{name}”.")
        self.accept()


def quality_text(cal: object) -> str:
    """The calibration's quality in coach words: per sensor, then the axes' uncertainty."""
    from winkmon.profiles import calibration_quality_lines

    lines = []
    for role, sc in cal.sensors.items():  # type: ignore[attr-defined]
        q = sc.quality
        still = "very still" if q.still_gyro_rms_deg_s < 1.5 else "still enough"
        bends = ", ".join(f"{b:.0f}°" for b in q.bend_peaks_deg)
        lines.append(
            f"{role.label.capitalize()}: {still} ({q.still_gyro_rms_deg_s:.1f}°/s), "
            f"bends {bends}; sensor face tilted {sc.neutral.face_tilt_deg:.0f}°"
        )
    rec = cal.record  # type: ignore[attr-defined]
    if rec.lumbopelvic_available:
        lines.append(f"Lumbar moved {rec.bend_margin_deg:+.0f}° more than the sacrum in the bends.")
    profile = cal.profile("athlete")  # type: ignore[attr-defined]
    lines += [line[0].upper() + line[1:] for line in calibration_quality_lines(profile)[1:]]
    for n in getattr(cal, "notes", ()):
        lines.append(f"ℹ {n}")
    for w in getattr(cal, "warnings", ()):
        lines.append(f"⚠ {w}")
    if not math.isfinite(rec.static_angle_deg):  # pragma: no cover - defensive
        lines.append("⚠ the neutral angle could not be checked")
    return "\n".join(lines)
