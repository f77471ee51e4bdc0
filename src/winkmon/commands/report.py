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
        "Without --athlete it uses the calibration stored in the recording, if any; without "
        "any calibration, or with only one sensor, it reports reps, depth, "
        "tempo and sets, and says that the lumbopelvic angle is not available. Without "
        "--json, prints a table. The recording is only read; --save also stores the reps and "
        "alerts in it (for the replay's timeline).",
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
        "--save",
        action="store_true",
        help="store the reps and alerts in the recording (it is otherwise left unchanged)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace existing --json / --angles-csv files"
    )
    # Saving used to be the default; --no-save is still accepted and changes nothing.
    p.add_argument("--no-save", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from winkmon.errors import RecordingError, WinkmonError
    from winkmon.pipeline.pipeline import PipelineConfig
    from winkmon.profiles import ProfileStore, resolve_profiles_dir
    from winkmon.recording import Recording
    from winkmon.session.offline import analyze_recording

    profile = (
        ProfileStore(resolve_profiles_dir(args.profiles)).load(args.athlete)
        if args.athlete
        else None
    )
    config = PipelineConfig(orientation=args.orientation)
    with Recording.open(args.session, partial_ok=True) as rec:
        if profile is None and args.revision is None:
            profile = recorded_profile(rec)
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
    inputs = _input_files(path, profile, args)
    if info is not None:
        _write_html_pdf(doc, result, info, args.html, args.pdf, inputs, args.overwrite)
    try:
        if args.json:
            write_json(args.json, doc, inputs=inputs, overwrite=args.overwrite)
        if args.angles_csv:
            write_angles_csv(Path(args.angles_csv), result, inputs=inputs, overwrite=args.overwrite)
    except OSError as exc:
        raise WinkmonError(f"cannot write {exc.filename}: {exc.strerror}") from None
    if args.save and not args.no_save:
        _save_events(path, result)
    if not args.json or args.json != "-":
        print_table(doc)
    if damage:
        print(f"winkmon: warning: {damage}; reported up to the damage", file=sys.stderr)
    return 0


def recorded_profile(rec: Any) -> AthleteProfile | None:
    """The athlete profile stored in a recording (the calibration in force when it was
    recorded), if it holds a usable one; None otherwise."""
    from winkmon.errors import WinkmonError
    from winkmon.profiles import AthleteProfile

    doc = rec.meta.athlete
    if not isinstance(doc, dict) or "calibration" not in doc:
        return None
    try:
        profile = AthleteProfile.from_dict(doc, origin=str(rec.path))
        profile.model()
    except (KeyError, TypeError, ValueError, WinkmonError) as exc:
        print(
            f"winkmon: the recording's athlete profile is not usable ({exc}); "
            "reporting reps, depth and tempo only",
            file=sys.stderr,
        )
        return None
    print(
        f"winkmon: using {profile.name}'s calibration stored in the recording "
        "(--athlete NAME uses a stored profile instead)",
        file=sys.stderr,
    )
    return profile


def _write_html_pdf(
    doc: dict[str, Any],
    result: SessionResult,
    info: Any,
    html: str | None,
    pdf: str | None,
    inputs: list[Path],
    overwrite: bool,
) -> None:
    """The HTML report (``--html``) and its PDF (``--pdf``, printed by headless Chromium)."""
    import tempfile

    from winkmon.errors import WinkmonError
    from winkmon.reports.browser import print_pdf
    from winkmon.reports.html import render_session
    from winkmon.safe_io import check_output, write_text

    page = render_session(doc, result, info)
    try:
        if html:
            write_text(html, page, inputs=inputs, overwrite=overwrite)
        if pdf:
            check_output(Path(pdf), inputs=inputs, overwrite=overwrite)
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
    from winkmon.errors import WinkmonError
    from winkmon.pipeline.model import AthleteModel

    if profile is None:
        if revision is not None:
            raise WinkmonError("--revision needs --athlete (whose calibration history to use)")
        model = AthleteModel.uncalibrated()
    else:
        model = profile.model(revision)
    # offload: decoding in a second process (forked: so no progress thread runs here).
    if frames < 200_000 or not sys.stderr.isatty():
        return analyze(rec, model, config, offload=True)
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("analysing"),
        BarColumn(),
        TimeRemainingColumn(),
        transient=True,
        auto_refresh=False,
    ) as bar:
        task = bar.add_task("frames", total=frames)

        def advance(n: int) -> None:
            bar.advance(task, n)
            bar.refresh()

        return analyze(rec, model, config, progress=advance, offload=True)


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


def write_json(
    target: str,
    doc: dict[str, Any],
    *,
    inputs: list[Path] | None = None,
    overwrite: bool = False,
) -> None:
    """The report as JSON to ``target`` (a path, written atomically and never onto one of
    ``inputs``; or ``-`` for stdout)."""
    from winkmon.safe_io import write_text

    text = json.dumps(doc, indent=2, allow_nan=False)
    if target == "-":
        print(text)
    else:
        write_text(target, text + "\n", inputs=inputs or [], overwrite=overwrite)


def _input_files(
    session: Path, profile: AthleteProfile | None, args: argparse.Namespace
) -> list[Path]:
    """The files this report reads: its outputs must not land on any of them."""
    from winkmon.profiles import ProfileStore, resolve_profiles_dir
    from winkmon.recording.schema import SIDE_FILES

    files = [session, *(session.with_name(session.name + s) for s in SIDE_FILES)]
    if profile is not None:
        files.append(ProfileStore(resolve_profiles_dir(args.profiles)).path_for(profile.name))
    return files


def write_angles_csv(
    path: Path, result: SessionResult, *, inputs: list[Path] | None = None, overwrite: bool = True
) -> None:
    """The angles as CSV, written atomically (never onto one of ``inputs``)."""
    from winkmon.safe_io import AtomicOutput

    a = result.angles
    with AtomicOutput(path, inputs=inputs or [], overwrite=overwrite) as fh:
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
    from winkmon.recording import Event, replace_event_kinds

    reps = [Event("rep", r.end_s, r.as_dict()) for r in result.reps]
    alerts = [Event("alert", a.t_s, a.as_dict()) for a in result.alerts]
    try:
        replace_event_kinds(path, {"rep": reps, "alert": alerts})  # one transaction
    except (RecordingError, OSError) as exc:
        logging.getLogger(__name__).warning("could not store the events in %s: %s", path, exc)


VERDICT_STYLE = {
    "ok": ("good", "green"),
    "extension_lost": ("extension lost", "yellow"),
    "flexion": ("FLEXION", "bold red"),
    "unknown": ("no angle (sensor out)", "dim"),
    "unavailable": ("depth only", "dim"),
}


#: One line of the terminal summary: (text, style) pieces, style "" for plain text.
Line = list[tuple[str, str]]


def print_table(doc: dict[str, Any]) -> None:
    """The report on the terminal: the rep table, notes and summary. To a terminal in
    colour (rich); to a pipe or a file as plain text, which is all rich would write there."""
    from winkmon.numbers import cm_text, plural, whole_cm

    th = doc["thresholds"]
    has_angle = doc["lumbopelvic"]["available"]
    who = doc["athlete"] or "session"
    reps_text = plural(len(doc["reps"]), "rep")
    title = (
        f"{who}: {reps_text}  (flexion > +{th['flexion_deg']:g} deg, "
        f"extension lost > {th['loss_deg']:g} deg above the set angle)"
        if has_angle
        else f"{who}: {reps_text} (depth and tempo; no lumbopelvic angle)"
    )
    cols = ["rep", "start s", "depth cm", "down s", "up s"]
    if has_angle:
        cols += ["set deg", "peak deg", "peak-set deg", "verdict"]
    else:
        cols += ["pelvis tuck deg"]
    rows: list[list[str]] = []
    styles: list[str] = []
    for r in doc["reps"]:
        row = [
            str(r["number"]),
            f"{r['start_s']:.1f}",
            str(whole_cm(r["depth_cm"])),
            f"{r['descent_s']:.1f}",
            f"{r['ascent_s']:.1f}",
        ]
        style = ""
        if has_angle:
            label, style = VERDICT_STYLE.get(r["verdict"], (r["verdict"], ""))
            s, p = r["set_angle_deg"], r["peak_flexion_deg"]
            rise = "" if s is None or p is None else f"{p - s:+.1f}"
            row += ["" if s is None else f"{s:+.1f}", "" if p is None else f"{p:+.1f}", rise, label]
        else:
            tuck = r.get("pelvis_tuck_deg")
            row.append("" if tuck is None else f"{tuck:.0f}")
        rows.append(row)
        styles.append(style)
    out: list[Line] = [[(title, "italic")]]
    out += rep_table_lines(cols, rows, styles, left={"verdict"})

    if has_angle:
        out.append(
            [
                (
                    "set: the braced angle at the top; peak: the largest angle in the rep; "
                    "peak-set: how far the back moved from its set angle toward flexion "
                    "(deg; + is flexion, - extension)",
                    "dim",
                )
            ]
        )
    if not has_angle:
        out.append([(f"note: {doc['lumbopelvic']['note']}", "")])
    cal = doc["calibration"]
    if cal is not None:
        for line in cal.get("quality", []):
            out.append([(line, "dim")])
        if cal.get("revision_used") not in (None, cal.get("revision")):
            out.append([(f"report made with calibration revision {cal['revision_used']}", "dim")])
    summ = doc["summary"]
    if has_angle:
        parts = [
            f"{summ.get(k, 0)} {VERDICT_STYLE[k][0]}" for k in ("ok", "extension_lost", "flexion")
        ]
        out.append([("summary: " + ", ".join(parts) + f"; {len(doc['alerts'])} alerts", "")])
    if summ.get("wink_free_depth_cm") is not None:
        out.append([(f"deepest rep without a wink: {cm_text(summ['wink_free_depth_cm'])}", "")])
    for s in doc["sets"]:
        span = (
            f"rep {s['reps'][0]}" if len(s["reps"]) == 1 else f"reps {s['reps'][0]}-{s['reps'][-1]}"
        )
        out.append([(f"set {s['set']}", "bold"), (f" ({span}):", "")])
        for note in s["notes"]:
            out.append([(f"  - {note}", "")])
    for role, s in doc["sensors"].items():
        if s["loss_pct"] > 0 or s["frames_bad"]:
            out.append(
                [
                    (
                        f"{role}: {s['loss_pct']:.2f} % samples lost, "
                        f"{s['frames_bad']} malformed frames",
                        "",
                    )
                ]
            )
    write_lines(out)


def write_lines(lines: list[Line]) -> None:
    """Styled lines to stdout: in one piece, as rich ``Text`` (styles as given, no markup
    read, so text from elsewhere prints as it is) on a terminal, else as plain text."""
    if not sys.stdout.isatty():
        sys.stdout.write("".join("".join(t for t, _ in line) + "\n" for line in lines))
        return
    from rich.console import Console
    from rich.text import Text

    text = Text()
    for line in lines:
        for piece, style in line:
            text.append(piece, style=style or None)
        text.append("\n")
    text.rstrip()
    # One print for the whole report: rich lays out each call, and one call per line took
    # several times as long for an hour's reps.
    Console(highlight=False).print(text)


def rep_table_lines(
    cols: list[str], rows: list[list[str]], styles: list[str], left: set[str]
) -> list[Line]:
    """The rep table as styled lines: a bold header, a rule, then one line per rep (numbers
    right-aligned, ``left`` columns left-aligned; the last cell styled by ``styles``). Laid
    out here rather than by rich's Table, which took 0.3-0.5 s for an hour's 250 reps."""
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(cols)]

    def cells(values: list[str]) -> list[str]:
        return [
            v.ljust(w) if c in left else v.rjust(w)
            for c, v, w in zip(cols, values, widths, strict=True)
        ]

    out: list[Line] = [[("  ".join(cells(cols)).rstrip(), "bold")]]
    out.append([("  ".join("─" * w for w in widths), "dim")])
    for row, style in zip(rows, styles, strict=True):
        parts = cells(row)
        if style:
            head = "  ".join(parts[:-1]) + "  "
            out.append([(head, ""), (parts[-1].rstrip(), style)])
        else:
            out.append([("  ".join(parts).rstrip(), "")])
    return out
