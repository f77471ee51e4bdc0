"""The on-disk format: one SQLite file per recording, extension ``.winkmon``.

Why SQLite: one file, crash-safe commits (write-ahead log), random access, readable with any
SQLite tool, and no dependency beyond the standard library.

Layout (format version 1; ``PRAGMA user_version`` holds the version and ``PRAGMA
application_id`` the :data:`APPLICATION_ID` that marks the file as a winkmon recording)::

    meta    (key TEXT PRIMARY KEY, value TEXT)        -- JSON values, see RecordingMeta
    sensors (role INTEGER PRIMARY KEY, rate_hz REAL, address TEXT,
             info BLOB, info_json TEXT, start BLOB, start_json TEXT)
    frames  (id INTEGER PRIMARY KEY, role INTEGER, t_host_ns INTEGER, payload BLOB)
    status  (id INTEGER PRIMARY KEY, role INTEGER, t_host_ns INTEGER, payload BLOB)
    gaps    (id INTEGER PRIMARY KEY, role INTEGER, t_s REAL, kind TEXT, detail TEXT)
    events  (id INTEGER PRIMARY KEY, kind TEXT, t_s REAL, data TEXT)   -- data is JSON
    segments (id INTEGER PRIMARY KEY, role INTEGER, t_host_ns INTEGER, frame_id INTEGER,
              decoder TEXT, rate_hz REAL, reason TEXT, params TEXT, address TEXT, info TEXT)

``frames`` holds every DATA notification exactly as received (malformed ones too), in arrival
order (``id``); ``role`` is the role the host bound the connection to, not the frame's byte.
``status`` holds STATUS notifications the same way. ``segments`` (format version 2) holds every
stream start of a sensor (the first START, each reconnect): the decoder that reads its frames,
its rate and parameters (JSON), and ``frame_id``, the id of the first frame stored after it, so a
replay restarts each sensor's decoder exactly where the live session did. Version 1 files have
no ``segments``: each sensor is then one segment from its first frame. ``t_host_ns`` is on
the host clock of ``meta.session_start_ns``.

While a session is being written the file is in WAL mode (``-wal`` and ``-shm`` files beside
it: copy all three if you must copy a live or crashed recording); a clean close checkpoints
and switches back to a single self-contained file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from winkmon.errors import RecordingError

SUFFIX = ".winkmon"
FORMAT_VERSION = 2
APPLICATION_ID = 0x574B4D4E  # "WKMN"
SQLITE_MAGIC = b"SQLite format 3\x00"
SIDE_FILES = ("-wal", "-shm", "-journal")

DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sensors (
    role INTEGER PRIMARY KEY,
    rate_hz REAL NOT NULL,
    address TEXT,
    info BLOB,
    info_json TEXT,
    start BLOB,
    start_json TEXT
);
CREATE TABLE frames (
    id INTEGER PRIMARY KEY,
    role INTEGER NOT NULL,
    t_host_ns INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE status (
    id INTEGER PRIMARY KEY,
    role INTEGER NOT NULL,
    t_host_ns INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE gaps (
    id INTEGER PRIMARY KEY,
    role INTEGER NOT NULL,
    t_s REAL NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    t_s REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_by_kind ON events (kind, t_s);
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    role INTEGER NOT NULL,
    t_host_ns INTEGER NOT NULL,
    frame_id INTEGER NOT NULL,
    decoder TEXT NOT NULL,
    rate_hz REAL NOT NULL,
    reason TEXT NOT NULL,
    params TEXT NOT NULL,
    address TEXT NOT NULL,
    info TEXT NOT NULL
);
"""


def output_path(path: str | Path) -> Path:
    """The file a new recording named ``path`` goes to: ``.winkmon`` is appended if missing."""
    p = Path(path)
    return p if p.suffix == SUFFIX else p.with_name(p.name + SUFFIX)


def input_path(path: str | Path) -> Path:
    """The existing recording ``path`` names (``SESSION`` finds ``SESSION.winkmon``).

    Raises :class:`RecordingError` ("no such recording") if there is none.
    """
    p = Path(path)
    if p.exists():
        if p.is_dir():
            raise RecordingError(f"{p}: is a directory, not a recording")
        return p
    alt = output_path(p)
    if alt != p and alt.exists():
        return alt
    raise RecordingError(f"{p}: no such recording")


def check_header(path: Path) -> None:
    """Refuse files that are not winkmon recordings before SQLite sees them."""
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not head:
        raise RecordingError(f"{path}: not a winkmon recording (the file is empty)")
    if not head.startswith(SQLITE_MAGIC):
        raise RecordingError(f"{path}: not a winkmon recording (not an SQLite file)")
    if len(head) < 100:
        raise DamagedRecordingError(f"{path}: file is truncated or corrupted ({len(head)} bytes)")
    app_id = int.from_bytes(head[68:72], "big")
    if app_id != APPLICATION_ID:
        raise RecordingError(
            f"{path}: not a winkmon recording (an SQLite database of another application)"
        )


def connect_ro(path: Path) -> sqlite3.Connection:
    """A read-only connection (works on a live or crashed recording in WAL mode too)."""
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        return sqlite3.connect(uri, uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise RecordingError(f"{path}: cannot open: {exc}") from None


def connect_rw(path: Path) -> sqlite3.Connection:
    """A read-write connection in autocommit mode (transactions are explicit)."""
    try:
        conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error as exc:
        raise RecordingError(f"{path}: cannot open for writing: {exc}") from None
    return conn


class DamagedRecordingError(RecordingError):
    """The file is a winkmon recording but truncated or corrupted; part of it may be readable
    (open it with ``partial_ok=True``)."""


def corrupted(
    path: Path, exc: BaseException, frames_read: int | None = None
) -> DamagedRecordingError:
    """The error for a file SQLite could not read through."""
    tail = "" if frames_read is None else f"; {frames_read} frames could be read"
    return DamagedRecordingError(f"{path}: file is truncated or corrupted ({exc}){tail}")
