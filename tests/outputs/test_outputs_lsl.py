"""LSL: the pipeline's steps published as streams and received by real inlets (pylsl)."""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path

import numpy as np
import pylsl
import pytest

from winkmon.outputs.lsl import ANGLE_CHANNELS, LslConfig, LslPublisher
from winkmon.pipeline.events import Alert, AngleBlock, Event, Rep, StepResult
from winkmon.pipeline.offline import SessionResult


def _steps(a: AngleBlock, events: list[Event], n: int = 20) -> list[StepResult]:
    """The session's output re-cut into live-sized steps (20 samples = 0.2 s each); each
    event goes with the step whose time span it falls in, as the live pipeline emits them."""

    def t_of(e: Event) -> float:
        return e.end_s if isinstance(e, Rep) else getattr(e, "t_s", getattr(e, "start_s", 0.0))

    steps = []
    pending = sorted(events, key=t_of)
    for i in range(0, len(a), n):
        sl = slice(i, i + n)
        blk = AngleBlock(
            a.t_s[sl],
            a.lumbopelvic_deg[sl],
            a.depth_cm[sl],
            a.phase[sl],
            a.zone[sl],
            a.pelvis_deg[sl],
        )
        t_end = float(a.t_s[sl][-1])
        now = [e for e in pending if t_of(e) <= t_end]
        pending = pending[len(now) :]
        steps.append(StepResult(blk, tuple(now)))
    return steps


def _inlet(source_id: str) -> pylsl.StreamInlet:
    found = pylsl.resolve_byprop("source_id", source_id, timeout=10.0)
    assert found, f"no LSL stream {source_id} found"
    inlet = pylsl.StreamInlet(found[0], max_buflen=360, recover=False)
    inlet.open_stream(timeout=10.0)
    return inlet


def test_inlet_receives_angle_and_events_with_session_timestamps(
    demo_result: SessionResult,
) -> None:
    res = demo_result
    a = res.angles
    k = int(np.searchsorted(a.t_s, 60.0))  # the first set (reps 1-5, the wink at rep 5)
    part = AngleBlock(
        a.t_s[:k], a.lumbopelvic_deg[:k], a.depth_cm[:k], a.phase[:k], a.zone[:k], a.pelvis_deg[:k]
    )
    events = [
        e for e in res.events if (e.end_s if isinstance(e, Rep) else getattr(e, "t_s", 0)) <= 60.0
    ]
    sid = f"test-{uuid.uuid4().hex[:8]}"
    with LslPublisher(LslConfig(name=sid, source_id=sid)) as pub:
        angle_in, event_in = _inlet(f"{sid}-angle"), _inlet(f"{sid}-events")
        info = angle_in.info(timeout=5.0)
        assert info.channel_count() == len(ANGLE_CHANNELS) and info.nominal_srate() == 100.0
        ch = info.desc().child("channels").child("channel")
        assert ch.child_value("label") == "lumbopelvic_deg" and ch.child_value("unit") == "degrees"
        for step in _steps(part, events):
            pub.push_step(step)
        got: list[list[float]] = []
        ts: list[float] = []
        while len(got) < k:
            chunk, stamps = angle_in.pull_chunk(timeout=5.0, max_samples=4096)
            if not chunk:
                break
            got += chunk
            ts += stamps
        markers: list[tuple[dict[str, object], float]] = []
        while True:
            sample, stamp = event_in.pull_sample(timeout=2.0)
            if sample is None:
                break
            markers.append((json.loads(sample[0]), stamp))
    assert len(got) == k == pub.samples
    vals = np.asarray(got, dtype=float)
    np.testing.assert_allclose(
        vals[:, 0], part.lumbopelvic_deg.astype(np.float32), equal_nan=True, rtol=1e-6
    )
    np.testing.assert_allclose(
        vals[:, 1], part.depth_cm.astype(np.float32), equal_nan=True, rtol=1e-6
    )
    assert (vals[:, 3] == part.zone).all()
    # every sample keeps its own time: LSL time minus session time is one constant offset
    off = np.asarray(ts) - part.t_s
    assert np.ptp(off) < 1e-6
    assert abs(off[0] - pub.offset_s) < 1e-6  # type: ignore[operator]
    reps = [m for m, _ in markers if m["kind"] == "rep"]
    alerts = [(m, t) for m, t in markers if m["kind"] == "alert"]
    want_reps = [e for e in events if isinstance(e, Rep)]
    assert [r["number"] for r in reps] == [r.number for r in want_reps] == [1, 2, 3, 4, 5]
    assert reps[-1]["verdict"] == "flexion"
    want_alerts = [e for e in events if isinstance(e, Alert)]
    assert len(alerts) == len(want_alerts) >= 1
    for (m, t), e in zip(alerts, want_alerts, strict=True):
        assert m["level"] == e.level.value
        assert t - off[0] == pytest.approx(e.t_s, abs=1e-6)  # stamped when it fired


def test_live_offset_maps_the_host_clock() -> None:
    import time

    start_ns = time.monotonic_ns() - 5_000_000_000  # the session began 5 s ago
    sid = f"test-{uuid.uuid4().hex[:8]}"
    with LslPublisher(LslConfig(name=sid, source_id=sid), session_start_ns=start_ns) as pub:
        assert pub.offset_s is not None
        # a sample measured 5 s into the session was measured about now
        assert abs(5.0 + pub.offset_s - pylsl.local_clock()) < 0.5


def test_the_live_demo_publishes_its_angle_on_lsl() -> None:
    """`winkmon demo --headless --lsl`: the live session's output reaches an LSL inlet in
    another process, stamped on LSL's clock."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "winkmon", "demo", "--headless", "--seconds", "12", "--lsl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        found = pylsl.resolve_byprop("name", "winkmon-angle", timeout=30.0)
        assert found, "no winkmon-angle stream"
        inlet = pylsl.StreamInlet(found[0], max_buflen=60, recover=False)
        got: list[list[float]] = []
        stamps: list[float] = []
        deadline = pylsl.local_clock() + 20.0
        while len(got) < 200 and pylsl.local_clock() < deadline:
            chunk, ts = inlet.pull_chunk(timeout=1.0)
            got.extend(chunk)
            stamps.extend(ts)
        assert len(got) >= 200  # 2 s of the 100 Hz grid
        assert all(b > a for a, b in itertools.pairwise(stamps))
        assert abs(stamps[-1] - pylsl.local_clock()) < 5.0  # on LSL's clock, recent
    finally:
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "publishing Lab Streaming Layer streams" in out


def test_record_lsl_publishes_with_the_athletes_profile(tmp_path: Path) -> None:
    """`winkmon record --lsl`: the recording goes on as usual and the athlete's pipeline
    publishes its angle; without a profile it says what to do."""
    import subprocess
    import sys

    from winkmon.demo import demo_profile
    from winkmon.profiles import ProfileStore

    profiles = tmp_path / "profiles"
    profiles.mkdir()
    ProfileStore(profiles).save(demo_profile(0))
    base = [sys.executable, "-m", "winkmon", "record", "--virtual", "--quiet", "--lsl"]
    refused = subprocess.run(
        [*base, "--athlete", "Nobody", "--profiles", str(profiles), "-o", str(tmp_path / "n")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 2 and "calibrate first" in refused.stderr
    who = ["--athlete", "demo athlete", "--profiles", str(profiles)]
    proc = subprocess.Popen(
        [*base, *who, "-o", str(tmp_path / "rec"), "--seconds", "12"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        found = pylsl.resolve_byprop("name", "winkmon-angle", timeout=30.0)
        assert found
        inlet = pylsl.StreamInlet(found[0], max_buflen=60, recover=False)
        got: list[list[float]] = []
        deadline = pylsl.local_clock() + 20.0
        while len(got) < 100 and pylsl.local_clock() < deadline:
            chunk, _ = inlet.pull_chunk(timeout=1.0)
            got.extend(chunk)
        assert len(got) >= 100
    finally:
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert (tmp_path / "rec.winkmon").stat().st_size > 10_000
