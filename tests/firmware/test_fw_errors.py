"""``--sensor-kind`` on the command line, and what a user sees when the firmware core cannot be
built: one line, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from winkmon.cli import main
from winkmon.commands import demo
from winkmon.virtual import fw_core
from winkmon.virtual.fw_core import FirmwareBuildError, build_core_library
from winkmon.virtual.rig import SENSOR_KINDS


def test_demo_sensor_kinds_are_the_rigs() -> None:
    assert set(demo.SENSOR_KINDS) == set(SENSOR_KINDS)


def test_demo_refuses_an_unknown_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--headless", "--sensor-kind", "polar"])
    assert exc.value.code == 2
    assert "invalid choice: 'polar'" in capsys.readouterr().err


def test_demo_firmware_kind_is_no_screenshot(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--screenshot", "x.png", "--sensor-kind", "winkmon-fw"]) == 2
    err = capsys.readouterr().err
    assert "--sensor-kind winkmon-fw runs with --headless or in the dashboard window" in err
    assert "Traceback" not in err


def test_no_compiler_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no cc, gcc or clang there
    monkeypatch.delenv("CC", raising=False)
    with pytest.raises(FirmwareBuildError, match=r"needs a C compiler.*apt-get install gcc"):
        build_core_library(tmp_path / "out")


def test_missing_sources_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FirmwareBuildError, match="firmware sources are missing"):
        build_core_library(tmp_path / "out", firmware_dir=tmp_path)


def test_a_compile_error_is_reported(tmp_path: Path) -> None:
    fw = tmp_path / "fw"
    for rel in (*fw_core.CORE_SOURCES, *fw_core.CORE_HEADERS):
        (fw / rel).parent.mkdir(parents=True, exist_ok=True)
        (fw / rel).write_text((fw_core.FIRMWARE_DIR / rel).read_text())
    (fw / "core" / "wm_core.c").write_text("int broken(void) { return 0 }\n")
    with pytest.raises(FirmwareBuildError, match="building the firmware core failed"):
        build_core_library(tmp_path / "out", firmware_dir=fw)


def test_the_library_is_built_once_per_source_version(tmp_path: Path) -> None:
    first = build_core_library()
    assert first.is_file() and build_core_library() == first
    assert fw_core._source_digest(fw_core.FIRMWARE_DIR) in str(first)
