"""Colours, fonts and words of the dashboard: a dark, high-contrast theme read from 3 m away."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont

from winkmon.pipeline.events import Verdict, Zone

BACKGROUND = "#0b0e13"
PANEL = "#151a22"
PANEL_EDGE = "#2a3240"
TEXT = "#f3f5f9"
DIM = "#8f9aab"
GREEN = "#22c55e"
AMBER = "#f59e0b"
RED = "#ef4444"
GREY = "#6b7280"
BLUE = "#38bdf8"
#: The angle trace outside reps: light, but no verdict colour.
BETWEEN_REPS_TRACE = "#cbd5e1"

ZONE_COLOUR = {
    Zone.UNKNOWN: GREY,
    Zone.EXTENSION: GREEN,
    Zone.EXTENSION_LOST: AMBER,
    Zone.FLEXION: RED,
}
#: What the big display says per zone, in coach language.
ZONE_WORD = {
    Zone.UNKNOWN: "No signal",
    Zone.EXTENSION: "Good",
    Zone.EXTENSION_LOST: "Extension lost",
    Zone.FLEXION: "Flexion — butt wink",
}
VERDICT_COLOUR = {
    Verdict.OK: GREEN,
    Verdict.EXTENSION_LOST: AMBER,
    Verdict.FLEXION: RED,
    Verdict.UNKNOWN: GREY,
    Verdict.UNAVAILABLE: GREY,
}
VERDICT_WORD = {
    Verdict.OK: "Good",
    Verdict.EXTENSION_LOST: "Ext. lost",
    Verdict.FLEXION: "Butt wink",
    Verdict.UNKNOWN: "No angle",
    Verdict.UNAVAILABLE: "Depth only",
}
VERDICT_ICON = {
    Verdict.OK: "✔",
    Verdict.EXTENSION_LOST: "▲",
    Verdict.FLEXION: "✖",
    Verdict.UNKNOWN: "?",
    Verdict.UNAVAILABLE: "–",
}

STYLESHEET = f"""
QWidget {{ background: {BACKGROUND}; color: {TEXT}; }}
QFrame#panel {{ background: {PANEL}; border: 1px solid {PANEL_EDGE}; border-radius: 8px; }}
QFrame#panel QLabel {{ background: transparent; }}
QLabel#dim {{ color: {DIM}; }}
QLabel#notice {{ color: {AMBER}; font-weight: bold; }}
QLabel#notes {{ color: {TEXT}; background: #1d2430; border-radius: 6px; padding: 6px 10px; }}
QPushButton, QToolButton {{
    background: #232a36; border: 1px solid {PANEL_EDGE}; border-radius: 6px;
    padding: 6px 14px; font-size: 22px; font-weight: bold;
}}
QPushButton:hover, QToolButton:hover {{ background: #2e3747; }}
QPushButton:checked, QToolButton:checked {{ background: #3b4456; }}
QPushButton#record:checked {{ background: {RED}; color: white; }}
QPushButton:disabled {{ color: #4b5563; }}
QTableWidget {{
    background: {PANEL}; gridline-color: {PANEL_EDGE}; font-size: 26px;
    border: 1px solid {PANEL_EDGE}; border-radius: 8px;
}}
QHeaderView::section {{
    background: {PANEL}; color: {DIM}; border: none; padding: 4px; font-size: 20px;
}}
QMenuBar {{ background: {BACKGROUND}; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: #2e3747; }}
QComboBox {{
    background: #232a36; border: 1px solid {PANEL_EDGE}; padding: 4px 8px; font-size: 22px;
}}
QProgressBar {{
    border: 1px solid {PANEL_EDGE}; border-radius: 6px; text-align: center; height: 28px;
}}
QProgressBar::chunk {{ background: {GREEN}; border-radius: 6px; }}
"""


def colour(name: str, alpha: int = 255) -> QColor:
    c = QColor(name)
    c.setAlpha(alpha)
    return c


def font(px: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(max(1, int(px)))
    f.setBold(bold)
    return f


def format_angle(angle_deg: float) -> str:
    """An angle for people: magnitude and side (``12° ext``, ``3° flex``)."""
    if angle_deg != angle_deg:  # NaN
        return "—"
    side = "flex" if angle_deg > 0 else "ext"
    return f"{abs(angle_deg):.0f}° {side}"
