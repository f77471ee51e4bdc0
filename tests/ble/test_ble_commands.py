"""``winkmon scan --virtual`` and ``winkmon record --virtual`` through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from winkmon.cli import main
from winkmon.protocol import Role
from winkmon.recording import Recording


def test_scan_virtual_lists_both_roles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--virtual", "--battery", "--timeout", "1"]) == 0
    out = capsys.readouterr().out
    assert "winkmon-S-1A2B" in out and "sacrum" in out
    assert "winkmon-L-3C4D" in out and "lumbar" in out
    assert "87 %" in out


def test_record_virtual_writes_a_complete_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "session"
    args = ["record", "--athlete", "Test Athlete", "-o", str(out_path), "--virtual"]
    args += ["--seconds", "1.5", "--quiet", "--profiles", str(tmp_path / "profiles")]
    assert main(args) == 0
    assert "recorded" in capsys.readouterr().out
    with Recording.open(tmp_path / "session.winkmon") as rec:
        assert set(rec.sensors) == {Role.SACRUM, Role.LUMBAR}
        assert rec.meta.simulated
        assert rec.frame_count(Role.SACRUM) > 10 and rec.frame_count(Role.LUMBAR) > 10
        assert rec.gaps == []


def test_record_virtual_vendor_sensors_names_their_decoders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--sensor-kind``: the hub drives each emulated vendor sensor with its kind's driver and
    the recording's segments name each one's decoder (so it replays, and calibrates into a
    profile that names the drivers)."""
    from winkmon.drivers import KINDS
    from winkmon.session.offline import decode_recording

    out_path = tmp_path / "vendor"
    args = ["record", "--athlete", "Kim", "-o", str(out_path), "--virtual", "--quiet"]
    args += ["--sensor-kind", "polar-verity,witmotion", "--seconds", "3"]
    assert main([*args, "--profiles", str(tmp_path / "profiles")]) == 0
    assert "recorded" in capsys.readouterr().out
    with Recording.open(tmp_path / "vendor.winkmon") as rec:
        decoders = {seg.role: seg.decoder for seg in rec.segments()}
        replay = decode_recording(rec)
    assert decoders == {
        Role.SACRUM: KINDS["polar-verity"].decoder,
        Role.LUMBAR: KINDS["witmotion"].decoder,
    }
    assert len(replay.samples[Role.SACRUM]) > 100 and len(replay.samples[Role.LUMBAR]) > 100


def test_record_takes_the_kinds_from_the_flag_else_the_profile() -> None:
    from winkmon.commands.record import sensor_kinds
    from winkmon.errors import WinkmonError

    both = (Role.SACRUM, Role.LUMBAR)
    profile = {Role.SACRUM: "metamotion", Role.LUMBAR: "movella-dot"}
    assert sensor_kinds(None, profile, both) == profile
    assert sensor_kinds("witmotion", profile, both) == dict.fromkeys(both, "witmotion")
    assert sensor_kinds("winkmon,metamotion-s", {}, both) == {Role.LUMBAR: "metamotion-s"}
    assert sensor_kinds(None, {}, both) == {}
    with pytest.raises(WinkmonError, match="unknown sensor kind 'fitbit'"):
        sensor_kinds("fitbit", {}, both)
