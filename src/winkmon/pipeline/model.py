"""The athlete model the pipeline needs: sensor mounts and thresholds.

Segment frames (both pelvis and lumbar) at the athlete's calibrated neutral standing posture:
``x`` anterior, ``y`` left (the medio-lateral axis), ``z`` up. A sensor's *mount* is the
rotation matrix whose columns are the segment's ``x, y, z`` axes written in the sensor frame
(calibration finds it: gravity during quiet standing gives ``z``, the axis of the forward bends
gives ``y``).

The lumbopelvic angle is ``incl(lumbar) - incl(pelvis)``, where a segment's sagittal
inclination ``incl = atan2(-u_x, u_z)`` and ``u`` is the earth's up axis in that segment's
frame: the forward tilt of the segment about its own medio-lateral axis. Positive is flexion,
negative extension, 0 the calibrated neutral (both segments' ``z`` is vertical then). Only the
direction of gravity enters, so the heading of the 6D filters — which drifts — cannot move the
angle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from winkmon.errors import InputError
from winkmon.protocol.constants import Role

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """An athlete's alert thresholds, all relative to their calibrated neutral."""

    #: Flexion (safety) when the angle passes neutral into flexion by more than this, degrees.
    flexion_deg: float = 2.0
    #: Extension lost (performance) when the angle rises more than this above the rep's set
    #: angle while still on the extension side, degrees.
    loss_deg: float = 5.0
    #: A squat rep needs at least this much vertical pelvis travel, centimetres.
    min_depth_cm: float = 20.0
    #: The angle must stay past a threshold this long before an alert fires, seconds.
    dwell_s: float = 0.06
    #: Hysteresis of the zone colours, degrees.
    hysteresis_deg: float = 0.5

    def __post_init__(self) -> None:
        values = (
            self.flexion_deg,
            self.loss_deg,
            self.min_depth_cm,
            self.dwell_s,
            self.hysteresis_deg,
        )
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in values):
            raise InputError("thresholds are numbers (degrees, centimetres, seconds), not flags")
        if not (0 <= self.flexion_deg <= 30 and 0 < self.loss_deg <= 45):
            raise InputError("flexion_deg must be in [0, 30] and loss_deg in (0, 45] degrees")
        if not 5 <= self.min_depth_cm <= 100:
            raise InputError("min_depth_cm must be in [5, 100] cm")
        if not 0 <= self.dwell_s <= 1 or not 0 <= self.hysteresis_deg <= 5:
            raise InputError("dwell_s must be in [0, 1] s and hysteresis_deg in [0, 5] degrees")

    def as_dict(self) -> dict[str, float]:
        return {
            "flexion_deg": self.flexion_deg,
            "loss_deg": self.loss_deg,
            "min_depth_cm": self.min_depth_cm,
            "dwell_s": self.dwell_s,
            "hysteresis_deg": self.hysteresis_deg,
        }


@dataclass(frozen=True, slots=True, eq=False)
class Mount:
    """Where a sensor sits on its segment: columns = segment x, y, z in sensor coordinates."""

    matrix: FloatArray = field(default_factory=lambda: np.eye(3))

    def __post_init__(self) -> None:
        m = np.asarray(self.matrix, dtype=np.float64)
        if m.shape != (3, 3) or not np.allclose(m.T @ m, np.eye(3), atol=1e-6):
            raise InputError("a mount must be a 3x3 rotation matrix")
        if np.linalg.det(m) < 0:
            raise InputError("a mount must be a proper rotation (det +1)")
        object.__setattr__(self, "matrix", m)

    def inclination_deg(self, up_sensor: FloatArray) -> FloatArray:
        """Sagittal inclination (deg) of the segment, from the up axis in sensor coordinates."""
        # Up in segment coordinates (its x and z), written out element-wise: a matrix product
        # goes to BLAS, which may round a sample by its place in the block (live and replay
        # must agree) and, on long blocks, wakes threads that then spin.
        up = np.asarray(up_sensor, dtype=np.float64)
        x, y, z = up[..., 0], up[..., 1], up[..., 2]
        (m00, _, m02), (m10, _, m12), (m20, _, m22) = self.matrix.tolist()
        u_x = x * m00 + y * m10 + z * m20
        u_z = x * m02 + y * m12 + z * m22
        return np.degrees(np.arctan2(-u_x, u_z))

    def as_list(self) -> list[list[float]]:
        return [[float(v) for v in row] for row in self.matrix]


@dataclass(frozen=True, slots=True)
class AthleteModel:
    """What the pipeline needs of an athlete: mounts per role and thresholds.

    A role without a mount is not calibrated: its sensor still gives reps and depth (the
    vertical acceleration needs no mount), but no segment inclination. The lumbopelvic angle,
    and with it every verdict and alert, needs both mounts (:attr:`has_angle`).
    """

    mounts: dict[Role, Mount]
    thresholds: Thresholds = Thresholds()
    name: str = "athlete"

    def __post_init__(self) -> None:
        unknown = set(self.mounts) - {Role.SACRUM, Role.LUMBAR}
        if unknown:
            names = ", ".join(str(r) for r in unknown)
            raise InputError(f"athlete model has mounts for unknown roles: {names}")

    @classmethod
    def uncalibrated(cls, thresholds: Thresholds | None = None) -> AthleteModel:
        """No calibration at all: reps, depth and tempo only."""
        return cls({}, thresholds or Thresholds(), name="uncalibrated")

    @property
    def has_angle(self) -> bool:
        """Both segments calibrated: the lumbopelvic angle can be computed."""
        return Role.SACRUM in self.mounts and Role.LUMBAR in self.mounts
