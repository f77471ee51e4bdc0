"""What a newcomer meets first: every command without Bluetooth, a display, the X11 libraries
or a profile ends in one line that says what is missing and what to do."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
)

from winkmon.ble.availability import NoBluetoothError, no_bluetooth
from winkmon.cli import main
from winkmon.gui.systemlibs import (
    XCB_LIBS,
    install_hint,
    missing_libs,
    require_window_libs,
    uses_xcb,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "recordings" / "demo.winkmon"
#: A system D-Bus that is not there, as on a machine without BlueZ (dbus-fast reads this).
NO_DBUS = "unix:path=/nonexistent/winkmon-test/system_bus_socket"


def _winkmon(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "winkmon", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


# -- Bluetooth ------------------------------------------------------------------------------
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="BlueZ is Linux's stack")
@pytest.mark.parametrize(
    "args",
    [
        ["scan", "--timeout", "1"],
        ["record", "--athlete", "Sam", "-o", "{tmp}/r"],
        ["record", "--athlete", "Sam", "-o", "{tmp}/r", "--sacrum", "AA:BB:CC:DD:EE:01"],
    ],
)
def test_no_bluez_is_one_line_not_a_traceback(args: list[str], tmp_path: Path) -> None:
    argv = [a.format(tmp=tmp_path) for a in args]
    proc = _winkmon(*argv, env={"DBUS_SYSTEM_BUS_ADDRESS": NO_DBUS})
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("winkmon: error:")]
    assert len(lines) == 1 and "No Bluetooth: BlueZ is not running" in lines[0]
    assert "systemctl start bluetooth" in lines[0]
    assert "Traceback" not in proc.stderr and "FileNotFoundError" not in proc.stderr
    assert not (tmp_path / "r.winkmon").exists()  # nothing written


def test_live_checks_bluetooth_before_opening_a_window(tmp_path: Path) -> None:
    assert main(["calibrate", str(SAMPLE), "--athlete", "Sam", "--profiles", str(tmp_path)]) == 0
    proc = _winkmon(
        "live",
        "--athlete",
        "Sam",
        "--profiles",
        str(tmp_path),
        env={"DBUS_SYSTEM_BUS_ADDRESS": NO_DBUS, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("winkmon: error: No Bluetooth:")


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (FileNotFoundError(2, "No such file or directory"), "BlueZ is not running"),
        (BleakDBusError("org.freedesktop.DBus.Error.ServiceUnknown", []), "BlueZ"),
        (
            BleakBluetoothNotAvailableError(
                "No Bluetooth adapters found.", BleakBluetoothNotAvailableReason.NO_BLUETOOTH
            ),
            "no Bluetooth adapter found",
        ),
        (
            BleakBluetoothNotAvailableError("off", BleakBluetoothNotAvailableReason.POWERED_OFF),
            "switched off",
        ),
    ],
)
def test_machine_level_bluetooth_failures_are_named(exc: BaseException, words: str) -> None:
    err = no_bluetooth(exc, platform="linux")
    assert isinstance(err, NoBluetoothError)
    assert str(err).startswith("No Bluetooth: ") and words in str(err)
    assert "\n" not in str(err)


def test_a_sensor_that_does_not_answer_is_not_no_bluetooth() -> None:
    assert no_bluetooth(TimeoutError("no answer"), platform="linux") is None
    assert no_bluetooth(BleakDBusError("org.bluez.Error.Failed", []), platform="linux") is None


# -- profiles and displays ------------------------------------------------------------------
def test_record_says_the_athlete_has_no_profile_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    argv = ["record", "--virtual", "--athlete", "Sam", "--profiles", str(tmp_path)]
    rc = main([*argv, "-o", str(out), "--seconds", "1", "--quiet"])
    assert rc == 0
    err = capsys.readouterr().err
    assert f"no profile for Sam in {tmp_path}" in err and "winkmon calibrate" in err


def test_live_without_a_display_offers_no_option_it_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calibrate", str(SAMPLE), "--athlete", "Sam", "--profiles", str(tmp_path)]) == 0
    capsys.readouterr()
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["live", "--athlete", "Sam", "--profiles", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no display" in err and "--screenshot" not in err


# -- the X11 libraries of Qt's xcb plugin -----------------------------------------------------
def test_xcb_libraries_are_looked_up_with_the_loader() -> None:
    def load(name: str) -> object:
        if name in ("libxcb-icccm.so.4", "libxcb-keysyms.so.1"):
            raise OSError(f"{name}: cannot open shared object file")
        return object()

    missing = missing_libs(load=load)
    assert [lib.debian for lib in missing] == ["libxcb-icccm4", "libxcb-keysyms1"]
    assert install_hint(
        missing, which=lambda t: "/usr/bin/apt-get" if t == "apt-get" else None
    ) == ("sudo apt-get install libxcb-icccm4 libxcb-keysyms1")
    assert install_hint(missing, which=lambda t: "/usr/bin/dnf" if t == "dnf" else None) == (
        "sudo dnf install xcb-util-wm xcb-util-keysyms"
    )
    assert {lib.soname for lib in XCB_LIBS} >= {"libxcb-cursor.so.0", "libxkbcommon-x11.so.0"}


def test_only_the_xcb_platform_is_checked() -> None:
    assert uses_xcb({"DISPLAY": ":0"}, "linux")
    assert not uses_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not uses_xcb({"DISPLAY": ":0"}, "darwin")
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "linux")


def test_demo_without_the_xcb_libraries_names_the_packages(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import ctypes

    real = ctypes.CDLL

    def load(name: str, *args: object, **kw: object) -> object:
        if name == "libxcb-icccm.so.4":
            raise OSError(name)
        return real(name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(sys, "platform", "linux")
    import winkmon.gui.systemlibs as systemlibs

    monkeypatch.setattr(systemlibs.require_window_libs, "__defaults__", (None, load, shutil.which))
    assert main(["demo", "--seconds", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "libxcb-icccm.so.4" in err[0] and "libxcb-icccm4" in err[0]
    assert "libxcb-cursor0" not in err[0]  # Qt's own hint names this one, wrongly


def test_require_window_libs_passes_when_all_load() -> None:
    require_window_libs("x", env={"DISPLAY": ":0"}, load=lambda name: object())


# -- readable output ------------------------------------------------------------------------
def test_info_prints_the_source_as_a_short_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(SAMPLE)]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("source:"))
    assert len(line) < 140 and "{" not in line
    assert "simulator (seed 0)" in line and "ground truth of 9 reps" in line
    assert main(["info", str(SAMPLE), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["source"]["simulator"]["seed"] == 0


def test_calibrate_says_ok_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calibrate", str(SAMPLE), "--athlete", "Sam", "--profiles", str(tmp_path)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Calibration OK for Sam (both sensors; the angle is within ")
    argv = ["calibrate", str(SAMPLE), "--athlete", "Kim", "--profiles", str(tmp_path)]
    assert main([*argv, "--static", "50:53", "--functional", "53:54"]) == 2
    assert "error: Calibration needs another try for Kim: " in capsys.readouterr().err
