"""The dashboard's live source on the embedded demo: virtual sensors over bumble, through
bleak, the hub and the pipeline — no Qt needed (plain asyncio)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np

from winkmon.gui.controller import LinkState, SourceKind
from winkmon.gui.livesource import HubSource, demo_hub
from winkmon.pipeline.model import Thresholds
from winkmon.protocol.constants import Role
from winkmon.recording import Recording


def test_demo_hub_source_streams_angles_and_records(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, dict, Path | None, int]:
        src = HubSource(demo_hub(seed=0), SourceKind.DEMO, "virtual sensors", "demo", Thresholds())
        src.start(time.monotonic())
        angles: list[np.ndarray] = []
        deadline = time.monotonic() + 30.0
        recording: Path | None = None
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            step = src.pull(time.monotonic())
            if len(step.angles):
                angles.append(step.angles.lumbopelvic_deg)
            if recording is None and angles:
                recording = src.start_recording(tmp_path / "live")
            if sum(map(len, angles)) > 400:
                break
        sensors = dict(src.sensors())
        path = src.stop_recording()
        await src.aclose()
        return sum(map(len, angles)), sensors, path, int(np.isfinite(np.concatenate(angles)).sum())

    n, sensors, path, finite = asyncio.run(scenario())
    assert n > 400 and finite > 300  # about 4 s of angle at 100 Hz
    assert all(sensors[r].link is LinkState.CONNECTED for r in (Role.SACRUM, Role.LUMBAR))
    assert all(sensors[r].rate_hz > 100 for r in (Role.SACRUM, Role.LUMBAR))
    assert path is not None
    with Recording.open(path) as rec:
        assert set(rec.sensors) == {Role.SACRUM, Role.LUMBAR}
        assert rec.frame_count(Role.SACRUM) > 10 and rec.frame_count(Role.LUMBAR) > 10
        assert rec.meta.simulated


def test_hub_calibration_feed_collects_the_live_batches() -> None:
    from types import SimpleNamespace

    from winkmon.gui.calibfeed import HubCalibrationFeed
    from winkmon.samples import SampleBatch

    source = SimpleNamespace(batch_listeners=[])
    feed = HubCalibrationFeed(source)

    def batch(role: Role, start: int) -> SampleBatch:
        idx = np.arange(start, start + 4)
        return SampleBatch(role, idx, idx * 5000, idx / 200.0, np.zeros((4, 3)), np.zeros((4, 3)))

    feed.start(0.0)
    for listener in source.batch_listeners:
        listener(batch(Role.SACRUM, 0))
        listener(batch(Role.SACRUM, 4))
        listener(batch(Role.LUMBAR, 0))
    got = feed.samples()
    assert len(got[Role.SACRUM]) == 8 and len(got[Role.LUMBAR]) == 4
    feed.close()
    assert source.batch_listeners == []
