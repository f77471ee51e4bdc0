"""Shared types of the report tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from winkmon.pipeline.offline import SessionResult
from winkmon.profiles import AthleteProfile
from winkmon.reports.html import SessionInfo


@dataclass
class Analysed:
    session: Path
    profiles: Path
    profile: AthleteProfile
    result: SessionResult
    doc: dict[str, Any]
    info: SessionInfo
