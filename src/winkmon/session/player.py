"""The recording player: a ``.winkmon`` file as a source of raw notifications.

:class:`RecordingPlayer` hands out a recording's events as the live session received them:
each sensor's stream segments (restored from the ``segments`` table at the frame where they
started; a format-1 recording has one per sensor), the DATA notifications in arrival order, the
STATUS notifications and the link changes. It implements
:class:`~winkmon.session.contract.NotificationSource`:

- :meth:`iter_events`: as fast as possible, synchronously, DATA in large blocks (reports,
  calibration, exports, benchmarks);
- :meth:`events`: asynchronously, as fast as possible (``speed=None``) or paced at 0.25-8x
  real time.

:meth:`seek` sets where the next pass starts: the segments in force there come first, then the
frames from that time on.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass

from winkmon.clock import ClockModel, EnvelopeClock, SharedClock
from winkmon.errors import WinkmonError
from winkmon.protocol.constants import Role
from winkmon.recording import Recording
from winkmon.recording.reader import SegmentRow
from winkmon.session.contract import (
    Channel,
    LinkChanged,
    LinkState,
    Notification,
    NotificationBlock,
    SourceEvent,
    StreamStarted,
)
from winkmon.session.decode import WINKMON_DECODER

MIN_SPEED, MAX_SPEED = 0.25, 8.0
_GAP_STATES = {"disconnect": LinkState.RECONNECTING, "reconnect": LinkState.CONNECTED}


@dataclass(frozen=True, slots=True)
class _Side:
    """A STATUS notification or a link change, placed by host time."""

    t_host_ns: int
    event: SourceEvent


def _started(row: SegmentRow) -> StreamStarted:
    return StreamStarted(
        role=row.role,
        t_host_ns=row.t_host_ns,
        decoder=row.decoder,
        rate_hz=row.rate_hz,
        params=row.params,
        reason=row.reason,
        address=row.address,
        info=row.info,
    )


class RecordingPlayer:
    """Plays a :class:`~winkmon.recording.Recording` (see module doc).

    Parameters
    ----------
    recording:
        An open recording (the player does not close it).
    speed:
        None: as fast as possible; else 0.25-8 (x real time) for :meth:`events`.
    roles:
        Only these sensors (default: all the recording declares).
    block_frames:
        Most DATA notifications per block when paced (as fast as possible: as stored).
    """

    def __init__(
        self,
        recording: Recording,
        *,
        speed: float | None = None,
        roles: Iterable[Role] | None = None,
        block_frames: int = 8,
    ) -> None:
        if speed is not None and not MIN_SPEED <= speed <= MAX_SPEED:
            raise WinkmonError(f"replay speed {speed:g}x: choose {MIN_SPEED:g} to {MAX_SPEED:g}")
        self.recording = recording
        self.speed = speed
        self.session_start_ns = recording.meta.session_start_ns
        wanted = set(recording.sensors) if roles is None else set(roles)
        self.roles: tuple[Role, ...] = tuple(r for r in recording.sensors if r in wanted)
        # Frames of sensors the recording does not declare still come (the session counts
        # them), unless the caller chose sensors.
        self._frame_roles: tuple[Role, ...] | None = None if roles is None else self.roles
        self.block_frames = max(1, int(block_frames))
        self.position_s = 0.0
        self._closed = False

    # ------------------------------------------------------------------ facts
    def clock_factory(self) -> Callable[[], ClockModel]:
        """The clock model the recording's sensors were mapped with."""
        meta = self.recording.meta
        if meta.clock == "shared":
            offset = meta.clock_offset_us
            return lambda: SharedClock(offset)
        return EnvelopeClock

    @property
    def rates_hz(self) -> dict[Role, float]:
        return {r: self.recording.sensors[r].rate_hz for r in self.roles}

    def seek(self, t_s: float) -> None:
        """Start the next pass at session time ``t_s`` (seconds)."""
        self.position_s = max(0.0, float(t_s))

    async def close(self) -> None:
        self._closed = True

    # ------------------------------------------------------------------ events
    def _segments(self) -> list[SegmentRow]:
        rows = [s for s in self.recording.segments() if s.role in self.roles]
        declared = {s.role for s in rows}
        # Format 1 (or a sensor whose segment rows are missing): one segment from frame 1.
        for role in self.roles:
            if role not in declared:
                sm = self.recording.sensors[role]
                rows.insert(
                    0,
                    SegmentRow(
                        role,
                        self.session_start_ns,
                        0,
                        WINKMON_DECODER,
                        sm.rate_hz,
                        "start",
                        {},
                        sm.address or "",
                        {},
                    ),
                )
        return sorted(rows, key=lambda s: s.frame_id)

    def _side(self) -> list[_Side]:
        side: list[_Side] = []
        for role, t_ns, payload in self.recording.iter_status(self.roles):
            side.append(_Side(t_ns, Notification(role, t_ns, payload, Channel.STATUS)))
        for gap in self.recording.gaps:
            state = _GAP_STATES.get(gap.kind)
            if state is None or gap.role not in self.roles:
                continue
            t_ns = self.session_start_ns + round(gap.t_s * 1e9)
            side.append(_Side(t_ns, LinkChanged(gap.role, t_ns, state, gap.detail)))
        side.sort(key=lambda s: s.t_host_ns)
        return side

    def iter_events(self) -> Iterator[SourceEvent]:
        """All events from :attr:`position_s` on, as fast as possible (DATA in blocks)."""
        start_ns = self.session_start_ns + round(self.position_s * 1e9)
        segments = self._segments()
        side = self._side()
        si = bisect.bisect_left([s.t_host_ns for s in side], start_ns)
        seg_i = 0
        held: dict[Role, SegmentRow] = {}  # segments before the start, in force there
        begun = self.position_s <= 0.0

        def release() -> Iterator[SourceEvent]:
            for row in held.values():
                yield _started(row)
            held.clear()

        for chunk in self.recording.iter_frame_chunks(self._frame_roles):
            ids = chunk.ids
            n = len(ids)
            pos = 0
            while pos < n:
                # Segments that start at or before this frame.
                while seg_i < len(segments) and segments[seg_i].frame_id <= ids[pos]:
                    row = segments[seg_i]
                    seg_i += 1
                    if begun:
                        yield _started(row)
                    else:
                        held[row.role] = row
                end = n
                if seg_i < len(segments):
                    end = min(n, bisect.bisect_left(ids, segments[seg_i].frame_id, lo=pos + 1))
                roles = chunk.roles[pos:end]
                times = chunk.t_host_ns[pos:end]
                payloads = chunk.payloads[pos:end]
                pos = end
                if not begun:
                    k = bisect.bisect_left(times, start_ns)
                    if k == len(times):
                        continue
                    roles, times, payloads = roles[k:], times[k:], payloads[k:]
                    begun = True
                    yield from release()
                while si < len(side) and side[si].t_host_ns <= times[-1]:
                    yield side[si].event
                    si += 1
                yield NotificationBlock(roles, times, payloads)
        if not begun:
            yield from release()
        for row in segments[seg_i:]:
            yield _started(row)
        for s in side[si:]:
            yield s.event

    async def events(self) -> AsyncIterator[SourceEvent]:
        """The same events, paced at :attr:`speed` x real time (None: as fast as possible,
        yielding to the event loop between blocks)."""
        import asyncio  # here: reports and exports read recordings with no event loop

        speed = self.speed
        t_wall0 = time.monotonic()
        t_rec0 = self.session_start_ns + round(self.position_s * 1e9)
        for event in self.iter_events():
            if self._closed:
                return
            if not isinstance(event, NotificationBlock):
                yield event
                continue
            step = self.block_frames if speed is not None else len(event)
            for a in range(0, len(event), step):
                part = NotificationBlock(
                    event.roles[a : a + step],
                    event.t_host_ns[a : a + step],
                    event.payloads[a : a + step],
                )
                if speed is not None:
                    due = t_wall0 + (part.t_host_ns[-1] - t_rec0) / 1e9 / speed
                    delay = due - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                else:
                    await asyncio.sleep(0)
                if self._closed:
                    return
                yield part


__all__ = ["MAX_SPEED", "MIN_SPEED", "RecordingPlayer"]
