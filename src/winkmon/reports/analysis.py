"""Run a recording through the pipeline for the reports and the archive.

One call site for the whole package: the lead is moving ``analyze_recording`` from
:mod:`winkmon.pipeline.offline` to ``winkmon.session.offline``; this finds whichever exists, so
the reports and the archive follow the move without edits.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from winkmon.pipeline.model import AthleteModel
    from winkmon.pipeline.offline import SessionResult


def analyze_recording(recording: Any, model: AthleteModel) -> SessionResult:
    """The pipeline over an open :class:`~winkmon.recording.Recording` (whole session)."""
    for name in ("winkmon.session.offline", "winkmon.pipeline.offline"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        func = getattr(module, "analyze_recording", None)
        if func is not None:
            result: SessionResult = func(recording, model)
            return result
    raise ImportError("no analyze_recording in winkmon.session.offline or winkmon.pipeline.offline")
