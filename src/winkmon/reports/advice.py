"""A short "what to work on" list for a session, from the same cause hints as the set notes.

The per-set notes (:mod:`winkmon.pipeline.insights`) say what happened in each set; this module
reads the whole session and says what to work on, in the order a coach would check the causes
(``shared/DOMAIN.md``): mobility and stance when the wink comes from the first rep, fatigue
and bracing when it only comes late, where in the rep it happens, the set-up arch, and the
wink-free depth to build from. They are suggestions for the coach, not a diagnosis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from winkmon.pipeline.events import Rep, Verdict
from winkmon.pipeline.insights import LARGE_ARCH_DEG, split_sets, wink_free_depth_cm


@dataclass(frozen=True, slots=True)
class Advice:
    """One thing to work on: a short headline and what to do about it."""

    topic: str  #: "mobility", "fatigue", "brace", "descent", "arch", "depth", "control", "keep"
    headline: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"topic": self.topic, "headline": self.headline, "detail": self.detail}


def what_to_work_on(reps: Sequence[Rep]) -> list[Advice]:
    """What the session's reps point to, most important first (empty without judged reps)."""
    judged = [r for r in reps if r.verdict in (Verdict.OK, Verdict.EXTENSION_LOST, Verdict.FLEXION)]
    if not judged:
        return []
    out: list[Advice] = []
    sets = [s for s in split_sets(reps) if s]
    early = [s for s in sets if s[0].verdict is Verdict.FLEXION]
    late = [
        s
        for s in sets
        if s[0].verdict is not Verdict.FLEXION
        and any(r.verdict is Verdict.FLEXION for r in s[len(s) // 2 :])
        and all(r.verdict is not Verdict.FLEXION for r in s[: len(s) // 2])
    ]
    flex = [r for r in reps if r.verdict is Verdict.FLEXION]
    lost = [r for r in reps if r.verdict is Verdict.EXTENSION_LOST]
    if early:
        out.append(
            Advice(
                "mobility",
                f"Mobility or stance: the wink came from the first rep in {len(early)} of "
                f"{len(sets)} sets",
                "Screen with the heels raised on small plates: if the back now holds, the ankles "
                "are the limiter (squatting and lunging ankle stretches); if not, work on hip "
                "mobility (Spiderman lunge hold) and try a different stance width or toe-out.",
            )
        )
    if late:
        out.append(
            Advice(
                "fatigue",
                f"Fatigue and control: the wink only came late in {len(late)} of {len(sets)} sets",
                "Mobility is there but control fades: fewer reps per set, pause squats and slow "
                "eccentrics, weighted back extensions or good mornings, and a fresh brace on "
                "every rep.",
            )
        )
    if early and late and len(late) > len(early):
        out.reverse()  # the pattern seen in more sets first
    phases = {r.peak_phase for r in flex}
    if flex and phases == {"descent"}:
        out.append(
            Advice(
                "descent",
                "The back turns during the descent",
                "Slow the descent (tempo eccentrics) and keep the chest and pelvis moving "
                "together.",
            )
        )
    elif flex and "bottom" in phases:
        out.append(
            Advice(
                "brace",
                "The back turns at the bottom",
                "Keep the brace through the turnaround; pause squats teach holding it there.",
            )
        )
    arches = [r.set_angle_deg for r in flex if math.isfinite(r.set_angle_deg)]
    if arches and min(arches) < LARGE_ARCH_DEG:
        out.append(
            Advice(
                "arch",
                f"A large set-up arch ({min(arches):+.0f} deg)",
                "Starting far into extension uses up range before the descent; set up with a "
                "moderate arch and brace.",
            )
        )
    if lost and not flex:
        out.append(
            Advice(
                "control",
                f"Extension lost in {len(lost)} of {len(reps)} reps (the back stayed extended)",
                "Not a safety issue but a loss of control: practise bracing, pause squats and "
                "back extensions.",
            )
        )
    free = wink_free_depth_cm(reps)
    if free is not None:
        onset = [r.flexion_onset_depth_cm for r in flex if r.flexion_onset_depth_cm is not None]
        where = f"; the wink started at about {min(onset):.0f} cm" if onset else ""
        out.append(
            Advice(
                "depth",
                f"Wink-free to {free:.0f} cm of depth",
                f"Reps to {free:.0f} cm stayed out of flexion{where}. Train to that depth and "
                "extend it gradually as the causes above improve.",
            )
        )
    if not flex and not lost:
        out.append(
            Advice(
                "keep",
                "No butt wink and no loss of extension",
                f"All {len(judged)} reps with an angle held the back extended; add depth or load "
                "gradually and keep checking.",
            )
        )
    return out
