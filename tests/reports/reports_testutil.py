"""Shared types of the report tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from winkmon.pipeline.offline import SessionResult
from winkmon.profiles import AthleteProfile
from winkmon.reports.html import SessionInfo

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "recordings" / "demo.winkmon"


@dataclass
class Analysed:
    session: Path
    profiles: Path
    profile: AthleteProfile
    result: SessionResult
    doc: dict[str, Any]
    info: SessionInfo
