"""A whole session's pipeline output in one object (reports, replay, benchmarks).

Recordings are analysed by :func:`winkmon.session.offline.analyze_recording` (the one session,
fed by the recording player); :func:`run_batches` runs sample batches decoded elsewhere (a
bench's own files).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from winkmon.pipeline.events import Alert, AngleBlock, Event, Gap, Rep, StepResult
from winkmon.pipeline.pipeline import Pipeline
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch
from winkmon.stream import StreamStats


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


class ResultCollector:
    """Gathers the steps of one run into a :class:`SessionResult` (a step listener)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.blocks: list[AngleBlock] = []
        self.events: list[Event] = []

    def __call__(self, step: StepResult) -> None:
        self.take(step)

    def take(self, step: StepResult) -> None:
        if len(step.angles):
            self.blocks.append(step.angles)
        self.events.extend(step.events)

    def result(self, stats: dict[Role, StreamStats] | None = None) -> SessionResult:
        """What was gathered (call after the pipeline's last step)."""
        return SessionResult(
            AngleBlock.concat(self.blocks),
            self.events,
            dict(stats or {}),
            has_angle=self.pipeline.has_angle,
        )


def run_batches(pipeline: Pipeline, batches: Iterable[SampleBatch]) -> SessionResult:
    """Feed sample batches decoded elsewhere (CSV, a bench's own files) and collect everything."""
    out = ResultCollector(pipeline)
    for batch in batches:
        out.take(pipeline.feed_batch(batch))
    out.take(pipeline.finish())
    return out.result()
