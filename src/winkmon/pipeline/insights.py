"""What a coach can learn from a session's reps, in plain words (report and dashboard).

The rules follow the coaching background in ``shared/DOMAIN.md``: *where* the back turns
(descent, bottom), *when* in the set (from the first rep: mobility or stance; only late:
fatigue or control), *how deep* the athlete goes wink-free, and whether the set-up arch is
large. Hints name the usual screens and drills; they are suggestions for the coach, not a
diagnosis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from winkmon.numbers import plural, whole_cm
from winkmon.pipeline.events import Rep, Verdict

#: Reps further apart than this belong to different sets, seconds.
SET_BREAK_S = 20.0
#: The last third of a set this much shallower than the first third is worth a note, cm.
SHALLOWER_CM = 5.0
#: A set-up angle below this is a large arch, degrees (typical braces are -5 to -15).
LARGE_ARCH_DEG = -15.0


@dataclass(frozen=True, slots=True)
class SetInsight:
    """One set: its reps and what stands out."""

    number: int
    reps: tuple[Rep, ...]
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "set": self.number,
            "reps": [r.number for r in self.reps],
            "notes": list(self.notes),
        }


def split_sets(reps: Sequence[Rep], break_s: float = SET_BREAK_S) -> list[list[Rep]]:
    """Reps grouped into sets: a pause longer than ``break_s`` starts a new set."""
    sets: list[list[Rep]] = []
    for rep in reps:
        if sets and rep.start_s - sets[-1][-1].end_s <= break_s:
            sets[-1].append(rep)
        else:
            sets.append([rep])
    return sets


def _numbers(reps: Sequence[Rep]) -> str:
    return ", ".join(str(r.number) for r in reps)


def depth_tempo_notes(reps: Sequence[Rep]) -> list[str]:
    """Depth and tempo of one set (needs no angle: one sensor or no calibration is enough)."""
    n = len(reps)
    depths = sorted(r.depth_cm for r in reps)
    secs = sorted(r.end_s - r.start_s for r in reps)
    lo, hi, med = depths[0], depths[-1], depths[n // 2]
    lo_cm, hi_cm, med_cm = whole_cm(lo), whole_cm(hi), whole_cm(med)
    span = f"{med_cm} cm" if hi - lo < 4 else f"{lo_cm}-{hi_cm} cm (median {med_cm})"
    notes = [f"{plural(n, 'rep')}, depth {span}, {secs[n // 2]:.1f} s a rep"]
    if n >= 6:
        k = n // 3
        first = sorted(r.depth_cm for r in reps[:k])[k // 2]
        last = sorted(r.depth_cm for r in reps[-k:])[k // 2]
        if first - last >= SHALLOWER_CM:
            notes.append(
                f"the last reps were {first - last:.0f} cm shallower than the first: fatigue, "
                "or cutting depth"
            )
        t_first = sorted(r.end_s - r.start_s for r in reps[:k])[k // 2]
        t_last = sorted(r.end_s - r.start_s for r in reps[-k:])[k // 2]
        if t_last > 1.3 * t_first:
            notes.append(f"reps slowed from {t_first:.1f} s to {t_last:.1f} s through the set")
    return notes


def pelvis_notes(reps: Sequence[Rep]) -> list[str]:
    """The one-sensor wink cue, for sets without the lumbopelvic angle: reps whose pelvis
    tucked under at the bottom (``Rep.pelvis_tuck_deg``)."""
    from winkmon.pipeline.squat import PELVIS_TUCK_CUE_DEG

    if any(r.verdict is not Verdict.UNAVAILABLE for r in reps):
        return []
    tucked = [
        r
        for r in reps
        if r.pelvis_tuck_deg is not None and r.pelvis_tuck_deg >= PELVIS_TUCK_CUE_DEG
    ]
    if not tucked:
        return []
    return [
        f"the pelvis tucked under at the bottom in {len(tucked)} of {len(reps)} reps "
        f"({_numbers(tucked)}): a one-sensor hint of butt wink; the lumbar sensor confirms it"
    ]


def set_notes(reps: Sequence[Rep]) -> list[str]:
    """What stands out in one set."""
    notes: list[str] = depth_tempo_notes(reps) + pelvis_notes(reps) if reps else []
    flex = [r for r in reps if r.verdict is Verdict.FLEXION]
    lost = [r for r in reps if r.verdict is Verdict.EXTENSION_LOST]
    judged = [r for r in reps if r.verdict in (Verdict.OK, Verdict.EXTENSION_LOST, Verdict.FLEXION)]
    n = len(reps)
    if judged and not flex and not lost:
        notes.append(
            f"all {n} reps stayed extended"
            if len(judged) == n
            else f"{len(judged)} reps with an angle, all stayed extended"
        )
    if flex:
        notes.append(f"butt wink (lumbar flexion) in {len(flex)} of {n} reps: {_numbers(flex)}")
        first = reps.index(flex[0])
        if first == 0:
            notes.append(
                "it starts from the first rep: more likely hip or ankle mobility, or the stance, "
                "than fatigue; screen with the heels raised on small plates (if the back now "
                "holds, the ankles are the limiter) and try a different stance width or toe-out"
            )
        elif first >= n // 2 and all(r.verdict is not Verdict.FLEXION for r in reps[:first]):
            notes.append(
                "it only comes late in the set: fatigue or loss of control of the brace; "
                "consider fewer reps per set, pause squats and slow eccentrics, and bracing on "
                "every rep"
            )
        onset = [r.flexion_onset_depth_cm for r in flex if r.flexion_onset_depth_cm is not None]
        if onset:
            lo, hi = min(onset), max(onset)
            span = f"{whole_cm(lo)} cm" if hi - lo < 3 else f"{whole_cm(lo)}-{whole_cm(hi)} cm"
            notes.append(f"the back turns into flexion at about {span} of depth")
        phases = {r.peak_phase for r in flex}
        if phases == {"descent"}:
            notes.append("the wink happens during the descent: watch the descent speed")
        elif "bottom" in phases:
            notes.append("the wink happens at the bottom: keep the brace through the turn")
    elif lost:
        notes.append(
            f"extension lost (still extended, a performance issue) in {len(lost)} of {n} reps: "
            f"{_numbers(lost)}; practise bracing, pause squats and back extensions"
        )
    sets = [r.set_angle_deg for r in reps if math.isfinite(r.set_angle_deg)]
    if sets and flex and min(sets) < LARGE_ARCH_DEG:
        notes.append(
            f"a large set-up arch ({min(sets):+.0f} deg) uses up range before the descent and "
            "makes the change look bigger"
        )
    return notes


def session_insights(reps: Sequence[Rep]) -> list[SetInsight]:
    """Per-set notes for a whole session."""
    return [
        SetInsight(i + 1, tuple(group), tuple(set_notes(group)))
        for i, group in enumerate(split_sets(reps))
    ]


def wink_free_depth_cm(reps: Sequence[Rep]) -> float | None:
    """The deepest rep without flexion, if some reps wink and some don't (else None)."""
    clean = [r.depth_cm for r in reps if r.verdict is not Verdict.FLEXION]
    if not clean or all(r.verdict is not Verdict.FLEXION for r in reps):
        return None
    return max(clean)
