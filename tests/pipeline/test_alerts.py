"""The alert rules of the squat tracker, stage by stage: dwell, one alert per level per rep,
the depth gate, and the zones' hysteresis.

One clean 40 cm rep (2 s down, 1 s at the bottom, 2 s up) is written down as the pelvis's
height and differentiated into the vertical acceleration the tracker sees; the angle is drawn
by hand around it.
"""

from __future__ import annotations

import numpy as np

from winkmon.pipeline.events import Alert, AlertLevel, Rep, Zone
from winkmon.pipeline.model import Thresholds
from winkmon.pipeline.squat import SquatTracker

RATE = 100.0
LEAD_S, DOWN_S, PAUSE_S, UP_S, TAIL_S = 3.0, 2.0, 1.0, 2.0, 3.0
BOTTOM = (LEAD_S + DOWN_S, LEAD_S + DOWN_S + PAUSE_S)  # the bottom pause, s


def one_rep(depth_m: float = 0.4) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Time, vertical acceleration, gyro norm and sacrum up axis of one rep."""
    n = [round(x * RATE) for x in (LEAD_S, DOWN_S, PAUSE_S, UP_S, TAIL_S)]
    down = 0.5 * depth_m * (1 - np.cos(np.pi * np.arange(n[1]) / n[1]))
    up = depth_m - 0.5 * depth_m * (1 - np.cos(np.pi * np.arange(n[3]) / n[3]))
    z = np.concatenate([np.zeros(n[0]), -down, np.full(n[2], -depth_m), -up, np.zeros(n[4])])
    t = np.arange(len(z)) / RATE
    a = np.gradient(np.gradient(z, 1 / RATE), 1 / RATE)
    gyr = np.where(np.abs(np.gradient(z, 1 / RATE)) > 0.01, 0.5, 0.02)
    tilt = np.radians(-z * 60.0)
    up_axis = np.stack([np.sin(tilt), np.zeros_like(tilt), np.cos(tilt)], axis=1)
    return t, a, gyr, up_axis


def run(angle: np.ndarray, depth_m: float = 0.4, th: Thresholds | None = None):  # type: ignore[no-untyped-def]
    t, a, gyr, up = one_rep(depth_m)
    tracker = SquatTracker(th or Thresholds(), RATE)
    _, _, zone, events = tracker.step(t, angle, a, gyr, None, up)
    return zone, events


def extended(t: np.ndarray, set_deg: float = -10.0) -> np.ndarray:
    return np.full(len(t), set_deg)


def alerts(events: list[object], level: AlertLevel) -> list[Alert]:
    return [e for e in events if isinstance(e, Alert) and e.level is level]


def test_a_wink_at_the_bottom_gives_one_flexion_alert_and_a_flexion_rep() -> None:
    t, *_ = one_rep()
    angle = extended(t)
    bottom = (t >= BOTTOM[0]) & (t < BOTTOM[1])
    angle[bottom] = 6.0  # well past neutral, for the whole pause
    _, events = run(angle)
    (flex,) = alerts(events, AlertLevel.FLEXION)
    assert BOTTOM[0] <= flex.t_s <= BOTTOM[0] + 0.1
    (rep,) = [e for e in events if isinstance(e, Rep)]
    assert rep.verdict.value == "flexion" and flex.rep_number == rep.number


def test_a_spike_shorter_than_the_dwell_does_not_alert() -> None:
    th = Thresholds(dwell_s=0.06)
    t, *_ = one_rep()
    angle = extended(t)
    k = int(np.searchsorted(t, BOTTOM[0] + 0.3))
    angle[k : k + 4] = 6.0  # 40 ms past the threshold: shorter than the 60 ms dwell
    _, events = run(angle, th=th)
    assert not alerts(events, AlertLevel.FLEXION)
    (rep,) = [e for e in events if isinstance(e, Rep)]
    assert rep.verdict.value != "flexion"
    angle[k : k + 8] = 6.0  # 80 ms: longer than the dwell
    _, events = run(angle, th=th)
    assert len(alerts(events, AlertLevel.FLEXION)) == 1


def test_one_alert_per_level_per_rep_however_often_the_angle_crosses() -> None:
    t, *_ = one_rep()
    angle = extended(t)
    # During the descent, extension is lost (set -10, up to -3: 7 deg > loss 5) three times ...
    for start in (3.6, 4.0, 4.4):
        angle[(t >= start) & (t < start + 0.2)] = -3.0
    # ... and at the bottom the back goes into flexion three times.
    for start in (5.1, 5.4, 5.7):
        angle[(t >= start) & (t < start + 0.2)] = 5.0
    _, events = run(angle)
    assert len(alerts(events, AlertLevel.EXTENSION_LOST)) == 1
    assert len(alerts(events, AlertLevel.FLEXION)) == 1


def test_no_alert_before_the_pelvis_is_min_depth_down() -> None:
    t, *_ = one_rep(depth_m=0.12)  # a 12 cm bob: not a rep (min depth 20 cm)
    angle = extended(t)
    angle[(t >= BOTTOM[0]) & (t < BOTTOM[1])] = 8.0
    _, events = run(angle, depth_m=0.12)
    assert not [e for e in events if isinstance(e, Alert | Rep)]


def test_zones_have_hysteresis_and_do_not_flicker_at_a_threshold() -> None:
    th = Thresholds(flexion_deg=2.0, hysteresis_deg=0.5)
    t, *_ = one_rep()
    angle = extended(t)
    k = int(np.searchsorted(t, BOTTOM[0]))
    # Into flexion, then hovering just under the threshold (inside the hysteresis band) ...
    angle[k : k + 20] = 2.5
    angle[k + 20 : k + 60] = np.where(np.arange(40) % 2, 1.9, 2.1)
    # ... then clearly out of it.
    angle[k + 60 : k + 80] = 1.0
    zone, _ = run(angle, th=th)
    flexion = int(Zone.FLEXION)
    assert (zone[k + 10 : k + 60] == flexion).all()  # no flicker between 1.9 and 2.1
    assert (zone[k + 70 : k + 80] != flexion).all()


def test_thresholds_are_numbers_not_flags() -> None:
    import pytest

    from winkmon.errors import InputError

    with pytest.raises(InputError, match="not flags"):
        Thresholds(loss_deg=True)
    with pytest.raises(InputError, match="not flags"):
        Thresholds(flexion_deg="2")  # type: ignore[arg-type]
