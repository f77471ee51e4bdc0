"""User mistakes end in one line and exit status 2, before anything is connected or opened."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from winkmon.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "recordings" / "demo.winkmon"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate", "0"], "--rate must be"),
        (["--mtu", "10"], "--mtu must be"),
        (["--seconds", "-1"], "--seconds must be positive"),
    ],
)
def test_record_checks_its_options_first(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["record", "--virtual", "--athlete", "x", "-o", str(tmp_path / "r"), *args])
    assert rc == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_record_refuses_an_existing_file_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "r.winkmon"
    target.write_bytes(b"keep me")
    assert main(["record", "--virtual", "--athlete", "x", "-o", str(target)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert target.read_bytes() == b"keep me"


def test_windows_are_refused_without_a_display(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["replay", str(SAMPLE)]) == 2
    assert "no display" in capsys.readouterr().err


def test_simulate_checks_its_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "-o", str(tmp_path / "s"), "--random", "--minutes", "-1"]) == 2
    assert main(["simulate", "-o", str(tmp_path / "s"), "--rate", "0"]) == 2
    assert "--rate must be" in capsys.readouterr().err


def test_version_is_the_installed_one(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as end:
        main(["--version"])
    assert end.value.code == 0
    assert capsys.readouterr().out == f"winkmon {version('winkmon')}\n"
