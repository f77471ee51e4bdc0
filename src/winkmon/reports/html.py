"""The session report as one self-contained HTML file (``winkmon report --html``).

Built from the report document (:func:`winkmon.commands.report.report_document`, the JSON the
CLI writes) and the pipeline's angle series of the same :class:`SessionResult`: one source of
truth for the table, the JSON and this page. The file needs nothing outside itself: the plots
are inline SVG, the styles inline, the fonts the reader's system fonts; it holds no URL. It
prints to PDF in a browser (``winkmon report --pdf`` uses headless Chromium).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from winkmon.pipeline.events import AngleBlock, Zone
from winkmon.reports.advice import what_to_work_on
from winkmon.reports.svg import Chart

if TYPE_CHECKING:
    from winkmon.pipeline.offline import SessionResult

#: Seconds shown before the first and after the last rep of a set.
SET_PAD_S = 1.5


@dataclass(frozen=True, slots=True)
class SensorLine:
    """One sensor as the report shows it."""

    role: str  #: "sacrum", "lumbar"
    rate_hz: float
    part: str  #: IMU part and serial, or "" when the recording has no INFO record
    firmware: str


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """Facts of the recording that the report document does not carry."""

    recorded_utc: str  #: ISO 8601
    duration_s: float
    simulated: bool
    notes: str
    sensors: tuple[SensorLine, ...]


def session_info(recording: Any, duration_s: float) -> SessionInfo:
    """Collect :class:`SessionInfo` from an open :class:`~winkmon.recording.Recording`."""
    lines = []
    for role, s in sorted(recording.sensors.items()):
        part = fw = ""
        if s.info is not None:
            part = f"{s.info.imu_part} #{s.info.serial}"
            fw = ".".join(str(v) for v in s.info.fw_version)
        lines.append(SensorLine(role.label, float(s.rate_hz), part, fw))
    meta = recording.meta
    return SessionInfo(
        meta.created_utc, duration_s, bool(meta.simulated), meta.notes or "", tuple(lines)
    )


VERDICT_LABEL = {
    "ok": "good",
    "extension_lost": "extension lost",
    "flexion": "butt wink",
    "unknown": "no angle",
    "unavailable": "depth only",
}

ZONE_CLASS = {
    int(Zone.EXTENSION): "z-ext",
    int(Zone.EXTENSION_LOST): "z-lost",
    int(Zone.FLEXION): "z-flex",
    int(Zone.UNKNOWN): "z-unknown",
}

CSS = """
:root { --ink:#1d2430; --muted:#5b6575; --line:#d9dee6; --green:#2e7d32; --amber:#d98a00;
  --red:#c62828; --bg:#ffffff; --panel:#f5f7fa; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans",
  Arial, sans-serif; }
main { max-width: 900px; margin: 0 auto; padding: 28px 28px 40px; }
header { border-bottom: 3px solid var(--ink); padding-bottom: 12px; margin-bottom: 18px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 26px 0 10px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  background: var(--panel); border: 1px solid var(--line); color: var(--muted); }
.tiles { display: grid; grid-template-columns: repeat(6, 1fr); gap: 8px; margin: 14px 0; }
.tile { background: var(--panel); border-radius: 8px; padding: 8px 10px; }
.tile .v { font-size: 22px; font-weight: 700; }
.tile .k { font-size: 12px; color: var(--muted); }
.tile.good .v { color: var(--green); } .tile.lost .v { color: var(--amber); }
.tile.flex .v { color: var(--red); }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 4px 6px; border-bottom: 1px solid var(--line); text-align: right; }
th { color: var(--muted); font-weight: 600; }
th:first-child, td:first-child, td.l, th.l { text-align: left; }
.pill { display: inline-block; padding: 0 8px; border-radius: 9px; font-size: 12px;
  font-weight: 600; color: #fff; }
.v-ok { background: var(--green); } .v-extension_lost { background: var(--amber); }
.v-flexion { background: var(--red); } .v-unknown, .v-unavailable { background: #8a94a3; }
.work li { margin: 0 0 8px; } .work b { display: block; }
.note { background: #fff8e1; border-left: 4px solid var(--amber); padding: 8px 12px; }
section.set { break-inside: avoid; page-break-inside: avoid; border-top: 1px solid var(--line);
  margin-top: 18px; }
ul.notes { margin: 6px 0 10px; padding-left: 20px; }
svg { width: 100%; height: auto; display: block; margin: 4px 0; }
svg text { font-family: inherit; font-size: 11px; fill: var(--muted); }
svg .frame { fill: none; stroke: #aab2bf; }
svg .grid { stroke: #eceff3; }
svg .neutral { stroke: #6b7280; stroke-dasharray: 4 3; }
svg .threshold { stroke: var(--red); stroke-dasharray: 2 3; }
svg .threshold-label, svg .neutral-label { fill: var(--muted); font-size: 10px; }
svg .flex-band { fill: #fdecea; }
svg .lost-band { fill: #fff4d6; }
svg .rep-band { fill: #f3f5f8; }
svg polyline { fill: none; stroke-width: 2; stroke-linejoin: round; }
svg .z-ext { stroke: var(--green); } svg .z-lost { stroke: var(--amber); }
svg .z-flex { stroke: var(--red); } svg .z-unknown { stroke: #8a94a3; }
svg .depth { stroke: #3558a8; }
svg .wink { fill: var(--red); stroke: #fff; stroke-width: 1.5; }
svg .wink-label { fill: var(--red); font-weight: 700; }
svg .lost { fill: var(--amber); stroke: #fff; stroke-width: 1.5; }
svg .lost-label { fill: var(--amber); font-weight: 700; }
svg .onset { stroke: var(--red); stroke-width: 1; stroke-dasharray: 3 2; }
svg .rep-label { fill: var(--ink); font-weight: 600; }
svg .axis-label { fill: var(--ink); font-weight: 600; }
.cap { font-size: 12px; color: var(--muted); margin-top: 10px; }
td, th { white-space: nowrap; } td.l { white-space: normal; }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; }
@page { size: A4; margin: 12mm; }
@media print { main { padding: 0; max-width: none; } h2 { break-after: avoid; } }
"""


def _f(x: Any, fmt: str, missing: str = "–") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return missing
    return format(x, fmt)


def _when(iso: str) -> str:
    try:
        t = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return t.strftime("%A %d %B %Y, %H:%M UTC")


def _slice(a: AngleBlock, t0: float, t1: float) -> slice:
    i0 = int(np.searchsorted(a.t_s, t0, side="left"))
    i1 = int(np.searchsorted(a.t_s, t1, side="right"))
    return slice(i0, i1)


def _zone_runs(chart: Chart, t: np.ndarray, y: np.ndarray, zone: np.ndarray) -> None:
    """The angle line, coloured by zone; each run overlaps the next by one sample."""
    if len(t) == 0:
        return
    change = np.flatnonzero(np.diff(zone.astype(np.int16))) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change + 1, [len(t)]])
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        chart.series(t[a:b], y[a:b], ZONE_CLASS.get(int(zone[a]), "z-unknown"))


def angle_chart(doc: dict[str, Any], reps: list[dict[str, Any]], a: AngleBlock) -> str:
    """One set's lumbopelvic angle with the zones, each rep numbered and each wink marked."""
    th = doc["thresholds"]
    t0, t1 = reps[0]["start_s"] - SET_PAD_S, reps[-1]["end_s"] + SET_PAD_S
    sl = _slice(a, t0, t1)
    t, y, z = a.t_s[sl], a.lumbopelvic_deg[sl], a.zone[sl]
    finite = y[np.isfinite(y)]
    lo = float(finite.min()) if len(finite) else -15.0
    hi = float(finite.max()) if len(finite) else 5.0
    lo, hi = min(lo, -5.0) - 3.0, max(hi, th["flexion_deg"] + 4.0) + 3.0
    c = Chart(t0, t1, lo, hi, height_px=240)
    for r in reps:
        s = r["set_angle_deg"]
        c.band(r["start_s"], r["end_s"], lo, hi, "rep-band")
        if s is not None:
            c.band(r["start_s"], r["end_s"], s + th["loss_deg"], th["flexion_deg"], "lost-band")
    c.band(t0, t1, th["flexion_deg"], hi, "flex-band")
    c.hline(0.0, "neutral", "neutral")
    c.hline(th["flexion_deg"], "threshold", f"flexion > +{th['flexion_deg']:g}")
    _zone_runs(c, t, y, z)
    for r in reps:
        c.top_label(r["bottom_s"], f"rep {r['number']}")
        peak = r["peak_flexion_deg"]
        if r["verdict"] == "flexion" and peak is not None:
            if r.get("flexion_onset_s") is not None:
                c.vline(r["flexion_onset_s"], "onset")
            c.marker(
                r["peak_s"],
                peak,
                "wink",
                "wink",
                f"rep {r['number']}: butt wink, peak {peak:+.1f} deg",
            )
        elif r["verdict"] == "extension_lost" and peak is not None:
            c.marker(
                r["peak_s"], peak, "lost", "lost", f"rep {r['number']}: extension lost {peak:+.1f}"
            )
    caption = (
        "lumbopelvic angle, deg (up is flexion); red: butt wink zone; amber: extension lost "
        f"({th['loss_deg']:g} deg above the set angle)"
    )
    return f'<div class="cap">{escape(caption)}</div>' + c.svg(
        "plot angle", "lumbopelvic angle over the set"
    )


#: A step this large between two depth samples early in a rep is the tracker recognising the
#: rep (it then measures from the rep's start height), not movement, cm.
RECOGNISED_STEP_CM = 3.0


def rep_depth_curve(
    t: np.ndarray, d: np.ndarray, start_s: float, end_s: float, depth_cm: float | None
) -> np.ndarray:
    """One rep's depth for the eye, on the samples of ``t`` in [start_s, end_s] (NaN elsewhere).

    The live tracker recognises a rep a moment after it started and dates it back; until then
    its depth output was still the idle estimate, so the samples before that step (the largest
    jump of more than :data:`RECOGNISED_STEP_CM` in the descent's first half) are drawn as a
    straight line from standing. The integrated depth drifts a few cm over a rep and the
    athlete stands at both ends, so the drift is taken out as a straight line that makes the
    curve zero at the end; the curve is then scaled so that its deepest point is the rep's
    reported (refined) depth: the plot shows the live curve's shape and agrees with the table.
    """
    out = np.full(len(t), np.nan)
    idx = np.flatnonzero((t >= start_s) & (t <= end_s))
    seg = d[idx].astype(float)
    ok = np.isfinite(seg)
    if ok.sum() < 2:
        return out
    seg = np.interp(t[idx], t[idx][ok], seg[ok])
    k_bottom = int(np.argmax(seg))
    steps = np.abs(np.diff(seg[: max(2, k_bottom // 2 + 1)]))
    if len(steps) and steps.max() > RECOGNISED_STEP_CM:
        k = int(np.argmax(steps)) + 1  # first sample after the step
        seg[:k] = seg[0] + (t[idx][:k] - t[idx][0]) * (seg[k] - seg[0]) / (
            (t[idx][k] - t[idx][0]) or 1.0
        )
    seg = seg - seg[0]
    seg = seg - (t[idx] - t[idx][0]) * seg[-1] / ((t[idx][-1] - t[idx][0]) or 1.0)
    peak = float(np.max(seg))
    if peak > 1.0 and depth_cm is not None and math.isfinite(depth_cm):
        seg = seg * (depth_cm / peak)
    out[idx] = seg
    return out


def _rep_depth_curves(t: np.ndarray, d: np.ndarray, reps: list[dict[str, Any]]) -> np.ndarray:
    """Each rep's :func:`rep_depth_curve`, NaN between reps (the integrated height between reps
    means nothing)."""
    out = np.full(len(t), np.nan)
    for r in reps:
        curve = rep_depth_curve(t, d, r["start_s"], r["end_s"], r["depth_cm"])
        have = np.isfinite(curve)
        out[have] = curve[have]
    return out


def depth_chart(reps: list[dict[str, Any]], a: AngleBlock) -> str:
    """One set's squat depth (cm below standing, drawn downwards) with wink onsets marked."""
    t0, t1 = reps[0]["start_s"] - SET_PAD_S, reps[-1]["end_s"] + SET_PAD_S
    sl = _slice(a, t0, t1)
    t, d = a.t_s[sl], a.depth_cm[sl].copy()
    d = _rep_depth_curves(t, d, reps)
    finite = d[np.isfinite(d)]
    hi = float(finite.max()) if len(finite) else 40.0
    lo = min(0.0, float(finite.min()) if len(finite) else 0.0)
    c = Chart(t0, t1, lo - 2.0, hi + 6.0, y_down=True, height_px=150, margin_top=8, signed=False)
    for r in reps:
        c.band(r["start_s"], r["end_s"], c.y_lo, c.y_hi, "rep-band")
    c.series(t, d, "depth")
    for r in reps:
        if r["verdict"] == "flexion" and r.get("flexion_onset_s") is not None:
            c.vline(r["flexion_onset_s"], "onset")
            onset = r.get("flexion_onset_depth_cm")
            if onset is not None:
                c.marker(
                    r["flexion_onset_s"],
                    onset,
                    "wink",
                    f"{onset:.0f} cm",
                    f"rep {r['number']}: flexion from {onset:.0f} cm",
                )
    return '<div class="cap">depth, cm below standing (each rep from its start)</div>' + c.svg(
        "plot depth", "squat depth over the set"
    )


def rep_table(reps: list[dict[str, Any]], has_angle: bool) -> str:
    head = ["rep", "start s", "depth cm", "down s", "up s"]
    if has_angle:
        head += ["set deg", "peak deg", "rise deg", "wink from cm", "verdict"]
    else:
        head += ["pelvis tuck deg", "verdict"]
    rows = ["<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for r in reps:
        cells = [
            str(r["number"]),
            _f(r["start_s"], ".1f"),
            _f(r["depth_cm"], ".0f"),
            _f(r["descent_s"], ".1f"),
            _f(r["ascent_s"], ".1f"),
        ]
        if has_angle:
            s, p = r["set_angle_deg"], r["peak_flexion_deg"]
            cells += [
                _f(s, "+.1f"),
                _f(p, "+.1f"),
                "–" if s is None or p is None else f"{p - s:+.1f}",
                _f(r.get("flexion_onset_depth_cm"), ".0f"),
            ]
        else:
            cells.append(_f(r.get("pelvis_tuck_deg"), ".0f"))
        v = r["verdict"]
        pill = f'<span class="pill v-{escape(v)}">{escape(VERDICT_LABEL.get(v, v))}</span>'
        rows.append(
            f'<tr class="rep" data-verdict="{escape(v)}">'
            + "".join(f"<td>{c}</td>" for c in cells)
            + f"<td>{pill}</td></tr>"
        )
    return '<table class="reps">' + "\n".join(rows) + "</table>"


def _tiles(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    has_angle = doc["lumbopelvic"]["available"]
    items = [("reps", s["reps"], "")]
    if has_angle:
        items += [
            ("good", s.get("ok", 0), "good"),
            ("extension lost", s.get("extension_lost", 0), "lost"),
            ("butt wink", s.get("flexion", 0), "flex"),
            ("alerts", len(doc["alerts"]), ""),
        ]
    free = s.get("wink_free_depth_cm")
    items.append(("wink-free depth", "–" if free is None else f"{free:.0f} cm", ""))
    return (
        '<div class="tiles">'
        + "".join(
            f'<div class="tile {cls}"><div class="v">{escape(str(v))}</div>'
            f'<div class="k">{escape(k)}</div></div>'
            for k, v, cls in items
        )
        + "</div>"
    )


def _sensors(doc: dict[str, Any], info: SessionInfo) -> str:
    stats = doc["sensors"]
    rows = ["<tr><th>sensor</th><th>rate</th><th class=l>unit</th><th>lost</th></tr>"]
    for s in info.sensors:
        st = stats.get(s.role, {})
        unit = s.part + (f", firmware {s.firmware}" if s.firmware else "")
        loss = _f(st.get("loss_pct"), ".2f") + " %" if st else "–"
        rows.append(
            f"<tr><td>{escape(s.role)}</td><td>{s.rate_hz:g} Hz</td>"
            f"<td class=l>{escape(unit or '–')}</td><td>{loss}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def _calibration(doc: dict[str, Any]) -> str:
    cal = doc["calibration"]
    th = doc["thresholds"]
    lines = (
        list(cal.get("quality", []))
        if cal
        else ["no athlete profile: no calibration, so no lumbopelvic angle"]
    )
    if cal and cal.get("revision_used") not in (None, cal.get("revision")):
        lines.append(f"report made with calibration revision {cal['revision_used']}")
    lines.append(
        f"thresholds: flexion past +{th['flexion_deg']:g} deg, extension lost when the angle "
        f"rises {th['loss_deg']:g} deg above the set angle"
    )
    return "<ul>" + "".join(f"<li>{escape(x)}</li>" for x in lines) + "</ul>"


def render_session(doc: dict[str, Any], result: SessionResult, info: SessionInfo) -> str:
    """The whole page (a complete HTML document as a string)."""
    from winkmon.pipeline.insights import split_sets

    has_angle = bool(doc["lumbopelvic"]["available"])
    athlete = doc["athlete"] or "unnamed athlete"
    by_number = {r["number"]: r for r in doc["reps"]}
    parts: list[str] = []
    title = f"Squat session report: {athlete}"
    parts.append(
        f"<header><h1>{escape(title)}</h1><div class=sub>{escape(_when(info.recorded_utc))}"
        f" · {info.duration_s / 60:.0f} min recorded"
        + (" · <span class=badge>simulated session</span>" if info.simulated else "")
        + "</div></header>"
    )
    parts.append(_tiles(doc))
    if not has_angle:
        parts.append(f'<p class="note">{escape(doc["lumbopelvic"]["note"] or "")}</p>')
    if doc.get("damage"):
        parts.append(f'<p class="note">recording damaged: {escape(doc["damage"])}</p>')
    advice = what_to_work_on(result.reps)
    if advice:
        parts.append('<h2>What to work on</h2><ol class="work">')
        for a in advice:
            parts.append(
                f'<li data-topic="{a.topic}"><b>{escape(a.headline)}</b>{escape(a.detail)}</li>'
            )
        parts.append("</ol>")
    parts.append(
        '<div class="cols"><div><h2>Sensors</h2>'
        + _sensors(doc, info)
        + "</div><div><h2>Calibration</h2>"
        + _calibration(doc)
        + "</div></div>"
    )
    notes_by_set = {s["set"]: s["notes"] for s in doc["sets"]}
    for i, group in enumerate(split_sets(result.reps), start=1):
        reps = [by_number[r.number] for r in group if r.number in by_number]
        if not reps:
            continue
        parts.append(
            f'<section class="set" data-set="{i}"><h2>Set {i}: reps {reps[0]["number"]}'
            f"–{reps[-1]['number']}</h2>"
        )
        parts.append(
            '<ul class="notes">'
            + "".join(f"<li>{escape(n)}</li>" for n in notes_by_set.get(i, []))
            + "</ul>"
        )
        if has_angle:
            parts.append(angle_chart(doc, reps, result.angles))
        parts.append(depth_chart(reps, result.angles))
        parts.append(rep_table(reps, has_angle))
        parts.append("</section>")
    if not result.reps:
        parts.append("<p>No squat reps were found in this recording.</p>")
    parts.append(
        f"<footer>winkmon {escape(doc['app_version'])} · report version "
        f"{doc['report_version']} · {escape(str(doc['session']))}"
        + (f" · {escape(info.notes)}" if info.notes else "")
        + "<br>Angles relative to the athlete's own calibrated neutral standing posture; "
        "positive is lumbar flexion. Hints are suggestions for the coach, not a diagnosis."
        "</footer>"
    )
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body><main>\n{body}\n</main></body></html>\n"
    )
