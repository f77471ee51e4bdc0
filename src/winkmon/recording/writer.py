"""Writing recordings: :class:`RecordingWriter` for a session, helpers for derived events.

Crash safety: the file is in WAL mode with ``synchronous=NORMAL``; the writer keeps one
transaction open and commits it on the first write at least ``commit_interval_s`` (1 s) after
the previous commit, on :meth:`RecordingWriter.flush` and on close. A committed transaction
survives the process being killed (``kill -9``): a crash loses at most the writes of the last
second. If writes can pause for long (no frames arriving), call :meth:`~RecordingWriter.flush`
from a timer so the last frames before the pause are not left uncommitted.

Frames (format version 3) are gathered in memory and stored as one ``frame_blocks`` row per
commit (at most :data:`BLOCK_FRAMES` frames a row; see :mod:`~winkmon.recording.schema`):
what a commit makes durable is the same as when each frame was a row, and a long recording
is read back without a Python object per row.

The writer is not thread-safe; use it from one thread (the asyncio loop's).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

import winkmon
from winkmon.errors import RecordingError
from winkmon.protocol.constants import Role
from winkmon.protocol.records import SensorInfo, StartParams
from winkmon.recording.lock import WriterLock, refuse_if_being_written
from winkmon.recording.model import CLOCK_KINDS, ClockKind, Event
from winkmon.recording.schema import (
    APPLICATION_ID,
    DDL,
    FORMAT_VERSION,
    SIDE_FILES,
    check_header,
    connect_rw,
    input_path,
)

log = logging.getLogger(__name__)

FrameRow = tuple[int, bytes]
"""``(t_host_ns, payload)`` of one notification."""

#: Most frames in one ``frame_blocks`` row: about 2.5 s of two sensors at 200 Hz, so damage
#: to a file (a truncation) costs little more than the frames it hits.
BLOCK_FRAMES = 256


def _now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def _remove_recording(path: Path) -> None:
    for p in [path, *(path.with_name(path.name + s) for s in SIDE_FILES)]:
        p.unlink(missing_ok=True)


class RecordingWriter:
    """Writes one recording (one session) to a new ``.winkmon`` file.

    Parameters
    ----------
    path:
        The file to create; it is used as given (see :func:`~winkmon.recording.output_path`
        to add the ``.winkmon`` suffix). Its directory must exist.
    session_start_ns:
        Host clock (ns) at the session start; ``t_host_ns`` of frames is on the same clock.
    clock:
        ``"envelope"`` (live BLE or simulated data) or ``"shared"`` (device time is the
        session clock; CSV imports), see :data:`~winkmon.recording.model.ClockKind`.
    clock_offset_us:
        For ``clock="shared"``: session µs = device µs + this offset (default 0).
    simulated:
        The frames come from the simulator.
    notes:
        Free text for people.
    overwrite:
        Replace an existing recording at ``path`` (default: refuse with RecordingError).
    commit_interval_s:
        Longest time between commits while writes keep coming (default 1 s).
    checkpoint_interval_s:
        Longest time between WAL checkpoints (default 5 s): the main file alone (copied
        without its ``-wal``) is never more than this behind the last commit.
    bulk:
        The file is built whole and only then published (an import into a temporary file
        renamed at the end): no crash journal and no syncs, each page written once (default
        False: a live recording keeps the WAL, so a crash loses at most the last second).

    The writer creates the file exclusively (never through a symlink) and holds a lock on it
    until :meth:`close` (see :mod:`~winkmon.recording.lock`): a second writer, or an
    ``overwrite`` of it, is refused while it records.

    Use it as a context manager; :meth:`close` commits and makes the file self-contained.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        session_start_ns: int,
        clock: ClockKind = "envelope",
        clock_offset_us: int = 0,
        simulated: bool = False,
        notes: str = "",
        overwrite: bool = False,
        commit_interval_s: float = 1.0,
        checkpoint_interval_s: float = 5.0,
        bulk: bool = False,
    ) -> None:
        if clock not in CLOCK_KINDS:
            raise ValueError(f"clock must be one of {CLOCK_KINDS}, not {clock!r}")
        self.path = Path(path)
        self.commit_interval_s = commit_interval_s
        self.checkpoint_interval_s = checkpoint_interval_s
        if self.path.is_dir():
            raise RecordingError(f"{self.path}: is a directory")
        if self.path.exists() or self.path.is_symlink():
            if not overwrite:
                raise RecordingError(
                    f"{self.path}: already exists (choose another name or allow overwriting)"
                )
            refuse_if_being_written(self.path)
            _remove_recording(self.path)
        if not self.path.parent.is_dir():
            raise RecordingError(f"{self.path}: directory {self.path.parent} does not exist")
        self._lock: WriterLock | None = WriterLock.create(self.path)
        # The main file did not exist: any side file beside it is stale and must not be
        # applied to the new database.
        for suffix in SIDE_FILES:
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        self._conn: sqlite3.Connection | None = connect_rw(self.path)
        self.frames_written = 0
        self.frames_committed = 0  #: frames durable as of the last commit
        # Frames not yet in a block row: roles, arrival times, payloads.
        self._roles: list[int] = []
        self._times: list[int] = []
        self._payloads: list[bytes] = []
        meta: dict[str, object] = {
            "format_version": FORMAT_VERSION,
            "app_version": winkmon.__version__,
            "created_utc": _now_utc(),
            "session_start_ns": int(session_start_ns),
            "clock": clock,
            "clock_offset_us": int(clock_offset_us),
            "simulated": bool(simulated),
            "notes": notes,
            "athlete": None,
            "calibration": None,
            "source": None,
            "closed_utc": None,
        }
        conn = self._conn
        try:
            # Schema and identity first, in rollback-journal mode, so the main file carries
            # them even if the process dies before the first checkpoint.
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version={FORMAT_VERSION}")
            conn.execute("BEGIN")
            for stmt in DDL.split(";"):
                if stmt.strip():
                    conn.execute(stmt)
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [(k, _json(v)) for k, v in meta.items()],
            )
            conn.execute("COMMIT")
            if bulk:
                # A file built whole and published by rename (an import): no crash journal,
                # one write of each page.
                conn.execute("PRAGMA journal_mode=OFF")
                conn.execute("PRAGMA synchronous=OFF")
            else:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("BEGIN")
        except sqlite3.Error as exc:
            conn.close()
            self._conn = None
            self._release()
            raise RecordingError(f"{self.path}: cannot create recording: {exc}") from None
        self._last_commit = self._last_checkpoint = time.monotonic()

    # ------------------------------------------------------------------ context
    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._conn is None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RecordingError(f"{self.path}: recording is closed")
        return self._conn

    def _exec(self, sql: str, params: Iterable[object] = ()) -> None:
        try:
            self._db().execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise RecordingError(f"{self.path}: cannot write: {exc}") from None
        self._maybe_commit()

    def _maybe_commit(self) -> None:
        if time.monotonic() - self._last_commit >= self.commit_interval_s:
            self.flush()

    # ------------------------------------------------------------------ session facts
    def _set_meta(self, key: str, value: object) -> None:
        self._exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, _json(value)))

    def add_sensor(
        self,
        role: Role,
        rate_hz: float,
        info: SensorInfo | None = None,
        start: StartParams | None = None,
        address: str | None = None,
    ) -> None:
        """Declare a sensor (again, after a reconnect: the latest declaration wins)."""
        role = Role(role)
        if not rate_hz > 0:
            raise ValueError("rate_hz must be positive")
        self._exec(
            "INSERT OR REPLACE INTO sensors "
            "(role, rate_hz, address, info, info_json, start, start_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                int(role),
                float(rate_hz),
                address,
                None if info is None else bytes(info),
                None if info is None else _json(info.as_dict()),
                None if start is None else bytes(start),
                None if start is None else _json(_start_dict(start)),
            ),
        )

    def set_athlete(self, athlete: Mapping[str, Any] | None) -> None:
        """The athlete profile in force (a JSON document, stored as is)."""
        self._set_meta("athlete", None if athlete is None else dict(athlete))

    def set_calibration(self, calibration: Mapping[str, Any] | None) -> None:
        """The calibration in force (a JSON document, stored as is)."""
        self._set_meta("calibration", None if calibration is None else dict(calibration))

    def set_notes(self, notes: str) -> None:
        self._set_meta("notes", notes)

    def set_source(self, source: Mapping[str, Any] | None) -> None:
        """Where the data came from, for people (e.g. the CSV files of an import)."""
        self._set_meta("source", None if source is None else dict(source))

    # ------------------------------------------------------------------ data
    def write_frame(self, role: Role, t_host_ns: int, payload: bytes | bytearray) -> None:
        """One DATA notification exactly as received (malformed ones too)."""
        self.write_mixed_frames(((role, t_host_ns, payload),))

    def write_frames(self, role: Role, rows: Iterable[FrameRow]) -> None:
        """Many notifications of one sensor at once (``(t_host_ns, payload)`` each)."""
        r = int(role)
        self.write_mixed_frames((r, t, p) for t, p in rows)

    def write_mixed_frames(self, rows: Iterable[tuple[int, int, bytes | bytearray]]) -> None:
        """Many notifications of any sensors, ``(role, t_host_ns, payload)`` each, in order."""
        self._db()
        for r, t, p in rows:
            self._roles.append(int(r))
            self._times.append(int(t))
            self._payloads.append(bytes(p))
            self.frames_written += 1
            if len(self._roles) >= BLOCK_FRAMES:
                self._store_block()
        self._maybe_commit()

    def _store_block(self) -> None:
        """The frames gathered so far as one ``frame_blocks`` row (in the open transaction)."""
        n = len(self._roles)
        if n == 0:
            return
        first = self.frames_written - n + 1
        try:
            roles = bytes(self._roles)
        except ValueError:  # a role that is not one byte: never from a Role
            raise RecordingError(f"{self.path}: cannot write: a role out of range") from None
        row = (
            first,
            n,
            roles,
            np.array(self._times, dtype="<i8").tobytes(),
            np.fromiter(map(len, self._payloads), dtype="<u4", count=n).tobytes(),
            b"".join(self._payloads),
        )
        try:
            self._db().execute(
                "INSERT INTO frame_blocks (first_frame, n, roles, t_host_ns, lengths, payloads) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
        except sqlite3.Error as exc:
            raise RecordingError(f"{self.path}: cannot write: {exc}") from None
        self._roles, self._times, self._payloads = [], [], []

    def write_segment(
        self,
        role: Role,
        t_host_ns: int,
        decoder: str,
        rate_hz: float,
        reason: str = "start",
        params: Mapping[str, Any] | None = None,
        address: str = "",
        info: Mapping[str, Any] | None = None,
    ) -> None:
        """A sensor starts a stream segment (START, reconnect); the frames written next
        belong to it."""
        self._exec(
            "INSERT INTO segments (role, t_host_ns, frame_id, decoder, rate_hz, reason, params, "
            "address, info) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                int(Role(role)),
                int(t_host_ns),
                self.frames_written + 1,
                str(decoder),
                float(rate_hz),
                str(reason),
                _json(dict(params or {})),
                str(address),
                _json(dict(info or {})),
            ),
        )

    def write_status(self, role: Role, t_host_ns: int, payload: bytes | bytearray) -> None:
        """One STATUS notification exactly as received."""
        self._exec(
            "INSERT INTO status (role, t_host_ns, payload) VALUES (?, ?, ?)",
            (int(role), int(t_host_ns), bytes(payload)),
        )

    def mark_gap(self, role: Role, t_s: float, kind: str, detail: str = "") -> None:
        """A sensor dropout or reconnect at session time ``t_s`` (see :class:`Gap`)."""
        self._exec(
            "INSERT INTO gaps (role, t_s, kind, detail) VALUES (?, ?, ?, ?)",
            (int(Role(role)), float(t_s), kind, detail),
        )

    def write_event(self, event: Event) -> None:
        """A derived event (rep, alert, ...) produced live."""
        self._exec(
            "INSERT INTO events (kind, t_s, data) VALUES (?, ?, ?)",
            (event.kind, float(event.t_s), _json(event.data)),
        )

    # ------------------------------------------------------------------ durability
    def flush(self) -> None:
        """Commit now: everything written so far survives a crash."""
        conn = self._db()
        self._store_block()
        try:
            conn.execute("COMMIT")
            self.frames_committed = self.frames_written
            now = time.monotonic()
            if now - self._last_checkpoint >= self.checkpoint_interval_s:
                # Copy committed pages into the main file (never waits for readers).
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self._last_checkpoint = now
            conn.execute("BEGIN")
        except sqlite3.Error as exc:
            raise RecordingError(f"{self.path}: cannot write: {exc}") from None
        self._last_commit = time.monotonic()

    def close(self) -> None:
        """Commit, mark the recording complete and make it one self-contained file."""
        if self._conn is None:
            return
        conn = self._conn
        try:
            self._store_block()
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('closed_utc', ?)",
                (_json(_now_utc()),),
            )
            conn.execute("COMMIT")
            self.frames_committed = self.frames_written
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as exc:
            raise RecordingError(f"{self.path}: cannot close: {exc}") from None
        finally:
            conn.close()
            self._conn = None
            self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _start_dict(start: StartParams) -> dict[str, object]:
    return {
        "rate_hz": start.rate_hz,
        "acc_range": start.acc_range,
        "gyr_range": start.gyr_range,
        "mag_on": start.mag_on,
        "max_batch": start.max_batch,
        "flush_ms": start.flush_ms,
    }


def _event_rows(kind: str, events: Iterable[Event]) -> list[tuple[str, float, str]]:
    rows = []
    for ev in events:
        if ev.kind != kind:
            raise ValueError(f"event of kind {ev.kind!r} given where {kind!r} was expected")
        rows.append((kind, float(ev.t_s), _json(ev.data)))
    return rows


def _edit_events(
    path: str | Path, events_by_kind: Mapping[str, Iterable[Event]], replace: bool
) -> int:
    p = input_path(path)
    check_header(p)
    rows = [row for kind, evs in events_by_kind.items() for row in _event_rows(kind, evs)]
    refuse_if_being_written(p, "store events in it")
    conn = connect_rw(p)
    try:
        conn.execute("BEGIN IMMEDIATE")
        if replace:
            for kind in events_by_kind:
                conn.execute("DELETE FROM events WHERE kind = ?", (kind,))
        conn.executemany("INSERT INTO events (kind, t_s, data) VALUES (?, ?, ?)", rows)
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise RecordingError(f"{p}: cannot write events: {exc}") from None
    finally:
        conn.close()
    return len(rows)


def append_events(path: str | Path, kind: str, events: Iterable[Event]) -> int:
    """Add derived events of one ``kind`` to a closed recording; returns how many."""
    return _edit_events(path, {kind: events}, replace=False)


def replace_events(path: str | Path, kind: str, events: Iterable[Event]) -> int:
    """Replace all events of ``kind`` by ``events`` in one transaction; returns how many.

    Use it to store the result of re-analysing a recording: readers see either the old
    events or the new ones, never a mix.
    """
    return _edit_events(path, {kind: events}, replace=True)


def replace_event_kinds(path: str | Path, events_by_kind: Mapping[str, Iterable[Event]]) -> int:
    """Replace the events of every kind given (e.g. reps and alerts) in ONE transaction.

    A crash (even SIGKILL) leaves either all the old events or all the new ones: never reps
    without their alerts. Refused (RecordingError) while the recording is being written.
    """
    return _edit_events(path, events_by_kind, replace=True)
