"""``winkmon report``: per-rep verdicts of a recorded session, as a table, JSON and CSV.

The JSON document is a public interface (other tools read it); its fields are documented in
the README and only ever gain fields::

    {"reps": [{"start_s", "bottom_s", "end_s", "depth_cm", "set_angle_deg",
               "peak_flexion_deg", "verdict", ...}],
     "alerts": [...], "calibration": {...}, ...}

The angles CSV has ``time_s,lumbopelvic_deg`` (plus ``depth_cm``) on the pipeline's 100 Hz grid.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from winkmon.pipeline.offline import SessionResult
    from winkmon.profiles import AthleteProfile

REPORT_VERSION = 1


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="per-rep verdicts of a recorded session",
        description="Run the pipeline over a recording with an athlete's profile and report "
        "every squat rep (depth, tempo, set angle, peak flexion, verdict) and every alert. "
        "Without --athlete (no calibration), or with only one sensor, it reports reps, depth, "
        "tempo and sets, and says that the lumbopelvic angle is not available. Without "
        "--json, prints a table. The reps and alerts are also stored in the recording.",
    )
    p.add_argument("session", metavar="SESSION", help="the recording (.winkmon)")
    p.add_argument(
        "--athlete",
        metavar="NAME",
        help="whose profile to use (without it: reps, depth and tempo only)",
    )
    p.add_argument(
        "--profiles",
        metavar="DIR",
        help="profile directory (default: $WINKMON_PROFILES, else the per-user data directory)",
    )
    p.add_argument(
        "--revision",
        type=int,
        metavar="N",
        help="use calibration revision N from the athlete's history (default: the current one)",
    )
    p.add_argument("--json", metavar="OUT", help="write the report as JSON ('-' for stdout)")
    p.add_argument(
        "--angles-csv",
        metavar="OUT",
        help="write time_s,lumbopelvic_deg,depth_cm,pelvis_tilt_deg",
    )
    p.add_argument(
        "--html",
        metavar="OUT",
        help="write a self-contained HTML report to send (plots inside, no network needed)",
    )
    p.add_argument(
        "--pdf",
        metavar="OUT",
        help="write the HTML report as a PDF (needs Chromium: apt-get install chromium)",
    )
    p.add_argument(
        "--orientation",
        default="vqf",
        choices=["vqf", "madgwick", "mahony", "ekf"],
        help="orientation filter (default vqf)",
    )
    p.add_argument(
        "--no-save", action="store_true", help="do not store the reps and alerts in the recording"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from winkmon.errors import RecordingError, WinkmonError
    from winkmon.pipeline.offline import analyze_recording
    from winkmon.pipeline.pipeline import PipelineConfig
    from winkmon.profiles import ProfileStore, resolve_profiles_dir
    from winkmon.recording import Recording

    profile = (
        ProfileStore(resolve_profiles_dir(args.profiles)).load(args.athlete)
        if args.athlete
        else None
    )
    config = PipelineConfig(orientation=args.orientation)
    with Recording.open(args.session, partial_ok=True) as rec:
        try:
            frames = rec.frame_count()
        except RecordingError:  # damaged: count unknown, read what can be read
            frames = 0
        else:
            if frames == 0:
                raise RecordingError(f"{rec.path}: the recording holds no sensor data")
        result = _analyze_with_progress(
            rec, profile, config, frames, analyze_recording, args.revision
        )
        damage = rec.damage
        path = rec.path
        info = None
        if args.html or args.pdf:
            from winkmon.reports.html import session_info

            a = result.angles
            info = session_info(rec, float(a.t_s[-1] - a.t_s[0]) if len(a) else 0.0)
    doc = report_document(result, profile, str(path), damage, revision=args.revision)
    if info is not None:
        _write_html_pdf(doc, result, info, args.html, args.pdf)
    try:
        if args.json:
            text = json.dumps(doc, indent=2, allow_nan=False)
            if args.json == "-":
                print(text)
            else:
                Path(args.json).write_text(text + "\n", encoding="utf-8")
        if args.angles_csv:
            write_angles_csv(Path(args.angles_csv), result)
    except OSError as exc:
        raise WinkmonError(f"cannot write {exc.filename}: {exc.strerror}") from None
    if not args.no_save:
        _save_events(path, result)
    if not args.json or args.json != "-":
        print_table(doc)
    if damage:
        print(f"winkmon: warning: {damage}; reported up to the damage", file=sys.stderr)
    return 0


def _write_html_pdf(
    doc: dict[str, Any], result: SessionResult, info: Any, html: str | None, pdf: str | None
) -> None:
    """The HTML report (``--html``) and its PDF (``--pdf``, printed by headless Chromium)."""
    import tempfile

    from winkmon.errors import WinkmonError
    from winkmon.reports.browser import print_pdf
    from winkmon.reports.html import render_session

    page = render_session(doc, result, info)
    try:
        if html:
            Path(html).write_text(page, encoding="utf-8")
        if pdf:
            with tempfile.TemporaryDirectory(prefix="winkmon-report-") as tmp:
                src = Path(tmp) / "report.html"
                src.write_text(page, encoding="utf-8")
                print_pdf(src, Path(pdf))
    except OSError as exc:
        raise WinkmonError(f"cannot write {exc.filename}: {exc.strerror}") from None


def _analyze_with_progress(
    rec: Any,
    profile: AthleteProfile | None,
    config: Any,
    frames: int,
    analyze: Any,
    revision: int | None = None,
) -> SessionResult:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from winkmon.errors import WinkmonError
    from winkmon.pipeline.model import AthleteModel

    if profile is None:
        if revision is not None:
            raise WinkmonError("--revision needs --athlete (whose calibration history to use)")
        model = AthleteModel.uncalibrated()
    else:
        model = profile.model(revision)
    if frames < 200_000 or not sys.stderr.isatty():
        return analyze(rec, model, config)
    with Progress(
        TextColumn("analysing"), BarColumn(), TimeRemainingColumn(), transient=True
    ) as bar:
        task = bar.add_task("frames", total=frames)
        return analyze(rec, model, config, progress=lambda n: bar.advance(task, n))


def _num(x: float | None, digits: int) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, digits)


def angle_note(result: SessionResult, profile: AthleteProfile | None) -> str | None:
    """Why the session has no lumbopelvic angle (None when it has one)."""
    if result.has_angle:
        return None
    from winkmon.protocol.constants import Role

    if profile is None:
        return (
            "no athlete profile given: reps, depth and tempo only. Calibrate the athlete "
            "(winkmon calibrate) and report with --athlete to get the lumbopelvic angle"
        )
    if Role.LUMBAR not in result.stats:
        return (
            "only the sacrum sensor was recorded: reps, depth, tempo and pelvic tilt only; "
            "the lumbopelvic angle needs the lumbar (L1) sensor too"
        )
    return (
        f"{profile.name}'s profile does not calibrate both sensors: reps, depth and tempo "
        "only; calibrate with both sensors on to get the lumbopelvic angle"
    )


def report_document(
    result: SessionResult,
    profile: AthleteProfile | None,
    session: str,
    damage: str | None = None,
    revision: int | None = None,
) -> dict[str, Any]:
    """The JSON report (see the module doc)."""
    from winkmon import __version__
    from winkmon.pipeline.model import Thresholds
    from winkmon.profiles import calibration_quality_lines

    reps = []
    for r in result.reps:
        d = r.as_dict()
        d["set_angle_deg"] = _num(r.set_angle_deg, 2)
        d["peak_flexion_deg"] = _num(r.peak_flexion_deg, 2)
        d["duration_s"] = round(r.end_s - r.start_s, 2)
        d["descent_s"] = round(r.bottom_s - r.start_s, 2)
        d["ascent_s"] = round(r.end_s - r.bottom_s, 2)
        reps.append(d)
    counts: dict[str, int] = {}
    for r in result.reps:
        counts[r.verdict.value] = counts.get(r.verdict.value, 0) + 1
    th = profile.model().thresholds if profile is not None else Thresholds()
    from winkmon.pipeline.insights import session_insights, wink_free_depth_cm

    free = wink_free_depth_cm(result.reps) if result.has_angle else None
    calibration: dict[str, Any] | None = None
    if profile is not None:
        calibration = {
            "athlete": profile.name,
            "created_utc": profile.created_utc,
            **profile.calibration.as_dict(),
            "thresholds": th.as_dict(),
            "revision": profile.revision,
            "revision_used": revision if revision is not None else profile.revision,
            "quality": calibration_quality_lines(profile),
        }
    return {
        "report_version": REPORT_VERSION,
        "app_version": __version__,
        "session": session,
        "athlete": profile.name if profile is not None else None,
        "lumbopelvic": {
            "available": result.has_angle,
            "note": angle_note(result, profile),
        },
        "reps": reps,
        "alerts": [a.as_dict() for a in result.alerts],
        "gaps": [
            {"sensor": g.role.label, "start_s": round(g.start_s, 3), "end_s": round(g.end_s, 3)}
            for g in result.gaps
        ],
        "summary": {
            "reps": len(reps),
            **counts,
            "wink_free_depth_cm": None if free is None else round(free, 1),
        },
        "sets": [s.as_dict() for s in session_insights(result.reps)],
        "calibration": calibration,
        "thresholds": th.as_dict(),
        "sensors": {role.label: s.as_dict() for role, s in result.stats.items()},
        "damage": damage,
    }


def write_angles_csv(path: Path, result: SessionResult) -> None:
    a = result.angles
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["time_s", "lumbopelvic_deg", "depth_cm", "pelvis_tilt_deg"])
        for t, ang, dep, tilt in zip(
            a.t_s.tolist(),
            a.lumbopelvic_deg.tolist(),
            a.depth_cm.tolist(),
            a.pelvis_deg.tolist(),
            strict=True,
        ):
            w.writerow(
                [
                    f"{t:.3f}",
                    "" if math.isnan(ang) else f"{ang:.3f}",
                    "" if math.isnan(dep) else f"{dep:.2f}",
                    "" if math.isnan(tilt) else f"{tilt:.2f}",
                ]
            )


def _save_events(path: Path, result: SessionResult) -> None:
    import logging

    from winkmon.errors import RecordingError
    from winkmon.recording import Event, replace_events

    reps = [Event("rep", r.end_s, r.as_dict()) for r in result.reps]
    alerts = [Event("alert", a.t_s, a.as_dict()) for a in result.alerts]
    try:
        replace_events(path, "rep", reps)
        replace_events(path, "alert", alerts)
    except (RecordingError, OSError) as exc:
        logging.getLogger(__name__).warning("could not store the events in %s: %s", path, exc)


VERDICT_STYLE = {
    "ok": ("good", "green"),
    "extension_lost": ("extension lost", "yellow"),
    "flexion": ("FLEXION", "bold red"),
    "unknown": ("no angle (sensor out)", "dim"),
    "unavailable": ("depth only", "dim"),
}


def print_table(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    th = doc["thresholds"]
    has_angle = doc["lumbopelvic"]["available"]
    who = doc["athlete"] or "session"
    title = (
        f"{who}: {len(doc['reps'])} reps  (flexion > +{th['flexion_deg']:g} deg, "
        f"extension lost > {th['loss_deg']:g} deg above the set angle)"
        if has_angle
        else f"{who}: {len(doc['reps'])} reps (depth and tempo; no lumbopelvic angle)"
    )
    table = Table(title=title)
    cols = ["rep", "start s", "depth cm", "down s", "up s"]
    if has_angle:
        cols += ["set deg", "peak deg", "rise deg", "verdict"]
    else:
        cols += ["pelvis tuck deg"]
    for col in cols:
        table.add_column(col, justify="right" if col != "verdict" else "left")
    for r in doc["reps"]:
        row = [
            str(r["number"]),
            f"{r['start_s']:.1f}",
            f"{r['depth_cm']:.0f}",
            f"{r['descent_s']:.1f}",
            f"{r['ascent_s']:.1f}",
        ]
        if has_angle:
            label, style = VERDICT_STYLE.get(r["verdict"], (r["verdict"], ""))
            s, p = r["set_angle_deg"], r["peak_flexion_deg"]
            rise = "" if s is None or p is None else f"{p - s:+.1f}"
            row += [
                "" if s is None else f"{s:+.1f}",
                "" if p is None else f"{p:+.1f}",
                rise,
                f"[{style}]{label}[/]" if style else label,
            ]
        else:
            tuck = r.get("pelvis_tuck_deg")
            row.append("" if tuck is None else f"{tuck:.0f}")
        table.add_row(*row)
    console.print(table)
    if not has_angle:
        console.print(f"note: {doc['lumbopelvic']['note']}")
    cal = doc["calibration"]
    if cal is not None:
        for line in cal.get("quality", []):
            console.print(f"[dim]{line}[/]")
        if cal.get("revision_used") not in (None, cal.get("revision")):
            console.print(f"[dim]report made with calibration revision {cal['revision_used']}[/]")
    summ = doc["summary"]
    if has_angle:
        parts = [
            f"{summ.get(k, 0)} {VERDICT_STYLE[k][0]}" for k in ("ok", "extension_lost", "flexion")
        ]
        console.print("summary: " + ", ".join(parts) + f"; {len(doc['alerts'])} alerts")
    if summ.get("wink_free_depth_cm") is not None:
        console.print(f"deepest rep without a wink: {summ['wink_free_depth_cm']:.0f} cm")
    for s in doc["sets"]:
        console.print(f"[bold]set {s['set']}[/] (reps {s['reps'][0]}-{s['reps'][-1]}):")
        for note in s["notes"]:
            console.print(f"  - {note}")
    for role, s in doc["sensors"].items():
        if s["loss_pct"] > 0 or s["frames_bad"]:
            console.print(
                f"{role}: {s['loss_pct']:.2f} % samples lost, {s['frames_bad']} malformed frames"
            )
