"""The dashboard in a real X server (Xvfb) through Qt's xcb plugin, as on a desktop.

The other GUI tests render offscreen; these start Xvfb, so they also catch what only a real
window meets: the X11 libraries Qt's xcb plugin loads (README "System packages") and fonts.
``.ci/run`` installs Xvfb and those libraries; elsewhere the test fails saying what to install.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from winkmon.gui import theme
from winkmon.gui.headline import BETWEEN_REPS
from winkmon.gui.systemlibs import install_hint, missing_libs
from winkmon.pipeline.events import Zone

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"


@pytest.fixture(scope="module")
def x_display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is missing: sudo apt-get install xvfb (.ci/run installs it)")
    missing = missing_libs()
    if missing:
        pytest.fail(f"Qt's xcb plugin lacks libraries: {install_hint(missing)}")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1600x900x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 30.0)
        number = os.read(read_fd, 16).decode().strip() if ready else ""
        if not number:
            pytest.fail("Xvfb did not start within 30 s")
        yield f":{number}"
    finally:
        os.close(read_fd)
        proc.terminate()
        proc.wait(10)


def x_env(display: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=display, WINKMON_SOUND="off")
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(HERE), env.get("PYTHONPATH", "")])
    return env


def test_demo_opens_a_real_window(x_display: str) -> None:
    """``winkmon demo`` on an X display: Qt loads its xcb plugin and the window runs."""
    proc = subprocess.run(
        [sys.executable, "-m", "winkmon", "demo", "--seconds", "3"],
        env=x_env(x_display),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Could not load the Qt platform plugin" not in proc.stderr


def test_window_on_x_at_a_wink_a_pick_up_and_in_replay(
    x_display: str, screenshot_dir: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, str(HERE / "xvfb_probe.py"), str(screenshot_dir)],
        env=x_env(x_display),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["platform"] == "xcb"
    flexion = theme.ZONE_WORD[Zone.FLEXION]
    words = {tuple(w) for w in found["demo_words"]}
    assert (flexion, True) in words  # the wink of rep 5, during the rep
    assert (flexion, False) not in words and ("Good", False) not in words
    # At 70 s the athlete bends to pick something up: red zone, but no rep and no verdict.
    assert found["demo_70s_zone"] == "FLEXION"
    assert found["demo_70s_word"] == BETWEEN_REPS
    assert found["demo_shot"] and found["demo_exposed"]
    assert found["demo_missing_glyphs"] == []
    assert all(found["replay_icons"])
    assert found["replay_missing_glyphs"] == []
    assert found["replay_shot"]
    for name in ("xvfb_demo_wink.png", "xvfb_demo_pickup.png", "xvfb_replay.png"):
        assert (screenshot_dir / name).stat().st_size > 20_000
