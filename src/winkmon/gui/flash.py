"""The full-window alert flash.

A transparent-to-the-mouse child that covers the whole window. :meth:`FlashOverlay.flash`
shows it at once (the next paint, i.e. within the frame the pipeline's event arrived in); the
window's frame timer fades it out through :meth:`tick`. Butt wink fills the window red with a
huge word; extension lost only draws a thick amber frame (a softer cue).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from winkmon.gui import theme
from winkmon.pipeline.events import AlertLevel

HOLD_S = 0.35  #: full strength this long
FADE_S = 0.65  #: then fades out over this long


class FlashOverlay(QWidget):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._host = parent
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.level: AlertLevel | None = None
        self.strength = 0.0
        self._since_s = 0.0
        self.count = 0  #: flashes shown (for tests)
        parent.installEventFilter(self)
        self.setGeometry(parent.rect())
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._host and event.type() == QEvent.Type.Resize:
            self.setGeometry(self._host.rect())
        return False

    def flash(self, level: AlertLevel, now_s: float) -> None:
        if self.level is AlertLevel.FLEXION and self.strength > 0 and level is not self.level:
            return  # an amber cue never hides a red one still showing
        self.level = level
        self._since_s = now_s
        self.strength = 1.0
        self.count += 1
        self.setGeometry(self._host.rect())
        self.show()
        self.raise_()
        self.update()

    def tick(self, now_s: float) -> None:
        if self.strength <= 0:
            return
        age = now_s - self._since_s
        strength = 1.0 if age < HOLD_S else max(0.0, 1.0 - (age - HOLD_S) / FADE_S)
        if strength != self.strength:
            self.strength = strength
            if strength <= 0:
                self.hide()
            else:
                self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.level is None or self.strength <= 0:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect())
        if self.level is AlertLevel.FLEXION:
            p.fillRect(r, theme.colour(theme.RED, int(200 * self.strength)))
            p.setPen(theme.colour("#ffffff", int(255 * self.strength)))
            px = int(min(r.height() * 0.2, r.width() / 7))
            p.setFont(theme.font(px, bold=True))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, "BUTT WINK")
        else:
            width = max(16.0, r.width() * 0.02)
            p.setPen(QPen(theme.colour(theme.AMBER, int(230 * self.strength)), width))
            p.drawRect(r.adjusted(width / 2, width / 2, -width / 2, -width / 2))
        p.end()
