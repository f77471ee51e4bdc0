"""Which texts of a window its fonts cannot draw (they would show as empty boxes)."""

from __future__ import annotations

import re

from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractButton, QLabel, QMenu, QTableWidget, QWidget

_TAG = re.compile(r"<[^>]+>")


def missing_glyphs(text: str, font: QFont) -> str:
    """The characters of ``text`` that ``font`` has no glyph for (whitespace aside)."""
    metrics = QFontMetrics(font)
    return "".join(
        dict.fromkeys(ch for ch in text if not ch.isspace() and not metrics.inFontUcs4(ord(ch)))
    )


def window_texts(window: QWidget) -> list[tuple[str, str, QFont]]:
    """``(where, text, font)`` of every visible text: buttons, labels, menus, table cells and
    the big gauge's painted words."""
    out: list[tuple[str, str, QFont]] = []
    for button in window.findChildren(QAbstractButton):
        out.append(
            (f"button {button.objectName() or button.toolTip()}", button.text(), button.font())
        )
    for label in window.findChildren(QLabel):
        out.append(("label", _TAG.sub("", label.text()), label.font()))
    for menu in window.findChildren(QMenu):
        for action in menu.actions():
            out.append((f"menu {menu.title()}", action.text().replace("&", ""), menu.font()))
    for table in window.findChildren(QTableWidget):
        for r in range(table.rowCount()):
            for c in range(table.columnCount()):
                item = table.item(r, c)
                if item is not None:
                    out.append(("table cell", item.text(), item.font()))
    gauge = getattr(window, "gauge", None)
    if gauge is not None:
        from winkmon.gui import theme

        hl = gauge.headline
        for text in (hl.word, gauge.text, hl.side, gauge.cue, "ext ▲", "flex ▼", "neutral"):
            out.append(("gauge", text, theme.font(40, bold=True)))
    return out


def missing_in_window(window: QWidget) -> list[tuple[str, str, str]]:
    """``(where, text, missing characters)`` for each text the window cannot draw."""
    found = []
    for where, text, font in window_texts(window):
        missing = missing_glyphs(text, font)
        if missing:
            found.append((where, text, missing))
    return found
