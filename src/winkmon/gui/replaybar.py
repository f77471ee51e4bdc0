"""Replay transport: play/pause, speed, jump to rep/alert, and a timeline to seek on."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QIcon,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget

from winkmon.gui import theme
from winkmon.gui.replay import SPEEDS, ReplaySource
from winkmon.pipeline.events import AlertLevel


def _clock_text(seconds: float) -> str:
    s = max(0, int(seconds))
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def _icon(widget: QWidget, which: QStyle.StandardPixmap, px: int = 48) -> QIcon:
    """The style's standard icon, repainted in the theme's text colour (the stock ones are
    dark grey: hard to see on the dark buttons from across the room)."""
    shape = widget.style().standardIcon(which).pixmap(QSize(px, px))
    tinted = QPixmap(shape.size())
    tinted.fill(Qt.GlobalColor.transparent)
    p = QPainter(tinted)
    p.drawPixmap(0, 0, shape)
    p.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
    p.fillRect(tinted.rect(), theme.colour(theme.TEXT))
    p.end()
    return QIcon(tinted)


class Timeline(QWidget):
    """The session from start to end: reps as coloured blocks, alerts as ticks; click to seek."""

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source: ReplaySource | None = None
        self.setMinimumHeight(54)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._position = 0.0

    def attach(self, source: ReplaySource | None) -> None:
        self.source = source
        self.update()

    def set_position(self, t_s: float) -> None:
        if abs(t_s - self._position) * self._px_per_s() >= 0.5:
            self._position = t_s
            self.update()

    def _span(self) -> tuple[float, float]:
        if self.source is None:
            return 0.0, 1.0
        return self.source.start_s, max(self.source.duration_s, self.source.start_s + 1e-3)

    def _px_per_s(self) -> float:
        a, b = self._span()
        return max(1, self.width() - 16) / (b - a)

    def x_of(self, t_s: float) -> float:
        a, _ = self._span()
        return 8 + (t_s - a) * self._px_per_s()

    def t_of(self, x: float) -> float:
        a, b = self._span()
        return min(max(a + (x - 8) / self._px_per_s(), a), b)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.seek_requested.emit(self.t_of(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.seek_requested.emit(self.t_of(event.position().x()))

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        h = self.height()
        p.fillRect(self.rect(), theme.colour(theme.PANEL))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.colour("#232a36"))
        p.drawRoundedRect(QRectF(8, h * 0.3, self.width() - 16, h * 0.4), 4, 4)
        if self.source is not None:
            for rep in self.source.reps:
                x0, x1 = self.x_of(rep.start_s), self.x_of(rep.end_s)
                p.setBrush(theme.colour(theme.VERDICT_COLOUR[rep.verdict]))
                p.drawRect(QRectF(x0, h * 0.3, max(2.0, x1 - x0), h * 0.4))
            for alert in self.source.alerts:
                c = theme.RED if alert.level is AlertLevel.FLEXION else theme.AMBER
                x = self.x_of(alert.t_s)
                p.setPen(QPen(theme.colour(c), 3))
                p.drawLine(int(x), 2, int(x), int(h * 0.28))
            p.setPen(Qt.PenStyle.NoPen)
        x = self.x_of(self._position)
        p.setBrush(theme.colour(theme.TEXT))
        p.drawRect(QRectF(x - 2, 0, 4, h))
        p.end()


class ReplayBar(QWidget):
    """Hidden unless the source is a replay."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source: ReplaySource | None = None
        self._shown_playing = False
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        # Icons from the Qt style, not text glyphs: many fonts (DejaVu among them) lack
        # ⏮ ⏭ ⏸, which then show as empty boxes.
        self._play_icon = _icon(self, QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = _icon(self, QStyle.StandardPixmap.SP_MediaPause)
        self.play_button = QPushButton()
        self.play_button.setIcon(self._play_icon)
        self.play_button.setAccessibleName("Play")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(self.toggle)
        self.speed = QComboBox()
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}×", s)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(self._on_speed)
        back = _icon(self, QStyle.StandardPixmap.SP_MediaSkipBackward)
        forward = _icon(self, QStyle.StandardPixmap.SP_MediaSkipForward)
        self.prev_rep = QPushButton(back, "Rep")
        self.next_rep = QPushButton(forward, "Rep")
        self.prev_alert = QPushButton(back, "Alert")
        self.next_alert = QPushButton(forward, "Alert")
        for button in (
            self.play_button,
            self.prev_rep,
            self.next_rep,
            self.prev_alert,
            self.next_alert,
        ):
            button.setIconSize(QSize(28, 28))
        # The forward buttons read "Rep ▸▸|": the icon after the text.
        for button in (self.next_rep, self.next_alert):
            button.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
        self.prev_rep.setToolTip("Previous rep (Page Up)")
        self.next_rep.setToolTip("Next rep (Page Down)")
        self.prev_alert.setToolTip("Previous alert (Shift+Page Up)")
        self.next_alert.setToolTip("Next alert (Shift+Page Down)")
        self.prev_rep.clicked.connect(lambda: self._do("previous_rep"))
        self.next_rep.clicked.connect(lambda: self._do("next_rep"))
        self.prev_alert.clicked.connect(lambda: self._do("previous_alert"))
        self.next_alert.clicked.connect(lambda: self._do("next_alert"))
        self.timeline = Timeline()
        self.timeline.seek_requested.connect(self.seek)
        self.time_label = QLabel("0:00 / 0:00")
        self.time_label.setFont(theme.font(20, bold=True))
        for w in (self.play_button, self.speed, self.prev_rep, self.next_rep):
            lay.addWidget(w)
        lay.addWidget(self.prev_alert)
        lay.addWidget(self.next_alert)
        lay.addWidget(self.timeline, 1)
        lay.addWidget(self.time_label)
        keys = (
            ("Space", self.toggle),
            ("PgUp", lambda: self._do("previous_rep")),
            ("PgDown", lambda: self._do("next_rep")),
            ("Shift+PgUp", lambda: self._do("previous_alert")),
            ("Shift+PgDown", lambda: self._do("next_alert")),
        )
        self._shortcuts = []
        for key, slot in keys:
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(slot)
            self._shortcuts.append(sc)
        self.hide()

    def attach(self, source: ReplaySource | None) -> None:
        self.source = source
        self.timeline.attach(source)
        self.setVisible(source is not None)
        if source is not None:
            self.speed.setCurrentIndex(
                min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - source.speed))
            )
        self.refresh()

    def refresh(self) -> None:
        src = self.source
        if src is None:
            return
        playing = src.playing
        if playing != self._shown_playing:
            self._shown_playing = playing
            self.play_button.setIcon(self._pause_icon if playing else self._play_icon)
            self.play_button.setAccessibleName("Pause" if playing else "Play")
        self.timeline.set_position(src.position_s)
        text = f"{_clock_text(src.position_s)} / {_clock_text(src.duration_s)}"
        if self.time_label.text() != text:
            self.time_label.setText(text)

    def toggle(self) -> None:
        if self.source is not None:
            self.source.toggle()
            self.refresh()

    def seek(self, t_s: float) -> None:
        if self.source is not None:
            self.source.seek(t_s)
            self.refresh()

    def _do(self, name: str) -> None:
        if self.source is not None:
            getattr(self.source, name)()
            self.refresh()

    def _on_speed(self, index: int) -> None:
        if self.source is not None:
            self.source.set_speed(SPEEDS[index])
