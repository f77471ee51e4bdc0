"""'What to work on' from a session's reps."""

from __future__ import annotations

from winkmon.pipeline.events import Rep, Verdict
from winkmon.reports.advice import what_to_work_on


def _rep(n: int, t: float, verdict: Verdict, *, phase: str = "bottom", arch: float = -8.0) -> Rep:
    flex = verdict is Verdict.FLEXION
    return Rep(
        number=n,
        start_s=t,
        bottom_s=t + 1.2,
        end_s=t + 2.5,
        depth_cm=40.0 + n,
        set_angle_deg=arch,
        peak_flexion_deg=5.0 if flex else -6.0,
        peak_s=t + 1.2,
        verdict=verdict,
        flexion_onset_s=t + 1.0 if flex else None,
        flexion_onset_depth_cm=33.0 if flex else None,
        peak_phase=phase,
    )


def _set(start_n: int, t0: float, verdicts: list[Verdict], **kw: object) -> list[Rep]:
    return [_rep(start_n + i, t0 + 4 * i, v, **kw) for i, v in enumerate(verdicts)]  # type: ignore[arg-type]


OK, FLEX, LOST = Verdict.OK, Verdict.FLEXION, Verdict.EXTENSION_LOST


def test_wink_from_the_first_rep_points_to_mobility_and_stance() -> None:
    reps = _set(1, 0.0, [FLEX, FLEX, OK, FLEX]) + _set(5, 100.0, [OK, OK, OK, OK])
    topics = [a.topic for a in what_to_work_on(reps)]
    assert topics[0] == "mobility"
    assert "fatigue" not in topics
    assert "brace" in topics  # peaks at the bottom
    assert "depth" in topics  # some reps clean, some not
    assert "heels raised" in what_to_work_on(reps)[0].detail


def test_late_wink_points_to_fatigue_and_large_arch_is_named() -> None:
    reps = _set(1, 0.0, [OK, OK, OK, FLEX, FLEX], phase="descent", arch=-20.0)
    topics = [a.topic for a in what_to_work_on(reps)]
    assert topics[:1] == ["fatigue"]
    assert "descent" in topics and "arch" in topics and "mobility" not in topics


def test_clean_session_and_loss_only() -> None:
    assert [a.topic for a in what_to_work_on(_set(1, 0.0, [OK] * 5))] == ["keep"]
    assert [a.topic for a in what_to_work_on(_set(1, 0.0, [OK, LOST, LOST]))] == ["control"]
    assert what_to_work_on(_set(1, 0.0, [Verdict.UNAVAILABLE] * 3)) == []


def test_the_pattern_in_more_sets_comes_first() -> None:
    early = _set(1, 0.0, [FLEX, OK, OK, OK])
    late = _set(5, 100.0, [OK, OK, FLEX, FLEX]) + _set(9, 200.0, [OK, OK, OK, FLEX])
    assert [a.topic for a in what_to_work_on(early + late)][:2] == ["fatigue", "mobility"]
    assert [a.topic for a in what_to_work_on(early + _set(5, 100.0, [FLEX, OK]))][:1] == [
        "mobility"
    ]
