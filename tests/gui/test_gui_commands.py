from __future__ import annotations

from pathlib import Path

from winkmon.cli import main


def test_demo_screenshot_command(tmp_path: Path) -> None:
    out = tmp_path / "demo.png"
    assert main(["demo", "--screenshot", str(out), "--seconds", "8"]) == 0
    assert out.stat().st_size > 10_000


def test_replay_of_a_missing_session_is_a_one_line_error(tmp_path: Path, capsys: object) -> None:
    assert main(["replay", str(tmp_path / "missing")]) == 2
