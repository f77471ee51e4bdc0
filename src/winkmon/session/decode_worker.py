"""A recording read and decoded in a second process, for the pipeline in this one.

Replaying a long recording is two halves of about the same weight: reading and decoding the
notifications (SQLite, the decoders, the clock), and the pipeline (orientation, alignment, the
rep tracker). :func:`decoded_steps` runs the first half in a child process, exactly as the
session runs it (the player, the session's decoders), and yields the sample batches of each
source event in order; the caller pushes them into its pipeline and pulls once per event, as
:meth:`Session.handle` does. The output is the same, bit for bit (a test compares them), and a
machine with two cores does both halves at once.

To even the halves out, the child can also run some sensors' chains (orientation filter,
inclination, vertical acceleration; :class:`~winkmon.pipeline.chain.SensorChain`): a chain
depends only on its own sensor's batches, in order, so it gives the same output in either
process. Those sensors' steps then carry :class:`ChainedBatch` es, which the caller hands to
:meth:`~winkmon.pipeline.pipeline.Pipeline.push_chained`.

The child gets the recording's path (it opens its own read-only connection) and sends back,
per source event, its batches and the frames it held (for progress), then the decoding
counters, the damage a partial read met and the session's orphan counts. An error in the child
(a damaged recording) is raised again here with its message; a child that dies is a
:class:`~winkmon.errors.RecordingError` naming its exit code.

Messages go through a plain pipe, pickled with protocol 5 and the arrays' memory sent out of
band (:func:`_pack`, :func:`_receive`): the arrays arrive straight in the buffer they are read
into and are used from there, with no copy through a pickle stream (a step is about 2 MB).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import pickle
import queue
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from winkmon.errors import RecordingError
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch
from winkmon.stream import StreamStats

if TYPE_CHECKING:
    from winkmon.pipeline.chain import ChainOutput, SensorChain

log = logging.getLogger(__name__)

#: Recordings with fewer DATA notifications than this are decoded in-process (starting a
#: process costs more than it saves); about a minute of two sensors at 200 Hz.
MIN_FRAMES = 20_000
#: The pipe's capacity asked for (Linux; the default is 64 KiB): a step's message in a few
#: reads rather than dozens, bytes.
PIPE_BYTES = 1 << 20
_COUNT = struct.Struct("<I")


@dataclass(frozen=True, slots=True)
class ChainedBatch:
    """A sample batch already through its sensor's chain, in the child."""

    role: Role
    output: ChainOutput


@dataclass(frozen=True, slots=True)
class DecodedStep:
    """The sample batches one source event gave (in the session's order; those of sensors
    whose chain runs in the child as :class:`ChainedBatch`), and the DATA notifications it
    held."""

    batches: list[SampleBatch | ChainedBatch]
    frames: int


@dataclass(slots=True)
class DecodeSummary:
    """What the child knows at the end: counters per sensor, damage met, orphan frames, and
    the counters of the chains it ran (``restarts``, ``bridged_samples``, ``settled_samples``)."""

    stats: dict[Role, StreamStats] = field(default_factory=dict)
    damage: str | None = None
    orphans: dict[Role, int] = field(default_factory=dict)
    chain_counts: dict[Role, tuple[int, int, int]] = field(default_factory=dict)


def can_offload(frames: int) -> bool:
    """Whether a second process is worth it and allowed here: a long recording, two or more
    cores, a platform that forks (no re-import), and not inside a daemonic worker (a batch's
    process pool), which may not start children."""
    return (
        frames >= MIN_FRAMES
        and (os.cpu_count() or 1) >= 2
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _child(
    fd: int,
    path: Path,
    partial_ok: bool,
    roles: list[Role],
    chains: dict[Role, SensorChain],
) -> None:
    """The child's whole life: decode (and run ``chains``), send, close. Never raises (errors
    are sent)."""
    from winkmon.recording import Recording
    from winkmon.session.contract import NotificationBlock
    from winkmon.session.player import RecordingPlayer
    from winkmon.session.session import Session

    sender = _Sender(fd)
    try:
        with Recording.open(path, partial_ok=partial_ok) as rec:
            player = RecordingPlayer(rec)
            session = Session(
                None,
                session_start_ns=player.session_start_ns,
                roles=roles,
                clock_factory=player.clock_factory(),
            )
            ready: list[SampleBatch] = []
            session.batch_listeners.append(ready.append)
            for event in player.iter_events():
                session.handle(event)
                frames = len(event) if isinstance(event, NotificationBlock) else 0
                if ready or frames:
                    sender.send(DecodedStep(_chained(ready, chains), frames))
                    ready.clear()
            counts = {
                r: (c.restarts, c.bridged_samples, c.settled_samples) for r, c in chains.items()
            }
            sender.send(DecodeSummary(session.stats, rec.damage, dict(session.orphans), counts))
    except BaseException as exc:  # sent to the parent, which raises it again
        # If the parent is gone (a broken pipe), there is no one to tell: end quietly.
        with contextlib.suppress(Exception):
            try:
                sender.send(exc)
            except (pickle.PicklingError, TypeError, AttributeError):
                sender.send(RecordingError(f"{path}: {exc}"))  # unpicklable: its message
    finally:
        sender.close()
        os.close(fd)


def _pack(msg: object) -> list[bytes | memoryview]:
    """A message as the pieces written for it: the number of parts, their sizes, the pickle
    (protocol 5) and the memory of its arrays (out of band). Raises here if it cannot be
    pickled."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(msg, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    sizes = [len(data), *(r.nbytes for r in raws)]
    head = _COUNT.pack(len(sizes)) + struct.pack(f"<{len(sizes)}Q", *sizes)
    return [head, data, *raws]


def _write_all(fd: int, pieces: list[bytes | memoryview]) -> None:
    """Write every piece, in order, however much each write takes."""
    views = [memoryview(p).cast("B") for p in pieces]
    while views:
        done = os.writev(fd, views[:64])
        while views and done >= len(views[0]):
            done -= len(views[0])
            views.pop(0)
        if done:
            views[0] = views[0][done:]


def _read_exact(fd: int, size: int) -> memoryview:
    """``size`` bytes from the pipe into a new writable buffer; EOFError if it ends first."""
    view = memoryview(bytearray(size))
    got = 0
    while got < size:
        n = os.readv(fd, [view[got:]])
        if n == 0:
            raise EOFError
        got += n
    return view


def _receive(fd: int) -> object:
    """One message written by :func:`_pack`; its arrays use the buffer they were read into."""
    (count,) = _COUNT.unpack(_read_exact(fd, _COUNT.size))
    sizes = struct.unpack(f"<{count}Q", _read_exact(fd, 8 * count))
    body = _read_exact(fd, sum(sizes))
    parts = []
    pos = 0
    for size in sizes:
        parts.append(body[pos : pos + size])
        pos += size
    return pickle.loads(parts[0], buffers=parts[1:])


def _widen(fd: int) -> None:
    """Ask for a larger pipe (Linux only; elsewhere, or when refused, it stays as it is)."""
    try:
        import fcntl
    except ImportError:  # not POSIX (no fork there either)
        return
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setpipe is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setpipe, PIPE_BYTES)


class _Sender:
    """The child's messages: pickled in the decoding thread, written to the pipe ``fd`` by a
    thread of their own, up to ``depth`` ahead. A pipe holds far less than one step's
    batches, so writing in the decoding thread would hold the decoding up until the parent has
    read each step: the two processes would take turns instead of working at once. If the
    parent is gone, the rest is dropped (there is no one to tell)."""

    def __init__(self, fd: int, depth: int = 8) -> None:
        self._fd = fd
        self._queue: queue.Queue[list[bytes | memoryview] | None] = queue.Queue(maxsize=depth)
        self._broken = False
        self._thread = threading.Thread(target=self._write, name="winkmon-decode-send")
        self._thread.start()

    def send(self, msg: object) -> None:
        """Queue a message (raises here if it cannot be pickled)."""
        self._queue.put(_pack(msg))

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _write(self) -> None:
        while (pieces := self._queue.get()) is not None:
            if not self._broken:
                try:
                    _write_all(self._fd, pieces)
                except BaseException:  # the parent is gone: drain the queue, write no more
                    self._broken = True


def _run_child(
    read_fd: int,
    write_fd: int,
    path: Path,
    partial_ok: bool,
    roles: list[Role],
    chains: dict[Role, SensorChain],
) -> None:
    """The child's entry: it only writes (the parent's end of the pipe is closed here, so
    the parent sees the end of the pipe when the child ends). What it inherited from the
    parent is frozen out of its garbage collections: they would walk (and so copy, page by
    page) memory the child only reads."""
    gc.freeze()
    os.close(read_fd)
    _child(write_fd, path, partial_ok, roles, chains)


def _chained(
    batches: list[SampleBatch], chains: dict[Role, SensorChain]
) -> list[SampleBatch | ChainedBatch]:
    """The batches, those of ``chains``' sensors through their chain (as
    :meth:`Pipeline.push <winkmon.pipeline.pipeline.Pipeline.push>` would: empty ones skipped)."""
    if not chains:
        return list(batches)
    out: list[SampleBatch | ChainedBatch] = []
    for b in batches:
        chain = chains.get(b.role)
        if chain is None:
            out.append(b)
        elif len(b):
            out.append(ChainedBatch(b.role, chain.process(b)))
    return out


def decoded_steps(
    path: Path,
    roles: list[Role],
    *,
    partial_ok: bool,
    summary: DecodeSummary,
    chains: dict[Role, SensorChain] | None = None,
) -> Iterator[DecodedStep]:
    """The decoded steps of a recording, from a child process (see the module doc).
    ``chains``: sensors whose chain runs in the child (fresh chains, forked with it; the
    caller's own copies stay unused). ``summary`` is filled in at the end."""
    ctx = multiprocessing.get_context("fork")
    read_fd, write_fd = os.pipe()
    _widen(write_fd)
    proc = ctx.Process(
        target=_run_child,
        args=(read_fd, write_fd, path, partial_ok, roles, dict(chains or {})),
        name="winkmon-decode",
        daemon=True,
    )
    try:
        proc.start()
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)  # the child's end: only the child writes
    try:
        while True:
            try:
                msg: Any = _receive(read_fd)
            except EOFError:
                proc.join(5)
                raise RecordingError(
                    f"{path}: the process decoding the recording ended unexpectedly "
                    f"(exit code {proc.exitcode}); run the command again"
                ) from None
            if isinstance(msg, DecodedStep):
                yield msg
            elif isinstance(msg, DecodeSummary):
                summary.stats, summary.damage, summary.orphans = msg.stats, msg.damage, msg.orphans
                summary.chain_counts = msg.chain_counts
                return
            elif isinstance(msg, BaseException):
                raise msg
            else:  # pragma: no cover - only the child writes to this pipe
                raise RecordingError(f"{path}: unexpected message from the decoding process")
    finally:
        os.close(read_fd)
        if proc.is_alive():
            proc.terminate()
        proc.join()


__all__ = [
    "MIN_FRAMES",
    "ChainedBatch",
    "DecodeSummary",
    "DecodedStep",
    "can_offload",
    "decoded_steps",
]
