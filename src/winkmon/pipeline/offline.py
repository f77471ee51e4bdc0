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
from winkmon.samples import SampleBatch
from winkmon.stream import StreamStats

Notification = tuple[Role, int, bytes]


@dataclass(slots=True)
class SessionResult:
    """Everything the pipeline produced for one session."""

    angles: AngleBlock
    events: list[Event]
    stats: dict[Role, StreamStats] = field(default_factory=dict)
    #: The lumbopelvic angle was computed (both sensors, both calibrated).
    has_angle: bool = True

    @property
    def reps(self) -> list[Rep]:
        return [e for e in self.events if isinstance(e, Rep)]

    @property
    def alerts(self) -> list[Alert]:
        return [e for e in self.events if isinstance(e, Alert)]

    @property
    def gaps(self) -> list[Gap]:
        return [e for e in self.events if isinstance(e, Gap)]


class _Collector:
    """Gathers the steps of one run into a :class:`SessionResult`."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.blocks: list[AngleBlock] = []
        self.events: list[Event] = []

    def take(self, step: StepResult) -> None:
        if len(step.angles):
            self.blocks.append(step.angles)
        self.events.extend(step.events)

    def finish(self) -> SessionResult:
        self.take(self.pipeline.finish())
        return SessionResult(
            AngleBlock.concat(self.blocks),
            self.events,
            dict(self.pipeline.stats),
            has_angle=self.pipeline.has_angle,
        )


def run_notifications(
    pipeline: Pipeline,
    notifications: Iterable[Notification],
    *,
    chunk: int = 8192,
    progress: Callable[[int], None] | None = None,
) -> SessionResult:
    """Feed notifications (arrival order) through ``pipeline`` and collect everything."""
    out = _Collector(pipeline)
    pending: list[Notification] = []
    for item in notifications:
        pending.append(item)
        if len(pending) >= chunk:
            out.take(pipeline.feed_notifications(pending))
            if progress is not None:
                progress(len(pending))
            pending = []
    if pending:
        out.take(pipeline.feed_notifications(pending))
        if progress is not None:
            progress(len(pending))
    return out.finish()


def run_batches(pipeline: Pipeline, batches: Iterable[SampleBatch]) -> SessionResult:
    """Feed sample batches decoded elsewhere (CSV, a bench's own files) and collect everything."""
    out = _Collector(pipeline)
    for batch in batches:
        out.take(pipeline.feed_batch(batch))
    return out.finish()


def analyze_recording(
    recording: object,
    model: AthleteModel,
    config: PipelineConfig | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> SessionResult:
    """The pipeline over a :class:`~winkmon.recording.Recording` (frames in arrival order).

    A recording with one sensor, or a model without both mounts, gives reps, depth and tempo
    without the lumbopelvic angle (verdicts ``unavailable``)."""
    from winkmon.errors import RecordingError
    from winkmon.recording import Recording, clock_for

    if not isinstance(recording, Recording):
        raise TypeError("analyze_recording needs a winkmon.recording.Recording")
    roles = [r for r in (Role.SACRUM, Role.LUMBAR) if r in recording.sensors]
    if not roles:
        raise RecordingError(
            f"{recording.path}: no sacrum or lumbar sensor in this recording; there is "
            "nothing to analyse"
        )
    rates: dict[Role, float] = {r: recording.sensors[r].rate_hz for r in roles}
    pipeline = Pipeline(
        model,
        rates,
        config,
        clocks={r: clock_for(recording) for r in rates},
        session_start_ns=recording.meta.session_start_ns,
    )
    out = _Collector(pipeline)
    for chunk in recording.iter_frame_chunks():
        out.take(pipeline.feed_columns(chunk.roles, chunk.t_host_ns, chunk.payloads))
        if progress is not None:
            progress(len(chunk.payloads))
    return out.finish()
