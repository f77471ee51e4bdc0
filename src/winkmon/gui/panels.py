"""The rep table, the set summary and the sensor panel."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from winkmon.gui import theme
from winkmon.gui.controller import LinkState, SensorStatus, SetSummary
from winkmon.numbers import cm_text, plural
from winkmon.pipeline.events import Rep, Verdict
from winkmon.pipeline.insights import depth_tempo_notes, set_notes
from winkmon.protocol.constants import Role

#: "Set-up angle": the braced angle at the top of the rep (not a set number).
REP_COLUMNS = ("Rep", "Depth", "Set-up angle", "Peak", "Result")


class RepTable(QTableWidget):
    """The current set's reps: depth, set angle, peak and verdict, newest at the bottom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(REP_COLUMNS), parent)
        self.setHorizontalHeaderLabels(REP_COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(REP_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setDefaultSectionSize(46)
        self._shown: list[Rep] = []

    def show_reps(self, reps: list[Rep]) -> None:
        if reps == self._shown:
            return
        same_prefix = reps[: len(self._shown)] == self._shown
        start = len(self._shown) if same_prefix else 0
        self.setRowCount(len(reps))
        for row in range(start, len(reps)):
            self._fill(row, reps[row])
        self._shown = list(reps)
        self.scrollToBottom()

    def _fill(self, row: int, rep: Rep) -> None:
        colour = theme.colour(theme.VERDICT_COLOUR[rep.verdict])
        cells = (
            str(rep.number),
            cm_text(rep.depth_cm),
            theme.format_angle(rep.set_angle_deg),
            theme.format_angle(rep.peak_flexion_deg),
            f"{theme.VERDICT_ICON[rep.verdict]} {theme.VERDICT_WORD[rep.verdict]}",
        )
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            if col == len(cells) - 1:
                item.setForeground(QBrush(colour))
                font = theme.font(26, bold=True)
                item.setFont(font)
            if col == 3 and rep.verdict is not Verdict.OK:
                item.setForeground(QBrush(colour))
            self.setItem(row, col, item)

    def rows(self) -> list[list[str]]:
        """The table's text (for tests)."""
        return [
            [item.text() if (item := self.item(r, c)) else "" for c in range(self.columnCount())]
            for r in range(self.rowCount())
        ]


def summary_text(summary: SetSummary | None) -> str:
    """The set summary in one or two lines of coach language."""
    if summary is None or not summary.reps:
        return "No reps yet"
    counts = summary.verdict_counts()
    parts = [
        f"Set {summary.number}: {plural(summary.count, 'rep')}",
        "  ".join(
            f"{theme.VERDICT_ICON[v]} {counts[v]}"
            for v in (Verdict.OK, Verdict.EXTENSION_LOST, Verdict.FLEXION)
        ),
    ]
    line2 = []
    if summary.mean_depth_cm is not None:
        line2.append(f"depth {cm_text(summary.mean_depth_cm)}")
    first = summary.first_wink_rep
    if first is not None:
        onset = summary.wink_onset_depth_cm
        at = f" at {cm_text(onset)}" if onset is not None else ""
        line2.append(f"butt wink from rep {first}{at}")
    elif counts[Verdict.EXTENSION_LOST]:
        line2.append("no butt wink; extension lost on some reps")
    else:
        line2.append("back held every rep")
    return " · ".join(parts) + "\n" + " · ".join(line2)


def coach_notes(summary: SetSummary | None) -> list[str]:
    """The set's coaching notes (``pipeline.insights``, as ``winkmon report`` prints them),
    less the depth-and-tempo line the summary above already gives."""
    if summary is None or not summary.reps:
        return []
    reps = list(summary.reps)
    already = set(depth_tempo_notes(reps)[:1])
    return [n for n in set_notes(reps) if n not in already]


class SetPanel(QFrame):
    """The set summary, the coaching notes for the set and the rep table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        lay = QVBoxLayout(self)
        self.summary = QLabel("No reps yet")
        self.summary.setFont(theme.font(24, bold=True))
        self.summary.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setObjectName("notes")
        self.notes.setFont(theme.font(22))
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.TextFormat.PlainText)
        self.notes.hide()
        self.table = RepTable()
        lay.addWidget(self.summary)
        lay.addWidget(self.notes)
        lay.addWidget(self.table, 1)

    def show_set(self, summary: SetSummary | None) -> None:
        self.summary.setText(summary_text(summary))
        notes = coach_notes(summary)
        self.notes.setText("\n".join(f"• {n[:1].upper()}{n[1:]}" for n in notes))
        self.notes.setVisible(bool(notes))
        self.table.show_reps(list(summary.reps) if summary else [])


LINK_COLOUR = {
    LinkState.CONNECTED: theme.GREEN,
    LinkState.CONNECTING: theme.AMBER,
    LinkState.RECONNECTING: theme.AMBER,
    LinkState.DISCONNECTED: theme.RED,
    LinkState.REPLAY: theme.BLUE,
}


class SensorPanel(QFrame):
    """One line per sensor: link state, rate, loss and battery."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(10, 6, 10, 6)
        self._rows: dict[Role, tuple[QLabel, QLabel]] = {}
        self._last: dict[Role, SensorStatus] = {}

    def show_status(self, statuses: Mapping[Role, SensorStatus]) -> None:
        for role in (Role.SACRUM, Role.LUMBAR):
            status = statuses.get(role) or SensorStatus(role, LinkState.DISCONNECTED)
            if self._last.get(role) == status:
                continue
            self._last[role] = status
            if role not in self._rows:
                name, detail = QLabel(), QLabel()
                name.setFont(theme.font(20, bold=True))
                detail.setFont(theme.font(18))
                r = len(self._rows)
                self._grid.addWidget(name, r, 0)
                self._grid.addWidget(detail, r, 1)
                self._rows[role] = (name, detail)
            name, detail = self._rows[role]
            colour = LINK_COLOUR[status.link]
            name.setText(f"<span style='color:{colour}'>●</span> {role.label.capitalize()}")
            detail.setText(status_text(status))
            detail.setStyleSheet(f"color: {colour if status.link != LinkState.CONNECTED else ''}")

    def texts(self) -> dict[Role, str]:
        return {role: d.text() for role, (_, d) in self._rows.items()}


def status_text(s: SensorStatus) -> str:
    if s.link in (LinkState.DISCONNECTED, LinkState.CONNECTING, LinkState.RECONNECTING):
        word = s.link.value
        if s.battery_pct is not None:
            word += f" · battery {s.battery_pct:.0f}%"
        return word
    parts = []
    if s.link is LinkState.REPLAY:
        parts.append("recording")
    if s.kind:
        parts.append(s.kind)
    parts.append(f"{s.rate_hz:.0f} Hz")
    parts.append(f"loss {s.loss_pct:.1f}%")
    if s.battery_pct is not None:
        parts.append(f"battery {s.battery_pct:.0f}%")
    return " · ".join(parts)
