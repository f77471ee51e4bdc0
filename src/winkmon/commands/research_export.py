"""``winkmon research-export``: OpenSim OpenSense .sto files and Parquet tables of a session."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "research-export",
        help="OpenSim .sto and Parquet files of an analysed session",
        description="Analyse a recording and write, into OUT: orientations.sto (each "
        "sensor's quaternions for OpenSim OpenSense: pelvis_imu = sacrum, torso_imu = L1), "
        "segment_angles.sto (lumbopelvic angle, pelvis tilt, depth), angles.parquet and "
        "reps.parquet (units per column; athlete, sensors, calibration and versions in the "
        "file metadata).",
    )
    p.add_argument("session", metavar="SESSION", help="the recording (.winkmon)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder")
    p.add_argument(
        "--athlete",
        metavar="NAME",
        help="whose profile to use (default: the one stored in the recording, else the "
        "session calibrates itself)",
    )
    p.add_argument(
        "--profiles",
        metavar="DIR",
        help="profile directory (default: $WINKMON_PROFILES, else the per-user data directory)",
    )
    p.add_argument(
        "--rate", type=float, default=100.0, metavar="HZ", help="orientations.sto rate (100)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from winkmon.archive.analyse import choose_profile
    from winkmon.commands.report import report_document
    from winkmon.errors import WinkmonError
    from winkmon.exports.session import export_research
    from winkmon.pipeline.model import AthleteModel
    from winkmon.profiles import AthleteProfile, ProfileStore, resolve_profiles_dir
    from winkmon.recording import Recording, load_samples
    from winkmon.reports.html import session_info
    from winkmon.session.offline import analyze_recording

    if not 10.0 <= args.rate <= 1000.0:
        raise WinkmonError(f"--rate must be 10..1000 Hz, not {args.rate:g}")
    with Recording.open(args.session) as rec:
        profile: AthleteProfile | None
        if args.athlete:
            profile = ProfileStore(resolve_profiles_dir(args.profiles)).load(args.athlete)
            source = "profile"
        else:
            profile, source = choose_profile(rec, None, None)
        model = profile.model() if profile is not None else AthleteModel.uncalibrated()
        result = analyze_recording(rec, model)
        a = result.angles
        info = session_info(rec, float(a.t_s[-1] - a.t_s[0]) if len(a) else 0.0)
        samples = load_samples(rec).samples
        path = rec.path
    doc = report_document(result, profile, str(path))
    doc["calibration_source"] = source
    for p in export_research(
        samples, result, doc, info, Path(args.output), rate_hz=args.rate, overwrite=args.overwrite
    ):
        print(f"wrote {p}")
    return 0
