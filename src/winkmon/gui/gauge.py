"""The big angle: zone word, number and a vertical bar with neutral and thresholds.

Painted in one ``paintEvent`` (no child labels to lay out 60 times a second). The bar puts
extension *up* and flexion *down*, like the trace beside it: a butt wink is the bar dropping
through the neutral line into the red.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from winkmon.gui import theme
from winkmon.gui.headline import Headline, Side, headline, side_of
from winkmon.pipeline.events import Zone
from winkmon.pipeline.model import Thresholds

#: The bar's range, degrees (flexion positive): -30 (deep extension) .. +20 (deep flexion).
BAR_EXT_DEG = -30.0
BAR_FLEX_DEG = 20.0


class AngleGauge(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.angle_deg = math.nan
        self.zone = Zone.UNKNOWN
        self.thresholds = Thresholds()
        self.loss_line_deg: float | None = None
        self.set_angle_deg: float | None = None
        self.rep_under_way = False
        self.reason = ""  #: why there is no angle (shown under "No signal")
        self.cue = ""  #: what to do now, between reps
        self.side = Side.NEUTRAL
        self.setMinimumSize(420, 320)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_state(
        self,
        angle_deg: float,
        zone: Zone,
        thresholds: Thresholds,
        loss_line_deg: float | None,
        set_angle_deg: float | None,
        rep_under_way: bool = True,
        reason: str = "",
        cue: str = "",
    ) -> None:
        """The latest sample. ``rep_under_way``: the rep tracker has a rep in progress (verdict
        words and colours only then); ``reason``: why there is no angle; ``cue``: what to do."""
        if math.isfinite(angle_deg):
            self.side = side_of(angle_deg, self.side)
        # A quarter of a degree is under 3 px of bar: finer changes are not worth a repaint.
        angle_deg = round(angle_deg * 4.0) / 4.0 if math.isfinite(angle_deg) else angle_deg
        state = (
            angle_deg,
            zone,
            thresholds,
            loss_line_deg,
            set_angle_deg,
            rep_under_way,
            reason,
            cue,
            self.side,
        )
        old = self._state
        if state == old or (
            math.isnan(angle_deg) and math.isnan(self.angle_deg) and state[1:] == old[1:]
        ):
            return
        self._state = state
        self.angle_deg, self.zone, self.thresholds = angle_deg, zone, thresholds
        self.loss_line_deg, self.set_angle_deg = loss_line_deg, set_angle_deg
        self.rep_under_way, self.reason, self.cue = rep_under_way, reason, cue
        self.update()

    _state: tuple[object, ...] = ()

    @property
    def headline(self) -> Headline:
        """What the display says now (word, colours, side)."""
        return headline(self.angle_deg, self.zone, self.rep_under_way, self.side, self.reason)

    @property
    def text(self) -> str:
        """The number as shown (for tests and accessibility)."""
        if math.isnan(self.angle_deg):
            return "—"
        return f"{abs(self.angle_deg):.0f}°"

    def side_text(self) -> str:
        return self.headline.side

    # -- painting --------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        p.fillRect(self.rect(), theme.colour(theme.PANEL))
        hl = self.headline
        col = theme.colour(hl.colour)
        bar_w = max(60.0, w * 0.13)
        label_room = 120
        text_w = w - bar_w - label_room - 30
        # Headline word.
        word_px = int(min(h * 0.11, text_w / 9))
        p.setFont(theme.font(word_px, bold=True))
        p.setPen(col)
        p.drawText(
            QRectF(10, 8, text_w, word_px * 1.4),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
            hl.word,
        )
        # The number: as big as fits (>= 120 px on a 1080p window), room kept for the cue.
        cue_px = int(max(20, min(h * 0.07, text_w / 16)))
        num_px = int(min(h * 0.45, text_w / 2.3))
        p.setFont(theme.font(num_px, bold=True))
        p.setPen(theme.colour(hl.number_colour))
        num_rect = QRectF(10, word_px * 1.4 + 8, text_w, num_px * 1.15)
        p.drawText(num_rect, Qt.AlignmentFlag.AlignCenter, self.text)
        side_px = int(max(18, num_px * 0.2))
        p.setFont(theme.font(side_px, bold=True))
        p.setPen(theme.colour(theme.TEXT))
        side_rect = QRectF(10, num_rect.bottom(), text_w, side_px * 1.5)
        p.drawText(side_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, hl.side)
        if self.cue:
            p.setFont(theme.font(cue_px, bold=True))
            p.setPen(theme.colour(theme.AMBER))
            p.drawText(
                QRectF(10, side_rect.bottom(), text_w, max(cue_px * 2.6, h - side_rect.bottom())),
                Qt.AlignmentFlag.AlignHCenter
                | Qt.AlignmentFlag.AlignTop
                | Qt.TextFlag.TextWordWrap,
                self.cue,
            )
        self._paint_bar(p, QRectF(w - bar_w - label_room, 16, bar_w, h - 32), col)
        p.end()

    def _y(self, rect: QRectF, angle_deg: float) -> float:
        a = min(max(angle_deg, BAR_EXT_DEG), BAR_FLEX_DEG)
        return rect.top() + (a - BAR_EXT_DEG) / (BAR_FLEX_DEG - BAR_EXT_DEG) * rect.height()

    def _paint_bar(self, p: QPainter, rect: QRectF, col: QColor) -> None:
        th = self.thresholds
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(theme.colour("#0f141b"))
        p.drawRoundedRect(rect, 8, 8)
        # The flexion zone, tinted red.
        y_flex = self._y(rect, th.flexion_deg)
        p.setBrush(theme.colour(theme.RED, 60))
        p.drawRect(QRectF(rect.left(), y_flex, rect.width(), rect.bottom() - y_flex))
        y0 = self._y(rect, 0.0)
        if not math.isnan(self.angle_deg):
            ya = self._y(rect, self.angle_deg)
            p.setBrush(col if self.rep_under_way else theme.colour(theme.BLUE))
            top, bottom = min(y0, ya), max(y0, ya)
            p.drawRect(QRectF(rect.left() + 6, top, rect.width() - 12, max(4.0, bottom - top)))
            p.setBrush(theme.colour(theme.TEXT))
            p.drawRect(QRectF(rect.left() - 6, ya - 3, rect.width() + 12, 6))
        label_px = int(max(14, min(22, rect.height() / 18)))
        p.setFont(theme.font(label_px, bold=True))

        def line(angle: float, colour: str, label: str, style: Qt.PenStyle) -> None:
            y = self._y(rect, angle)
            p.setPen(QPen(theme.colour(colour), 3, style))
            p.drawLine(int(rect.left() - 8), int(y), int(rect.right() + 8), int(y))
            p.drawText(
                QRectF(rect.right() + 12, y - label_px, 110, label_px * 2),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                label,
            )

        line(0.0, theme.TEXT, "neutral", Qt.PenStyle.SolidLine)
        line(th.flexion_deg, theme.RED, "flexion", Qt.PenStyle.DashLine)
        if self.set_angle_deg is not None:
            line(self.set_angle_deg, theme.BLUE, "set", Qt.PenStyle.DotLine)
        if self.loss_line_deg is not None:
            line(self.loss_line_deg, theme.AMBER, "lost", Qt.PenStyle.DashLine)
        p.setPen(theme.colour(theme.DIM))
        p.drawText(
            QRectF(rect.left() - 20, rect.top() - 2, rect.width() + 40, label_px * 1.4),
            Qt.AlignmentFlag.AlignCenter,
            "ext ▲",
        )
        p.drawText(
            QRectF(rect.left() - 20, rect.bottom() - label_px * 1.4, rect.width() + 40, label_px),
            Qt.AlignmentFlag.AlignCenter,
            "flex ▼",
        )
