"""The session library: where it is, whose sessions, ``winkmon athletes`` and ``history``."""

from __future__ import annotations

from pathlib import Path

import pytest
from archive_testutil import ATHLETES, SESSIONS_EACH

from winkmon.archive.library import athlete_name, resolve_library_dir
from winkmon.cli import main


def test_library_dir_from_arg_env_or_user_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WINKMON_LIBRARY", str(tmp_path / "env"))
    assert resolve_library_dir(str(tmp_path / "arg")) == tmp_path / "arg"
    assert resolve_library_dir() == tmp_path / "env"
    monkeypatch.delenv("WINKMON_LIBRARY")
    assert resolve_library_dir().name == "sessions"


def test_athlete_from_the_recording_else_the_folder(tmp_path: Path) -> None:
    p = tmp_path / "Zoe" / "a" / "s.winkmon"
    assert athlete_name({"name": "Sam"}, p, tmp_path) == "Sam"
    assert athlete_name(None, p, tmp_path) == "Zoe"
    assert athlete_name(None, tmp_path / "s.winkmon", tmp_path) is None
    assert athlete_name(None, p, None) is None


def test_athletes_command(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["athletes", "--library", str(library), "-l"]) == 0
    out = capsys.readouterr().out
    for name in ATHLETES:
        assert f"{name}:" in out
    assert out.count(".winkmon") == len(ATHLETES) * SESSIONS_EACH


def test_history_html_and_errors(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = tmp_path / "h.html"
    rc = main(["history", "--athlete", "Dev", "--library", str(library), "--html", str(html)])
    assert rc == 0
    page = html.read_text()
    assert page.count('<svg class="plot trend"') == 3
    assert page.count('<tr class="session"') == SESSIONS_EACH
    assert "http" not in page and "Dev" in page
    capsys.readouterr()
    assert main(["history", "--athlete", "Nobody", "--library", str(library)]) == 2
    assert "no sessions of 'Nobody'" in capsys.readouterr().err
    assert main(["history", "--athlete", "Ana", "--library", str(tmp_path / "none")]) == 2
    assert "no session library" in capsys.readouterr().err
