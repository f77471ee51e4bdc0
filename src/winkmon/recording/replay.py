"""Decoding a recording's frames into samples, with the same stream code as a live session."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from winkmon.clock import ClockModel, EnvelopeClock, SharedClock
from winkmon.protocol.constants import Role
from winkmon.recording.reader import Recording
from winkmon.samples import SampleBatch
from winkmon.stream import SensorStream, StreamStats

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Replay:
    """All samples of a recording, per sensor, with the stream statistics.

    A sensor that delivered no sample at all has stats but no entry in ``samples``.
    ``warnings`` lists what went wrong on the way (damage, frames of undeclared sensors).
    """

    samples: dict[Role, SampleBatch] = field(default_factory=dict)
    stats: dict[Role, StreamStats] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def clock_for(recording: Recording) -> ClockModel:
    """A fresh clock model of the kind the recording was made with."""
    meta = recording.meta
    if meta.clock == "shared":
        return SharedClock(meta.clock_offset_us)
    return EnvelopeClock()


def make_streams(
    recording: Recording, roles: Iterable[Role] | None = None
) -> dict[Role, SensorStream]:
    """One :class:`SensorStream` per declared sensor, set up as the session was."""
    wanted = set(recording.sensors) if roles is None else set(roles)
    return {
        role: SensorStream(
            role,
            sm.rate_hz,
            clock=clock_for(recording),
            session_start_ns=recording.meta.session_start_ns,
        )
        for role, sm in recording.sensors.items()
        if role in wanted
    }


def load_samples(
    recording: Recording,
    roles: Iterable[Role] | None = None,
    *,
    chunk_frames: int = 4096,
) -> Replay:
    """Feed every stored frame through a :class:`SensorStream` and gather the samples.

    Clock: :class:`SharedClock` with the stored offset for ``clock="shared"`` recordings,
    :class:`EnvelopeClock` otherwise. A recording opened with ``partial_ok`` is replayed up to
    its damage (see :meth:`Recording.iter_frames`) instead of raising. Frames go to the streams in
    chunks of ``chunk_frames`` per sensor (the result does not depend on the chunking).
    """
    streams = make_streams(recording, roles)
    batches: dict[Role, list[SampleBatch]] = {role: [] for role in streams}
    pending: dict[Role, tuple[list[int], list[bytes]]] = {role: ([], []) for role in streams}
    orphans: dict[Role, int] = {}

    def drain(role: Role) -> None:
        times, payloads = pending[role]
        if payloads:
            batch = streams[role].feed_many(times, payloads)
            if batch is not None:
                batches[role].append(batch)
            pending[role] = ([], [])

    wanted = None if roles is None else set(roles)
    for chunk in recording.iter_frame_chunks(wanted):
        for r in set(chunk.roles):
            role = Role(r)
            sel = [i for i, x in enumerate(chunk.roles) if x == r]
            if role not in streams:
                orphans[role] = orphans.get(role, 0) + len(sel)
                continue
            times, payloads = pending[role]
            times.extend(chunk.t_host_ns[i] for i in sel)
            payloads.extend(chunk.payloads[i] for i in sel)
            if len(payloads) >= chunk_frames:
                drain(role)
    for role in streams:
        drain(role)
    replay = Replay()
    for role, stream in streams.items():
        replay.stats[role] = stream.stats
        if batches[role]:
            replay.samples[role] = SampleBatch.concat(batches[role])
    for role, n in orphans.items():
        msg = f"{n} frames of sensor {role.label}, which the recording does not declare: skipped"
        log.warning("%s: %s", recording.path, msg)
        replay.warnings.append(msg)
    if recording.damage:
        replay.warnings.append(recording.damage)
    return replay
