"""The dashboard window: the big angle, the trace, the rep table, sensors, record, replay.

One frame timer (60 Hz) drives everything: :meth:`DashboardWindow.tick` polls the
:class:`~winkmon.gui.controller.SessionController`, cues new alerts (flash and sound in the
same frame as the pipeline's event), and redraws from the ring buffers. No signal per sample.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from winkmon.errors import WinkmonError
from winkmon.gui import theme
from winkmon.gui.controller import LinkState, SessionController, SourceKind
from winkmon.gui.flash import FlashOverlay
from winkmon.gui.gauge import AngleGauge
from winkmon.gui.headline import cue
from winkmon.gui.panels import SensorPanel, SetPanel
from winkmon.gui.replaybar import ReplayBar
from winkmon.gui.sound import Cue, SoundPlayer
from winkmon.gui.sources import SourceFactory, is_recordable, replay_control
from winkmon.gui.trace import TraceView
from winkmon.pipeline.events import Alert, AlertLevel, Rep, RepStarted, Zone

log = logging.getLogger(__name__)

FRAME_MS = 16  #: ~60 frames per second
SENSOR_REFRESH_S = 0.5
TRACE_S = 10.0
#: The trace scrolls at 30 fps (every other frame): smooth from 3 m, half the drawing cost.
#: The big number, the alerts and the flash run at the full frame rate.
TRACE_EVERY_S = 1 / 21

Clock = Callable[[], float]


class DashboardWindow(QMainWindow):
    def __init__(
        self,
        controller: SessionController,
        sound: SoundPlayer | None = None,
        factory: SourceFactory | None = None,
        clock: Clock = time.monotonic,
        frame_ms: int = FRAME_MS,
    ) -> None:
        super().__init__()
        self.controller = controller
        self.sound = sound if sound is not None else SoundPlayer()
        self.factory = factory or SourceFactory()
        self._clock = clock
        self._last_sensor_refresh = -math.inf
        self._last_trace = -math.inf
        self._record_started: float | None = None
        self.setWindowTitle("winkmon")
        self.setStyleSheet(theme.STYLESHEET)
        self.setFont(theme.font(18))
        self.resize(1600, 900)

        central = QWidget()
        self.setCentralWidget(central)
        root = QVBoxLayout(central)
        root.setContentsMargins(12, 8, 12, 8)
        root.addLayout(self._build_header())

        split = QSplitter(Qt.Orientation.Horizontal)
        left = QSplitter(Qt.Orientation.Vertical)
        self.gauge = AngleGauge()
        self.trace = TraceView(TRACE_S)
        left.addWidget(self.gauge)
        left.addWidget(self.trace)
        left.setSizes([480, 420])
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        self.sensor_panel = SensorPanel()
        self.set_panel = SetPanel()
        rlay.addWidget(self.sensor_panel)
        rlay.addWidget(self.set_panel, 1)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([1000, 600])
        root.addWidget(split, 1)
        self.replay_bar = ReplayBar()
        root.addWidget(self.replay_bar)
        self.flash = FlashOverlay(central)
        self._build_menus()

        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.tick)
        self.timer.setInterval(frame_ms)
        self._on_source_changed()

    # -- construction ----------------------------------------------------------------------
    def _build_header(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.source_label = QLabel()
        self.source_label.setFont(theme.font(26, bold=True))
        self.athlete_label = QLabel()
        self.athlete_label.setObjectName("dim")
        self.athlete_label.setFont(theme.font(20))
        self.sound_notice = QLabel()
        self.sound_notice.setObjectName("notice")
        self.sound_notice.setFont(theme.font(20, bold=True))
        self.record_button = QPushButton("● Record")
        self.record_button.setObjectName("record")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Record the raw sensor data (Ctrl+R)")
        self.record_button.clicked.connect(self._on_record_clicked)
        self.record_label = QLabel()
        self.record_label.setFont(theme.font(22, bold=True))
        self.record_label.setStyleSheet(f"color: {theme.RED}")
        self.mute_button = QPushButton()
        self.mute_button.setCheckable(True)
        self.mute_button.setToolTip("Mute the alert sounds (M)")
        self.mute_button.clicked.connect(self._on_mute_clicked)
        bar.addWidget(self.source_label)
        bar.addSpacing(20)
        bar.addWidget(self.athlete_label)
        bar.addStretch(1)
        bar.addWidget(self.sound_notice)
        bar.addWidget(self.record_label)
        bar.addWidget(self.record_button)
        bar.addWidget(self.mute_button)
        self._refresh_mute()
        return bar

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self.open_action = QAction("&Open recording…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_recording_dialog)
        file_menu.addAction(self.open_action)
        self.record_action = QAction("&Record", self)
        self.record_action.setShortcut(QKeySequence("Ctrl+R"))
        self.record_action.triggered.connect(self.toggle_recording)
        self.addAction(self.record_action)
        file_menu.addAction(self.record_action)
        from winkmon.gui.export_image import add_export_actions

        add_export_actions(self, file_menu)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        source_menu = menu.addMenu("&Source")
        live = QAction("Athlete's &sensors", self)
        live.triggered.connect(lambda: self._switch(self.factory.live))
        demo = QAction("&Demo (virtual sensors)", self)
        demo.triggered.connect(lambda: self._switch(self.factory.demo))
        source_menu.addAction(live)
        source_menu.addAction(demo)
        self._build_demo_menu(source_menu.addMenu("Demo &on…"))

        athlete_menu = menu.addMenu("&Athlete")
        calibrate = QAction("&Calibrate…", self)
        calibrate.triggered.connect(self.open_calibration)
        athlete_menu.addAction(calibrate)

        self.mute_action = QAction("&Mute", self)
        self.mute_action.setShortcut(QKeySequence("M"))
        self.mute_action.triggered.connect(self.toggle_mute)
        self.addAction(self.mute_action)
        view_menu = menu.addMenu("&View")
        view_menu.addAction(self.mute_action)
        self.full_screen_action = QAction("&Full screen", self)
        self.full_screen_action.setCheckable(True)
        self.full_screen_action.setShortcut(QKeySequence("F11"))
        self.full_screen_action.triggered.connect(self.toggle_full_screen)
        self.addAction(self.full_screen_action)  # F11 works with the menu bar hidden too
        view_menu.addAction(self.full_screen_action)

    def _build_demo_menu(self, menu: QMenu) -> None:
        """Source > Demo on…: the demo on virtual sensors of any kind, or of two kinds."""
        from winkmon.gui.demokinds import demo_kind_entries

        #: The Demo on… actions by ``--sensor-kind`` value (``"pair"``: the two-kinds dialog).
        self.demo_actions: dict[str, QAction] = {}
        for kind, label in demo_kind_entries():
            action = QAction(f"{label} ({kind})", self)
            action.triggered.connect(lambda _=False, k=kind: self.start_demo(k))
            menu.addAction(action)
            self.demo_actions[kind] = action
        menu.addSeparator()
        pair = QAction("Two kinds (sacrum, L1)…", self)
        pair.triggered.connect(self.open_demo_pair_dialog)
        menu.addAction(pair)
        self.demo_actions["pair"] = pair
        self.pair_dialog: QDialog | None = None  #: the open two-kinds dialog, if any

    def start_demo(self, sensor_kind: str) -> None:
        """The demo on virtual sensors of ``sensor_kind`` (``KIND`` or ``SACRUM,LUMBAR``)."""
        self._switch(lambda: self.factory.demo(sensor_kind=sensor_kind))

    def open_demo_pair_dialog(self) -> None:
        from winkmon.gui.demokinds import PairDialog

        # Not exec(): a nested Qt loop would stall the asyncio loop (qasync) the sensors run on.
        dialog = PairDialog(self)
        dialog.accepted.connect(lambda: self.start_demo(dialog.sensor_kind()))
        dialog.finished.connect(dialog.deleteLater)
        self.pair_dialog = dialog
        dialog.open()

    # -- sources ---------------------------------------------------------------------------
    def _switch(self, make: Callable[[], object]) -> None:
        try:
            source = make()
        except WinkmonError as exc:
            QMessageBox.warning(self, "winkmon", str(exc))
            return
        self.set_source(source)

    def set_source(self, source: object) -> None:
        if self.is_recording:
            self.toggle_recording()
        self.controller.replace_source(source)  # type: ignore[arg-type]
        self._on_source_changed()

    def open_recording(self, path: str | Path) -> None:
        self._switch(lambda: self.factory.replay(Path(path)))

    def open_recording_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a recording", "", "winkmon recordings (*.winkmon);;All files (*)"
        )
        if path:
            self.open_recording(path)

    def _on_source_changed(self) -> None:
        source = self.controller.source
        kind = source.kind
        label = {SourceKind.LIVE: "LIVE", SourceKind.DEMO: "DEMO", SourceKind.REPLAY: "REPLAY"}
        title = label[kind]
        name = getattr(source, "title", "")
        self.source_label.setText(f"{title}  {name}" if name else title)
        athlete = getattr(source, "athlete_name", "")
        self.athlete_label.setText(f"Athlete: {athlete}" if athlete else "")
        self.record_button.setEnabled(is_recordable(source))
        self.record_action.setEnabled(is_recordable(source))
        self.replay_bar.attach(replay_control(source))
        self.trace.set_thresholds(self.controller.thresholds)
        self.set_panel.show_set(None)
        self._last_sensor_refresh = -math.inf

    # -- the frame tick --------------------------------------------------------------------
    def start(self) -> None:
        self.controller.start()
        self.timer.start()

    def tick(self) -> None:
        now = self._clock()
        result = self.controller.poll(now)
        set_changed = result.reset
        if not result.reset:
            for event in result.events:
                if isinstance(event, Alert):
                    self.on_alert(event, now)
                elif isinstance(event, Rep | RepStarted):
                    set_changed = True
        self.flash.tick(now)
        if result.new_samples or result.reset:
            self._redraw(now, force=result.reset)
        if set_changed:
            self.set_panel.show_set(self.controller.current_set)
        if now - self._last_sensor_refresh >= SENSOR_REFRESH_S:
            self._last_sensor_refresh = now
            self.sensor_panel.show_status(self.controller.sensors())
            if self.controller.current() is None:
                self._show_waiting()
        if self._record_started is not None:
            elapsed = int(now - self._record_started)
            self.record_label.setText(f"● REC {elapsed // 60:02d}:{elapsed % 60:02d}")
        self.replay_bar.refresh()

    def _redraw(self, now: float, force: bool = False) -> None:
        c = self.controller
        th = c.thresholds
        cur = c.current()
        rep = c.rep_in_progress
        if cur is not None:
            current_set = c.current_set
            self.gauge.set_state(
                cur.angle_deg,
                cur.zone,
                th,
                c.loss_line_deg,
                rep.set_angle_deg if rep else None,
                rep_under_way=rep is not None,
                reason=self._no_signal_reason(),
                cue=cue(current_set.reps if current_set else [], c.all_reps, rep is not None),
            )
        if not force and now - self._last_trace < TRACE_EVERY_S:
            return
        self._last_trace = now
        t, angle, depth, _ = c.window(TRACE_S + 0.5)
        zone = self._verdict_zones(t, c.zone.last(t.size))
        self.trace.set_thresholds(th)
        self.trace.set_loss_line(c.loss_line_deg)
        self.trace.update_data(t, angle, depth, zone, c.alerts[-8:])

    def _verdict_zones(self, t_s: np.ndarray, zone: np.ndarray) -> np.ndarray:
        """The pipeline's zones inside reps (finished or under way); ``Zone.UNKNOWN`` outside,
        where the trace is drawn without a verdict colour (a pick-up bend is not red)."""
        c = self.controller
        inside = np.zeros(t_s.size, dtype=bool)
        if t_s.size == 0:
            return zone
        spans = [(r.start_s, r.end_s) for r in c.all_reps[-12:] if r.end_s >= t_s[0]]
        if c.rep_in_progress is not None:
            spans.append((c.rep_in_progress.t_s, math.inf))
        for start, end in spans:
            inside[int(np.searchsorted(t_s, start)) : int(np.searchsorted(t_s, end, "right"))] = (
                True
            )
        return np.where(inside, zone, np.int8(Zone.UNKNOWN)).astype(np.int8)

    def _no_signal_reason(self) -> str:
        """Why there is no angle now, in a few words (empty when there is one)."""
        error = getattr(self.controller.source, "error", None)
        if error:
            return str(error)
        missing = [
            f"{s.role.label} sensor {s.link.value}"
            for s in self.controller.sensors().values()
            if s.link in (LinkState.DISCONNECTED, LinkState.CONNECTING, LinkState.RECONNECTING)
            and s.name != "not used"
        ]
        return ", ".join(missing)

    def _show_waiting(self) -> None:
        """Before the first sample: "No signal" and why (connecting, or what went wrong)."""
        reason = self._no_signal_reason() or "waiting for the sensors"
        self.gauge.set_state(
            math.nan, Zone.UNKNOWN, self.controller.thresholds, None, None, False, reason
        )

    def on_alert(self, alert: Alert, now_s: float) -> None:
        """Cue an alert: flash and sound, in this frame."""
        self.flash.flash(alert.level, now_s)
        cue = Cue.FLEXION if alert.level is AlertLevel.FLEXION else Cue.EXTENSION_LOST
        self.sound.play(cue)

    # -- record / mute ---------------------------------------------------------------------
    @property
    def is_recording(self) -> bool:
        return self._record_started is not None

    def _on_record_clicked(self) -> None:
        self.toggle_recording()

    def toggle_recording(self) -> None:
        source = self.controller.source
        if not is_recordable(source):
            self.record_button.setChecked(False)
            return
        if self._record_started is None:
            try:
                path = source.start_recording(None)  # type: ignore[attr-defined]
            except WinkmonError as exc:
                self.record_button.setChecked(False)
                QMessageBox.warning(self, "winkmon", f"Could not start recording: {exc}")
                return
            self._record_started = self._clock()
            self.record_label.setText("● REC 00:00")
            self.record_label.setToolTip(str(path))
            self.record_button.setText("■ Stop")
            self.record_button.setChecked(True)
        else:
            path = source.stop_recording()  # type: ignore[attr-defined]
            self._record_started = None
            self.record_label.setText("")
            self.record_button.setText("● Record")
            self.record_button.setChecked(False)
            if path:
                self.statusBar().showMessage(f"Saved {path}", 8000)

    def toggle_full_screen(self) -> None:
        """Full screen for the gym (F11, View > Full screen); F11 again to leave."""
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
        self.full_screen_action.setChecked(self.isFullScreen())

    def _on_mute_clicked(self) -> None:
        self.toggle_mute()

    def toggle_mute(self) -> None:
        self.sound.muted = not self.sound.muted
        self._refresh_mute()

    def _refresh_mute(self) -> None:
        muted = self.sound.muted
        self.mute_button.setChecked(muted)
        self.mute_button.setText("✕ Muted" if muted else "♪ Sound on")
        if not self.sound.available:
            self.sound_notice.setText("Sound unavailable — visual alerts only")
            self.sound_notice.setToolTip(self.sound.reason)
        else:
            self.sound_notice.setText("")

    # -- calibration -----------------------------------------------------------------------
    def open_calibration(self) -> None:
        from winkmon.gui.calibfeed import HubCalibrationFeed
        from winkmon.gui.controller import SourceKind
        from winkmon.gui.wizard import CalibrationWizard

        source = self.controller.source
        feed = None
        if getattr(source, "kind", None) is SourceKind.LIVE and hasattr(source, "batch_listeners"):
            feed = HubCalibrationFeed(source)  # the athlete's own sensors
        wizard = CalibrationWizard(self.controller, self.factory, parent=self, feed=feed)
        wizard.exec()
        if wizard.saved_path is not None and self.factory is not None:
            self.factory.athlete = wizard.athlete_name  # "Athlete's sensors" now uses them

    def closeEvent(self, event: QCloseEvent) -> None:
        self.timer.stop()
        if self.is_recording:
            self.toggle_recording()
        self.controller.close()
        super().closeEvent(event)
