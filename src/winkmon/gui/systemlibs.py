"""The system libraries Qt's X11 (xcb) platform plugin needs, checked before Qt starts.

Qt (6.5 and later) loads its ``xcb`` plugin only if a dozen small X11 libraries are installed.
When one is missing Qt aborts the process with a hint that names ``libxcb-cursor0`` whatever is
really missing, so winkmon looks for each library itself first (with the system's dynamic
loader, exactly as Qt will) and names the packages that provide the missing ones.

Nothing here imports Qt: the check must run before a ``QApplication`` exists.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from winkmon.errors import WinkmonError


@dataclass(frozen=True, slots=True)
class SystemLib:
    """One shared library and the package that provides it on each family of Linux."""

    soname: str  #: the name the dynamic loader looks for
    debian: str  #: Debian and Ubuntu package
    fedora: str  #: Fedora / RHEL package


#: What PySide6's ``libqxcb.so`` and ``libQt6XcbQpa.so.6`` link against (``readelf -d``), less
#: what every Linux with Python has anyway. Debian and Ubuntu use the same names.
XCB_LIBS: tuple[SystemLib, ...] = (
    SystemLib("libxcb.so.1", "libxcb1", "libxcb"),
    SystemLib("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    SystemLib("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    SystemLib("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    SystemLib("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    SystemLib("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    SystemLib("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    SystemLib("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    SystemLib("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    SystemLib("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    SystemLib("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    SystemLib("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    SystemLib("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    SystemLib("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    SystemLib("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    SystemLib("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    SystemLib("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    SystemLib("libX11.so.6", "libx11-6", "libX11"),
    SystemLib("libGL.so.1", "libgl1", "libglvnd-glx"),
    SystemLib("libEGL.so.1", "libegl1", "libglvnd-egl"),
    SystemLib("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    SystemLib("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
)

Loader = Callable[[str], object]


def uses_xcb(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether Qt will start its X11 (xcb) plugin here: Linux/BSD, an X display, and no other
    Qt platform chosen (``QT_QPA_PLATFORM``) or a Wayland session that Qt would prefer."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform in ("win32", "darwin"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(":")[0] == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def missing_libs(
    libs: tuple[SystemLib, ...] = XCB_LIBS, load: Loader = ctypes.CDLL
) -> list[SystemLib]:
    """The libraries of ``libs`` the dynamic loader cannot load."""
    missing = []
    for lib in libs:
        try:
            load(lib.soname)
        except OSError:
            missing.append(lib)
    return missing


def install_hint(
    missing: list[SystemLib], which: Callable[[str], str | None] = shutil.which
) -> str:
    """The command that installs ``missing``, for this machine's package manager."""
    debian = " ".join(dict.fromkeys(lib.debian for lib in missing))
    fedora = " ".join(dict.fromkeys(lib.fedora for lib in missing))
    if which("apt-get"):
        return f"sudo apt-get install {debian}"
    if which("dnf"):
        return f"sudo dnf install {fedora}"
    return f"Debian/Ubuntu: sudo apt-get install {debian}; Fedora: sudo dnf install {fedora}"


def require_window_libs(
    command: str,
    env: Mapping[str, str] | None = None,
    load: Loader = ctypes.CDLL,
    which: Callable[[str], str | None] = shutil.which,
) -> None:
    """Refuse, in one line that names the packages, to start Qt's X11 plugin without its
    libraries (Qt itself would abort with a misleading hint)."""
    if not uses_xcb(env):
        return
    missing = missing_libs(load=load)
    if not missing:
        return
    names = ", ".join(lib.soname for lib in missing)
    raise WinkmonError(
        f"{command} opens a window, but Qt's X11 plugin needs system libraries that are "
        f"missing here ({names}); install them with: {install_hint(missing, which)}"
    )
