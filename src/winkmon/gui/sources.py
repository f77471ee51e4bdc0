"""Where the dashboard's sessions come from: the athlete's sensors, the demo, a recording.

Plain Python (no Qt): :class:`SourceFactory` builds a
:class:`~winkmon.gui.controller.ResultSource` for each menu entry.
"""

from __future__ import annotations

import logging
from pathlib import Path

from winkmon.errors import WinkmonError
from winkmon.gui.controller import ResultSource, SourceKind
from winkmon.gui.replay import ReplaySource
from winkmon.gui.synthetic import SyntheticSource
from winkmon.pipeline.model import Thresholds

log = logging.getLogger(__name__)


def is_recordable(source: object) -> bool:
    """Whether the source has raw frames a recording can keep (live sensors, the demo)."""
    return callable(getattr(source, "start_recording", None)) and callable(
        getattr(source, "stop_recording", None)
    )


def replay_control(source: object) -> ReplaySource | None:
    return source if isinstance(source, ReplaySource) else None


class SourceFactory:
    """Builds sources for the window's Source and File menus.

    ``seed`` seeds the demo athlete; ``profiles_dir`` is where athlete profiles live (None:
    the default directory); ``athlete`` is the profile to use (None: the last used).
    """

    def __init__(
        self,
        seed: int = 0,
        profiles_dir: Path | None = None,
        athlete: str | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.seed = seed
        self.profiles_dir = profiles_dir
        self.athlete = athlete
        self.thresholds = thresholds or Thresholds()

    def demo(self) -> ResultSource:
        """The demo: a simulated athlete."""
        return SyntheticSource(seed=self.seed, thresholds=self.thresholds)

    def live(self) -> ResultSource:
        raise WinkmonError("Connecting to the athlete's sensors is not available in this build")

    def replay(self, path: Path) -> ResultSource:
        raise WinkmonError(f"Cannot open {path}: replay is not available in this build")


__all__ = ["SourceFactory", "SourceKind", "is_recordable", "replay_control"]
