"""An athlete's history as one self-contained HTML page (``winkmon history --html``).

Per session: reps, wink rate, wink-free depth, the depth at which the wink starts and the
set-up angle, as a table and as trend plots (inline SVG, no URL; same styles as the
session report). The rows are :class:`winkmon.archive.query.HistoryRow` from DuckDB.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from winkmon.archive.query import HistoryRow
from winkmon.reports.html import CSS
from winkmon.reports.svg import Chart


def _f(x: float | None, fmt: str) -> str:
    return "–" if x is None or not math.isfinite(x) else format(x, fmt)


def trend_chart(
    rows: Sequence[HistoryRow],
    series: Sequence[tuple[str, Callable[[HistoryRow], float | None]]],
    caption: str,
    *,
    signed: bool = False,
) -> str:
    """One value per session (x: session number, labelled by date), a line and dots per
    series; missing values leave a gap."""
    n = len(rows)
    values = [[get(r) for r in rows] for _, get in series]
    finite = [v for vs in values for v in vs if v is not None and math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    pad = max(2.0, 0.1 * (hi - lo))
    every = max(1, n // 8)
    labels = [(float(i), rows[i].date[5:]) for i in range(0, n, every)]
    c = Chart(
        -0.5,
        n - 0.5,
        lo - pad,
        hi + pad,
        height_px=170,
        signed=signed,
        x_labels=labels,
        margin_top=10,
    )
    import numpy as np

    for (name, _), vs in zip(series, values, strict=True):
        y = np.array([math.nan if v is None else v for v in vs], dtype=float)
        c.series(np.arange(n, dtype=float), y, f"trend {name}")
        for i, v in enumerate(vs):
            if v is not None and math.isfinite(v):
                c.marker(float(i), v, f"dot {name}", title=f"{rows[i].date}: {v:.1f}")
    return f'<div class="cap">{escape(caption)}</div>' + c.svg("plot trend", caption)


EXTRA_CSS = """
svg .trend { stroke-width: 2; } svg .trend.free, svg .dot.free { stroke: var(--green); }
svg .dot.free { fill: var(--green); }
svg .trend.depth { stroke: #3558a8; } svg .dot.depth { fill: #3558a8; stroke: #3558a8; }
svg .trend.rate, svg .dot.rate { stroke: var(--red); } svg .dot.rate { fill: var(--red); }
svg .trend.setang, svg .dot.setang { stroke: #6b4fa8; } svg .dot.setang { fill: #6b4fa8; }
svg .trend.onset, svg .dot.onset { stroke: var(--amber); } svg .dot.onset { fill: var(--amber); }
svg circle.dot { r: 3.5; }
.key span { display: inline-block; margin-right: 14px; font-size: 12px; }
.key i { display: inline-block; width: 14px; height: 3px; vertical-align: middle;
  margin-right: 4px; }
"""


def render_history(athlete: str, rows: Sequence[HistoryRow], app_version: str) -> str:
    """The whole page."""
    title = f"Squat history: {athlete}"
    parts = [
        f"<header><h1>{escape(title)}</h1><div class=sub>{len(rows)} sessions"
        + (f", {escape(rows[0].date)} to {escape(rows[-1].date)}" if rows else "")
        + "</div></header>"
    ]
    if rows:
        free = [r.wink_free_depth_cm for r in rows if r.wink_free_depth_cm is not None]
        if len(free) >= 2:
            parts.append(
                f"<p>Wink-free depth went from <b>{free[0]:.0f} cm</b> to "
                f"<b>{free[-1]:.0f} cm</b> over the sessions where it could be measured "
                "(sessions with some reps winking and some not).</p>"
            )
        parts.append("<h2>Trends</h2>")
        parts.append(
            trend_chart(
                rows,
                [("free", lambda r: r.wink_free_depth_cm), ("depth", lambda r: r.depth_cm)],
                "depth, cm: wink-free depth (green) and median rep depth (blue)",
            )
        )
        parts.append(
            trend_chart(
                rows,
                [("rate", lambda r: None if r.wink_rate is None else 100 * r.wink_rate)],
                "wink rate, % of reps with an angle",
            )
        )
        parts.append(
            trend_chart(
                rows,
                [
                    ("setang", lambda r: r.set_angle_deg),
                ],
                "median set-up angle, deg (more negative: more arch)",
                signed=True,
            )
        )
        parts.append("<h2>Sessions</h2>")
        head = [
            "date",
            "reps",
            "winks",
            "wink rate",
            "wink-free cm",
            "wink from cm",
            "set deg",
            "depth cm",
            "calibration",
        ]
        trs = ["<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
        for r in rows:
            rate = "–" if r.wink_rate is None else f"{100 * r.wink_rate:.0f} %"
            cells = [
                escape(r.date),
                str(r.reps),
                str(r.winks),
                rate,
                _f(r.wink_free_depth_cm, ".0f"),
                _f(r.onset_depth_cm, ".0f"),
                _f(r.set_angle_deg, "+.1f"),
                _f(r.depth_cm, ".0f"),
                escape(r.calibration),
            ]
            trs.append('<tr class="session">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        parts.append("<table>" + "".join(trs) + "</table>")
    parts.append(
        f"<footer>winkmon {escape(app_version)} · calibration: where each session's "
        "calibration came from (recording, profile, session itself, none)</footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}{EXTRA_CSS}</style></head>"
        "<body><main>\n" + "\n".join(parts) + "\n</main></body></html>\n"
    )
