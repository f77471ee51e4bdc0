"""The scrolling trace: the last ~10 s of the angle, coloured by zone, and the depth under it.

The x axis is "seconds before now" so the axis itself never scrolls; each frame sets the data
once per curve from ring-buffer views (``connect="finite"``: a sensor gap, NaN, breaks the line
instead of drawing a straight segment across it). Extension is up, as on the gauge.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem, QWidget

from winkmon.gui import theme
from winkmon.pipeline.events import Alert, AlertLevel, Zone
from winkmon.pipeline.model import Thresholds

FloatArray = np.ndarray

#: The angle axis always shows at least this much extension and flexion, degrees.
ANGLE_EXT_DEG = -25.0
ANGLE_FLEX_DEG = 15.0
#: Room kept beyond the thresholds and the trace's peaks, degrees.
RANGE_MARGIN_DEG = 3.0
LABEL_PX = 22


def _zone_mask(zone: np.ndarray, z: int) -> np.ndarray:
    """Samples drawn in zone ``z``: those in it and their neighbours (no holes at the seams)."""
    m = zone == z
    out = m.copy()
    out[1:] |= m[:-1]
    out[:-1] |= m[1:]
    return out


class TraceView(pg.GraphicsLayoutWidget):
    def __init__(self, seconds: float = 10.0, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.seconds = seconds
        self.setBackground(theme.PANEL)
        axis_pen = pg.mkPen(theme.DIM)
        tick_font = theme.font(22)  # readable from 3 m

        self.angle_plot: pg.PlotItem = self.addPlot(row=0, col=0)
        self.depth_plot: pg.PlotItem = self.addPlot(row=1, col=0)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        for plot in (self.angle_plot, self.depth_plot):
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.setXRange(-seconds, 0.0, padding=0.0)
            plot.setClipToView(True)
            for name in ("left", "bottom"):
                ax = plot.getAxis(name)
                ax.setPen(axis_pen)
                ax.setTextPen(axis_pen)
                ax.setTickFont(tick_font)
                # The axes never change while scrolling (x is "seconds before now"): keep them
                # as pixmaps instead of re-rendering their text every frame.
                ax.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.getAxis("left").setWidth(100)
        self.depth_plot.setXLink(self.angle_plot)
        self.angle_plot.getAxis("bottom").setStyle(showValues=False)
        label = {"color": theme.DIM, "font-size": f"{LABEL_PX}px"}
        self.depth_plot.setLabel("bottom", "seconds", **label)
        self.angle_plot.setLabel("left", "angle °", **label)
        self.depth_plot.setLabel("left", "depth cm", **label)

        # Extension up: the angle axis is inverted (flexion is positive).
        self.angle_plot.invertY(True)
        self._y_range = (ANGLE_EXT_DEG, ANGLE_FLEX_DEG)
        self.angle_plot.setYRange(*self._y_range, padding=0.0)
        self.depth_plot.invertY(True)
        self.depth_plot.setYRange(0.0, 65.0, padding=0.0)

        self._flex_band = pg.LinearRegionItem(
            values=(2.0, 60.0),
            orientation="horizontal",
            movable=False,
            brush=pg.mkBrush(theme.colour(theme.RED, 45)),
            pen=pg.mkPen(None),
        )
        self.angle_plot.addItem(self._flex_band)
        self._neutral = pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen(theme.TEXT, width=2))
        self._flex_line = pg.InfiniteLine(
            2.0, angle=0, pen=pg.mkPen(theme.RED, width=2, style=pg.QtCore.Qt.PenStyle.DashLine)
        )
        self._loss_line = pg.InfiniteLine(
            0.0, angle=0, pen=pg.mkPen(theme.AMBER, width=2, style=pg.QtCore.Qt.PenStyle.DashLine)
        )
        for item in (self._neutral, self._flex_line, self._loss_line):
            self.angle_plot.addItem(item)
        self._loss_line.hide()

        # Zone colours inside reps; ``Zone.UNKNOWN`` marks samples outside any rep (walking, a
        # pick-up bend), drawn in a neutral colour: no verdict colour outside a rep.
        colours = {**theme.ZONE_COLOUR, Zone.UNKNOWN: theme.BETWEEN_REPS_TRACE}
        self._curves = {
            z: self.angle_plot.plot(
                pen=pg.mkPen(colours[z], width=4), connect="finite", skipFiniteCheck=True
            )
            for z in (Zone.UNKNOWN, Zone.EXTENSION, Zone.EXTENSION_LOST, Zone.FLEXION)
        }
        self._depth_curve = self.depth_plot.plot(
            pen=pg.mkPen(theme.BLUE, width=3),
            connect="finite",
            fillLevel=0.0,
            brush=pg.mkBrush(theme.colour(theme.BLUE, 40)),
        )
        # At most about one point per pixel column (peak-preserving): a 10 s trace at 100 Hz
        # has more points than the plot has pixels, and drawing them costs CPU for nothing.
        for curve in (*self._curves.values(), self._depth_curve):
            curve.setDownsampling(auto=True, method="peak")
        self._alert_lines: list[pg.InfiniteLine] = []
        self._thresholds: Thresholds | None = None

    def set_thresholds(self, th: Thresholds) -> None:
        if th == self._thresholds:
            return
        self._thresholds = th
        self._flex_band.setRegion((th.flexion_deg, 180.0))
        self._flex_line.setValue(th.flexion_deg)
        self._fit_angle_range()

    def set_loss_line(self, angle_deg: float | None) -> None:
        if angle_deg is None:
            self._loss_line.hide()
        else:
            self._loss_line.setValue(angle_deg)
            self._loss_line.show()

    def update_data(
        self,
        t_s: FloatArray,
        angle_deg: FloatArray,
        depth_cm: FloatArray,
        zone: np.ndarray,
        alerts: list[Alert],
        now_s: float | None = None,
    ) -> None:
        """Redraw from views of the last seconds (``now_s``: the right edge, default last t)."""
        if t_s.size == 0:
            for curve in self._curves.values():
                curve.setData([], [])
            self._depth_curve.setData([], [])
            return
        now = float(t_s[-1]) if now_s is None else now_s
        x = t_s - now
        for z, curve in self._curves.items():
            y = np.where(_zone_mask(zone, z), angle_deg, np.nan)
            curve.setData(x, y, connect="finite")
        self._depth_curve.setData(x, depth_cm, connect="finite")
        finite = angle_deg[np.isfinite(angle_deg)]
        if finite.size:
            self._fit_angle_range(float(finite.min()), float(finite.max()))
        self._draw_alerts([a for a in alerts if a.t_s >= now - self.seconds], now)

    def _fit_angle_range(
        self, low_deg: float = ANGLE_EXT_DEG, high_deg: float = ANGLE_FLEX_DEG
    ) -> None:
        """Show the whole trace: at least -25..+15 deg and the flexion threshold with room
        above it, widened in 5 deg steps to the data's peaks (never cut off)."""
        flex = self._thresholds.flexion_deg if self._thresholds is not None else 2.0
        lo = min(ANGLE_EXT_DEG, math.floor((low_deg - RANGE_MARGIN_DEG) / 5.0) * 5.0)
        hi = max(
            ANGLE_FLEX_DEG,
            math.ceil((flex + RANGE_MARGIN_DEG) / 5.0) * 5.0,
            math.ceil((high_deg + RANGE_MARGIN_DEG) / 5.0) * 5.0,
        )
        if (lo, hi) != self._y_range:
            self._y_range = (lo, hi)
            self.angle_plot.setYRange(lo, hi, padding=0.0)

    @property
    def angle_range_deg(self) -> tuple[float, float]:
        """The angle axis's range now, degrees (flexion positive)."""
        return self._y_range

    def _draw_alerts(self, alerts: list[Alert], now: float) -> None:
        while len(self._alert_lines) < len(alerts):
            line = pg.InfiniteLine(0.0, angle=90)
            self.angle_plot.addItem(line)
            self._alert_lines.append(line)
        for i, line in enumerate(self._alert_lines):
            if i < len(alerts):
                a = alerts[i]
                c = theme.RED if a.level is AlertLevel.FLEXION else theme.AMBER
                line.setPen(pg.mkPen(c, width=3))
                line.setValue(a.t_s - now)
                line.show()
            else:
                line.hide()
