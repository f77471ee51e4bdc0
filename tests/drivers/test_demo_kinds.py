"""``winkmon demo --headless --sensor-kind``: the demo on emulated vendor sensors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from winkmon.errors import WinkmonError
from winkmon.protocol.constants import Role
from winkmon.virtual.kinds import parse_kinds


def test_sensor_kinds_parse_one_or_a_pair_and_refuse_unknown_ones() -> None:
    assert parse_kinds("polar-verity") == {Role.SACRUM: "polar-verity", Role.LUMBAR: "polar-verity"}
    assert parse_kinds("metamotion, Movella-DOT") == {
        Role.SACRUM: "metamotion",
        Role.LUMBAR: "movella-dot",
    }
    with pytest.raises(WinkmonError, match=r"unknown sensor kind 'fitbit'.*witmotion"):
        parse_kinds("fitbit")
    with pytest.raises(WinkmonError, match="one per sensor"):
        parse_kinds("a,b,c")


@pytest.mark.parametrize(
    ("kinds", "chips", "drivers"),
    [
        (
            "metamotion,movella-dot",
            {Role.SACRUM: "BMI160"},
            {Role.SACRUM: "metamotion", Role.LUMBAR: "movella-dot"},
        ),
        (
            "metamotion-s,metamotion",
            {Role.SACRUM: "BMI270", Role.LUMBAR: "BMI160"},
            {Role.SACRUM: "metamotion", Role.LUMBAR: "metamotion"},
        ),
    ],
)
def test_the_demo_on_a_mixed_pair_reports_reps_and_the_flexion_alert(
    tmp_path: Path, kinds: str, chips: dict[Role, str], drivers: dict[Role, str]
) -> None:
    """A MetaMotion RL on the sacrum (200 Hz, host-timed) and a Movella DOT on L1 (60 Hz,
    device-timed); a MetaMotion S (BMI270) and an RL (BMI160): the demo's first set, live, and
    its recording replays to the same reps, each MetaMotion's segments naming its chip. A
    profile calibrated from the recording names each sensor's driver, for the live hub."""
    from winkmon import demo_headless
    from winkmon.demo import demo_profile
    from winkmon.pipeline.events import Alert, Rep
    from winkmon.recording import Recording
    from winkmon.session.offline import analyze_recording

    out = io.StringIO()
    record = tmp_path / "mixed.winkmon"
    import asyncio

    counts = asyncio.run(
        demo_headless.run_async(
            58.0,
            0,
            out,
            record=record,
            sensor_kind=kinds,
        )
    )
    text = out.getvalue()
    sacrum, lumbar = kinds.split(",")
    assert f"sacrum {sacrum}, lumbar {lumbar}" in text
    assert counts["reps"] >= 4 and counts["flexion"] >= 1 and counts["alerts"] >= 1, text
    with Recording.open(record) as rec:
        back = analyze_recording(rec, demo_profile(0).model())
        seen = {seg.role: seg.params.get("chip") for seg in rec.segments()}
    assert {r: seen[r] for r in chips} == chips
    reps = [e for e in back.events if isinstance(e, Rep)]
    alerts = [e for e in back.events if isinstance(e, Alert)]
    assert len(reps) == counts["reps"] and len(alerts) == counts["alerts"]

    from winkmon.cli import main
    from winkmon.profiles import ProfileStore

    profiles = tmp_path / "profiles"
    assert main(["calibrate", str(record), "--athlete", "Kim", "--profiles", str(profiles)]) == 0
    profile = ProfileStore(profiles).load("Kim")
    assert {r: c.driver for r, c in profile.sensors.items()} == drivers
