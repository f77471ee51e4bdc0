"""One rounding rule for depths: every view shows the figure the JSON report implies."""

from __future__ import annotations

import pytest

from winkmon.numbers import cm_text, plural, whole_cm


@pytest.mark.parametrize("raw", [35.46, 35.5, 35.54, 34.45, 34.449, 41.95, 0.04])
def test_a_depth_rounds_the_same_from_the_raw_and_the_stored_figure(raw: float) -> None:
    stored = round(raw, 1)  # what report JSON and the recording's events keep
    assert whole_cm(raw) == whole_cm(stored)


def test_half_centimetres_round_up_and_text() -> None:
    assert [whole_cm(x) for x in (35.46, 34.5, 34.44, 36.5)] == [36, 35, 34, 37]
    assert cm_text(35.46) == "36 cm" and cm_text(None) == "—" and cm_text(float("nan")) == "—"
    assert plural(1, "rep") == "1 rep" and plural(2, "rep") == "2 reps"
