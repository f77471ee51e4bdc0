"""One recording in, one row per rep and one row for the session out (plain, picklable data).

The rows come from the same report document as ``winkmon report --json``
(:func:`winkmon.commands.report.report_document`), so the archive, the history and the
single-session report agree. Which calibration a session is analysed with, in order:

1. ``recording``: the athlete profile stored in the recording (what the live session used);
2. ``profile``: the athlete's profile in the profile store;
3. ``session``: the session calibrates itself (a stand and bends, else its squats);
4. ``none``: no calibration could be made: reps, depth and tempo only.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from winkmon.profiles import AthleteProfile

#: Bytes read at a time while hashing a recording.
HASH_CHUNK = 1 << 20

#: Units of the rep and session columns (stored in the Parquet metadata, shown by ``sql``).
UNITS: dict[str, str] = {
    "start_s": "s",
    "bottom_s": "s",
    "end_s": "s",
    "peak_s": "s",
    "flexion_onset_s": "s",
    "duration_s": "s",
    "descent_s": "s",
    "ascent_s": "s",
    "depth_cm": "cm",
    "flexion_onset_depth_cm": "cm",
    "set_angle_deg": "deg",
    "peak_flexion_deg": "deg",
    "rise_deg": "deg",
    "pelvis_tuck_deg": "deg",
}


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, hex, first 20 characters (the session's id)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(HASH_CHUNK):
            h.update(block)
    return h.hexdigest()[:20]


def profile_key(profiles_dir: Path | None, athlete: str | None) -> str:
    """What a re-run must match to skip a session: the stored profile's bytes, hashed."""
    if profiles_dir is None or athlete is None:
        return "-"
    from winkmon.errors import ProfileError
    from winkmon.profiles import profile_file_name

    try:
        p = profiles_dir / profile_file_name(athlete)
    except ProfileError:  # a name without letters or digits has no profile file
        return "-"
    if not p.is_file():
        return "-"
    return hashlib.sha256(p.read_bytes()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Task:
    """One recording to analyse (sent to worker processes or a Dask cluster)."""

    path: str
    athlete: str | None
    profiles_dir: str | None
    session_id: str
    key: str  #: the winkmon version and profile key this analysis is made with


@dataclass(slots=True)
class SessionRows:
    """What one analysis produced."""

    session: dict[str, Any]
    reps: list[dict[str, Any]] = field(default_factory=list)


def choose_profile(
    rec: Any, athlete: str | None, profiles_dir: str | None
) -> tuple[AthleteProfile | None, str]:
    """The profile to analyse an open recording with, and where it came from: ``recording``,
    ``profile``, ``session`` or ``none`` (see the module doc)."""
    import logging

    from winkmon.errors import CalibrationError, ProfileError, WinkmonError
    from winkmon.profiles import AthleteProfile, ProfileStore

    log = logging.getLogger(__name__)
    doc = rec.meta.athlete
    if isinstance(doc, dict) and "sensors" in doc:
        try:
            return AthleteProfile.from_dict(doc, origin=str(rec.path)), "recording"
        except ProfileError as exc:
            log.info("%s: stored profile unusable (%s)", rec.path, exc)
    if athlete and profiles_dir:
        store = ProfileStore(Path(profiles_dir))
        try:
            if store.exists(athlete):
                return store.load(athlete), "profile"
        except WinkmonError as exc:
            log.info("%s: profile %s unusable (%s)", rec.path, athlete, exc)
    from winkmon.calibration import CalibrationParams, calibrate
    from winkmon.recording import load_samples

    try:
        replay = load_samples(rec)
        cal = calibrate(replay.samples, params=CalibrationParams(), source=str(rec.path))
        return cal.profile(athlete or "unknown"), "session"
    except (CalibrationError, ValueError) as exc:
        log.info("%s: no calibration (%s)", rec.path, exc)
        return None, "none"


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


def analyse(task: Task) -> SessionRows:
    """Run the pipeline over the recording and return its rows (raises WinkmonError)."""
    from datetime import UTC, datetime

    from winkmon import __version__
    from winkmon.commands.report import report_document
    from winkmon.pipeline.model import AthleteModel
    from winkmon.recording import Recording
    from winkmon.session.offline import analyze_recording

    path = Path(task.path)
    with Recording.open(path, partial_ok=True) as rec:
        profile, source = choose_profile(rec, task.athlete, task.profiles_dir)
        model = profile.model() if profile is not None else AthleteModel.uncalibrated()
        result = analyze_recording(rec, model)
        meta = rec.meta
        damage = rec.damage
    doc = report_document(result, profile, str(path), damage)
    a = result.angles
    set_of = {n: s["set"] for s in doc["sets"] for n in s["reps"]}
    reps = []
    for r in doc["reps"]:
        s, p = _num(r["set_angle_deg"]), _num(r["peak_flexion_deg"])
        reps.append(
            {
                "session_id": task.session_id,
                "set": set_of.get(r["number"], 0),
                "rep": r["number"],
                "start_s": r["start_s"],
                "bottom_s": r["bottom_s"],
                "end_s": r["end_s"],
                "peak_s": r["peak_s"],
                "depth_cm": r["depth_cm"],
                "set_angle_deg": s,
                "peak_flexion_deg": p,
                "rise_deg": None if s is None or p is None else round(p - s, 2),
                "verdict": r["verdict"],
                "flexion_onset_s": r["flexion_onset_s"],
                "flexion_onset_depth_cm": r["flexion_onset_depth_cm"],
                "peak_phase": r["peak_phase"],
                "pelvis_tuck_deg": r["pelvis_tuck_deg"],
                "duration_s": r["duration_s"],
                "descent_s": r["descent_s"],
                "ascent_s": r["ascent_s"],
            }
        )
    session = {
        "session_id": task.session_id,
        "session": str(path),
        "recorded_utc": meta.created_utc,
        "duration_s": round(float(a.t_s[-1] - a.t_s[0]), 2) if len(a) else 0.0,
        "reps": len(reps),
        "calibration": source,
        "lumbopelvic": bool(doc["lumbopelvic"]["available"]),
        "simulated": bool(meta.simulated),
        "damage": damage,
        "key": task.key,
        "winkmon_version": __version__,
        "analysed_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return SessionRows(session, reps)


def session_date(recorded_utc: str) -> str:
    """The session's date (YYYY-MM-DD) from its ISO 8601 creation time."""
    return recorded_utc[:10] if len(recorded_utc) >= 10 else "unknown"
