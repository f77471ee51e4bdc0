"""The dashboard's Demo menu on sensors of any kind: Source > Demo on… (the real window,
offscreen, on qasync as ``winkmon demo`` runs it; emulated vendor sensors over bumble)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from conftest import FakeClock, dashboard_source
from winkmon.errors import WinkmonError
from winkmon.gui.controller import SessionController
from winkmon.gui.demokinds import PairDialog, demo_kind_entries
from winkmon.gui.livesource import demo_title
from winkmon.gui.sound import SoundPlayer
from winkmon.gui.sources import SourceFactory
from winkmon.gui.window import DashboardWindow

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
KINDS = ("winkmon", "polar-verity", "metamotion", "metamotion-s", "movella-dot", "witmotion")


def test_the_demo_menu_offers_every_kind_and_a_pair(qtbot: QtBot, clock: FakeClock) -> None:
    window = DashboardWindow(
        SessionController(dashboard_source(), clock=clock),
        sound=SoundPlayer(enabled=False),
        clock=clock,
    )
    qtbot.addWidget(window)
    assert set(window.demo_actions) == {*KINDS, "pair"}
    assert demo_kind_entries()[0][0] == "winkmon"
    dialog = PairDialog(window)
    dialog.set_kinds("movella-dot", "metamotion")
    assert dialog.sensor_kind() == "movella-dot,metamotion"


def test_demo_titles_name_the_kinds() -> None:
    assert demo_title() == "virtual sensors"
    assert demo_title("movella-dot") == "virtual movella-dot sensors"
    assert demo_title("polar-verity,witmotion") == (
        "virtual sensors (sacrum polar-verity, lumbar witmotion)"
    )
    with pytest.raises(WinkmonError, match="unknown sensor kind 'fitbit'"):
        SourceFactory().demo(virtual_ble=True, sensor_kind="fitbit")


def test_a_vendor_demo_without_the_event_loop_is_a_clear_error() -> None:
    factory = SourceFactory()
    factory.sensor_kind = "witmotion"
    with pytest.raises(WinkmonError, match="needs the dashboard's event loop"):
        factory.demo(virtual_ble=False)


def test_the_window_runs_the_demo_on_a_polar_and_a_witmotion() -> None:
    """Source > Demo on… > Two kinds: Verity on the sacrum, WitMotion on L1. The live demo
    (bumble emulators, bleak, the drivers, the session) fills the rep table."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WINKMON_SOUND="off")
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, str(HERE / "kind_demo_probe.py"), "polar-verity", "witmotion", "150"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "&Source" in found["menus"]
    assert found["title"] == "DEMO  virtual sensors (sacrum polar-verity, lumbar witmotion)"
    assert found["error"] is None
    assert found["kinds"] == {"sacrum": "polar-verity", "lumbar": "witmotion"}
    assert found["links"] == {"sacrum": "connected", "lumbar": "connected"}
    assert 150 < found["rates"]["sacrum"] < 260 and 150 < found["rates"]["lumbar"] < 250
    assert len(found["rows"]) >= 2, found
