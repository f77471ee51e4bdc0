"""Calibration limits and shared names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from winkmon.orientation import DEFAULT_METHOD
from winkmon.protocol.constants import Role

FloatArray = npt.NDArray[np.float64]


BoolArray = npt.NDArray[np.bool_]


_ROLE_NAMES = {Role.SACRUM: "sacrum", Role.LUMBAR: "lumbar (L1)"}


#: What to do when the axes are not good enough, in a coach's words (no blame).
ADVICE = (
    "do two slow forward bends as if reaching for your shins, standing up fully in between, or "
    "simply start squatting: the first squats refine it"
)


@dataclass(frozen=True, slots=True)
class CalibrationParams:
    """Limits of the calibration checks and the window search. Units in the field names."""

    #: A static window given by the user must last at least this long, s.
    min_static_s: float = 1.0
    #: A functional window given by the user must last at least this long, s.
    min_functional_s: float = 2.0
    #: Stillness: gyroscope RMS about its mean in the static window at most this, deg/s.
    still_gyro_rms_deg_s: float = 5.0
    #: Stillness: accelerometer standard deviation (norm over axes) at most this, m/s^2.
    still_acc_std_m_s2: float = 0.35
    #: Stillness: the gravity direction may move at most this between the two halves, deg.
    still_drift_deg: float = 3.0
    #: A bend is found when the most-turning sensor (the lumbar one) tilts at least this, deg.
    min_bend_deg: float = 15.0
    #: With the sacrum sensor only, a bend is found when it tilts at least this, deg.
    sacrum_only_bend_deg: float = 6.0
    #: A sensor must tilt at least this in a bend for that bend to tell its axis, deg.
    min_sensor_bend_deg: float = 3.0
    #: Bends needed (the tilt must come back below half the detection threshold between).
    min_bends: int = 1
    #: The automatic search takes a stand followed by at least this many bends (one bend
    #: after a stand is as likely a pick-up, with its twist, as a calibration).
    auto_min_bends: int = 2
    #: Prior: sideways turn of a sensor's face on the skin, 1 sigma, deg.
    face_roll_deg: float = 12.0
    #: Sideways movement (side bend, roll) that goes with a forward bend, 1 sigma, deg.
    bend_side_deg: float = 2.0
    #: Refuse when the lumbopelvic error at 30 deg of flexion would exceed this, deg.
    max_angle_error_deg: float = 1.0
    #: Twisting: RMS rotation rate about the vertical over that about horizontal axes.
    max_twist_ratio: float = 1.0
    #: Bends disagreeing by more than this many sigma (and ``min_outlier_deg``) are refused.
    outlier_sigma: float = 3.0
    #: ... and by more than this, deg.
    min_outlier_deg: float = 25.0
    #: Bends more than this from the prior are sideways, not forward: refused, deg.
    max_prior_offset_deg: float = 60.0
    #: Sensors swapped when the sacrum sensor's bend exceeds the lumbar's by more than this, deg.
    swap_margin_deg: float = 5.0
    #: A movement whose pelvis goes down at least this is a squat, not a calibration bend, cm.
    squat_drop_cm: float = 15.0
    #: Squats: a descent is found when the most-turning sensor tilts at least this, deg.
    squat_bend_deg: float = 10.0
    #: Squats: upright moments are within this of the upright direction, deg.
    upright_tilt_deg: float = 6.0
    #: Squats: upright moments turn at most this on average (0.5 s mean gyro norm), deg/s.
    upright_gyro_deg_s: float = 15.0
    #: Squats: the filter's up direction over the upright moments spreads at most this, deg RMS.
    upright_spread_deg: float = 3.0
    #: Squats: the upright moments must add up to at least this, s.
    min_upright_s: float = 1.0
    #: Squats: a stored profile's vertical is used when within this of the upright one, deg.
    profile_neutral_max_deg: float = 25.0
    #: Squats: analyse at most this much of the recording from its start, s.
    squat_search_s: float = 300.0
    #: Automatic search: a still stretch must last at least this long, s.
    auto_static_s: float = 2.5
    #: Automatic search: use at most the last this many seconds of the still stretch, s.
    max_static_s: float = 4.0
    #: Automatic search: seconds trimmed off both ends of the still stretch.
    edge_s: float = 0.3
    #: Automatic search: the first bend must start within this after the still stretch, s.
    bend_search_s: float = 15.0
    #: Automatic search: gyroscope norm (0.5 s mean) below this counts as still, rad/s.
    auto_still_gyro_rad_s: float = 0.12
    #: Automatic search: accelerometer spread (0.5 s) below this counts as still, m/s^2.
    auto_still_acc_m_s2: float = 0.3
    #: Orientation filter (see :mod:`winkmon.orientation`).
    method: str = DEFAULT_METHOD
