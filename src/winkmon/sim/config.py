"""Simulator configuration: the athlete, the sensors, the radio link.

Every field states its unit and default. :meth:`SimConfig.random` draws a plausible varied
configuration from a seed (athlete, sensor noise, link quality); :meth:`SimConfig.noiseless`
turns every imperfection off, for tests that compare against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from winkmon.errors import WinkmonError
from winkmon.protocol.constants import ACC_RANGE_G, GYR_RANGE_DPS, Role


class SimConfigError(WinkmonError, ValueError):
    """A simulator configuration or script is inconsistent (the message names the field)."""


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
    conn_interval_ms: float = 15.0  #: BLE connection interval (notifications wait for an event)
    host_delay_ms: tuple[float, float] = (2.0, 8.0)  #: host stack delay range after the event
    retransmit_prob: float = 0.03  #: chance a notification needs 1-2 more connection events
    drop_prob: float = 0.002  #: chance any one notification is lost
    bursts_per_min: float = 0.3  #: rate of bursts of consecutive lost notifications
    burst_s: tuple[float, float] = (0.05, 0.6)  #: burst length range
    fifo_overflow_prob: float = 0.0  #: chance the firmware drops one batch (index jump, no seq)
    dropout_s: float = 0.0  #: if > 0, ``dropout_role`` goes silent once for this long
    dropout_role: Role = Role.LUMBAR
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

    @classmethod
    def random(cls, seed: int) -> SimConfig:
        """A plausible, varied configuration: athlete, mounts, noise and link quality."""
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
            acc_noise_m_s2=float(rng.uniform(0.02, 0.05)),
            gyr_noise_rad_s=float(rng.uniform(0.005, 0.01)),
            acc_bias_m_s2=float(rng.uniform(0.0, 0.1)),
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
