"""Whether a window can be shown here (shared by the commands that open the dashboard)."""

from __future__ import annotations

import os
import sys

from winkmon.errors import WinkmonError


def display_available() -> bool:
    """Always on Windows and macOS; elsewhere only with an X or Wayland display, or a Qt
    platform chosen explicitly (``QT_QPA_PLATFORM``, e.g. ``offscreen``)."""
    if sys.platform in ("win32", "darwin"):
        return True
    env = os.environ
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"))


def require_display(command: str) -> None:
    """Refuse, in one line, to open a window where none can be shown."""
    if not display_available():
        raise WinkmonError(
            f"{command} opens a window, but there is no display here (no DISPLAY or "
            "WAYLAND_DISPLAY); run it on a desktop, or use --screenshot FILE"
        )


def offscreen_if_headless() -> None:
    """Render off screen when there is no display (for --screenshot)."""
    if not display_available():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
