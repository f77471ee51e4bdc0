"""Run a simulated session: two sensors, their frames in receive order, and the truth.

:func:`simulate` produces a whole session at once; :class:`SimStream` (and
:func:`simulate_chunks`) produce it incrementally, in host receive order, for live sources that
emit frames at wall-clock pace. Both share one code path, and every random draw is keyed by
sample or notification index, so any chunking yields byte-identical frames.

Session time base: host clock seconds from the session start (``t = 0``); ``t_host_ns`` is that
in integer nanoseconds. The host clock is the reference (true) clock; each sensor's device
clock has its own offset and drift (:class:`~winkmon.sim.sensor.SimClock`).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from winkmon.errors import InputError
from winkmon.protocol.constants import Role
from winkmon.protocol.records import SensorInfo, StartParams
from winkmon.sim.config import SimConfig, SimConfigError
from winkmon.sim.imu import SimMount, sensor_pose, worn_mounts
from winkmon.sim.kinematics import BodyMotion
from winkmon.sim.motion import Choreography, SimRep, compose
from winkmon.sim.rotation import FloatArray, quat_from_matrix
from winkmon.sim.script import (
    Phase,
    SessionScript,
    default_demo_script,
    random_script,
    training_script,
)
from winkmon.sim.sensor import SampleJitter, SimClock, SimFrame, SimLinkStats, SimSensor

ROLES = (Role.SACRUM, Role.LUMBAR)
_TAIL_S = 1.0  # after the last sample, every notification has arrived within this


@dataclass(frozen=True, slots=True, eq=False)
class SimTruth:
    """What really happened, on a uniform time base (``t_s``, session seconds)."""

    t_s: FloatArray
    lumbopelvic_deg: FloatArray  #: flexion + / extension -, 0 = neutral standing
    lateral_bend_deg: FloatArray  #: lumbar relative to pelvis, + = top to the right
    axial_twist_deg: FloatArray  #: lumbar relative to pelvis, + = front turns left
    pelvis_tilt_deg: FloatArray  #: pelvis pitch, + = anterior tilt / forward
    heading_deg: FloatArray  #: pelvis heading, counter-clockwise from east (ENU)
    pelvis_height_m: FloatArray  #: hip-centre height above the floor
    phase: npt.NDArray[np.int8]  #: :class:`~winkmon.sim.script.Phase` value per sample
    reps: tuple[SimRep, ...]
    static_s: tuple[float, float] | None  #: first calibration: still standing window
    functional_s: tuple[float, float] | None  #: first calibration: the forward bends
    mounts: dict[Role, SimMount]  #: sensor-to-segment mounts
    phases: tuple[tuple[float, float, Phase], ...]  #: (start_s, end_s, phase) intervals


class SimStream:
    """An incremental session: :meth:`advance` to a time, get the frames received by then.

    Frames come in host receive order across both sensors (ties: sacrum first). The truth
    (reps, calibration windows, mounts, clocks) is known up front.
    """

    def __init__(
        self, config: SimConfig | None = None, script: SessionScript | None = None
    ) -> None:
        self.config = config if config is not None else SimConfig()
        self.script = script if script is not None else default_demo_script()
        self.choreography: Choreography = compose(self.script, self.config)
        self.mounts = worn_mounts(self.config)
        rng = np.random.default_rng([self.config.seed, 0xC10C])
        self.clocks: dict[Role, SimClock] = {}
        self.sensors: dict[Role, SimSensor] = {}
        cfg = self.config
        for role in ROLES:
            clock = SimClock(
                start_s=float(rng.uniform(*cfg.start_delay_s)),
                t_dev0_us=int(rng.integers(0, 1 << 32)),
                drift_ppm=float(rng.uniform(-1.0, 1.0) * cfg.drift_ppm),
                rate_hz=cfg.rate_hz(role),
            )
            if cfg.clock_ms or cfg.stall_prob > 0.0 or cfg.late_stamp_prob > 0.0:
                jitter = SampleJitter(
                    (cfg.seed, 0x5A11, int(role)),
                    cfg.stall_prob,
                    (cfg.stall_ms[0] * 1e3, cfg.stall_ms[1] * 1e3),
                    cfg.late_stamp_prob if cfg.clock_ms else 0.0,
                )
                t0 = clock.t_dev0_us - clock.t_dev0_us % 1000 if cfg.clock_ms else clock.t_dev0_us
                clock = replace(clock, t_dev0_us=t0, clock_ms=cfg.clock_ms, jitter=jitter)
            self.clocks[role] = clock
            self.sensors[role] = SimSensor(
                role, self.config, self.body, self.mounts[role], clock, self.duration_s
            )
        self._heap: list[tuple[int, int, int, SimFrame]] = []
        self._counter = itertools.count()
        self._t_s = 0.0

    @property
    def body(self) -> BodyMotion:
        return self.choreography.body

    @property
    def duration_s(self) -> float:
        """Session length: the sensors stop sampling here."""
        return self.choreography.duration_s

    @property
    def end_s(self) -> float:
        """Every frame has been received by this session time."""
        return self.duration_s + _TAIL_S

    @property
    def t_s(self) -> float:
        """How far the stream has been advanced."""
        return self._t_s

    @property
    def done(self) -> bool:
        return self._t_s >= self.end_s and not self._heap

    @property
    def infos(self) -> dict[Role, SensorInfo]:
        return {r: s.info for r, s in self.sensors.items()}

    @property
    def start_params(self) -> dict[Role, StartParams]:
        return {r: s.start_params for r, s in self.sensors.items()}

    @property
    def link_stats(self) -> dict[Role, SimLinkStats]:
        return {r: s.stats for r, s in self.sensors.items()}

    def advance(self, t_s: float) -> list[SimFrame]:
        """All frames received before session time ``t_s`` not returned yet, in receive order."""
        t_s = max(t_s, self._t_s)
        self._t_s = t_s
        for role in ROLES:
            for frame in self.sensors[role].advance(t_s):
                heapq.heappush(self._heap, (frame.t_host_ns, int(role), next(self._counter), frame))
        out = []
        limit = round(t_s * 1e9) if t_s < self.end_s else None
        while self._heap and (limit is None or self._heap[0][0] < limit):
            out.append(heapq.heappop(self._heap)[3])
        return out

    def chunks(self, chunk_s: float = 1.0) -> Iterator[list[SimFrame]]:
        """Advance ``chunk_s`` at a time until the end; yields each chunk's frames."""
        if chunk_s <= 0:
            raise InputError("chunk_s must be positive")
        step = 0
        start = self._t_s
        while not self.done:
            step += 1
            yield self.advance(min(start + step * chunk_s, self.end_s))

    def truth(self, rate_hz: int | None = None) -> SimTruth:
        """The truth on a uniform time base from 0 to the session's end."""
        rate = rate_hz if rate_hz is not None else self.config.truth_rate_hz
        t = np.arange(int(np.floor(self.duration_s * rate))) / rate
        b = self.body
        ch = self.choreography
        starts = np.array([p[0] for p in ch.phases])
        ends = np.array([p[1] for p in ch.phases])
        codes = np.array([int(p[2]) for p in ch.phases], dtype=np.int8)
        i = np.searchsorted(starts, t, side="right") - 1
        inside = (i >= 0) & (t < ends[np.maximum(i, 0)])
        phase = np.where(inside, codes[np.maximum(i, 0)], int(Phase.STAND)).astype(np.int8)
        return SimTruth(
            t_s=t,
            lumbopelvic_deg=b.flexion_deg(t),
            lateral_bend_deg=b.lateral_deg(t),
            axial_twist_deg=b.twist_deg(t),
            pelvis_tilt_deg=b.tilt_deg(t),
            heading_deg=b.heading_deg(t),
            pelvis_height_m=b.z_m(t),
            phase=phase,
            reps=ch.reps,
            static_s=ch.static_s,
            functional_s=ch.functional_s,
            mounts=dict(self.mounts),
            phases=ch.phases,
        )


@dataclass(frozen=True, slots=True, eq=False)
class SimSession:
    """A whole simulated session: frames as received, plus everything needed to check them."""

    config: SimConfig
    script: SessionScript
    duration_s: float  #: sensors sample from their start to here (session seconds)
    truth: SimTruth
    frames: dict[Role, list[tuple[int, bytes]]]  #: (t_host_ns, payload) in receive order
    infos: dict[Role, SensorInfo]
    start_params: dict[Role, StartParams]
    clocks: dict[Role, SimClock]  #: true device clock parameters per sensor
    link_stats: dict[Role, SimLinkStats]
    body: BodyMotion  #: the continuous-time motion (for orientation queries)

    def received(self) -> list[SimFrame]:
        """Frames of both sensors merged in receive order (ties: sacrum first)."""
        merged = [
            (t, int(role), i, SimFrame(role, t, p))
            for role in ROLES
            for i, (t, p) in enumerate(self.frames[role])
        ]
        merged.sort(key=lambda x: (x[0], x[1], x[2]))
        return [m[3] for m in merged]

    def sensor_quat_wxyz(self, role: Role, t_s: npt.ArrayLike) -> FloatArray:
        """True orientation world (ENU) <- sensor, (N, 4) quaternions, at session times."""
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        _, rot = sensor_pose(self.body, self.truth.mounts[role], t)
        return quat_from_matrix(rot)

    def sample_times_s(self, role: Role, index: npt.ArrayLike) -> FloatArray:
        """True session times of samples ``index`` (as counted by ``first_index``)."""
        return self.clocks[role].sample_time_s(index)


#: Kinds of random session (:func:`random_session`).
STYLES = ("classic", "back-to-back", "training")


def random_session(
    seed: int,
    style: str = "classic",
    *,
    duration_s: float | None = None,
    n_sets: int | None = None,
) -> tuple[SimConfig, SessionScript]:
    """A random configuration and script of one kind, both from ``seed``.

    * ``classic``: ``SimConfig.random(seed)`` and ``random_script(default_rng(seed))``, the
      sessions of the accuracy bench: a stand and a calibration block, then sets with a quiet
      stand between reps;
    * ``back-to-back``: the same, with every set a back-to-back
      :func:`~winkmon.sim.script.training_set`;
    * ``training``: ``SimConfig.training(seed)`` and :func:`~winkmon.sim.script.training_script`:
      no stand and no calibration block, straight into back-to-back sets.

    ``duration_s`` / ``n_sets`` as for the script generators (default: 2..4 sets).
    """
    rng = np.random.default_rng(seed)
    if style == "classic":
        return SimConfig.random(seed), random_script(rng, duration_s=duration_s, n_sets=n_sets)
    if style == "back-to-back":
        script = random_script(rng, duration_s=duration_s, n_sets=n_sets, back_to_back_prob=1.0)
        return SimConfig.random(seed), script
    if style == "training":
        script = training_script(rng, duration_s=duration_s, n_sets=n_sets)
        return SimConfig.training(seed), script
    raise SimConfigError(f"style must be one of {', '.join(STYLES)}, not {style!r}")


def simulate(
    config: SimConfig | None = None,
    script: SessionScript | None = None,
    *,
    chunk_s: float = 30.0,
) -> SimSession:
    """Simulate a whole session (defaults: ``SimConfig()`` and :func:`default_demo_script`)."""
    stream = SimStream(config, script)
    frames: dict[Role, list[tuple[int, bytes]]] = {role: [] for role in ROLES}
    for chunk in stream.chunks(chunk_s):
        for f in chunk:
            frames[f.role].append((f.t_host_ns, f.payload))
    return SimSession(
        config=stream.config,
        script=stream.script,
        duration_s=stream.duration_s,
        truth=stream.truth(),
        frames=frames,
        infos=stream.infos,
        start_params=stream.start_params,
        clocks=dict(stream.clocks),
        link_stats=stream.link_stats,
        body=stream.body,
    )


def simulate_chunks(
    config: SimConfig | None = None,
    script: SessionScript | None = None,
    chunk_s: float = 1.0,
) -> Iterator[list[SimFrame]]:
    """Frames of a session in receive order, ``chunk_s`` of session time per yielded list."""
    return SimStream(config, script).chunks(chunk_s)
