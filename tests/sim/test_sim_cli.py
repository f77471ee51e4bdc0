"""``winkmon simulate --style``: the training-style sessions as recordings."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from winkmon.cli import main
from winkmon.recording import Recording


@pytest.mark.parametrize("style", ["back-to-back", "training"])
def test_simulate_styles(tmp_path: Path, style: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"{style}.winkmon"
    assert (
        main(["simulate", "-o", str(out), "--style", style, "--seed", "3", "--minutes", "0.5"]) == 0
    )
    printed = capsys.readouterr().out
    with Recording.open(out) as rec:
        assert rec.meta.simulated
        assert rec.meta.source is not None
        truth = rec.meta.source["truth"]
    reps = truth["rep_list"]
    assert reps and all("set" in r for r in reps)
    first_set = [r for r in reps if r["set"] == 0]
    for a, b in itertools.pairwise(first_set):
        assert b["start_s"] == pytest.approx(a["end_s"], abs=0.002)  # back to back
    if style == "training":
        assert truth["static_s"] is None and "no calibration block" in printed
        assert reps[0]["start_s"] < 2.5
    else:
        assert truth["static_s"] is not None
