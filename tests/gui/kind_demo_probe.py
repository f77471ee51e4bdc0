"""Run by test_gui_demo_kinds.py in its own process: the dashboard on qasync (as ``winkmon
demo`` runs it), Source > Demo on… > Two kinds: Polar Verity on the sacrum, WitMotion on L1,
until the demo's first set has reps. Prints what the window showed as one JSON line."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import qasync
from PySide6.QtWidgets import QApplication

from winkmon.gui.controller import SessionController
from winkmon.gui.sound import SoundPlayer
from winkmon.gui.sources import SourceFactory
from winkmon.gui.window import DashboardWindow
from winkmon.protocol.constants import Role

SACRUM, LUMBAR = sys.argv[1], sys.argv[2]
TIMEOUT_S = float(sys.argv[3])


async def main() -> dict[str, object]:
    factory = SourceFactory(seed=0)
    window = DashboardWindow(
        SessionController(factory.demo()), sound=SoundPlayer(enabled=False), factory=factory
    )
    window.show()
    window.start()
    menus = [a.text() for a in window.menuBar().actions()]
    window.demo_actions["pair"].trigger()
    dialog = window.pair_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.set_kinds(SACRUM, LUMBAR)
    dialog.accept()
    found: dict[str, object] = {"menus": menus, "title": window.source_label.text()}
    deadline = time.monotonic() + TIMEOUT_S
    rows: list = []
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        rows = window.set_panel.table.rows()
        if len(rows) >= 2:
            break
    sensors = window.controller.sensors()
    found.update(
        rows=[list(map(str, r)) for r in rows],
        kinds={r.label: sensors[r].kind for r in (Role.SACRUM, Role.LUMBAR)},
        links={r.label: str(sensors[r].link) for r in (Role.SACRUM, Role.LUMBAR)},
        rates={r.label: round(sensors[r].rate_hz) for r in (Role.SACRUM, Role.LUMBAR)},
        angle=window.gauge.text,
        seconds=round(TIMEOUT_S - (deadline - time.monotonic()), 1),
        error=getattr(window.controller.source, "error", None),
    )
    window.close()
    closer = getattr(window.controller.source, "aclose", None)
    if closer is not None:
        await closer()
    return found


if __name__ == "__main__":
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # type: ignore[attr-defined]
    out = qasync.run(main())
    print(json.dumps(out))
