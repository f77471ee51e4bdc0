"""Run the pipeline over a whole recording (reports, replay, benchmarks).

This is the live pipeline, unchanged, fed the stored notifications in arrival order in large
chunks: the result is what the live session showed (the tests hold the two to equality).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from winkmon.pipeline.events import Alert, AngleBlock, Event, Gap, Rep, StepResult
from winkmon.pipeline.model import AthleteModel
from winkmon.pipeline.pipeline import Pipeline, PipelineConfig
from winkmon.protocol.constants import Role
from winkmon.stream import StreamStats

Notification = tuple[Role, int, bytes]


@dataclass(slots=True)
class SessionResult:
    """Everything the pipeline produced for one session."""

    angles: AngleBlock
    events: list[Event]
    stats: dict[Role, StreamStats] = field(default_factory=dict)

    @property
    def reps(self) -> list[Rep]:
        return [e for e in self.events if isinstance(e, Rep)]

    @property
    def alerts(self) -> list[Alert]:
        return [e for e in self.events if isinstance(e, Alert)]

    @property
    def gaps(self) -> list[Gap]:
        return [e for e in self.events if isinstance(e, Gap)]


def run_notifications(
    pipeline: Pipeline,
    notifications: Iterable[Notification],
    *,
    chunk: int = 8192,
    progress: Callable[[int], None] | None = None,
) -> SessionResult:
    """Feed notifications (arrival order) through ``pipeline`` and collect everything."""
    blocks: list[AngleBlock] = []
    events: list[Event] = []

    def take(step: StepResult) -> None:
        if len(step.angles):
            blocks.append(step.angles)
        events.extend(step.events)

    pending: list[Notification] = []
    for item in notifications:
        pending.append(item)
        if len(pending) >= chunk:
            take(pipeline.feed_notifications(pending))
            if progress is not None:
                progress(len(pending))
            pending = []
    if pending:
        take(pipeline.feed_notifications(pending))
        if progress is not None:
            progress(len(pending))
    take(pipeline.finish())
    return SessionResult(AngleBlock.concat(blocks), events, dict(pipeline.stats))


def analyze_recording(
    recording: object,
    model: AthleteModel,
    config: PipelineConfig | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> SessionResult:
    """The pipeline over a :class:`~winkmon.recording.Recording` (frames in arrival order)."""
    from winkmon.recording import Recording, clock_for

    if not isinstance(recording, Recording):
        raise TypeError("analyze_recording needs a winkmon.recording.Recording")
    missing = [r.label for r in (Role.SACRUM, Role.LUMBAR) if r not in recording.sensors]
    if missing:
        from winkmon.errors import RecordingError

        raise RecordingError(
            f"{recording.path}: no {' or '.join(missing)} sensor in this recording; the "
            "lumbopelvic angle needs both"
        )
    rates = {r: recording.sensors[r].rate_hz for r in (Role.SACRUM, Role.LUMBAR)}
    pipeline = Pipeline(
        model,
        rates,
        config,
        clocks={r: clock_for(recording) for r in rates},
        session_start_ns=recording.meta.session_start_ns,
    )
    return run_notifications(pipeline, recording.iter_frames(), progress=progress)
