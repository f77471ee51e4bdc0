"""A physically consistent two-IMU squat simulator with known truth.

It drives the demo, the tests, the benchmarks and sample recordings. A session is a
:class:`SessionScript` (activities: stand, calibrate, walk, turn, squat sets, re-racking,
pick-ups) run with a :class:`SimConfig` (athlete, mounts, noise, clocks, radio link);
:func:`simulate` returns the DATA notifications exactly as the two sensors would send them,
with host receive times, and the truth (lumbopelvic angle, reps and verdicts, calibration
windows, mounts, clocks). :class:`SimStream` yields the same frames incrementally.

Two kinds of session: :func:`random_script` (with :meth:`SimConfig.random`) is the classic gym
session: a stand and a calibration block, then sets with a quiet stand between reps.
:func:`training_script` (with :meth:`SimConfig.training`) is shaped on real training recordings:
straight into back-to-back sets (no rest between reps, tempo 1-6 s, some paused or partial
reps), no stand and no calibration block unless asked, sensors sometimes worn facing in or
sampled on a whole-millisecond clock. ``random_script(..., back_to_back_prob=p)`` mixes the two;
:func:`random_session` gives a configuration and a script of each kind (:data:`STYLES`).

Frames and the angle sign convention are documented in :mod:`winkmon.sim.kinematics`; the
sensor model in :mod:`winkmon.sim.imu` and :mod:`winkmon.sim.sensor`.
"""

from winkmon.sim.config import AthleteParams, SimConfig, SimConfigError
from winkmon.sim.imu import SimMount
from winkmon.sim.kinematics import lumbopelvic_angles_deg
from winkmon.sim.motion import SimRep, classify
from winkmon.sim.script import (
    Activity,
    Calibrate,
    Phase,
    PickUp,
    Rerack,
    SessionScript,
    SquatSet,
    Stand,
    Turn,
    Verdict,
    Walk,
    default_demo_script,
    random_script,
    training_script,
    training_set,
)
from winkmon.sim.sensor import SimClock, SimFrame, SimLinkStats
from winkmon.sim.session import (
    STYLES,
    SimSession,
    SimStream,
    SimTruth,
    random_session,
    simulate,
    simulate_chunks,
)

__all__ = [
    "STYLES",
    "Activity",
    "AthleteParams",
    "Calibrate",
    "Phase",
    "PickUp",
    "Rerack",
    "SessionScript",
    "SimClock",
    "SimConfig",
    "SimConfigError",
    "SimFrame",
    "SimLinkStats",
    "SimMount",
    "SimRep",
    "SimSession",
    "SimStream",
    "SimTruth",
    "SquatSet",
    "Stand",
    "Turn",
    "Verdict",
    "Walk",
    "classify",
    "default_demo_script",
    "lumbopelvic_angles_deg",
    "random_script",
    "random_session",
    "simulate",
    "simulate_chunks",
    "training_script",
    "training_set",
]
