"""Simulator configuration: the athlete, the sensors, the radio link.

Every field states its unit and default. :meth:`SimConfig.random` draws a plausible varied
configuration from a seed (athlete, sensor noise, link quality); :meth:`SimConfig.training`
adds how real training sensors are worn and clocked (facing in, whole-ms clocks);
:meth:`SimConfig.noiseless` turns every imperfection off, for tests that compare against the
truth.

Real sensors
------------
The realistic ranges come from summary statistics measured on the real recordings in
``../shared/realdata/squat-sets-3imu`` (3 subjects x 5 styles x 2 sets, 30 files, 93.7 k
samples; a waist sensor facing into the body, a thigh and a shank sensor). No sample of those
files is in this repository, only these figures; ``bench/sim_realism.py`` measures them again,
on the waist sensor and on simulated training sessions side by side (p10 / p50 / p90).

* Accelerometer white noise: std of first differences / sqrt(2) in each file's stillest 0.36 s
  (gyro-quiet) window, per axis and sample, as at 200 Hz (white noise: std ~ sqrt(rate); the
  real rate is 110 Hz): 0.018 / 0.028 / 0.063 m/s^2 (the window still holds some sway, so
  these are upper bounds; thigh and shank alike). ``SimConfig.random`` draws 0.018-0.04.
* Gyroscope white noise, same method: 0.0019 / 0.0031 / 0.0075 rad/s at 200 Hz (thigh and
  shank 0.0012-0.007): drawn 0.0015-0.005. Gyro offsets in the stillest windows: 0.1-0.3 deg/s
  per axis for two subjects (the default bias range holds it).
* Accelerometer offsets: ``|mean acc| - g`` in the stillest window, 0.034 / 0.068 / 0.19 m/s^2;
  the mean vertical specific force minus g over the sets (orientation from VQF),
  0.096 / 0.156 / 0.30 m/s^2: 0.07-0.15 for subject 1, 0.13-0.18 for subject 2, 0.22-0.32 for
  subject 3 (all positive: probably one sensor unit). The thigh and shank sensors read |a|
  2-3 m/s^2 above g at rest and are no model for ours. ``SimConfig.random`` draws a per-axis
  bound of 0.15-0.35 m/s^2, each axis's offset uniform within +-bound, so a sensor's vertical
  offset is mostly 0.02-0.3 m/s^2, of either sign.
* Device clock: integer ms; steps of 9 ms (93.2 % of samples), 10 ms (5.4 %), 8 ms (0.85 %,
  right after a 10: one stamp read 1 ms late), 14-15 ms (0.45 %, followed by 9 ms steps: the
  loop stalled ~5 ms and the later samples moved with it), longer steps (16-48 ms) 0.03 %;
  sequence gaps (lost samples) 1e-4; mean rate 109.1-110.3 Hz. ``SimConfig.with_box_timing``
  uses these (at 110 Hz the floored stamps step 10 ms a little more often: 9.6 %).
* Set structure (labelled reps; times from the ms clock): recording start to the first rep
  0.13 / 0.62 / 1.29 s (0-2.7 s); last rep to the end 0.1-1.5 s; consecutive rep windows
  touch (one sample apart): no rest between reps. Rep duration 1.9 / 2.6 / 3.5 s (1.7-4.2;
  partial squats 1.7-3.5, median 2.0); the descent is 0.47 / 0.54 / 0.61 of the rep. Time
  within 2 cm of the lowest point 0.15-0.8 s (median 0.2-0.5): a short turn, sometimes a pause.
  Within 0.5 s of a boundary between reps the longest run of vertical acceleration under
  0.25 m/s^2 is 0.036 / 0.082 / 0.20 s: the pelvis never rests between reps.
* Motion: the waist sensor's largest inclination change in a rep, 19.5 / 33 / 45 deg (median
  30-43 by style); depth (double-integrated vertical acceleration, drift removed per labelled
  rep) of full squats 40-70 cm (medians 46-61 by style), partial squats 27-39 cm (median 33).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from winkmon.errors import WinkmonError
from winkmon.protocol.constants import ACC_RANGE_G, GYR_RANGE_DPS, Role


class SimConfigError(WinkmonError, ValueError):
    """A simulator configuration or script is inconsistent (the message names the field)."""


# Acquisition timing of the real box (module docstring), used by SimConfig.with_box_timing.
BOX_RATE_HZ = 110  #: the box's rate, whole Hz (measured 109.1-110.3 Hz)
BOX_STALL_PROB = 0.0045  #: chance per sample of a loop stall (14-15 ms steps: 0.45 %)
BOX_STALL_MS = (4.5, 6.0)  #: stall length, ms (a 9 ms step becomes 14-15 ms)
BOX_LATE_STAMP_PROB = 0.0085  #: chance per sample of a stamp 1 ms late (10-then-8 ms: 0.85 %)


@dataclass(frozen=True, slots=True)
class AthleteParams:
    """How the simulated athlete moves. Angles are lumbopelvic angles (flexion positive)."""

    standing_height_m: float = 0.95  #: hip-centre height standing
    set_angle_deg: tuple[float, float] = (-12.0, -4.0)  #: range of the set (brace) angle
    depth_cm: tuple[float, float] = (38.0, 55.0)  #: pelvis drop of a rep (one depth per set)
    wink_propensity: float = 0.15  #: mean chance a drawn rep goes into flexion (grows with fatigue)
    loss_propensity: float = 0.2  #: mean chance a drawn rep loses extension (grows with fatigue)
    sway_scale: float = 1.0  #: multiplies quiet-stance sway amplitudes
    step_freq_hz: tuple[float, float] = (1.8, 2.0)  #: walking cadence range, steps per second
    walk_speed_m_s: tuple[float, float] = (0.9, 1.3)  #: walking speed range
    #: Calibration bends: pelvic tilt at the bottom of each bend, range, deg.
    bend_pelvis_deg: tuple[float, float] = (30.0, 60.0)
    #: Calibration bends: lumbopelvic flexion at the bottom of each bend, range, deg (the lumbar
    #: segment's inclination is pelvis + flexion: 45-70 deg in a lumbar-dominant bend).
    bend_flexion_deg: tuple[float, float] = (20.0, 40.0)

    def __post_init__(self) -> None:
        if not 0.6 <= self.standing_height_m <= 1.3:
            raise SimConfigError("standing_height_m must be 0.6..1.3 m")
        lo, hi = self.set_angle_deg
        if not -20.0 <= lo <= hi <= -2.0:
            raise SimConfigError("set_angle_deg must be an extension range within -20..-2 deg")
        lo, hi = self.depth_cm
        if not 25.0 <= lo <= hi <= 70.0:
            raise SimConfigError("depth_cm must be within 25..70 cm")
        if (
            self.wink_propensity < 0
            or self.loss_propensity < 0
            or (self.wink_propensity + self.loss_propensity > 0.9)
        ):
            raise SimConfigError("wink_propensity + loss_propensity must be within 0..0.9")
        lo, hi = self.bend_pelvis_deg
        if not 2.0 <= lo <= hi <= 80.0:
            raise SimConfigError("bend_pelvis_deg must be within 2..80 deg")
        lo, hi = self.bend_flexion_deg
        if not 0.0 <= lo <= hi <= 70.0:
            raise SimConfigError("bend_flexion_deg must be within 0..70 deg")


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Everything random or tunable about a simulated session, except the activity script."""

    seed: int = 0  #: seeds every random draw (motion details, mounts, noise, link)
    sacrum_rate_hz: int = 200  #: sacrum sensor sample rate (START rate_hz)
    lumbar_rate_hz: int = 200  #: lumbar sensor sample rate
    truth_rate_hz: int = 200  #: rate of the uniform truth time base
    mtu: int = 247  #: ATT MTU; below 31 the sensors send compact frames plus anchors
    flush_ms: int = 20  #: longest a sample waits in the firmware before it is sent
    max_batch: int = 40  #: START max_batch (also capped by the MTU and the flush interval)
    acc_range: int = 2  #: accelerometer range code (2: +-8 g)
    gyr_range: int = 3  #: gyroscope range code (3: +-1000 deg/s)
    mag_on: bool = False  #: send magnetometer triples (only in full frames that fit them)
    mag_field_uT: float = 49.0  #: local geomagnetic field strength
    mag_dip_deg: float = 60.0  #: inclination (field points down-north)
    acc_noise_m_s2: float = 0.03  #: accelerometer white noise, std per sample at 200 Hz
    gyr_noise_rad_s: float = 0.007  #: gyroscope white noise, std per sample at 200 Hz
    mag_noise_uT: float = 0.3  #: magnetometer white noise, std per sample
    acc_bias_m_s2: float = 0.05  #: accelerometer bias, at most this per axis (constant)
    gyr_bias_dps: float = 1.5  #: initial gyroscope bias, at most this per axis
    gyr_bias_wander_dps: float = 0.2  #: amplitude of the slow gyro bias wander (minutes)
    drift_ppm: float = 50.0  #: device clock drift, at most this (each sensor draws its own)
    start_delay_s: tuple[float, float] = (0.05, 0.4)  #: when each sensor's stream starts
    # Acquisition timing of a loop-driven box (see :mod:`winkmon.sim.sensor`); the defaults
    # are an ideal sensor. :meth:`with_box_timing` sets those measured on a real box.
    clock_ms: bool = False  #: the device clock counts whole ms: timestamps are multiples of 1000 us
    stall_prob: float = 0.0  #: chance the acquisition loop stalls before a sample (delays the rest)
    stall_ms: tuple[float, float] = (4.0, 6.0)  #: stall length range, device-clock ms
    late_stamp_prob: float = 0.0  #: with ``clock_ms``: chance a sample's stamp reads 1 ms late
    conn_interval_ms: float = 15.0  #: BLE connection interval (notifications wait for an event)
    host_delay_ms: tuple[float, float] = (2.0, 8.0)  #: host stack delay range after the event
    retransmit_prob: float = 0.03  #: chance a notification needs 1-2 more connection events
    drop_prob: float = 0.002  #: chance any one notification is lost
    bursts_per_min: float = 0.3  #: rate of bursts of consecutive lost notifications
    burst_s: tuple[float, float] = (0.05, 0.6)  #: burst length range
    fifo_overflow_prob: float = 0.0  #: chance the firmware drops one batch (index jump, no seq)
    dropout_s: float = 0.0  #: if > 0, ``dropout_role`` goes silent once for this long
    dropout_role: Role = Role.LUMBAR
    #: (sacrum, lumbar): the sensor is worn facing in (its face, ``z``, into the body, as a
    #: clip or pouch holds it), i.e. its mount is turned 180 deg about its own ``x`` axis
    facing_in: tuple[bool, bool] = (False, False)
    mount_tilt_deg: float = 12.0  #: random tilt of each sensor off the nominal, at most this
    sacrum_surface_tilt_deg: tuple[float, float] = (20.0, 40.0)  #: sacral slope under the sensor
    #: Each sensor's face turned sideways (about the segment's vertical) by up to this, deg.
    mount_roll_deg: float = 0.0
    #: Sensors whose face points into the body (a clip, a pouch) instead of out of the back.
    mount_facing_in: tuple[Role, ...] = ()
    flexion_threshold_deg: float = 2.0  #: truth verdict: flexion when the peak exceeds this
    loss_threshold_deg: float = 5.0  #: truth verdict: extension lost when rising more than this
    athlete: AthleteParams = field(default_factory=AthleteParams)

    def __post_init__(self) -> None:
        for name in ("sacrum_rate_hz", "lumbar_rate_hz", "truth_rate_hz"):
            rate = getattr(self, name)
            if not 10 <= rate <= 1000:
                raise SimConfigError(f"{name} must be 10..1000 Hz, got {rate}")
        if not 23 <= self.mtu <= 517:
            raise SimConfigError(f"mtu must be 23..517, got {self.mtu}")
        if not 1 <= self.flush_ms <= 1000 or not 1 <= self.max_batch <= 255:
            raise SimConfigError("flush_ms must be 1..1000 and max_batch 1..255")
        if not 0 <= self.acc_range < len(ACC_RANGE_G):
            raise SimConfigError(f"acc_range code {self.acc_range} is not in the table")
        if not 0 <= self.gyr_range < len(GYR_RANGE_DPS):
            raise SimConfigError(f"gyr_range code {self.gyr_range} is not in the table")
        if not 0.0 <= self.drop_prob < 1.0 or not 0.0 <= self.fifo_overflow_prob < 1.0:
            raise SimConfigError("drop_prob and fifo_overflow_prob must be within [0, 1)")
        if self.dropout_role not in (Role.SACRUM, Role.LUMBAR):
            raise SimConfigError("dropout_role must be SACRUM or LUMBAR")
        if self.conn_interval_ms < 7.5 or self.conn_interval_ms > 100.0:
            raise SimConfigError("conn_interval_ms must be 7.5..100")
        if self.seed < 0:
            raise SimConfigError("seed must be non-negative")
        if not 0.0 <= self.stall_prob < 0.5 or not 0.0 <= self.late_stamp_prob < 0.5:
            raise SimConfigError("stall_prob and late_stamp_prob must be within [0, 0.5)")
        if not 0.0 <= self.stall_ms[0] <= self.stall_ms[1] <= 1000.0:
            raise SimConfigError("stall_ms must be a range within 0..1000 ms")
        if len(self.facing_in) != 2:
            raise SimConfigError("facing_in must be (sacrum, lumbar)")

    def rate_hz(self, role: Role) -> int:
        """Sample rate of the sensor in ``role``."""
        return self.sacrum_rate_hz if role is Role.SACRUM else self.lumbar_rate_hz

    @classmethod
    def noiseless(cls, seed: int = 0, **overrides: object) -> SimConfig:
        """No noise, bias, drift, latency jitter or loss: for comparisons with the truth."""
        base = cls(
            seed=seed,
            acc_noise_m_s2=0.0,
            gyr_noise_rad_s=0.0,
            mag_noise_uT=0.0,
            acc_bias_m_s2=0.0,
            gyr_bias_dps=0.0,
            gyr_bias_wander_dps=0.0,
            drift_ppm=0.0,
            retransmit_prob=0.0,
            drop_prob=0.0,
            bursts_per_min=0.0,
        )
        return replace(base, **overrides)  # type: ignore[arg-type]

    def with_box_timing(self, rate_hz: int = BOX_RATE_HZ) -> SimConfig:
        """This configuration sampled like the real acquisition box (module docstring).

        Both sensors run at ``rate_hz`` (default 110 Hz) on an integer-millisecond device clock,
        with the box's acquisition-loop stalls and late stamps.
        """
        return replace(
            self,
            sacrum_rate_hz=rate_hz,
            lumbar_rate_hz=rate_hz,
            clock_ms=True,
            stall_prob=BOX_STALL_PROB,
            stall_ms=BOX_STALL_MS,
            late_stamp_prob=BOX_LATE_STAMP_PROB,
        )

    @classmethod
    def training(cls, seed: int) -> SimConfig:
        """:meth:`random`, plus how real training sensors are worn and clocked.

        Each sensor is worn facing in with chance 1/2, and with chance 1/2 both sample like the
        real box (:meth:`with_box_timing`: 110 Hz, integer-ms clock, stalls). Meant for
        :func:`~winkmon.sim.script.training_script` sessions.
        """
        cfg = cls.random(seed)
        rng = np.random.default_rng([seed, 0x7EA1])
        cfg = replace(cfg, facing_in=(bool(rng.uniform() < 0.5), bool(rng.uniform() < 0.5)))
        return cfg.with_box_timing() if rng.uniform() < 0.5 else cfg

    @classmethod
    def random(cls, seed: int) -> SimConfig:
        """A plausible, varied configuration: athlete, mounts, noise and link quality.

        Noise and accelerometer offsets are drawn in the ranges measured on real sensors
        (see the module docstring): white noise 0.018-0.04 m/s^2 and 0.0015-0.005 rad/s per
        sample at 200 Hz, a constant accelerometer offset within +-0.15..0.35 m/s^2 per axis.
        """
        rng = np.random.default_rng([seed, 0xC0F1])
        lo_set = float(rng.uniform(-16.0, -8.0))
        lo_depth = float(rng.uniform(32.0, 48.0))
        wink = float(rng.uniform(0.0, 0.35))
        if rng.uniform() < 0.5:  # lumbar-dominant bends: trunk 45-70 deg, pelvis 8-22 deg
            pelvis = float(rng.uniform(8.0, 22.0))
            flexion = float(rng.uniform(45.0, 65.0)) - pelvis
        else:  # hip-dominant bends: pelvis 20-37 deg
            pelvis = float(rng.uniform(20.0, 37.0))
            flexion = float(rng.uniform(10.0, 30.0))
        roll_deg = float(rng.uniform(0.0, 20.0))
        face_deg = float(rng.uniform(0.0, 50.0))
        facing_in = tuple(r for r in (Role.SACRUM, Role.LUMBAR) if rng.uniform() < 0.15)
        athlete = AthleteParams(
            standing_height_m=float(rng.uniform(0.85, 1.05)),
            set_angle_deg=(lo_set, float(rng.uniform(lo_set + 2.0, -3.0))),
            depth_cm=(lo_depth, float(rng.uniform(lo_depth + 3.0, 60.0))),
            wink_propensity=wink,
            loss_propensity=float(rng.uniform(0.0, min(0.35, 0.85 - wink))),
            sway_scale=float(rng.uniform(0.6, 1.6)),
            bend_pelvis_deg=(pelvis, pelvis + 3.0),
            bend_flexion_deg=(flexion, flexion + 5.0),
        )
        return cls(
            seed=seed,
            # noise and offsets as measured on real sensors (module docstring)
            acc_noise_m_s2=float(rng.uniform(0.018, 0.04)),
            gyr_noise_rad_s=float(rng.uniform(0.0015, 0.005)),
            acc_bias_m_s2=float(rng.uniform(0.15, 0.35)),
            gyr_bias_dps=float(rng.uniform(0.2, 2.0)),
            gyr_bias_wander_dps=float(rng.uniform(0.0, 0.3)),
            conn_interval_ms=float(rng.choice([7.5, 15.0, 30.0])),
            drop_prob=float(rng.uniform(0.0, 0.01)),
            bursts_per_min=float(rng.uniform(0.0, 1.0)),
            mount_tilt_deg=float(rng.uniform(5.0, 15.0)),
            sacrum_surface_tilt_deg=(face_deg, face_deg + 10.0),
            mount_roll_deg=roll_deg,
            mount_facing_in=facing_in,
            athlete=athlete,
        )
