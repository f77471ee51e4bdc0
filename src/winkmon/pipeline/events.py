"""What the pipeline tells the rest of the app: frozen messages on the session time base."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from winkmon.protocol.constants import Role

FloatArray = npt.NDArray[np.float64]
Int8Array = npt.NDArray[np.int8]


class Verdict(enum.StrEnum):
    """A rep's verdict (see the README for the exact rules)."""

    OK = "ok"
    EXTENSION_LOST = "extension_lost"  #: performance: extension lost, back still extended
    FLEXION = "flexion"  #: safety: lumbar spine passed neutral into flexion (butt wink)
    UNKNOWN = "unknown"  #: the angle was missing (a sensor out) for most of the rep
    #: No lumbopelvic angle in this session at all: one sensor only, or not calibrated.
    UNAVAILABLE = "unavailable"


class AlertLevel(enum.StrEnum):
    EXTENSION_LOST = "extension_lost"
    FLEXION = "flexion"


class Phase(enum.IntEnum):
    """Where the athlete is in a squat, per output sample."""

    IDLE = 0  #: standing, walking, anything that is not a rep
    DESCENT = 1
    BOTTOM = 2
    ASCENT = 3


class Zone(enum.IntEnum):
    """Colour zone of the angle, relative to the athlete's thresholds and the current set angle."""

    UNKNOWN = 0  #: no angle (a sensor is missing)
    EXTENSION = 1  #: green
    EXTENSION_LOST = 2  #: amber
    FLEXION = 3  #: red


@dataclass(frozen=True, slots=True)
class RepStarted:
    number: int
    t_s: float
    set_angle_deg: float


@dataclass(frozen=True, slots=True)
class Rep:
    """One squat rep, reported when it ends."""

    number: int
    start_s: float
    bottom_s: float
    end_s: float
    depth_cm: float
    set_angle_deg: float
    peak_flexion_deg: float
    peak_s: float
    verdict: Verdict
    #: When the angle first crossed into flexion (None if it never did).
    flexion_onset_s: float | None = None
    #: Depth (cm below standing) at which the angle first crossed into flexion.
    flexion_onset_depth_cm: float | None = None
    #: "descent", "bottom" or "ascent": where the peak angle happened.
    peak_phase: str = "bottom"
    #: Pelvis-only wink cue: how far the pelvis tilted back (posteriorly) between its
    #: largest forward tilt in the descent and the bottom, degrees (None: no tilt data).
    pelvis_tuck_deg: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "number": self.number,
            "start_s": round(self.start_s, 3),
            "bottom_s": round(self.bottom_s, 3),
            "end_s": round(self.end_s, 3),
            "depth_cm": round(self.depth_cm, 1),
            "set_angle_deg": round(self.set_angle_deg, 2),
            "peak_flexion_deg": round(self.peak_flexion_deg, 2),
            "peak_s": round(self.peak_s, 3),
            "verdict": self.verdict.value,
            "flexion_onset_s": None
            if self.flexion_onset_s is None
            else round(self.flexion_onset_s, 3),
            "flexion_onset_depth_cm": None
            if self.flexion_onset_depth_cm is None
            else round(self.flexion_onset_depth_cm, 1),
            "peak_phase": self.peak_phase,
            "pelvis_tuck_deg": None
            if self.pelvis_tuck_deg is None
            else round(self.pelvis_tuck_deg, 1),
        }


@dataclass(frozen=True, slots=True)
class Alert:
    """A live cue: at most one per level per rep."""

    level: AlertLevel
    t_s: float
    rep_number: int
    angle_deg: float
    set_angle_deg: float

    def as_dict(self) -> dict[str, object]:
        return {
            "level": self.level.value,
            "t_s": round(self.t_s, 3),
            "rep": self.rep_number,
            "angle_deg": round(self.angle_deg, 2),
            "set_angle_deg": round(self.set_angle_deg, 2),
        }


@dataclass(frozen=True, slots=True)
class Gap:
    """A stretch with no angle because a sensor's data is missing."""

    role: Role
    start_s: float
    end_s: float


Event = RepStarted | Rep | Alert | Gap


@dataclass(frozen=True, slots=True, eq=False)
class AngleBlock:
    """Output samples on the pipeline's uniform time grid (NaN angle where a sensor is missing)."""

    t_s: FloatArray
    lumbopelvic_deg: FloatArray
    depth_cm: FloatArray
    phase: Int8Array
    zone: Int8Array
    #: Sagittal inclination of the pelvis (sacrum sensor), degrees, forward positive, 0 at
    #: the calibrated neutral; NaN without a sacrum calibration.
    pelvis_tilt_deg: FloatArray | None = None

    def __post_init__(self) -> None:
        if self.pelvis_tilt_deg is None:
            object.__setattr__(self, "pelvis_tilt_deg", np.full(len(self.t_s), np.nan))

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def pelvis_deg(self) -> FloatArray:
        """:attr:`pelvis_tilt_deg`, never None."""
        if self.pelvis_tilt_deg is None:  # set in __post_init__
            return np.full(len(self.t_s), np.nan)
        return self.pelvis_tilt_deg

    @staticmethod
    def empty() -> AngleBlock:
        return AngleBlock(
            np.empty(0),
            np.empty(0),
            np.empty(0),
            np.empty(0, np.int8),
            np.empty(0, np.int8),
            np.empty(0),
        )

    @staticmethod
    def concat(blocks: list[AngleBlock]) -> AngleBlock:
        if not blocks:
            return AngleBlock.empty()
        return AngleBlock(
            np.concatenate([b.t_s for b in blocks]),
            np.concatenate([b.lumbopelvic_deg for b in blocks]),
            np.concatenate([b.depth_cm for b in blocks]),
            np.concatenate([b.phase for b in blocks]),
            np.concatenate([b.zone for b in blocks]),
            np.concatenate([b.pelvis_deg for b in blocks]),
        )


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one call to the pipeline produced."""

    angles: AngleBlock
    events: tuple[Event, ...] = field(default=())
