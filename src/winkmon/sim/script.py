"""Session scripts: which activities the simulated athlete performs, in order.

A :class:`SessionScript` is a tuple of activity records. Fields left ``None`` are drawn at
simulation time from the seed and :class:`~winkmon.sim.config.AthleteParams`, so one script
gives a different but reproducible session per seed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from winkmon.sim.config import SimConfigError


class Verdict(enum.StrEnum):
    """What a rep should be judged, from the truth and the two thresholds."""

    OK = "ok"  #: stays extended; rises less than the loss threshold from the set angle
    EXTENSION_LOST = "extension_lost"  #: rises more than the loss threshold, stays extended
    FLEXION = "flexion"  #: passes neutral into flexion (above the flexion threshold)


class Phase(enum.IntEnum):
    """Activity label of each truth sample (``SimTruth.phase``)."""

    STAND = 0
    CALIB_STATIC = 1
    CALIB_BEND = 2
    WALK = 3
    TURN = 4
    SQUAT_SET = 5  #: in a set, between reps (bracing, standing with the bar)
    SQUAT_REP = 6  #: from the start of the descent to the end of the ascent
    RERACK = 7
    PICKUP = 8


@dataclass(frozen=True, slots=True)
class Stand:
    """Quiet stance with postural sway."""

    duration_s: float = 5.0


@dataclass(frozen=True, slots=True)
class Calibrate:
    """Stand tall and still (the static window), then bend forward ``bends`` times."""

    static_s: float | None = None  #: 3..4 s when None
    bends: int = 2


@dataclass(frozen=True, slots=True)
class Walk:
    """Walk straight ahead (along the current heading)."""

    duration_s: float = 8.0
    speed_m_s: float | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """Turn on the spot (stepping) by ``angle_deg`` (positive: to the left)."""

    angle_deg: float = 180.0


@dataclass(frozen=True, slots=True)
class Rerack:
    """A few steps forward to the rack, a pause with the bar, and a few steps back."""

    distance_m: float | None = None  #: 0.4..0.9 m when None


@dataclass(frozen=True, slots=True)
class SquatSet:
    """A set of squat reps. ``outcomes`` fixes each rep's outcome; None draws ``n_reps``."""

    outcomes: tuple[Verdict, ...] | None = None
    n_reps: int = 5
    depth_cm: float | None = None
    set_angle_deg: float | None = None

    def __post_init__(self) -> None:
        if self.outcomes is not None:
            object.__setattr__(self, "outcomes", tuple(Verdict(o) for o in self.outcomes))
            if not self.outcomes:
                raise SimConfigError("a squat set needs at least one rep")
        elif self.n_reps < 1:
            raise SimConfigError("a squat set needs at least one rep")
        if self.set_angle_deg is not None and not -20.0 <= self.set_angle_deg <= -2.0:
            raise SimConfigError("set_angle_deg must be an extension within -20..-2 deg")
        if self.depth_cm is not None and not 25.0 <= self.depth_cm <= 70.0:
            raise SimConfigError("depth_cm must be 25..70 cm")


@dataclass(frozen=True, slots=True)
class PickUp:
    """A shallow bend to pick something up (hip hinge, pelvis drop under ~15 cm): not a rep."""

    drop_cm: float | None = None  #: 6..15 cm when None

    def __post_init__(self) -> None:
        if self.drop_cm is not None and not 0.0 <= self.drop_cm <= 18.0:
            raise SimConfigError("a pick-up drops the pelvis 0..18 cm")


Activity = Stand | Calibrate | Walk | Turn | Rerack | SquatSet | PickUp


@dataclass(frozen=True, slots=True)
class SessionScript:
    """The activities of a session, in order."""

    activities: tuple[Activity, ...]

    def __post_init__(self) -> None:
        if not self.activities:
            raise SimConfigError("a session script needs at least one activity")

    def __len__(self) -> int:
        return len(self.activities)

    @property
    def n_reps(self) -> int:
        """Number of squat reps the script asks for (drawn or fixed outcomes alike)."""
        total = 0
        for act in self.activities:
            if isinstance(act, SquatSet):
                total += len(act.outcomes) if act.outcomes is not None else act.n_reps
        return total


def default_demo_script() -> SessionScript:
    """About 2 minutes: calibration, walking, a mixed set, a pick-up, a clean set.

    The first set's first reps are fine, the fourth loses extension and the last winks into
    flexion.
    """
    ok, lost, flex = Verdict.OK, Verdict.EXTENSION_LOST, Verdict.FLEXION
    return SessionScript(
        (
            Stand(3.0),
            Calibrate(),
            Stand(2.0),
            Walk(6.0),
            Turn(180.0),
            Walk(4.0),
            Rerack(),
            SquatSet((ok, ok, ok, lost, flex), set_angle_deg=-11.0),
            Rerack(),
            Walk(5.0),
            Turn(-90.0),
            PickUp(),
            Walk(4.0),
            Turn(90.0),
            Stand(4.0),
            Rerack(),
            SquatSet((ok, ok, ok, ok)),
            Rerack(),
            Stand(3.0),
        )
    )


def _estimate_s(act: Activity) -> float:
    if isinstance(act, Stand | Walk):
        return act.duration_s
    # mean durations of what the composer (motion.py) draws
    if isinstance(act, Calibrate):
        return 4.8 + 3.85 * act.bends
    if isinstance(act, Turn):
        return 0.8 + abs(act.angle_deg) / 120.0
    if isinstance(act, Rerack):
        return 5.6
    if isinstance(act, SquatSet):
        return 4.6 + 3.6 * (len(act.outcomes) if act.outcomes is not None else act.n_reps)
    return 3.2


def random_script(
    rng: np.random.Generator, *, duration_s: float | None = None, n_sets: int | None = None
) -> SessionScript:
    """A random gym session: calibration, then sets with walking, turns and rests between.

    Stops adding sets after ``n_sets`` sets or once about ``duration_s`` seconds are scripted
    (default: 2..4 sets). Rep outcomes are drawn at simulation time from the athlete's
    propensities.
    """
    if n_sets is None and duration_s is None:
        n_sets = int(rng.integers(2, 5))
    acts: list[Activity] = [Stand(float(rng.uniform(2.0, 5.0))), Calibrate()]
    total = sum(_estimate_s(a) for a in acts)
    sets = 0
    while True:
        if n_sets is not None and sets >= n_sets:
            break
        if duration_s is not None and total >= duration_s:
            break
        block: list[Activity] = []
        for _ in range(int(rng.integers(1, 4))):
            kind = rng.uniform()
            if kind < 0.45:
                block.append(Walk(float(rng.uniform(3.0, 15.0))))
            elif kind < 0.7:
                block.append(Turn(float(rng.choice([-1.0, 1.0]) * rng.uniform(45.0, 180.0))))
            elif kind < 0.85:
                block.append(PickUp())
            else:
                block.append(Stand(float(rng.uniform(5.0, 40.0))))
        block.append(Rerack())
        block.append(SquatSet(n_reps=int(rng.integers(3, 9))))
        block.append(Rerack())
        block.append(Stand(float(rng.uniform(5.0, 60.0))))
        acts.extend(block)
        total += sum(_estimate_s(a) for a in block)
        sets += 1
    return SessionScript(tuple(acts))
