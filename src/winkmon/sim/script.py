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
    """A set of squat reps. ``outcomes`` fixes each rep's outcome; None draws ``n_reps``.

    By default (the classic set) the athlete braces, stands still for a moment, and stands
    0.4-1.2 s between reps of 1.9-3.7 s. Setting any of ``back_to_back``, ``tempo_s``,
    ``pause_prob`` or ``lead_s`` gives a flowing set as in real training recordings: the first
    descent ``lead_s`` after the unrack, reps of ``tempo_s``, a short turn at the bottom or
    (``pause_prob``) a pause.
    """

    outcomes: tuple[Verdict, ...] | None = None
    n_reps: int = 5
    depth_cm: float | None = None  #: pelvis drop, cm (15..70, partial < 25); None: drawn
    set_angle_deg: float | None = None  #: brace angle, deg (-20..-2); None: drawn
    back_to_back: bool = False  #: no rest between reps: a descent starts as the last ascent ends
    tempo_s: tuple[float, float] | None = None  #: rep duration range, s (1..6; pauses add)
    pause_prob: float = 0.0  #: chance a rep pauses 0.5-2 s at the bottom (added to its tempo)
    lead_s: float | None = None  #: start of the set (unrack) to the first descent, s (>= 0.2)

    @property
    def flowing(self) -> bool:
        """Whether this is a flowing set (any of the training-style options is set)."""
        return (
            self.back_to_back
            or self.tempo_s is not None
            or self.pause_prob > 0.0
            or self.lead_s is not None
        )

    def __post_init__(self) -> None:
        if self.outcomes is not None:
            object.__setattr__(self, "outcomes", tuple(Verdict(o) for o in self.outcomes))
            if not self.outcomes:
                raise SimConfigError("a squat set needs at least one rep")
        elif self.n_reps < 1:
            raise SimConfigError("a squat set needs at least one rep")
        if self.set_angle_deg is not None and not -20.0 <= self.set_angle_deg <= -2.0:
            raise SimConfigError("set_angle_deg must be an extension within -20..-2 deg")
        if self.depth_cm is not None and not 15.0 <= self.depth_cm <= 70.0:
            raise SimConfigError("depth_cm must be 15..70 cm")
        if self.tempo_s is not None and not 1.0 <= self.tempo_s[0] <= self.tempo_s[1] <= 6.0:
            raise SimConfigError("tempo_s must be a range within 1..6 s")
        if not 0.0 <= self.pause_prob <= 1.0:
            raise SimConfigError("pause_prob must be within 0..1")
        if self.lead_s is not None and not 0.2 <= self.lead_s <= 30.0:
            raise SimConfigError("lead_s must be 0.2..30 s")


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
        n = len(act.outcomes) if act.outcomes is not None else act.n_reps
        if act.flowing:
            lead = act.lead_s if act.lead_s is not None else 1.8
            tempo = 0.5 * sum(act.tempo_s) if act.tempo_s is not None else 2.8
            rest = 0.0 if act.back_to_back else 0.8
            return lead + 1.75 + n * (tempo + 0.175 + 1.075 * act.pause_prob + rest)
        return 4.6 + 3.6 * n
    return 3.2


def _between_sets(rng: np.random.Generator) -> list[Activity]:
    """1-3 of walking, turning, a pick-up or standing: what happens between two sets."""
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
    return block


def training_set(rng: np.random.Generator, n_reps: int, *, partial_prob: float = 0.2) -> SquatSet:
    """A set as in real training recordings: back to back, starting 0.3-1.2 s after the unrack.

    Its tempo is 1.5-3.5 s a rep (4-5.5 s in one set of ten: slow eccentrics), +-15 % from rep
    to rep; 15 % of its reps pause at the bottom; with chance ``partial_prob`` it is a partial
    squat set (22-34 cm deep, 20 % quicker), otherwise the depth is the athlete's. Real sets:
    reps of 1.7-4.2 s, partial ones 1.7-3.5 s (:mod:`winkmon.sim.config`).
    """
    partial = rng.uniform() < partial_prob
    centre = rng.uniform(1.5, 3.5) if rng.uniform() < 0.9 else rng.uniform(4.0, 5.5)
    centre *= 0.8 if partial else 1.0
    tempo = (max(1.0, 0.85 * centre), min(6.0, max(1.0, 1.15 * centre)))
    return SquatSet(
        n_reps=n_reps,
        depth_cm=float(rng.uniform(22.0, 34.0)) if partial else None,
        back_to_back=True,
        tempo_s=(float(tempo[0]), float(tempo[1])),
        pause_prob=0.15,
        lead_s=float(rng.uniform(0.3, 1.2)),
    )


def training_script(
    rng: np.random.Generator,
    *,
    n_sets: int | None = None,
    duration_s: float | None = None,
    calibrate: bool = False,
    reps: tuple[int, int] = (6, 12),
    partial_prob: float = 0.2,
) -> SessionScript:
    """A training session like the real recordings: back-to-back sets, no quiet stand.

    Without ``calibrate`` the session starts straight into a set (its first descent 0.8-1.7 s
    after the start: no stand, no calibration block); with it, the session opens with a
    stand and a calibration block as :func:`random_script` does. Each set is a
    :func:`training_set` of ``reps`` (inclusive range) reps; between sets the athlete re-racks,
    rests (standing, walking, turning, picking something up) and unracks. Stops after
    ``n_sets`` sets or about ``duration_s`` seconds (default: 2..4 sets).
    """
    if n_sets is None and duration_s is None:
        n_sets = int(rng.integers(2, 5))
    acts: list[Activity] = [Stand(float(rng.uniform(2.0, 5.0))), Calibrate()] if calibrate else []
    total = sum(_estimate_s(a) for a in acts)
    sets = 0
    while not (n_sets is not None and sets >= n_sets) and not (
        duration_s is not None and total >= duration_s
    ):
        block: list[Activity] = []
        if acts:
            block += _between_sets(rng)
            block.append(Rerack())
        block.append(
            training_set(rng, int(rng.integers(reps[0], reps[1] + 1)), partial_prob=partial_prob)
        )
        block.append(Rerack())
        block.append(Stand(float(rng.uniform(5.0, 60.0))))
        acts.extend(block)
        total += sum(_estimate_s(a) for a in block)
        sets += 1
    return SessionScript(tuple(acts))


def random_script(
    rng: np.random.Generator,
    *,
    duration_s: float | None = None,
    n_sets: int | None = None,
    back_to_back_prob: float = 0.0,
) -> SessionScript:
    """A random gym session: calibration, then sets with walking, turns and rests between.

    Stops adding sets after ``n_sets`` sets or once about ``duration_s`` seconds are scripted
    (default: 2..4 sets). Rep outcomes are drawn at simulation time from the athlete's
    propensities. Each set is, with chance ``back_to_back_prob`` (default 0: the classic
    sessions, draw for draw), a :func:`training_set` (back to back, partial sometimes) instead
    of a classic one.
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
        block = _between_sets(rng)
        block.append(Rerack())
        n_reps = int(rng.integers(3, 9))
        if back_to_back_prob > 0.0 and rng.uniform() < back_to_back_prob:
            block.append(training_set(rng, n_reps))
        else:
            block.append(SquatSet(n_reps=n_reps))
        block.append(Rerack())
        block.append(Stand(float(rng.uniform(5.0, 60.0))))
        acts.extend(block)
        total += sum(_estimate_s(a) for a in block)
        sets += 1
    return SessionScript(tuple(acts))
