"""Recordings through the one session, as fast as possible: reports, calibration, exports.

:func:`analyze_recording` is the pipeline's output for a whole recording, and
:func:`decode_recording` its samples: both are the live session's code (player -> session ->
decoders -> pipeline), so they give what was seen live.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping

from winkmon.errors import RecordingError
from winkmon.pipeline.model import AthleteModel
from winkmon.pipeline.offline import ResultCollector, SessionResult
from winkmon.pipeline.pipeline import Pipeline, PipelineConfig
from winkmon.protocol.constants import Role
from winkmon.recording import Recording
from winkmon.recording.replay import Replay
from winkmon.samples import SampleBatch
from winkmon.session.contract import NotificationBlock, SourceEvent, StreamStarted
from winkmon.session.decode import WINKMON_DECODER
from winkmon.session.decode_worker import ChainedBatch, DecodeSummary, can_offload, decoded_steps
from winkmon.session.player import RecordingPlayer
from winkmon.session.session import Session
from winkmon.stream import StreamStats

log = logging.getLogger(__name__)


def analyze_recording(
    recording: Recording,
    model: AthleteModel,
    config: PipelineConfig | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    offload: bool = False,
) -> SessionResult:
    """The pipeline over a recording (every frame, in arrival order).

    A recording with one sensor, or a model without both mounts, gives reps, depth and tempo
    without the lumbopelvic angle (verdicts ``unavailable``). ``progress`` is called with the
    number of frames of each block handled.

    ``offload``: read and decode in a second process while this one runs the pipeline (same
    result; see :mod:`~winkmon.session.decode_worker`), when the recording is long and the
    machine can (:func:`~winkmon.session.decode_worker.can_offload`). Only from a process with
    no other threads running (it forks): the command line, not the dashboard.
    """
    roles: list[Role] = [r for r in (Role.SACRUM, Role.LUMBAR) if r in recording.sensors]
    if not roles:
        raise RecordingError(
            f"{recording.path}: no sacrum or lumbar sensor in this recording; there is "
            "nothing to analyse"
        )
    pipeline = Pipeline(model, {r: recording.sensors[r].rate_hz for r in roles}, config)
    collector = ResultCollector(pipeline)
    if offload and _worth_offloading(recording):
        return _analyze_offloaded(recording, roles, pipeline, collector, progress)
    player = RecordingPlayer(recording)
    session = Session(
        pipeline,
        session_start_ns=player.session_start_ns,
        clock_factory=player.clock_factory(),
    )
    session.step_listeners.append(collector)
    for event in player.iter_events():
        session.handle(event)
        if progress is not None and isinstance(event, NotificationBlock):
            progress(len(event))
    session.finish()
    return collector.result(session.stats)


def _worth_offloading(recording: Recording) -> bool:
    if recording.damage:
        return False  # damaged: read it here, as far as it goes (and warn once)
    try:
        frames = recording.frame_count()
    except RecordingError:
        return False
    return can_offload(frames)


def _analyze_offloaded(
    recording: Recording,
    roles: list[Role],
    pipeline: Pipeline,
    collector: ResultCollector,
    progress: Callable[[int], None] | None,
) -> SessionResult:
    """:func:`analyze_recording` with the decoding in a child process: the batches of each
    source event pushed, then one pull, as :meth:`Session.handle` does."""
    summary = DecodeSummary()
    # With both sensors, the sacrum's chain (its orientation filter) runs in the child too:
    # that evens out the two processes' work (see decode_worker).
    in_child = {Role.SACRUM: pipeline.chains[Role.SACRUM]} if len(pipeline.chains) == 2 else {}
    steps = decoded_steps(
        recording.path,
        roles,
        partial_ok=recording.partial_ok,
        summary=summary,
        chains=in_child,
    )
    for step in steps:
        if step.batches:
            for batch in step.batches:
                if isinstance(batch, ChainedBatch):
                    pipeline.push_chained(batch.role, batch.output)
                else:
                    pipeline.push(batch)
            out = pipeline.pull()
            if len(out.angles) or out.events:
                collector(out)
        if progress is not None and step.frames:
            progress(step.frames)
    out = pipeline.finish()
    if len(out.angles) or out.events:
        collector(out)
    for role, (restarts, bridged, settled) in summary.chain_counts.items():
        chain = pipeline.chains[role]  # the child's copy counted; this one's are the record
        chain.restarts, chain.bridged_samples, chain.settled_samples = restarts, bridged, settled
    if summary.damage:  # what reading in this process would have left there
        recording.damage = summary.damage
    return collector.result(summary.stats)


def iter_decoded(
    recording: Recording,
    roles: Iterable[Role] | None = None,
    *,
    warnings: list[str] | None = None,
    stats: dict[Role, StreamStats] | None = None,
) -> Iterator[SampleBatch]:
    """A recording's samples as the session decodes them, a stored block at a time (never
    more than one block held). At the end, ``stats`` (if given) gets the decoding counters and
    ``warnings`` what went wrong: frames of sensors the recording does not declare, damage."""
    wanted = list(recording.sensors) if roles is None else list(roles)
    player = RecordingPlayer(recording)
    session = Session(
        None,
        session_start_ns=player.session_start_ns,
        roles=[r for r in wanted if r in recording.sensors],
        clock_factory=player.clock_factory(),
    )
    ready: list[SampleBatch] = []
    session.batch_listeners.append(ready.append)
    for event in player.iter_events():
        session.handle(event)
        if ready:
            yield from ready
            ready.clear()
    if stats is not None:
        stats.update(session.stats)
    if warnings is not None:
        for role, n in session.orphans.items():
            if role not in recording.sensors:
                warnings.append(
                    f"{n} frames of sensor {role.label}, which the recording does not "
                    "declare: skipped"
                )
        if recording.damage:
            warnings.append(recording.damage)


def decode_recording(recording: Recording, roles: Iterable[Role] | None = None) -> Replay:
    """All samples of a recording, per sensor, with the decoding counters (no analysis)."""
    replay = Replay()
    batches: dict[Role, list[SampleBatch]] = {}
    for batch in iter_decoded(recording, roles, warnings=replay.warnings, stats=replay.stats):
        batches.setdefault(batch.role, []).append(batch)
    for role, parts in batches.items():
        replay.samples[role] = SampleBatch.concat(parts)
    for msg in replay.warnings:
        if msg != recording.damage:  # damage is logged where it is found
            log.warning("%s: %s", recording.path, msg)
    return replay


def notification_events(
    notifications: Iterable[tuple[Role, int, bytes]],
    rates_hz: Mapping[Role, float],
    *,
    chunk: int = 8192,
    t_start_ns: int = 0,
) -> Iterator[SourceEvent]:
    """Stored DATA notifications ``(role, t_host_ns, payload)`` (arrival order, one segment
    per sensor in the ``winkmon`` format) as source events, in blocks of ``chunk``."""
    for role, rate in rates_hz.items():
        yield StreamStarted(role, t_start_ns, WINKMON_DECODER, float(rate))
    pending: list[tuple[Role, int, bytes]] = []
    for item in notifications:
        pending.append(item)
        if len(pending) >= chunk:
            roles, times, payloads = zip(*pending, strict=True)
            yield NotificationBlock(roles, times, payloads)
            pending = []
    if pending:
        roles, times, payloads = zip(*pending, strict=True)
        yield NotificationBlock(roles, times, payloads)


def run_notifications(
    pipeline: Pipeline,
    notifications: Iterable[tuple[Role, int, bytes]],
    *,
    chunk: int = 8192,
    session_start_ns: int = 0,
) -> SessionResult:
    """Notifications of sensors in the ``winkmon`` format (a simulator's frames) through the
    one session and ``pipeline``; everything it produced."""
    session = Session(pipeline, session_start_ns=session_start_ns)
    collector = ResultCollector(pipeline)
    session.step_listeners.append(collector)
    session.run(notification_events(notifications, pipeline.rates_hz, chunk=chunk))
    return collector.result(session.stats)


__all__ = [
    "analyze_recording",
    "decode_recording",
    "iter_decoded",
    "notification_events",
    "run_notifications",
]
