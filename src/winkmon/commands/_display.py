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


def require_display(command: str, instead: str = "") -> None:
    """Refuse, in one line, to open a window where none can be shown, or where Qt's X11 plugin
    would fail for want of system libraries.

    ``instead``: what the command offers without a window (e.g. ``use --screenshot FILE``);
    empty when it offers nothing.
    """
    if not display_available():
        alternative = f"; or {instead}" if instead else ""
        raise WinkmonError(
            f"{command} opens a window, but there is no display here (no DISPLAY or "
            f"WAYLAND_DISPLAY): run it on a desktop{alternative}"
        )
    from winkmon.gui.systemlibs import require_window_libs

    require_window_libs(command)


def offscreen_if_headless() -> None:
    """Render off screen (for --screenshot) when there is no display, or when Qt's X11 plugin
    lacks its system libraries: a screenshot needs no window on the screen."""
    from winkmon.gui.systemlibs import missing_libs, uses_xcb

    if not display_available() or (uses_xcb() and missing_libs()):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
