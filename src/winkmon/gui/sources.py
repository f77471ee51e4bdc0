"""Where the dashboard's sessions come from: the athlete's sensors, the demo, a recording.

Plain Python (no Qt): :class:`SourceFactory` builds a
:class:`~winkmon.gui.controller.ResultSource` for each menu entry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from winkmon.errors import WinkmonError
from winkmon.gui.controller import ResultSource, SourceKind
from winkmon.gui.replay import ReplaySource, SessionAnalysis
from winkmon.pipeline.model import AthleteModel, Mount, Thresholds
from winkmon.protocol.constants import Role

ROLES = (Role.SACRUM, Role.LUMBAR)

log = logging.getLogger(__name__)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


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
        #: Publish the live pipeline's output as Lab Streaming Layer streams (``--lsl``).
        self.lsl = False
        #: The demo's virtual sensors (``winkmon demo --sensor-kind``; the Demo menu sets it).
        self.sensor_kind = "winkmon"
        self.thresholds = thresholds or Thresholds()

    def demo(self, virtual_ble: bool | None = None, sensor_kind: str | None = None) -> ResultSource:
        """The demo: the simulated athlete's sensors through the real pipeline.

        With an asyncio loop running (the app runs on qasync) the demo goes the whole live
        way: virtual sensors on bumble's in-memory radio, bleak, the hub, the session
        (:class:`~winkmon.gui.livesource.HubSource`). Without one (screenshots, tests that
        step a clock) the simulator is the source of the same session
        (:class:`~winkmon.gui.simsource.SimulatedSource`), on winkmon sensors only.

        ``sensor_kind`` (kept for the next demo): the virtual sensors, as ``winkmon demo
        --sensor-kind`` takes them (a vendor's kind, or ``SACRUM-KIND,LUMBAR-KIND``).
        """
        if sensor_kind is not None:
            from winkmon.gui.livesource import demo_title

            demo_title(sensor_kind)  # a one-line error for an unknown kind
            self.sensor_kind = sensor_kind
        if virtual_ble is None:
            virtual_ble = _loop_running()
        if virtual_ble:
            from winkmon.gui.livesource import HubSource, demo_hub, demo_title

            return HubSource(
                demo_hub(self.seed, self.thresholds, self.sensor_kind),
                SourceKind.DEMO,
                demo_title(self.sensor_kind),
                "Demo athlete",
                self.thresholds,
            )
        if self.sensor_kind != "winkmon":
            raise WinkmonError(
                f"the demo on {self.sensor_kind} sensors needs the dashboard's event loop "
                "(winkmon demo --sensor-kind KIND, or --headless)"
            )
        from winkmon.gui.simsource import SimulatedSource

        return SimulatedSource(seed=self.seed, thresholds=self.thresholds)

    def live(self) -> ResultSource:
        """The athlete's own sensors (addresses from their profile, else found by scan)."""
        from winkmon.gui.livesource import HubSource, sensor_hub
        from winkmon.profiles import ProfileStore, resolve_profiles_dir

        if not self.athlete:
            raise WinkmonError(
                "choose the athlete first (Athlete menu, or start with --athlete NAME): the "
                "sensors are measured against their calibration"
            )
        if not _loop_running():
            raise WinkmonError("live sensors need the dashboard's event loop (winkmon demo/replay)")
        profile = ProfileStore(resolve_profiles_dir(self.profiles_dir)).load(self.athlete)
        source = HubSource(
            sensor_hub(profile),
            SourceKind.LIVE,
            "athlete's sensors",
            profile.name,
            profile.thresholds,
            athlete_doc=profile.to_dict(),
        )
        source.lsl = self.lsl
        return source

    def replay(self, path: Path) -> ResultSource:
        """A recording, run through the pipeline once, replayed by a seekable clock."""
        analysis = analyse_recording(path, self.athlete, self.profiles_dir)
        return ReplaySource(analysis)


def model_for_recording(
    recording: Any, athlete: str | None = None, profiles_dir: Path | None = None
) -> AthleteModel:
    """The athlete model to replay a recording with.

    In order: the named profile; the profile stored in the recording; the mounts stored in
    its calibration document (demo recordings); a calibration computed from the recording's
    own still stand and forward bends or squats; else no calibration at all (reps, depth and
    tempo without the angle).
    """
    from winkmon.profiles import AthleteProfile, ProfileStore, resolve_profiles_dir

    if athlete:
        return ProfileStore(resolve_profiles_dir(profiles_dir)).load(athlete).model()
    meta = recording.meta
    if meta.athlete:
        try:
            return AthleteProfile.from_dict(meta.athlete, origin=str(recording.path)).model()
        except (KeyError, TypeError, ValueError, WinkmonError) as exc:
            log.info("the recording's athlete profile is not usable: %s", exc)
    cal = meta.calibration or {}
    mounts = cal.get("mounts") if isinstance(cal, dict) else None
    if isinstance(mounts, dict):
        try:
            th = Thresholds(**cal.get("thresholds", {}))
            return AthleteModel(
                mounts={r: Mount(mounts[r.label]) for r in ROLES},
                thresholds=th,
                name=str(cal.get("athlete", "athlete")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            log.info("the recording's mounts are not usable: %s", exc)
    from winkmon.calibration import calibrate
    from winkmon.recording import load_samples

    try:
        cal_result = calibrate(load_samples(recording).samples, source=str(recording.path))
    except WinkmonError as exc:
        # Reps, depth and tempo need no calibration: replay them, and say why there is no
        # angle (choose an athlete with --athlete NAME for it).
        log.warning(
            "%s: no athlete profile and no usable calibration in the recording (%s); "
            "replaying reps, depth and tempo without the lumbopelvic angle",
            recording.path,
            exc,
        )
        return AthleteModel.uncalibrated()
    return AthleteModel(mounts=cal_result.mounts, name="calibrated from the recording")


def analyse_recording(
    path: Path,
    athlete: str | None = None,
    profiles_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> SessionAnalysis:
    """Run a recording through the pipeline, for the replay."""
    from winkmon.recording import Recording, input_path
    from winkmon.session.offline import analyze_recording

    with Recording.open(input_path(path), partial_ok=True) as rec:
        model = model_for_recording(rec, athlete, profiles_dir)
        result = analyze_recording(rec, model, progress=progress)
        rates = {r: rec.sensors[r].rate_hz for r in ROLES if r in rec.sensors}
    return SessionAnalysis(
        angles=result.angles,
        events=tuple(result.events),
        rates_hz=rates,
        loss_pct={r: s.loss_pct for r, s in result.stats.items()},
        thresholds=model.thresholds,
        title=Path(path).name,
        athlete_name=model.name,
    )


__all__ = ["SourceFactory", "SourceKind", "is_recordable", "replay_control"]
