"""Headless Chromium: print a report to PDF, take a screenshot, read the DOM after scripts.

winkmon uses the browser the user has (Debian/Ubuntu ``chromium``, or Google Chrome); it does
not download one. Each call runs a fresh browser with a throw-away profile and no network
services, and waits for it to finish.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from winkmon.errors import WinkmonError

#: Names tried on $PATH, in order ($WINKMON_CHROMIUM overrides them).
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds a browser run may take before it is stopped.
TIMEOUT_S = 90.0

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def find_chromium() -> str:
    """The browser's executable; a clear error when there is none."""
    env = os.environ.get("WINKMON_CHROMIUM")
    if env:
        if shutil.which(env) is None:
            raise WinkmonError(f"$WINKMON_CHROMIUM={env} is not an executable")
        return env
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise WinkmonError(
        "no Chromium found for the PDF: install it (Debian/Ubuntu: apt-get install chromium) "
        "or set $WINKMON_CHROMIUM to a Chrome/Chromium executable"
    )


def _run(args: list[str], html: Path) -> subprocess.CompletedProcess[bytes]:
    exe = find_chromium()
    with tempfile.TemporaryDirectory(prefix="winkmon-chromium-") as profile:
        cmd = [exe, *FLAGS, f"--user-data-dir={profile}", *args, html.resolve().as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise WinkmonError(f"{exe} did not finish within {TIMEOUT_S:g} s") from None
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise WinkmonError(f"{exe} failed (status {done.returncode}): {tail[0]}")
    return done


def print_pdf(html: Path, pdf: Path) -> None:
    """Print ``html`` to ``pdf`` (A4 from the page's print styles, no header or footer)."""
    pdf = pdf.resolve()
    _run(["--no-pdf-header-footer", f"--print-to-pdf={pdf}"], html)
    if not pdf.exists() or pdf.stat().st_size == 0:
        raise WinkmonError(f"the browser wrote no PDF to {pdf}")


def screenshot(html: Path, png: Path, width_px: int = 1000, height_px: int = 1400) -> None:
    """A PNG of the page's first ``width_px`` x ``height_px`` pixels."""
    png = png.resolve()
    _run([f"--window-size={width_px},{height_px}", f"--screenshot={png}"], html)
    if not png.exists():
        raise WinkmonError(f"the browser wrote no screenshot to {png}")


def dump_dom(html: Path) -> str:
    """The document as the browser sees it after loading (scripts run, SVG parsed)."""
    return _run(["--dump-dom"], html).stdout.decode("utf-8", errors="replace")
