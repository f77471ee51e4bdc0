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
