"""GUI tests run offscreen and silent (no display, no speaker needed)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("WINKMON_SOUND", "off")

from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


@pytest.fixture
def screenshot_dir() -> Path:
    """Where tests leave screenshots for people to look at (gitignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class FakeClock:
    """A clock tests move by hand: the window and the sources read it."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def dashboard_source(seed: int = 0):  # type: ignore[no-untyped-def]
    """The demo through the real pipeline, from just before its first set (3 s of standing,
    then the demo script's sets, pick-up and walks): what the dashboard tests watch.

    Seed 0: reps end at about 13.9, 17.4, 21.1, 25.2 (extension lost; cue at 23.4) and 29.3 s
    (butt wink; cue at 27.35 s)."""
    from winkmon.gui.simsource import SimulatedSource
    from winkmon.sim.script import SessionScript, Stand, default_demo_script

    acts = default_demo_script().activities
    return SimulatedSource(seed=seed, script=SessionScript((Stand(3.0), *acts[6:])))
