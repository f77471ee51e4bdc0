"""A small session library of simulated athletes, for the archive tests."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

from winkmon.commands.simulate import write_simulated_recording
from winkmon.sim import random_session

ATHLETES = ("Ana", "Ben", "Cleo", "Dev", "Eli")
SESSIONS_EACH = 4
RATE_HZ = 100  # both sensors; keeps the 20 sessions quick to simulate and analyse


def build_library(root: Path) -> list[Path]:
    """``root/<athlete>/<date>.winkmon``: 5 athletes x 4 sessions on 4 dates (seeded)."""
    paths = []
    for i, name in enumerate(ATHLETES):
        for k in range(SESSIONS_EACH):
            config, script = random_session(100 + 10 * i + k, "classic", duration_s=60.0)
            config = dataclasses.replace(config, sacrum_rate_hz=RATE_HZ, lumbar_rate_hz=RATE_HZ)
            date = f"2026-11-{10 + 3 * k:02d}"
            path = root / name / f"{date}.winkmon"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_simulated_recording(path, config, script)
            with sqlite3.connect(path) as con:  # as if recorded on that day
                con.execute(
                    "UPDATE meta SET value = ? WHERE key = 'created_utc'",
                    (json.dumps(f"{date}T17:30:00+00:00"),),
                )
            paths.append(path)
    return paths
