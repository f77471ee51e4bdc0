"""Athlete profiles: one athlete's calibrated sensor mounts, thresholds and calibration record.

A profile is what :mod:`winkmon.calibration` produces and what every consumer (live session,
report, replay) needs to turn two sensors' orientations into the lumbopelvic angle:
:meth:`AthleteProfile.model` gives the pipeline's :class:`~winkmon.pipeline.model.AthleteModel`.

Profiles are JSON files, one per athlete, in a directory chosen by
:func:`resolve_profiles_dir` (``--profiles DIR`` > ``$WINKMON_PROFILES`` > the per-user data
directory). Use them through :class:`ProfileStore`::

    profile = ProfileStore(resolve_profiles_dir(args.profiles)).load("alex")
    model = profile.model()

JSON layout (``schema_version`` 2; version 1 files still load)::

    {
      "schema_version": 2,
      "kind": "winkmon.athlete_profile",
      "name": "alex",
      "created_utc": "2025-01-01T10:00:00Z",
      "thresholds": {"flexion_deg": 2.0, "loss_deg": 5.0, ...},
      "sensors": {
        "sacrum": {"address": "C0:...", "mount": [[...], [...], [...]],
                   "neutral": {...}, "quality": {...}},
        "lumbar": {...}          (absent in a sacrum-only profile)
      },
      "calibration": {"static_s": [A, B], "functional_s": [C, D], "automatic": true,
                      "static_angle_deg": 0.0, "bend_margin_deg": 31.0,
                      "method": "vqf", "source": "session.winkmon",
                      "motion_source": "bends", "neutral_source": "stand",
                      "angle_error_deg": 0.3, "lumbopelvic_available": true},
      "revision": 2,
      "history": [{"revision": 1, "created_utc": ..., "reason": ..., "changes": ...,
                   "sensors": {...}, "calibration": {...}}]
    }

Version 2 added, per sensor's ``quality``: ``axis_uncertainty_deg`` (1-sigma uncertainty of the
medio-lateral axis), ``angle_error_deg`` (what that does to the segment's inclination at 30 deg
of flexion with 3 deg of side bend) and ``facing_in``; in ``calibration``: where the motion and
the neutral came from, the lumbopelvic error at 30 deg and whether the lumbopelvic angle is
available at all (``false`` for a sacrum-only profile, which has no ``lumbar`` sensor); and
the profile's ``revision`` with the ``history`` of earlier calibrations
(:meth:`AthleteProfile.updated`).
Version 1 files read with these fields unknown (``None``) or at their defaults.

Readers refuse a newer ``schema_version`` (:class:`~winkmon.errors.ProfileError` naming the
file) instead of guessing; unknown extra keys are ignored so that older readers keep working
with additive changes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from winkmon import profile_schema as ps
from winkmon.errors import ProfileError, WinkmonError
from winkmon.pipeline.model import AthleteModel, Mount, Thresholds
from winkmon.protocol.constants import Role

SCHEMA_VERSION = 2
_NUMBER_LIST = re.compile(r"\[\s*-?[\d.eE+-]+(?:,\s*-?[\d.eE+-]+)*\s*\]")
KIND = "winkmon.athlete_profile"
ENV_VAR = "WINKMON_PROFILES"
ROLES: tuple[Role, Role] = (Role.SACRUM, Role.LUMBAR)


def _one_line(m: re.Match[str]) -> str:
    return re.sub(r"\s+", " ", m.group(0)).replace("[ ", "[").replace(" ]", "]")


def _round_or_none(v: float | None, digits: int) -> float | None:
    return None if v is None else round(float(v), digits)


def utc_now_iso() -> str:
    """The current UTC time as ISO 8601 with a ``Z`` suffix, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of a recording, in seconds on the session time base."""

    start_s: float
    end_s: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start_s) and math.isfinite(self.end_s)):
            raise ValueError("window bounds must be finite numbers of seconds")
        if self.end_s <= self.start_s:
            raise ValueError(
                f"window end ({self.end_s:g} s) must be after its start ({self.start_s:g} s)"
            )

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @classmethod
    def parse(cls, text: str) -> Window:
        """``"A:B"`` in seconds, e.g. ``"2.5:5.5"``; raises ``ValueError`` with the reason."""
        parts = text.split(":")
        if len(parts) != 2:
            raise ValueError(f"expected START:END in seconds, e.g. 2.5:5.5; got {text!r}")
        try:
            a, b = float(parts[0]), float(parts[1])
        except ValueError:
            raise ValueError(f"expected START:END in seconds, e.g. 2.5:5.5; got {text!r}") from None
        return cls(a, b)

    def as_list(self) -> list[float]:
        return [round(self.start_s, 3), round(self.end_s, 3)]

    def __str__(self) -> str:
        return f"{self.start_s:.2f}-{self.end_s:.2f} s"


@dataclass(frozen=True, slots=True)
class SensorNeutral:
    """One sensor in the athlete's calibrated neutral standing posture."""

    #: The earth's up axis in sensor coordinates while standing tall (the segment's ``z``).
    up_sensor: tuple[float, float, float]
    #: How far the sensor's face is turned upward from vertical, degrees: 0 on an upright
    #: back, typically 20-40 on the sacrum; negative when it faces downward.
    face_tilt_deg: float
    #: Which way is up on the sensor's face, degrees from the sensor's +y axis towards +x.
    rotation_on_skin_deg: float
    #: How far the sensor is turned sideways: the angle of the sensor's z axis out of the
    #: segment's sagittal plane, degrees (0 when it faces straight back, > 0 towards the left).
    side_tilt_deg: float
    #: The segment's sagittal inclination in the static window with the calibrated mount,
    #: degrees (0 by construction, up to the filter's noise).
    inclination_deg: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "up_sensor": [round(float(v), 6) for v in self.up_sensor],
            "face_tilt_deg": round(self.face_tilt_deg, 3),
            "rotation_on_skin_deg": round(self.rotation_on_skin_deg, 3),
            "side_tilt_deg": round(self.side_tilt_deg, 3),
            "inclination_deg": round(self.inclination_deg, 3),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], at: str = "neutral") -> SensorNeutral:
        """Parse and check (see :mod:`winkmon.profile_schema`); ValueError names the field."""
        d = ps.as_mapping(d, at)
        up = ps.vector(d.get("up_sensor"), f"{at}.up_sensor", 3, lo=-1.5, hi=1.5)
        norm = math.sqrt(sum(v * v for v in up))
        if not 0.5 <= norm <= 1.5:
            raise ValueError(f"{at}.up_sensor must be a unit vector (its length is {norm:.3g})")
        return cls(
            up_sensor=(up[0], up[1], up[2]),
            face_tilt_deg=ps.number(d, "face_tilt_deg", lo=-360, hi=360, at=at),
            rotation_on_skin_deg=ps.number(d, "rotation_on_skin_deg", lo=-360, hi=360, at=at),
            side_tilt_deg=ps.number(d, "side_tilt_deg", lo=-360, hi=360, at=at),
            inclination_deg=ps.number(d, "inclination_deg", lo=-360, hi=360, at=at, default=0.0),
        )


@dataclass(frozen=True, slots=True)
class SensorQuality:
    """How good one sensor's calibration data were (see ``calibration/README.md``)."""

    #: Gyroscope RMS in the static window (bias removed), deg/s: body movement while standing.
    still_gyro_rms_deg_s: float
    #: Accelerometer standard deviation in the static window (norm over axes), m/s^2.
    still_acc_std_m_s2: float
    #: Peak forward inclination of the segment in the functional window, degrees.
    bend_amplitude_deg: float
    #: Peak inclination of each distinct forward bend found, degrees.
    bend_peaks_deg: tuple[float, ...]
    #: Second / first singular value of the gyroscope in the functional window: 0 when every
    #: rotation was about one axis, 1 when there was no dominant axis.
    axis_ratio: float
    #: Angle between the dominant rotation axis and the vertical, degrees (90 ideally).
    axis_up_angle_deg: float
    #: Angle between the axis from the gyroscope and the one from the tilt of gravity during
    #: the bends, degrees (small when both agree).
    axis_agreement_deg: float
    #: 1-sigma uncertainty of the medio-lateral axis (its heading about the vertical), degrees;
    #: None when unknown (profiles of schema version 1).
    axis_uncertainty_deg: float | None = None
    #: What that uncertainty does to the segment's inclination at 30 deg of flexion with 3 deg
    #: of side bend, degrees (see :func:`winkmon.calibration.angle_error_deg`); None if unknown.
    angle_error_deg: float | None = None
    #: True when the sensor's face points into the body (a clip or a pouch) instead of out.
    facing_in: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "still_gyro_rms_deg_s": round(self.still_gyro_rms_deg_s, 4),
            "still_acc_std_m_s2": round(self.still_acc_std_m_s2, 4),
            "bend_amplitude_deg": round(self.bend_amplitude_deg, 3),
            "bend_peaks_deg": [round(v, 3) for v in self.bend_peaks_deg],
            "axis_ratio": round(self.axis_ratio, 4),
            "axis_up_angle_deg": round(self.axis_up_angle_deg, 3),
            "axis_agreement_deg": round(self.axis_agreement_deg, 3),
            "axis_uncertainty_deg": _round_or_none(self.axis_uncertainty_deg, 3),
            "angle_error_deg": _round_or_none(self.angle_error_deg, 4),
            "facing_in": self.facing_in,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], at: str = "quality") -> SensorQuality:
        """Parse and check (see :mod:`winkmon.profile_schema`); ValueError names the field."""
        d = ps.as_mapping(d, at)
        peaks = ps.array(d.get("bend_peaks_deg"), f"{at}.bend_peaks_deg")
        return cls(
            still_gyro_rms_deg_s=ps.number(d, "still_gyro_rms_deg_s", lo=0, hi=1e4, at=at),
            still_acc_std_m_s2=ps.number(d, "still_acc_std_m_s2", lo=0, hi=1e3, at=at),
            bend_amplitude_deg=ps.number(d, "bend_amplitude_deg", lo=-360, hi=360, at=at),
            bend_peaks_deg=tuple(
                ps.as_number(v, f"{at}.bend_peaks_deg[{i}]", lo=-360, hi=360)
                for i, v in enumerate(peaks)
            ),
            axis_ratio=ps.number(d, "axis_ratio", lo=0, hi=100, at=at),
            axis_up_angle_deg=ps.number(d, "axis_up_angle_deg", lo=0, hi=180, at=at),
            axis_agreement_deg=ps.number(d, "axis_agreement_deg", lo=0, hi=180, at=at),
            axis_uncertainty_deg=ps.optional_number(d, "axis_uncertainty_deg", lo=0, hi=180, at=at),
            angle_error_deg=ps.optional_number(d, "angle_error_deg", lo=0, hi=360, at=at),
            facing_in=ps.boolean(d, "facing_in", default=False, at=at),
        )


@dataclass(frozen=True, slots=True)
class SensorCalibration:
    """Everything calibration found for one sensor."""

    mount: Mount
    neutral: SensorNeutral
    quality: SensorQuality
    address: str | None = None  #: the sensor's BLE address, if known
    #: the sensor's kind (``winkmon.drivers.KINDS``: ``polar-verity``, ...); None: winkmon
    driver: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = {
            "address": self.address,
            "mount": [[round(v, 9) for v in row] for row in self.mount.as_list()],
            "neutral": self.neutral.as_dict(),
            "quality": self.quality.as_dict(),
        }
        if self.driver is not None:
            d["driver"] = self.driver
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], at: str = "sensor") -> SensorCalibration:
        """Parse and check: the mount must be a proper rotation (orthonormal, det +1, within
        :data:`~winkmon.profile_schema.ROTATION_TOL`); it is then re-orthonormalised to undo
        the rounding of the stored matrix. ValueError names the field."""
        d = ps.as_mapping(d, at)
        if "mount" not in d:
            raise ValueError(f"missing field {at}.mount")
        m = ps.rotation(d["mount"], f"{at}.mount")
        return cls(
            mount=Mount(m),
            neutral=SensorNeutral.from_dict(ps.mapping(d, "neutral", at=at), f"{at}.neutral"),
            quality=SensorQuality.from_dict(ps.mapping(d, "quality", at=at), f"{at}.quality"),
            address=ps.text(d, "address", default=None, at=at, max_len=100),
            driver=ps.text(d, "driver", default=None, at=at, max_len=40),
        )


@dataclass(frozen=True, slots=True)
class CalibrationRecord:
    """How a profile was calibrated: windows, overall checks and where the data came from."""

    static: Window  #: the still standing window used, session seconds
    functional: Window  #: the forward-bend window used, session seconds
    automatic: bool = False  #: True when winkmon found the windows itself
    #: Mean lumbopelvic angle in the static window with the calibrated mounts, degrees
    #: (~0 by construction).
    static_angle_deg: float = 0.0
    #: Lumbar minus sacrum bend amplitude, degrees: positive when the roles are right.
    bend_margin_deg: float = 0.0
    method: str = "vqf"  #: orientation filter used
    source: str | None = None  #: the recording calibrated from
    #: What gave the medio-lateral axes: ``"bends"`` (calibration bends) or ``"squats"`` (the
    #: session's own squats).
    motion_source: str = "bends"
    #: What defines the neutral (0 deg): ``"stand"`` (a still stand), ``"profile"`` (the
    #: athlete's stored profile) or ``"upright"`` (the upright moments between reps).
    neutral_source: str = "stand"
    #: Lumbopelvic error at 30 deg of flexion from both axes' uncertainty, degrees; None if
    #: unknown (schema 1) or unavailable (one sensor).
    angle_error_deg: float | None = None
    #: False when only the sacrum sensor was calibrated: no lumbopelvic angle.
    lumbopelvic_available: bool = True
    #: Each sensor's axis uncertainty (role label -> degrees, 1 sigma), as in its quality; a
    #: copy here so that the report's ``calibration`` block carries it.
    axis_uncertainty_deg: dict[str, float | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "static_s": self.static.as_list(),
            "functional_s": self.functional.as_list(),
            "automatic": self.automatic,
            "static_angle_deg": round(self.static_angle_deg, 4),
            "bend_margin_deg": round(self.bend_margin_deg, 3),
            "method": self.method,
            "source": self.source,
            "motion_source": self.motion_source,
            "neutral_source": self.neutral_source,
            "angle_error_deg": _round_or_none(self.angle_error_deg, 4),
            "lumbopelvic_available": self.lumbopelvic_available,
            "axis_uncertainty_deg": {
                k: _round_or_none(v, 3) for k, v in self.axis_uncertainty_deg.items()
            },
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], at: str = "calibration") -> CalibrationRecord:
        """Parse and check (see :mod:`winkmon.profile_schema`); ValueError names the field."""
        d = ps.as_mapping(d, at)
        s = ps.vector(d.get("static_s"), f"{at}.static_s", 2, lo=-1e12, hi=1e12)
        f = ps.vector(d.get("functional_s"), f"{at}.functional_s", 2, lo=-1e12, hi=1e12)
        unc = ps.mapping(d, "axis_uncertainty_deg", at=at, default={})
        return cls(
            static=Window(s[0], s[1]),
            functional=Window(f[0], f[1]),
            automatic=ps.boolean(d, "automatic", default=False, at=at),
            static_angle_deg=ps.number(d, "static_angle_deg", lo=-360, hi=360, at=at, default=0.0),
            bend_margin_deg=ps.number(d, "bend_margin_deg", lo=-360, hi=360, at=at, default=0.0),
            method=ps.text(d, "method", default="vqf", at=at, max_len=40),
            source=ps.text(d, "source", default=None, at=at),
            motion_source=ps.text(d, "motion_source", default="bends", at=at, max_len=40),
            neutral_source=ps.text(d, "neutral_source", default="stand", at=at, max_len=40),
            angle_error_deg=ps.optional_number(d, "angle_error_deg", lo=0, hi=360, at=at),
            lumbopelvic_available=ps.boolean(d, "lumbopelvic_available", default=True, at=at),
            axis_uncertainty_deg={
                ps.text({"k": k}, "k", at=f"{at}.axis_uncertainty_deg", max_len=40): (
                    ps.optional_number(unc, k, lo=0, hi=180, at=f"{at}.axis_uncertainty_deg")
                )
                for k in list(unc)[:10]
            },
        )


@dataclass(frozen=True, slots=True)
class ProfileRevision:
    """An earlier calibration of a profile, kept when a newer one replaced it."""

    revision: int  #: 1 for the first calibration, counting up
    created_utc: str  #: when this calibration was made
    sensors: dict[Role, SensorCalibration]
    calibration: CalibrationRecord
    #: Why the calibration that replaced this one was made (e.g. "refined from squats").
    reason: str = ""
    #: What the replacement changed, in words (axes turned, uncertainty before and after).
    changes: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "created_utc": self.created_utc,
            "reason": self.reason,
            "changes": self.changes,
            "sensors": {r.label: c.as_dict() for r, c in _ordered(self.sensors)},
            "calibration": self.calibration.as_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], at: str = "history") -> ProfileRevision:
        """Parse and check (see :mod:`winkmon.profile_schema`); ValueError names the field."""
        d = ps.as_mapping(d, at)
        return cls(
            revision=int(ps.number(d, "revision", lo=1, hi=ps.MAX_LIST + 1, at=at)),
            created_utc=ps.text(d, "created_utc", default="", at=at, max_len=100),
            sensors=_sensors_from_dict(ps.mapping(d, "sensors", at=at), f"{at}.sensors"),
            calibration=CalibrationRecord.from_dict(
                ps.mapping(d, "calibration", at=at), f"{at}.calibration"
            ),
            reason=ps.text(d, "reason", default="", at=at),
            changes=ps.text(d, "changes", default="", at=at),
        )


def _sensors_from_dict(d: Mapping[str, Any], at: str) -> dict[Role, SensorCalibration]:
    sensors = {}
    for key, v in list(d.items())[:4]:
        role = Role.parse(ps.text({"k": key}, "k", at=at, max_len=20))
        if role in sensors:
            raise ValueError(f"{at}: sensor {role.label} appears twice")
        sensors[role] = SensorCalibration.from_dict(v, f"{at}.{role.label}")
    if len(d) > 4:
        raise ValueError(f"{at}: more sensors than a profile can hold")
    return sensors


def _ordered(sensors: Mapping[Role, SensorCalibration]) -> list[tuple[Role, SensorCalibration]]:
    return [(r, sensors[r]) for r in ROLES if r in sensors]


@dataclass(frozen=True, slots=True)
class AthleteProfile:
    """One athlete's calibrated sensors and thresholds (see the module docstring).

    ``sensors`` always holds the sacrum; a profile without the lumbar sensor is a *sacrum-only*
    profile (:attr:`lumbopelvic_available` is False): it gives the pelvis's tilt, reps and depth
    but no lumbopelvic angle.
    """

    name: str
    sensors: dict[Role, SensorCalibration]
    calibration: CalibrationRecord
    thresholds: Thresholds = field(default_factory=Thresholds)
    created_utc: str = field(default_factory=utc_now_iso)
    schema_version: int = SCHEMA_VERSION
    #: Earlier calibrations, oldest first (see :meth:`updated`).
    history: tuple[ProfileRevision, ...] = ()

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("an athlete profile needs a non-empty name")
        if Role.SACRUM not in self.sensors:
            raise ValueError("an athlete profile needs at least the sacrum sensor")
        unknown = [r.label for r in self.sensors if r not in ROLES]
        if unknown:
            raise ValueError(f"an athlete profile holds only sacrum and lumbar; got {unknown}")

    @property
    def revision(self) -> int:
        """The current calibration's number: 1 + the number of earlier ones kept."""
        return len(self.history) + 1

    @property
    def lumbopelvic_available(self) -> bool:
        """False for a sacrum-only profile: there is no lumbopelvic angle."""
        return Role.LUMBAR in self.sensors

    @property
    def mounts(self) -> dict[Role, Mount]:
        return {role: cal.mount for role, cal in self.sensors.items()}

    @property
    def addresses(self) -> dict[Role, str]:
        """BLE address per role, for the roles whose address is known."""
        return {r: c.address for r, c in self.sensors.items() if c.address is not None}

    def mounts_at(self, revision: int | None = None) -> dict[Role, Mount]:
        """The mounts of calibration ``revision`` (None: the current one)."""
        if revision is None or revision == self.revision:
            return self.mounts
        for h in self.history:
            if h.revision == revision:
                return {r: c.mount for r, c in h.sensors.items()}
        known = ", ".join(str(h.revision) for h in self.history) or "none"
        raise ProfileError(
            f"athlete {self.name!r} has no calibration revision {revision} (current "
            f"{self.revision}; earlier: {known})"
        )

    def model(self, revision: int | None = None) -> AthleteModel:
        """The pipeline's view of this athlete, with calibration ``revision`` (None: current).

        A sacrum-only profile gives a model with only the sacrum's mount: reps, depth and the
        pelvic tilt, without the lumbopelvic angle.
        """
        mounts = self.mounts_at(revision)
        return AthleteModel(mounts=mounts, thresholds=self.thresholds, name=self.name)

    def updated(self, newer: AthleteProfile, reason: str) -> AthleteProfile:
        """``newer``'s calibration as this profile's next revision, this one kept in history.

        Thresholds and addresses stay this profile's unless ``newer`` knows an address; the
        history entry says ``reason`` and what changed (each axis's turn and uncertainty).
        """
        old = ProfileRevision(
            revision=self.revision,
            created_utc=self.created_utc,
            sensors=dict(self.sensors),
            calibration=self.calibration,
            reason=reason,
            changes=describe_changes(self, newer),
        )
        sensors = {
            r: replace(
                c, address=c.address or (self.sensors[r].address if r in self.sensors else None)
            )
            for r, c in newer.sensors.items()
        }
        return replace(
            self,
            sensors=sensors,
            calibration=newer.calibration,
            created_utc=newer.created_utc,
            history=(*self.history, old),
            schema_version=SCHEMA_VERSION,
        )

    def with_thresholds(self, thresholds: Thresholds) -> AthleteProfile:
        return replace(self, thresholds=thresholds)

    def with_addresses(self, addresses: Mapping[Role, str | None]) -> AthleteProfile:
        sensors = {
            r: replace(c, address=addresses.get(r, c.address)) for r, c in self.sensors.items()
        }
        return replace(self, sensors=sensors)

    def with_drivers(self, drivers: Mapping[Role, str | None]) -> AthleteProfile:
        """The same profile with the kind (``winkmon.drivers.KINDS``; None: a winkmon sensor)
        of each sensor named in ``drivers``, which the live hub uses to drive it."""
        sensors = {r: replace(c, driver=drivers.get(r, c.driver)) for r, c in self.sensors.items()}
        return replace(self, sensors=sensors)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": KIND,
            "name": self.name,
            "created_utc": self.created_utc,
            "thresholds": self.thresholds.as_dict(),
            "sensors": {r.label: c.as_dict() for r, c in _ordered(self.sensors)},
            "calibration": self.calibration.as_dict(),
            "revision": self.revision,
            "history": [h.as_dict() for h in self.history],
        }

    def to_json(self) -> str:
        text = json.dumps(self.to_dict(), indent=2)
        # Keep short lists of numbers (matrix rows, vectors, windows) on one line.
        return _NUMBER_LIST.sub(_one_line, text) + "\n"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, origin: str = "profile") -> AthleteProfile:
        """Parse a profile document; ``origin`` (a file name) goes into error messages."""
        if not isinstance(d, Mapping):
            raise ProfileError(f"{origin}: not an athlete profile (expected a JSON object)")
        version = d.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ProfileError(f"{origin}: not an athlete profile (no schema_version)")
        if version > SCHEMA_VERSION or version < 1:
            raise ProfileError(
                f"{origin}: profile schema version {version} is not supported by this winkmon "
                f"(it reads version {SCHEMA_VERSION}); update winkmon or calibrate again"
            )
        try:
            name = ps.check_name(d.get("name"), "name")
            sensors = _sensors_from_dict(ps.mapping(d, "sensors"), "sensors")
            if version == 1:
                missing = [r.label for r in ROLES if r not in sensors]
                if missing:
                    raise ValueError(f"a version 1 profile needs both sensors; missing {missing}")
            thr = ps.mapping(d, "thresholds", default={})
            known = set(Thresholds().as_dict())
            thresholds = Thresholds(
                **{
                    k: ps.number(thr, k, lo=-1e6, hi=1e6, at="thresholds")
                    for k in known
                    if k in thr
                }
            )
            record = CalibrationRecord.from_dict(ps.mapping(d, "calibration"))
            if Role.LUMBAR not in sensors:
                record = replace(record, lumbopelvic_available=False)
            history = ps.array(d.get("history", []), "history")
            return cls(
                name=name,
                sensors=sensors,
                calibration=record,
                thresholds=thresholds,
                created_utc=ps.text(d, "created_utc", default="", max_len=100),
                schema_version=version,
                history=tuple(
                    ProfileRevision.from_dict(h, f"history[{i}]") for i, h in enumerate(history)
                ),
            )
        except ProfileError:
            raise
        except (
            KeyError,
            TypeError,
            ValueError,
            IndexError,
            AttributeError,
            OverflowError,
            RecursionError,
        ) as exc:
            what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ProfileError(f"{origin}: damaged athlete profile: {what}") from None

    @classmethod
    def from_json(cls, text: str, *, origin: str = "profile") -> AthleteProfile:
        """Parse a profile file's text (see :meth:`from_dict`); ProfileError on any problem."""
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProfileError(
                f"{origin}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
        except RecursionError:
            raise ProfileError(f"{origin}: not an athlete profile (nested too deeply)") from None
        except ValueError as exc:  # e.g. an integer of thousands of digits
            raise ProfileError(f"{origin}: not an athlete profile ({exc})") from None
        return cls.from_dict(doc, origin=origin)


# ---------------------------------------------------------------------- quality in words
_SENSOR_NAMES = {Role.SACRUM: "sacrum", Role.LUMBAR: "lumbar (L1)"}
_MOTION_WORDS = {"bends": "forward bends", "squats": "the session's squats"}
_NEUTRAL_WORDS = {
    "stand": "neutral from a still stand",
    "profile": "neutral from the athlete's stored profile",
    "upright": "neutral from the upright moments between reps (braced, so the angles read "
    "relative to the braced top, not to relaxed standing)",
}


def _axis_turn_deg(a: Mount, b: Mount) -> float:
    c = float(np.dot(a.matrix[:, 1], b.matrix[:, 1]))
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def describe_changes(old: AthleteProfile, new: AthleteProfile) -> str:
    """What a newer calibration changed, per sensor: axis turn and uncertainty, in words."""
    parts = []
    for r in ROLES:
        if r not in new.sensors and r in old.sensors:
            parts.append(f"{_SENSOR_NAMES[r]}: no longer calibrated")
            continue
        if r not in new.sensors:
            continue
        n = new.sensors[r]
        if r not in old.sensors:
            parts.append(f"{_SENSOR_NAMES[r]}: newly calibrated")
            continue
        o = old.sensors[r]
        turn = _axis_turn_deg(o.mount, n.mount)
        up = math.degrees(
            math.acos(
                max(-1.0, min(1.0, float(np.dot(o.mount.matrix[:, 2], n.mount.matrix[:, 2]))))
            )
        )
        text = f"{_SENSOR_NAMES[r]}: axis turned {turn:.1f}°, vertical moved {up:.1f}°"
        ou, nu = o.quality.axis_uncertainty_deg, n.quality.axis_uncertainty_deg
        if nu is not None:
            before = "unknown" if ou is None else f"±{ou:.1f}°"
            text += f", uncertainty {before} -> ±{nu:.1f}°"
        parts.append(text)
    return "; ".join(parts)


def calibration_quality_lines(profile: AthleteProfile) -> list[str]:
    """The calibration's quality for a coach, a few lines (``winkmon report`` prints them).

    Says what calibrated the axes and the neutral, each sensor's axis uncertainty and its
    effect at 30 deg of flexion, and whether the lumbopelvic angle is available.
    """
    rec = profile.calibration
    motion = _MOTION_WORDS.get(rec.motion_source, rec.motion_source)
    neutral = _NEUTRAL_WORDS.get(rec.neutral_source, rec.neutral_source)
    lines = [f"calibration {profile.revision}: axes from {motion}, {neutral}"]
    for r, sc in _ordered(profile.sensors):
        q = sc.quality
        face = "faces into the body" if q.facing_in else "faces out of the back"
        if q.axis_uncertainty_deg is None or q.angle_error_deg is None:
            lines.append(
                f"{_SENSOR_NAMES[r]}: axis uncertainty not recorded (older profile), {face}"
            )
        else:
            lines.append(
                f"{_SENSOR_NAMES[r]}: axis ±{q.axis_uncertainty_deg:.1f}°, up to "
                f"{q.angle_error_deg:.2f}° at 30° of flexion; {face}"
            )
    if not profile.lumbopelvic_available:
        lines.append(
            "lumbopelvic angle unavailable: only the sacrum sensor was calibrated (pelvic tilt, "
            "reps and depth only)"
        )
    elif rec.angle_error_deg is not None:
        lines.append(f"lumbopelvic angle: up to {rec.angle_error_deg:.2f}° at 30° of flexion")
    if profile.history:
        last = profile.history[-1]
        lines.append(f"updated from calibration {last.revision}: {last.reason} ({last.changes})")
    return lines


# ---------------------------------------------------------------------- thresholds on the CLI
_THRESHOLD_KEYS = {
    "flexion": "flexion_deg",
    "loss": "loss_deg",
    "depth": "min_depth_cm",
    "dwell": "dwell_s",
    "hysteresis": "hysteresis_deg",
}


def parse_thresholds(text: str, base: Thresholds | None = None) -> Thresholds:
    """``"flexion=2,loss=5"`` (also ``depth``, ``dwell``, ``hysteresis`` or full field names)
    applied on top of ``base``; raises :class:`ProfileError` with the reason."""
    values = (base or Thresholds()).as_dict()
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, sep, val = item.partition("=")
        key = key.strip().lower()
        name = _THRESHOLD_KEYS.get(key, key)
        if not sep or name not in values:
            keys = ", ".join(_THRESHOLD_KEYS)
            raise ProfileError(f"bad threshold {item!r}: use NAME=VALUE with NAME one of {keys}")
        try:
            values[name] = float(val)
        except ValueError:
            raise ProfileError(f"bad threshold {item!r}: {val.strip()!r} is not a number") from None
    try:
        return Thresholds(**values)
    except ValueError as exc:
        raise ProfileError(f"bad thresholds: {exc}") from None


# ---------------------------------------------------------------------- the store
def resolve_profiles_dir(arg: str | os.PathLike[str] | None = None) -> Path:
    """Where profiles live: ``arg`` (``--profiles``) > ``$WINKMON_PROFILES`` > per-user data.

    The per-user default is ``platformdirs.user_data_dir("winkmon") / "profiles"``. The
    directory is not created here (:meth:`ProfileStore.save` does that).
    """
    if arg:
        return Path(arg).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("winkmon")) / "profiles"


MAX_PROFILE_BYTES = 4 << 20  #: a profile file larger than this is refused unread
_HASH_CHARS = 10


def check_athlete_name(name: str) -> str:
    """``name`` as given if it can name an athlete; ProfileError otherwise.

    Any script is fine ("Мария", "山田", "Zoë"); refused are empty names, control characters
    and names longer than 100 characters.
    """
    try:
        return ps.check_name(name)
    except ValueError as exc:
        raise ProfileError(f"bad athlete name: {exc}") from None


def profile_file_name(name: str) -> str:
    """The file of athlete ``name``: a readable slug plus a hash of the exact name, ``.json``.

    The slug is the NFC-normalised, case-folded name with runs of anything but letters and
    digits (of any script) turned into ``-``, at most 40 characters; the hash is the first 10
    hex digits of SHA-256 of the exact name (UTF-8). Names are matched exactly: "Zoë" and
    "Zoé", or "Alex B" and "alex-b", are different athletes with different files.
    """
    check_athlete_name(name)
    folded = unicodedata.normalize("NFC", name).casefold()
    slug = re.sub(r"[\W_]+", "-", folded).strip("-")[:40].strip("-") or "athlete"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    return f"{slug}-{digest}.json"


def legacy_file_name(name: str) -> str | None:
    """The file name winkmon used before names were matched exactly (``[a-z0-9_-]`` slug),
    or None if that scheme gives none. Such files still load when their ``name`` is exactly
    the one asked for."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.strip().lower()).strip("-_")
    return slug[:80] + ".json" if slug else None


class ProfileStore:
    """Athlete profiles in one directory, one JSON file per athlete.

    Every file is untrusted: only regular files of at most :data:`MAX_PROFILE_BYTES` are read
    (a FIFO or a device is refused without blocking), and the document is checked against
    the schema before use (:mod:`winkmon.profile_schema`). Saving is atomic and never writes
    through a link (:mod:`winkmon.safe_io`).
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def path_for(self, name: str) -> Path:
        return self.directory / profile_file_name(name)

    def _legacy_path(self, name: str) -> Path | None:
        legacy = legacy_file_name(name)
        return None if legacy is None else self.directory / legacy

    def names(self) -> list[str]:
        """Athlete names with a readable profile here, sorted (damaged files are skipped)."""
        return [p.name for p in self.list()]

    def list(self) -> list[AthleteProfile]:
        """Every readable profile in the directory, sorted by name (one per exact name)."""
        found: dict[str, AthleteProfile] = {}
        if self.directory.is_dir():
            for path in sorted(self.directory.glob("*.json")):
                if path.name.startswith("."):
                    continue
                try:
                    prof = self._read(path)
                except ProfileError:
                    continue
                if prof.name not in found or path.name == profile_file_name(prof.name):
                    found[prof.name] = prof
        return sorted(found.values(), key=lambda p: (p.name.casefold(), p.name))

    def _find(self, name: str) -> Path | None:
        """The file holding athlete ``name`` exactly (current or legacy name), if any."""
        path = self.path_for(name)
        if path.exists() or path.is_symlink():
            return path
        legacy = self._legacy_path(name)
        if legacy is not None and legacy.exists() and self._read(legacy).name == name:
            return legacy
        return None

    def exists(self, name: str) -> bool:
        return self._find(name) is not None

    def load(self, name: str) -> AthleteProfile:
        """The profile of athlete ``name`` (matched exactly); ProfileError if missing or bad."""
        path = self._find(name)
        if path is None:
            known = ", ".join(self.names()) or "none"
            raise ProfileError(
                f"no profile for athlete {name!r} in {self.directory} (known: {known}); run "
                f"winkmon calibrate SESSION --athlete {_shell_word(name)} to make one"
            )
        profile = self._read(path)
        if profile.name != name:
            raise ProfileError(
                f"{path}: holds athlete {profile.name!r}, not {name!r}; rename or remove it"
            )
        return profile

    def save(self, profile: AthleteProfile) -> Path:
        """Write (or replace) the athlete's profile atomically; returns the file.

        The data go to an exclusive temporary file (never through a link) renamed onto the
        profile; a legacy-named file of the same athlete is removed afterwards.
        """
        from winkmon.safe_io import write_text

        path = self.path_for(profile.name)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_text(path, profile.to_json(), overwrite=True)
        except OSError as exc:
            raise ProfileError(f"cannot save the profile to {path}: {exc.strerror}") from None
        except WinkmonError as exc:
            raise ProfileError(f"cannot save the profile: {exc}") from None
        legacy = self._legacy_path(profile.name)
        if legacy is not None and legacy != path and legacy.is_file():
            try:
                same = self._read(legacy).name == profile.name
            except ProfileError:
                same = False
            if same:
                legacy.unlink(missing_ok=True)
        return path

    def delete(self, name: str) -> Path:
        path = self._find(name)
        if path is None:
            raise ProfileError(f"no profile for athlete {name!r} in {self.directory}")
        path.unlink()
        return path

    @staticmethod
    def _read(path: Path) -> AthleteProfile:
        from winkmon.safe_io import read_regular_file

        try:
            data = read_regular_file(path, MAX_PROFILE_BYTES, "profile")
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProfileError(
                f"{path}: cannot read the profile: not UTF-8 text ({exc.reason})"
            ) from None
        except ProfileError:
            raise
        except WinkmonError as exc:
            raise ProfileError(str(exc)) from None
        return AthleteProfile.from_json(text, origin=str(path))


def _shell_word(text: str) -> str:
    return text if re.fullmatch(r"[\w.@-]+", text) else "'" + text.replace("'", "'\\''") + "'"
