"""Reading recordings: :class:`Recording` (read-only; safe on a live or crashed file).

Every problem with the file surfaces as a :class:`~winkmon.errors.RecordingError` naming the
file: a missing file ("no such recording"), another kind of file ("not a winkmon recording"),
a newer format, or damage ("file is truncated or corrupted (...); N frames could be read").
Damage is often found only while reading frames. A recording opened with ``partial_ok=True``
is read as far as it can be instead: opening tolerates a truncated file, reading stops at the
damage with a logged warning, and :attr:`Recording.damage` says what happened, so a damaged
session can still be replayed up to the damage.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from winkmon.errors import FrameError, RecordingError
from winkmon.packed import IntColumn, PackedPayloads
from winkmon.protocol.constants import Role
from winkmon.protocol.records import SensorInfo, StartParams
from winkmon.recording.model import CLOCK_KINDS, Event, Gap, RecordingMeta, SensorMeta
from winkmon.recording.recovery import RecoveredView, open_view
from winkmon.recording.schema import (
    DB_ERRORS,
    FORMAT_VERSION,
    DamagedRecordingError,
    check_header,
    connect_ro,
    corrupted,
    input_path,
    unreadable,
)

log = logging.getLogger(__name__)

FETCH_ROWS = 8192
Column = npt.NDArray[Any]  #: a numpy column of a format 3 block
FrameRecord = tuple[Role, int, bytes]
"""``(role, t_host_ns, payload)`` of one stored notification."""


class FrameChunk(NamedTuple):
    """Consecutive stored notifications, column-wise (``roles`` as plain ints). Format 3
    gives its columns as numpy arrays and its payloads as
    :class:`~winkmon.packed.PackedPayloads`; older formats as tuples."""

    roles: IntColumn
    t_host_ns: IntColumn
    payloads: Sequence[bytes]
    ids: IntColumn = ()  #: the rows' ids (arrival order), where known

    def records(self) -> Iterator[FrameRecord]:
        roles, times = _ints(self.roles), _ints(self.t_host_ns)
        return zip(map(Role, roles), times, self.payloads, strict=True)


def _ints(column: IntColumn) -> Sequence[int]:
    return column.tolist() if isinstance(column, np.ndarray) else column


class SegmentRow(NamedTuple):
    """One stored stream segment (see :meth:`Recording.segments`)."""

    role: Role
    t_host_ns: int
    frame_id: int  #: id of the first frame stored after the segment started
    decoder: str
    rate_hz: float
    reason: str
    params: dict[str, Any]
    address: str
    info: dict[str, Any]


class Recording:
    """A recording opened read-only. Open with :meth:`open`; use as a context manager."""

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        meta: RecordingMeta,
        sensors: dict[Role, SensorMeta],
        partial_ok: bool = False,
        damage: str | None = None,
    ) -> None:
        self.path = path
        self.partial_ok = partial_ok
        self._conn = conn
        self.meta = meta
        self.sensors = sensors
        self.damage: str | None = damage  #: what was wrong, when a partial read met damage
        #: The frames are stored in ``frame_blocks`` (format version 3), not a row each.
        self.blocks = False
        self._view: RecoveredView | None = None

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | Path, *, partial_ok: bool = False) -> Recording:
        """Open a recording (``SESSION`` also finds ``SESSION.winkmon``).

        ``partial_ok``: read a damaged (e.g. truncated) file as far as possible, with
        warnings, instead of raising RecordingError at the first damage.

        Every state a crash can leave is read with its data intact (see :mod:`.recovery`): a
        rollback journal left by a killed writer is rolled back (in place, or in a private
        copy when the file or its folder cannot be written), and an unclosed recording in a
        read-only folder is read through a private copy of it and its ``-wal``.
        """
        p = input_path(path)
        check_header(p)
        view = open_view(p)
        try:
            try:
                rec = cls._open(p, view.path, partial_ok, salvage=False)
            except DamagedRecordingError as exc:
                if not partial_ok:
                    raise
                # SQLite refuses a file shorter than its header says unless the schema is
                # "writable"; on a read-only connection that only relaxes the check.
                rec = cls._open(p, view.path, partial_ok, salvage=True)
                rec.damage = str(exc)
                log.warning("%s; reading what is left", exc)
        except BaseException:
            view.close()
            raise
        rec._view = view
        return rec

    @classmethod
    def _open(cls, p: Path, source: Path, partial_ok: bool, salvage: bool) -> Recording:
        conn = connect_ro(source, shown=p)
        try:
            if salvage:
                conn.execute("PRAGMA writable_schema=ON")
            version = _int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > FORMAT_VERSION:
                raise RecordingError(
                    f"{p}: recording format version {version} is newer than this winkmon "
                    f"reads ({FORMAT_VERSION}); upgrade winkmon"
                )
            meta = _read_meta(p, conn)
            sensors = _read_sensors(p, conn)
        except DB_ERRORS as exc:
            conn.close()
            raise unreadable(p, exc) from None
        except RecordingError:
            conn.close()
            raise
        rec = cls(p, conn, meta, sensors, partial_ok)
        rec.blocks = version >= 3
        return rec

    def close(self) -> None:
        self._conn.close()
        if self._view is not None:
            self._view.close()
            self._view = None

    def __enter__(self) -> Recording:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ frames
    def iter_frames(self, roles: Iterable[Role] | None = None) -> Iterator[FrameRecord]:
        """DATA notifications ``(role, t_host_ns, payload)`` in arrival order.

        ``roles`` limits them to some sensors. On damage: RecordingError; if the recording
        was opened with ``partial_ok``, a warning, :attr:`damage` set, and the iteration ends.
        """
        for chunk in self._iter_chunks("frames", roles):
            yield from chunk.records()

    def iter_frame_chunks(self, roles: Iterable[Role] | None = None) -> Iterator[FrameChunk]:
        """The same as :meth:`iter_frames`, a few thousand frames at a time, column-wise.

        The fast way through a long recording (no Python work per frame).
        """
        yield from self._iter_chunks("frames", roles)

    def iter_status(self, roles: Iterable[Role] | None = None) -> Iterator[FrameRecord]:
        """STATUS notifications ``(role, t_host_ns, payload)`` in arrival order."""
        for chunk in self._iter_chunks("status", roles):
            yield from chunk.records()

    def _iter_chunks(self, table: str, roles: Iterable[Role] | None) -> Iterator[FrameChunk]:
        if table == "frames" and self.blocks:
            yield from self._iter_blocks(roles)
            return
        where = "id > ?"
        params: tuple[int, ...] = ()
        if roles is not None:
            params = tuple(sorted({int(r) for r in roles}))
            where += f" AND role IN ({','.join('?' * len(params))})" if params else " AND 0"
        sql = f"SELECT id, role, t_host_ns, payload FROM {table} WHERE {where} ORDER BY id"
        count = 0
        last_id = -1
        try:
            # Fast path: batched fetches. A batch that meets damage fails as a whole, so the
            # rows before the damage are then fetched again one by one (slow path).
            try:
                cur = self._conn.execute(sql, (last_id, *params))
                while rows := cur.fetchmany(FETCH_ROWS):
                    chunk = _chunk(rows)
                    if chunk is None:  # a row of the wrong type: find it in the slow path
                        raise sqlite3.DatabaseError(f"{table} holds values of the wrong type")
                    last_id = rows[-1][0]
                    count += len(rows)
                    yield chunk
            except (sqlite3.DatabaseError, UnicodeDecodeError):
                if not self.partial_ok:
                    raise
                cur = self._conn.execute(sql, (last_id, *params))
                good: list[tuple[Any, ...]] = []
                try:
                    while (row := cur.fetchone()) is not None:
                        if _chunk([row]) is None:
                            raise sqlite3.DatabaseError(
                                f"{table} row {count + len(good) + 1} has values of the wrong type"
                            ) from None
                        good.append(row)
                finally:
                    count += len(good)
                    if good:
                        chunk = _chunk(good)
                        assert chunk is not None
                        yield chunk
        except DB_ERRORS as exc:
            err = corrupted(self.path, exc, count if table == "frames" else None)
            if not self.partial_ok:
                raise err from None
            self.damage = str(err)
            log.warning("%s", err)

    def _iter_blocks(self, roles: Iterable[Role] | None) -> Iterator[FrameChunk]:
        """:meth:`iter_frame_chunks` of a format version 3 file: its ``frame_blocks`` rows,
        read one at a time (about one per second of recording), joined into chunks of about
        :data:`FETCH_ROWS` frames whose payloads all have one length (the decoder then reads
        a chunk as one table): a block whose lengths differ (a malformed notification) is a
        chunk of its own. A block that is not what the writer writes (ill-typed,
        inconsistent, or frame ids that do not run on) is damage, as a row of the wrong type
        is."""
        wanted = None if roles is None else np.isin(np.arange(256), [int(r) for r in roles])
        parts: list[tuple[Column, Column, PackedPayloads, Column]] = []
        held = 0  # frames in ``parts``
        width: int | None = None  # their payloads' one length (None: lengths differ)
        count = 0  # blocks read
        frames = 0  # frames read (of the wanted sensors)
        next_id = 1  # frame ids only grow

        def chunk() -> FrameChunk:
            out = FrameChunk(
                np.concatenate([part[0] for part in parts]),
                np.concatenate([part[1] for part in parts]),
                PackedPayloads.concat([part[2] for part in parts]),
                np.concatenate([part[3] for part in parts]),
            )
            parts.clear()
            return out

        try:
            cur = self._conn.execute(
                "SELECT first_frame, n, roles, t_host_ns, lengths, payloads FROM frame_blocks "
                "ORDER BY id"
            )
            while (row := cur.fetchone()) is not None:
                part = _block(row, wanted) if _int_at_least(row[0], next_id) else None
                if part is None:
                    raise sqlite3.DatabaseError(
                        f"frame block {count + 1} is malformed (not as winkmon writes it)"
                    )
                count += 1
                next_id = row[0] + row[1]
                if len(part[0]):
                    rows = part[2].rows()
                    part_width = None if rows is None else rows.shape[1]
                    if parts and part_width != width:
                        yield chunk()
                        held = 0
                    parts.append(part)
                    held += len(part[0])
                    frames += len(part[0])
                    width = part_width
                if held >= FETCH_ROWS or (parts and width is None):
                    yield chunk()
                    held = 0
        except DB_ERRORS as exc:
            err = corrupted(self.path, exc, frames)
            if not self.partial_ok:
                raise err from None
            self.damage = str(err)
            log.warning("%s", err)
        if parts:
            yield chunk()

    def segments(self) -> list[SegmentRow]:
        """The stream segments (see :mod:`~winkmon.recording.schema`), in order; empty for a
        format version 1 recording (one segment per sensor from its first frame)."""
        try:
            has = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='segments'"
            ).fetchone()
            if has is None:
                return []
            rows = self._conn.execute(
                "SELECT role, t_host_ns, frame_id, decoder, rate_hz, reason, params, address, "
                "info FROM segments ORDER BY id"
            ).fetchall()
        except sqlite3.Error as exc:
            err = corrupted(self.path, exc)
            if not self.partial_ok:
                raise err from None
            self.damage = str(err)
            return []
        out = []
        for role_i, t_ns, frame_id, decoder, rate, reason, params, address, info in rows:
            try:
                row = SegmentRow(
                    role=Role(_int(role_i)),
                    t_host_ns=_int(t_ns),
                    frame_id=_int(frame_id),
                    decoder=str(decoder),
                    rate_hz=float(rate),
                    reason=str(reason),
                    params=_json_dict(params) or {},
                    address=str(address),
                    info=_json_dict(info) or {},
                )
                if not row.rate_hz > 0:
                    raise ValueError(f"rate {row.rate_hz} Hz")
            except (ValueError, TypeError) as exc:
                raise RecordingError(
                    f"{self.path}: file is corrupted (bad segment row: {exc})"
                ) from None
            out.append(row)
        return out

    def frame_count(self, role: Role | None = None) -> int:
        """Number of stored DATA notifications (of one sensor)."""
        if self.blocks:
            return self._block_frame_count(role)
        try:
            if role is None:
                row = self._conn.execute("SELECT COUNT(*) FROM frames").fetchone()
            else:
                q = "SELECT COUNT(*) FROM frames WHERE role = ?"
                row = self._conn.execute(q, (int(role),)).fetchone()
        except DB_ERRORS as exc:
            raise corrupted(self.path, exc) from None
        return _int(row[0])

    def _block_frame_count(self, role: Role | None) -> int:
        try:
            if role is None:
                row = self._conn.execute("SELECT COALESCE(SUM(n), 0) FROM frame_blocks").fetchone()
                return _int(row[0])
            n = 0
            for (blob,) in self._conn.execute("SELECT roles FROM frame_blocks ORDER BY id"):
                if not isinstance(blob, bytes):
                    raise sqlite3.DatabaseError("a frame block's roles are not a blob")
                n += blob.count(int(role))
            return n
        except DB_ERRORS as exc:
            raise corrupted(self.path, exc) from None

    def _last_arrival_ns(self) -> int | None:
        if not self.blocks:
            row = self._conn.execute("SELECT MAX(t_host_ns) FROM frames").fetchone()
            return None if row is None or row[0] is None else _int(row[0])
        last: int | None = None
        for (blob,) in self._conn.execute("SELECT t_host_ns FROM frame_blocks ORDER BY id"):
            if not isinstance(blob, bytes) or not blob or len(blob) % 8:
                raise sqlite3.DatabaseError("a frame block's times are malformed")
            m = int(np.frombuffer(blob, dtype="<i8").max())
            last = m if last is None else max(last, m)
        return last

    @property
    def duration_s(self) -> float:
        """Seconds from the session start to the last frame's arrival (0 with no frames)."""
        try:
            last = self._last_arrival_ns()
        except (sqlite3.Error, UnicodeDecodeError, RecordingError):
            last = None
            for _, t, _ in self.iter_frames():
                last = t
        if last is None:
            return 0.0
        return max(0.0, (last - self.meta.session_start_ns) / 1e9)

    # ------------------------------------------------------------------ annotations
    @property
    def gaps(self) -> list[Gap]:
        """Dropout / reconnect markers, by session time."""
        try:
            rows = self._conn.execute(
                "SELECT role, t_s, kind, detail FROM gaps ORDER BY t_s, id"
            ).fetchall()
            return [Gap(Role(_int(r)), float(t), str(k), str(d)) for r, t, k, d in rows]
        except (sqlite3.Error, ValueError, TypeError) as exc:
            self._damaged(exc)
            return []

    def events(self, kind: str | None = None) -> list[Event]:
        """Derived events (of one ``kind``), by session time."""
        sql = "SELECT kind, t_s, data FROM events"
        params: tuple[str, ...] = ()
        if kind is not None:
            sql, params = sql + " WHERE kind = ?", (kind,)
        try:
            rows = self._conn.execute(sql + " ORDER BY t_s, id", params).fetchall()
            return [Event(str(k), float(t), _json_dict(d) or {}) for k, t, d in rows]
        except (sqlite3.Error, ValueError, TypeError) as exc:
            self._damaged(exc)
            return []

    def _damaged(self, exc: BaseException) -> None:
        """Raise for damage, or (``partial_ok``) note it and carry on."""
        err = corrupted(self.path, exc)
        if not self.partial_ok:
            raise err from None
        self.damage = self.damage or str(err)
        log.warning("%s", err)


# ---------------------------------------------------------------------- helpers
_ROLE_VALUES = frozenset(int(r) for r in Role)
_ROLE_OK = np.isin(np.arange(256), sorted(_ROLE_VALUES))  #: by role byte: a known role


def _chunk(rows: list[tuple[Any, ...]]) -> FrameChunk | None:
    """Rows ``(id, role, t_host_ns, payload)`` column-wise, or None if a value is ill-typed."""
    ids, roles, times, payloads = zip(*rows, strict=True)
    if (
        set(map(type, roles)) != {int}
        or not set(roles) <= _ROLE_VALUES
        or set(map(type, times)) != {int}
        or set(map(type, payloads)) != {bytes}
    ):
        return None
    return FrameChunk(roles, times, payloads, ids)


def _block(
    row: tuple[Any, ...], wanted: npt.NDArray[np.bool_] | None
) -> tuple[Column, Column, PackedPayloads, Column] | None:
    """One ``frame_blocks`` row as columns (roles, times, payloads, frame ids), only the
    roles ``wanted`` says (by role byte); None if the row is not what the writer writes."""
    first, n, roles_b, times_b, lengths_b, payloads_b = row
    if (
        type(first) is not int
        or type(n) is not int
        or not 0 < n <= 1 << 20
        or not all(type(b) is bytes for b in (roles_b, times_b, lengths_b, payloads_b))
        or len(roles_b) != n
        or len(times_b) != 8 * n
        or len(lengths_b) != 4 * n
    ):
        return None
    roles = np.frombuffer(roles_b, dtype=np.uint8)
    if not _ROLE_OK[roles].all():
        return None
    try:
        payloads = PackedPayloads.from_buffer(payloads_b, np.frombuffer(lengths_b, dtype="<u4"))
    except ValueError:  # the lengths do not add up to the payloads' bytes
        return None
    times = np.frombuffer(times_b, dtype="<i8")
    ids = np.arange(first, first + n)
    if wanted is not None:
        keep = wanted[roles]
        if not keep.all():
            pick = np.flatnonzero(keep)
            roles, times, ids = roles[pick], times[pick], ids[pick]
            payloads = payloads.take(pick)
    return roles, times, payloads, ids


def _int_at_least(value: object, least: int) -> bool:
    return type(value) is int and value >= least


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise sqlite3.DatabaseError(f"expected an integer, found {type(value).__name__}")
    return value


def _json_dict(text: object) -> dict[str, Any] | None:
    if text is None:
        return None
    value = json.loads(str(text))
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, found {type(value).__name__}")
    return value


def _read_meta(path: Path, conn: sqlite3.Connection) -> RecordingMeta:
    rows = conn.execute("SELECT key, value FROM meta").fetchall()
    try:
        raw = {str(k): json.loads(str(v)) for k, v in rows}
        clock = raw.get("clock", "envelope")
        if clock not in CLOCK_KINDS:
            raise ValueError(f"unknown clock kind {clock!r}")

        def opt_dict(key: str) -> dict[str, Any] | None:
            v = raw.get(key)
            if v is not None and not isinstance(v, dict):
                raise ValueError(f"meta {key} is not a JSON object")
            return v

        closed = raw.get("closed_utc")
        version = raw["format_version"]
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError(f"format_version {version!r} is not a version number")
        if version > FORMAT_VERSION:
            raise RecordingError(
                f"{path}: recording format version {version} is newer than this winkmon reads "
                f"({FORMAT_VERSION}); upgrade winkmon to open it"
            )
        return RecordingMeta(
            path=path,
            format_version=version,
            app_version=str(raw.get("app_version", "")),
            created_utc=str(raw.get("created_utc", "")),
            session_start_ns=int(raw["session_start_ns"]),
            clock=clock,
            clock_offset_us=int(raw.get("clock_offset_us", 0)),
            simulated=bool(raw.get("simulated", False)),
            notes=str(raw.get("notes", "")),
            athlete=opt_dict("athlete"),
            calibration=opt_dict("calibration"),
            source=opt_dict("source"),
            closed_utc=None if closed is None else str(closed),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise RecordingError(f"{path}: file is corrupted (bad metadata: {exc})") from None


def _read_sensors(path: Path, conn: sqlite3.Connection) -> dict[Role, SensorMeta]:
    rows = conn.execute(
        "SELECT role, rate_hz, address, info, info_json, start FROM sensors ORDER BY role"
    ).fetchall()
    sensors: dict[Role, SensorMeta] = {}
    for role_i, rate, address, info_b, info_j, start_b in rows:
        try:
            role = Role(_int(role_i))
            rate_hz = float(rate)
            if not rate_hz > 0:
                raise ValueError(f"rate {rate_hz} Hz")
            info_json = _json_dict(info_j)
        except (ValueError, TypeError, sqlite3.DatabaseError) as exc:
            raise RecordingError(f"{path}: file is corrupted (bad sensor row: {exc})") from None
        info = start = None
        if isinstance(info_b, bytes):
            try:
                info = SensorInfo.from_bytes(info_b)
            except (FrameError, ValueError) as exc:
                log.warning("%s: %s INFO record does not decode: %s", path, role.label, exc)
        if isinstance(start_b, bytes):
            try:
                start = StartParams.from_bytes(start_b)
            except (FrameError, ValueError) as exc:
                log.warning("%s: %s START params do not decode: %s", path, role.label, exc)
        sensors[role] = SensorMeta(
            role=role,
            rate_hz=rate_hz,
            address=None if address is None else str(address),
            info=info,
            info_json=info_json,
            start=start,
        )
    return sensors
