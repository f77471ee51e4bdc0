"""Small inline SVG charts (no plotting library, no fonts or files outside the document).

A :class:`Chart` maps data coordinates (seconds, degrees, centimetres) onto an SVG canvas and
collects elements; :meth:`Chart.svg` returns the markup. Long series are thinned to one
min/max pair per pixel column so a one-hour session stays a small file.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from html import escape

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def nice_step(span: float, target_ticks: int = 5) -> float:
    """A tick step of 1, 2 or 5 times a power of ten giving about ``target_ticks`` ticks."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / target_ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 5.0, 10.0):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def thin(t: FloatArray, y: FloatArray, columns: int) -> tuple[FloatArray, FloatArray]:
    """At most two points (min, max) per one of ``columns`` equal time slices; keeps NaN gaps
    visible as NaN. Series shorter than ``2 * columns`` come back unchanged."""
    n = len(t)
    if n <= 2 * columns:
        return t, y
    edges = np.linspace(0, n, columns + 1).astype(int)
    out_t: list[float] = []
    out_y: list[float] = []
    for a, b in itertools.pairwise(edges.tolist()):
        seg = y[a:b]
        if b <= a:
            continue
        if np.all(np.isnan(seg)):
            out_t.append(float(t[a]))
            out_y.append(math.nan)
            continue
        i_lo = a + int(np.nanargmin(seg))
        i_hi = a + int(np.nanargmax(seg))
        for i in sorted({i_lo, i_hi}):
            out_t.append(float(t[i]))
            out_y.append(float(y[i]))
    return np.asarray(out_t), np.asarray(out_y)


@dataclass
class Chart:
    """One plot: data ranges, a canvas in px (the SVG scales to its container's width)."""

    t0_s: float
    t1_s: float
    y_lo: float
    y_hi: float
    width_px: int = 760
    height_px: int = 220
    #: Larger values drawn lower (depth below standing reads naturally downwards).
    y_down: bool = False
    margin_left: int = 46
    margin_right: int = 12
    margin_top: int = 22
    margin_bottom: int = 26
    label: str = ""
    #: Tick labels for the x axis at given x values (default: seconds).
    x_labels: list[tuple[float, str]] | None = None
    #: Tick labels with a sign (+5, -5: angles); False for depths and percentages.
    signed: bool = True
    parts: list[str] = field(default_factory=list)

    @property
    def plot_w(self) -> float:
        return self.width_px - self.margin_left - self.margin_right

    @property
    def plot_h(self) -> float:
        return self.height_px - self.margin_top - self.margin_bottom

    def x(self, t_s: float) -> float:
        span = (self.t1_s - self.t0_s) or 1.0
        return self.margin_left + (t_s - self.t0_s) / span * self.plot_w

    def y(self, v: float) -> float:
        span = (self.y_hi - self.y_lo) or 1.0
        frac = (v - self.y_lo) / span
        if not self.y_down:
            frac = 1.0 - frac
        return self.margin_top + frac * self.plot_h

    def _clamp_y(self, v: float) -> float:
        return min(max(v, self.y_lo), self.y_hi)

    def band(self, t0_s: float, t1_s: float, v0: float, v1: float, css_class: str) -> None:
        """A filled rectangle between two times and two values (clipped to the plot)."""
        a, b = self._clamp_y(v0), self._clamp_y(v1)
        xa, xb = self.x(max(t0_s, self.t0_s)), self.x(min(t1_s, self.t1_s))
        ya, yb = sorted((self.y(a), self.y(b)))
        if xb <= xa or yb <= ya:
            return
        self.parts.append(
            f'<rect class="{css_class}" x="{xa:.1f}" y="{ya:.1f}" '
            f'width="{xb - xa:.1f}" height="{yb - ya:.1f}"/>'
        )

    def hline(self, v: float, css_class: str, text: str = "") -> None:
        if not self.y_lo <= v <= self.y_hi:
            return
        yy = self.y(v)
        x0, x1 = self.margin_left, self.width_px - self.margin_right
        self.parts.append(
            f'<line class="{css_class}" x1="{x0}" x2="{x1}" y1="{yy:.1f}" y2="{yy:.1f}"/>'
        )
        if text:
            self.parts.append(
                f'<text class="{css_class}-label" x="{x1 - 4}" y="{yy - 3:.1f}" '
                f'text-anchor="end">{escape(text)}</text>'
            )

    def vline(self, t_s: float, css_class: str) -> None:
        if not self.t0_s <= t_s <= self.t1_s:
            return
        xx = self.x(t_s)
        y0, y1 = self.margin_top, self.margin_top + self.plot_h
        self.parts.append(
            f'<line class="{css_class}" x1="{xx:.1f}" x2="{xx:.1f}" y1="{y0}" y2="{y1:.1f}"/>'
        )

    def series(self, t: FloatArray, y: FloatArray, css_class: str) -> None:
        """A line; NaN breaks it (a sensor out shows as a gap, never as a straight jump)."""
        tt, yy = thin(t, y, int(self.plot_w))
        run: list[str] = []

        def flush() -> None:
            if len(run) >= 2:
                self.parts.append(f'<polyline class="{css_class}" points="{" ".join(run)}"/>')
            run.clear()

        for ti, vi in zip(tt.tolist(), yy.tolist(), strict=True):
            if math.isnan(vi):
                flush()
                continue
            run.append(f"{self.x(ti):.1f},{self.y(self._clamp_y(vi)):.1f}")
        flush()

    def marker(self, t_s: float, v: float, css_class: str, text: str = "", title: str = "") -> None:
        """A dot with an optional label above it and a tooltip."""
        if not (self.t0_s <= t_s <= self.t1_s) or not math.isfinite(v):
            return
        xx, yy = self.x(t_s), self.y(self._clamp_y(v))
        tip = f"<title>{escape(title)}</title>" if title else ""
        self.parts.append(
            f'<circle class="{css_class}" cx="{xx:.1f}" cy="{yy:.1f}" r="4.5">{tip}</circle>'
        )
        if text:
            self.parts.append(
                f'<text class="{css_class}-label" x="{xx:.1f}" y="{yy - 8:.1f}" '
                f'text-anchor="middle">{escape(text)}</text>'
            )

    def top_label(self, t_s: float, text: str, css_class: str = "rep-label") -> None:
        if not self.t0_s <= t_s <= self.t1_s:
            return
        self.parts.append(
            f'<text class="{css_class}" x="{self.x(t_s):.1f}" y="{self.margin_top - 7}" '
            f'text-anchor="middle">{escape(text)}</text>'
        )

    def _axes(self) -> list[str]:
        out: list[str] = []
        x0, x1 = self.margin_left, self.width_px - self.margin_right
        y1 = self.margin_top + self.plot_h
        step = nice_step(self.y_hi - self.y_lo, 4)
        v = math.ceil(self.y_lo / step) * step
        while v <= self.y_hi + 1e-9:
            yy = self.y(v)
            out.append(f'<line class="grid" x1="{x0}" x2="{x1}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
            text = f"{v:+g}" if self.signed and v != 0 else f"{v:g}"
            out.append(
                f'<text class="tick" x="{x0 - 5}" y="{yy + 3.5:.1f}" text-anchor="end">'
                f"{text}</text>"
            )
            v += step
        ticks = self.x_labels
        if ticks is None:
            tstep = nice_step(self.t1_s - self.t0_s, 8)
            t = math.ceil(self.t0_s / tstep) * tstep
            ticks = []
            while t <= self.t1_s + 1e-9:
                ticks.append((t, f"{t:g} s"))
                t += tstep
        for t, text in ticks:
            out.append(
                f'<text class="tick" x="{self.x(t):.1f}" y="{y1 + 15:.1f}" '
                f'text-anchor="middle">{escape(text)}</text>'
            )
        return out

    def _frame(self) -> list[str]:
        out: list[str] = []
        x0, x1 = self.margin_left, self.width_px - self.margin_right
        y0, y1 = self.margin_top, self.margin_top + self.plot_h
        out.append(
            f'<rect class="frame" x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0:.1f}"/>'
        )
        if self.label:
            out.append(
                f'<text class="axis-label" x="{x0 + 4}" y="{y0 - 7}">{escape(self.label)}</text>'
            )
        return out

    def svg(self, css_class: str, aria_label: str) -> str:
        body = "\n".join(self._axes() + self.parts + self._frame())
        return (
            f'<svg class="{css_class}" viewBox="0 0 {self.width_px} {self.height_px}" '
            f'role="img" aria-label="{escape(aria_label)}" preserveAspectRatio="xMidYMid meet">'
            f"\n{body}\n</svg>"
        )
