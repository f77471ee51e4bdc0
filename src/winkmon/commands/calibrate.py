"""``winkmon calibrate``: an athlete profile from a recorded calibration (stand, bend twice)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winkmon.calibration import Calibration
    from winkmon.profiles import AthleteProfile

HELP = "make an athlete's profile from a recording of the calibration (stand tall, bend twice)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "calibrate",
        help=HELP,
        description=HELP.capitalize() + ". See calibration/README.md for the procedure. "
        "Without --static/--functional the windows are found automatically.",
    )
    p.add_argument("session", metavar="SESSION", help="the recording (.winkmon)")
    p.add_argument("--athlete", required=True, metavar="NAME", help="athlete name")
    p.add_argument(
        "--static",
        metavar="A:B",
        help="still standing window, seconds on the recording's time base (e.g. 2:5)",
    )
    p.add_argument("--functional", metavar="C:D", help="window of the two forward bends, seconds")
    p.add_argument(
        "--profiles",
        metavar="DIR",
        help="profile directory (default: $WINKMON_PROFILES or the per-user data directory)",
    )
    p.add_argument(
        "--thresholds",
        metavar="K=V,...",
        default="",
        help="alert thresholds, e.g. flexion=2,loss=5 (degrees; also depth=cm, dwell=s)",
    )
    p.add_argument(
        "--method", default="vqf", help="orientation filter: vqf, madgwick, mahony or ekf"
    )
    p.add_argument(
        "--refine",
        action="store_true",
        help="refine the athlete's stored profile from this session's squats (the neutral "
        "stays; the previous calibration is kept in the history)",
    )
    p.add_argument(
        "--replace",
        dest="keep_history",
        action="store_false",
        help="replace an existing profile instead of keeping its calibration in the history "
        "(default: keep it, so a report can be rerun with either)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from winkmon.calibration import CalibrationParams, calibrate, refine
    from winkmon.drivers import recorded_kinds
    from winkmon.errors import CalibrationError, ProfileError
    from winkmon.orientation import METHODS
    from winkmon.profiles import ProfileStore, Window, parse_thresholds, resolve_profiles_dir
    from winkmon.recording import Recording, load_samples

    windows: dict[str, Window | None] = {}
    for key in ("static", "functional"):
        text = getattr(args, key)
        try:
            windows[key] = Window.parse(text) if text else None
        except ValueError as exc:
            raise CalibrationError(f"bad --{key} window: {exc}") from None
    if args.method.lower() not in METHODS:
        raise CalibrationError(
            f"unknown orientation method {args.method!r}; choose one of {', '.join(METHODS)}"
        )
    thresholds = parse_thresholds(args.thresholds)
    store = ProfileStore(resolve_profiles_dir(args.profiles))
    store.path_for(args.athlete)  # a name without letters or digits fails before the work

    stored = None
    if store.exists(args.athlete):
        try:
            stored = store.load(args.athlete)
        except ProfileError:
            stored = None  # a damaged file is replaced
    with Recording.open(args.session) as rec:
        replay = load_samples(rec)
        addresses = {role: sm.address for role, sm in rec.sensors.items()}
        # Vendor sensors (Polar, MetaMotion, ...): which driver the live hub needs for each.
        kinds = recorded_kinds((seg.role, seg.decoder) for seg in rec.segments())
        drivers = {role: kinds.get(role) for role in rec.sensors}
        source = str(rec.path)
    if args.refine:
        if stored is None:
            raise CalibrationError(
                f"--refine needs a stored profile for {args.athlete!r}; calibrate first"
            )
        try:
            profile, cal = refine(
                stored,
                replay.samples,
                params=CalibrationParams(method=args.method.lower()),
                source=source,
            )
        except CalibrationError as exc:
            raise CalibrationError(
                f"Calibration needs another try for {args.athlete}: {exc}"
            ) from exc
        profile = profile.with_drivers(drivers)
        path = store.save(profile)
        print(summary(profile, cal))
        print(f"saved: {path}")
        return 0
    try:
        cal = calibrate(
            replay.samples,
            windows["static"],
            windows["functional"],
            params=CalibrationParams(method=args.method.lower()),
            source=source,
            profile=stored,
        )
    except CalibrationError as exc:
        raise CalibrationError(f"Calibration needs another try for {args.athlete}: {exc}") from exc
    profile = cal.profile(args.athlete, thresholds=thresholds, addresses=addresses)
    profile = profile.with_drivers(drivers)
    if stored is not None and args.keep_history:
        if not args.thresholds:
            profile = profile.with_thresholds(stored.thresholds)
        profile = stored.updated(profile, f"calibrated again from {source}")
    path = store.save(profile)
    print(summary(profile, cal))
    print(f"saved: {path}")
    return 0


def verdict_line(profile: AthleteProfile, cal: Calibration | None = None) -> str:
    """The plain first line: did it work, and how good is it (details follow it)."""
    rec = profile.calibration
    if profile.lumbopelvic_available:
        what = "both sensors"
        if rec.angle_error_deg is not None:
            what += f"; the angle is within {rec.angle_error_deg:.1f}° at 30° of flexion"
    else:
        what = "sacrum sensor only: depth, reps and pelvic tilt, no lumbopelvic angle"
    warnings = len(cal.warnings) if cal is not None else 0
    more = f"; read the {warnings} warning(s) below" if warnings else ""
    return f"Calibration OK for {profile.name} ({what}){more}"


def summary(profile: AthleteProfile, cal: Calibration | None = None) -> str:
    """A readable account of a profile for the terminal."""
    from winkmon.profiles import ROLES, calibration_quality_lines

    rec = profile.calibration
    how = "found automatically" if rec.automatic else "as given"
    still_what = "stand still" if rec.neutral_source == "stand" else "upright"
    moves = "bends" if rec.motion_source == "bends" else "squats"
    lines = [
        verdict_line(profile, cal),
        f"athlete {profile.name}: calibrated from {rec.source or 'a recording'}",
        f"  windows ({how}): {still_what} {rec.static}, {moves} {rec.functional}",
    ]
    for role in ROLES:
        if role not in profile.sensors:
            continue
        sc = profile.sensors[role]
        n, q = sc.neutral, sc.quality
        peaks = ", ".join(f"{v:.0f}°" for v in q.bend_peaks_deg)
        lines += [
            f"  {role.label}{' ' + sc.address if sc.address else ''}:",
            f"    on the skin: face tilted {n.face_tilt_deg:+.0f}° up from vertical, turned "
            f"{n.side_tilt_deg:+.0f}° sideways, up is {n.rotation_on_skin_deg:+.0f}° from "
            f"its y axis{', facing into the body' if q.facing_in else ''}",
            f"    {still_what}: {q.still_gyro_rms_deg_s:.1f} deg/s, "
            f"{q.still_acc_std_m_s2:.2f} m/s^2 of movement",
            f"    {moves}: {len(q.bend_peaks_deg)} ({peaks}); axis clarity "
            f"{1 - q.axis_ratio:.2f}, {q.axis_up_angle_deg:.0f}° from vertical",
        ]
    t = profile.thresholds
    if profile.lumbopelvic_available:
        lines += [
            f"  lumbar turned {rec.bend_margin_deg:+.0f}° more than the sacrum in the {moves} "
            "(sensors on the right places)",
            f"  neutral angle in the {still_what} window: {rec.static_angle_deg:+.1f}°",
        ]
    lines += [
        f"  thresholds: flexion past neutral {t.flexion_deg:g}°, extension lost "
        f"{t.loss_deg:g}°, min depth {t.min_depth_cm:g} cm",
    ]
    lines += [f"  {line}" for line in calibration_quality_lines(profile)]
    if cal is not None:
        lines += [f"  note: {w}" for w in cal.notes]
        lines += [f"  warning: {w}" for w in cal.warnings]
    return "\n".join(lines)
