"""What the big display says: the headline word, its colour, the side of neutral and the cue.

Verdict words belong to reps. While a rep is under way (the rep tracker has started one: the
pelvis went at least ``min_depth_cm`` down) the headline is the pipeline's zone, which uses the
athlete's calibrated thresholds with hysteresis: "Good", "Extension lost", "Flexion — butt
wink". Outside a rep (walking, a bend to pick something up, resting between sets) no verdict
is given, in words or in colour: the headline says "Between reps" and the number is white.

The side word under the number ("flexion", "extension", "neutral") only describes the angle.
It has a dead band around neutral with hysteresis, so it does not flicker while the athlete
walks: it leaves "neutral" at 1° either side and comes back to it within 0.5°.

No Qt here: plain functions the gauge and the tests call.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

from winkmon.gui import theme
from winkmon.numbers import cm_text
from winkmon.pipeline.events import Rep, Verdict, Zone

#: Leave the neutral band beyond this angle, degrees either side of neutral.
NEUTRAL_LEAVE_DEG = 1.0
#: Come back to "neutral" within this angle, degrees (< NEUTRAL_LEAVE_DEG: hysteresis).
NEUTRAL_ENTER_DEG = 0.5

BETWEEN_REPS = "Between reps"


class Side(enum.StrEnum):
    NEUTRAL = "neutral"
    FLEXION = "flexion"
    EXTENSION = "extension"


def side_of(angle_deg: float, previous: Side) -> Side:
    """Which side of neutral ``angle_deg`` is, with a dead band and hysteresis."""
    if angle_deg > NEUTRAL_LEAVE_DEG:
        return Side.FLEXION
    if angle_deg < -NEUTRAL_LEAVE_DEG:
        return Side.EXTENSION
    if abs(angle_deg) <= NEUTRAL_ENTER_DEG:
        return Side.NEUTRAL
    return previous  # between the two limits: keep what was shown


@dataclass(frozen=True, slots=True)
class Headline:
    word: str  #: the headline word
    colour: str  #: of the word and the bar
    number_colour: str  #: of the big number
    side: str  #: under the number: the side of neutral, or why there is no angle


def headline(
    angle_deg: float,
    zone: Zone,
    rep_under_way: bool,
    side: Side,
    reason: str = "",
) -> Headline:
    """The headline for the latest sample (``side``: from :func:`side_of`)."""
    if math.isnan(angle_deg) or zone is Zone.UNKNOWN:
        return Headline("No signal", theme.GREY, theme.GREY, reason or "sensor missing")
    if not rep_under_way:
        return Headline(BETWEEN_REPS, theme.DIM, theme.TEXT, side.value)
    colour = theme.ZONE_COLOUR[zone]
    return Headline(theme.ZONE_WORD[zone], colour, colour, side.value)


def cue(set_reps: Sequence[Rep], session_reps: Sequence[Rep], rep_under_way: bool) -> str:
    """What the coach could do now, between reps (empty during a rep or with nothing to say).

    After a rep that winked: stop the set. Otherwise, once the session has had a wink: the
    deepest depth reached without one today.
    """
    if rep_under_way:
        return ""
    if set_reps and set_reps[-1].verdict is Verdict.FLEXION:
        return f"Butt wink on rep {len(set_reps)}: stop the set here"
    flexed = [r for r in session_reps if r.verdict is Verdict.FLEXION]
    clean = [r.depth_cm for r in session_reps if r.verdict in (Verdict.OK, Verdict.EXTENSION_LOST)]
    if flexed and clean:
        return f"Wink-free depth today: {cm_text(max(clean))}"
    return ""
