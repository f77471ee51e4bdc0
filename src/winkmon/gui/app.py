"""Starting the dashboard: the Qt application on a qasync loop, or a headless screenshot.

Qt and asyncio share one loop (qasync): Bluetooth callbacks, the pipeline and the widgets all
run on the GUI thread, so nothing needs a lock. ``aboutToQuit`` ends the loop.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from winkmon.gui.controller import ResultSource, SessionController
from winkmon.gui.sources import SourceFactory

log = logging.getLogger(__name__)

SCREENSHOT_FPS = 30.0


def _application() -> object:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("winkmon")
    return app


def screenshot(
    factory: SourceFactory,
    source: ResultSource,
    seconds: float,
    path: Path,
    size: tuple[int, int] = (1600, 900),
) -> Path:
    """Render the window after ``seconds`` of the source and save it as an image.

    The window runs on a simulated clock stepped at 30 frames per second, as fast as the
    machine allows, so the picture is what a viewer would have seen at that moment (alerts
    flash, the trace scrolls) without waiting in real time.
    """
    _application()
    from PySide6.QtWidgets import QApplication

    from winkmon.gui.sound import SoundPlayer
    from winkmon.gui.window import DashboardWindow

    clock = _SteppedClock()
    controller = SessionController(source, clock=clock)
    window = DashboardWindow(controller, SoundPlayer(enabled=False), factory, clock=clock)
    window.resize(*size)
    window.show()
    controller.start()
    for _ in range(max(1, round(seconds * SCREENSHOT_FPS))):
        clock.t += 1.0 / SCREENSHOT_FPS
        window.tick()
    QApplication.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        from winkmon.errors import WinkmonError

        raise WinkmonError(f"could not write the screenshot {path}")
    window.close()
    return path


class _SteppedClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def run_dashboard(
    factory: SourceFactory,
    source: ResultSource | None = None,
    replay: Path | None = None,
    seconds: float | None = None,
    live: bool = False,
) -> int:
    """Open the window (on ``source``, a recording, or the demo) and run until it closes.

    ``seconds``: close the window by itself after that long (demos on a timer).
    """
    import qasync

    app = _application()
    from winkmon.gui.window import DashboardWindow

    async def main() -> None:
        nonlocal source
        loop = asyncio.get_running_loop()
        if source is None:  # made here, on the running loop: live sensors need it
            if live:
                source = factory.live()
            elif replay is not None:
                source = factory.replay(replay)
            else:
                source = factory.demo()
        done: asyncio.Future[None] = loop.create_future()

        def finish() -> None:
            if not done.done():
                done.set_result(None)

        # Closing the window ends main(), which then lets the sensors disconnect while the loop
        # still runs; only then does the loop stop (not when Qt would quit by itself).
        app.setQuitOnLastWindowClosed(False)  # type: ignore[attr-defined]
        app.lastWindowClosed.connect(finish)  # type: ignore[attr-defined]
        app.aboutToQuit.connect(finish)  # type: ignore[attr-defined]
        window = DashboardWindow(SessionController(source), factory=factory)
        window.show()
        window.start()
        if seconds is not None:
            loop.call_later(seconds, window.close)
        await done
        closer = getattr(source, "aclose", None)
        if closer is not None:  # let the sensors disconnect cleanly
            await closer()

    try:
        if sys.version_info >= (3, 12):
            asyncio.run(main(), loop_factory=qasync.QEventLoop)
        else:  # Python 3.11: no loop_factory; qasync installs its loop policy instead
            qasync.run(main())
    except asyncio.CancelledError:  # pragma: no cover - closed while starting
        pass
    return 0
