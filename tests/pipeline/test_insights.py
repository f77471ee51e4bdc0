"""Coach notes from reps: sets, late winks (fatigue), winks from rep 1 (mobility), depth."""

from __future__ import annotations

from dataclasses import replace

from winkmon.pipeline.events import Rep, Verdict
from winkmon.pipeline.insights import session_insights, split_sets, wink_free_depth_cm


def _rep(
    n: int,
    start: float,
    verdict: Verdict,
    depth: float = 40.0,
    onset: float | None = None,
    phase: str = "bottom",
    set_angle: float = -10.0,
) -> Rep:
    return Rep(
        n,
        start,
        start + 1.0,
        start + 2.5,
        depth,
        set_angle,
        5.0 if verdict is Verdict.FLEXION else -8.0,
        start + 1.0,
        verdict,
        start + 0.9 if onset is not None else None,
        onset,
        phase,
    )


OK, LOST, FLEX = Verdict.OK, Verdict.EXTENSION_LOST, Verdict.FLEXION


def test_reps_far_apart_are_different_sets() -> None:
    reps = [_rep(1, 0, OK), _rep(2, 3, OK), _rep(3, 60, OK), _rep(4, 63, OK)]
    assert [[r.number for r in s] for s in split_sets(reps)] == [[1, 2], [3, 4]]


def test_late_winks_point_to_fatigue_and_early_ones_to_mobility() -> None:
    late = [_rep(i + 1, 3.0 * i, FLEX if i >= 3 else OK, onset=35.0) for i in range(5)]
    notes = " ".join(session_insights(late)[0].notes)
    assert "2 of 5 reps: 4, 5" in notes and "fatigue" in notes and "35 cm" in notes
    early = [_rep(i + 1, 3.0 * i, FLEX, onset=30.0 + i) for i in range(4)]
    notes = " ".join(session_insights(early)[0].notes)
    assert "first rep" in notes and "heels raised" in notes and "only comes late" not in notes


def test_clean_and_extension_lost_sets_and_wink_free_depth() -> None:
    clean = session_insights([_rep(1, 0, OK), _rep(2, 3, OK)])[0].notes
    assert clean == ("2 reps, depth 40 cm, 2.5 s a rep", "all 2 reps stayed extended")
    lost = " ".join(session_insights([_rep(1, 0, OK), _rep(2, 3, LOST)])[0].notes)
    assert "extension lost" in lost and "butt wink" not in lost
    reps = [_rep(1, 0, OK, depth=38), _rep(2, 3, OK, depth=42), _rep(3, 6, FLEX, depth=50)]
    assert wink_free_depth_cm(reps) == 42
    assert wink_free_depth_cm(reps[:2]) is None


def test_large_set_up_arch_is_named_only_with_winks() -> None:
    arch = [_rep(1, 0, FLEX, set_angle=-20.0, onset=30.0), _rep(2, 3, OK, set_angle=-19.0)]
    assert any("set-up arch" in n for n in session_insights(arch)[0].notes)
    calm = [_rep(1, 0, OK, set_angle=-20.0)]
    assert not any("arch" in n for n in session_insights(calm)[0].notes)


def test_depth_and_tempo_notes_need_no_angle() -> None:
    """One sensor or no calibration: the notes speak of depth and tempo, never of the back."""
    una = Verdict.UNAVAILABLE
    reps = [_rep(i + 1, 3.0 * i, una, depth=50.0 if i < 4 else 40.0) for i in range(10)]
    notes = session_insights(reps)[0].notes
    text = " ".join(notes)
    assert notes[0].startswith("10 reps, depth 40-50 cm")
    assert "shallower than the first" in text
    assert "extended" not in text and "wink" not in text
    steady = [_rep(i + 1, 3.0 * i, una) for i in range(10)]
    assert session_insights(steady)[0].notes == ("10 reps, depth 40 cm, 2.5 s a rep",)


def test_pelvis_tuck_is_a_one_sensor_hint_only() -> None:
    """Without the angle, reps whose pelvis tucked under at the bottom are named as a hint;
    with the angle, the verdicts speak and the hint is not repeated."""
    una = Verdict.UNAVAILABLE
    reps = [
        replace(_rep(i + 1, 3.0 * i, una), pelvis_tuck_deg=12.0 if i >= 3 else 1.0)
        for i in range(5)
    ]
    text = " ".join(session_insights(reps)[0].notes)
    assert "tucked under at the bottom in 2 of 5 reps (4, 5)" in text
    judged = [replace(r, verdict=OK) for r in reps]
    assert "tucked" not in " ".join(session_insights(judged)[0].notes)
