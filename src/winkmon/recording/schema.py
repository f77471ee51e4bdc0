"""The on-disk format: one SQLite file per recording, extension ``.winkmon``.

Why SQLite: one file, crash-safe commits (write-ahead log), random access, readable with any
SQLite tool, and no dependency beyond the standard library.

Layout (format version 3; ``PRAGMA user_version`` holds the version and ``PRAGMA
application_id`` the :data:`APPLICATION_ID` that marks the file as a winkmon recording)::

    meta    (key TEXT PRIMARY KEY, value TEXT)        -- JSON values, see RecordingMeta
    sensors (role INTEGER PRIMARY KEY, rate_hz REAL, address TEXT,
             info BLOB, info_json TEXT, start BLOB, start_json TEXT)
    frame_blocks (id INTEGER PRIMARY KEY, first_frame INTEGER, n INTEGER, roles BLOB,
                  t_host_ns BLOB, lengths BLOB, payloads BLOB)          -- version 3
    frames  (id INTEGER PRIMARY KEY, role INTEGER, t_host_ns INTEGER, payload BLOB)
                                                      -- versions 1 and 2
    status  (id INTEGER PRIMARY KEY, role INTEGER, t_host_ns INTEGER, payload BLOB)
    gaps    (id INTEGER PRIMARY KEY, role INTEGER, t_s REAL, kind TEXT, detail TEXT)
    events  (id INTEGER PRIMARY KEY, kind TEXT, t_s REAL, data TEXT)   -- data is JSON
    segments (id INTEGER PRIMARY KEY, role INTEGER, t_host_ns INTEGER, frame_id INTEGER,
              decoder TEXT, rate_hz REAL, reason TEXT, params TEXT, address TEXT, info TEXT)

The DATA notifications are every one exactly as received (malformed ones too), in arrival
order, numbered 1, 2, ... (the *frame id*); a frame's role is the role the host bound the
connection to, not the frame's byte. Versions 1 and 2 store one ``frames`` row per notification
(``id`` is the frame id). Version 3 stores them in ``frame_blocks``, one row per commit of the
writer (at most 256 frames): ``n`` consecutive frames from frame id ``first_frame``, column by
column, little-endian: ``roles`` n x uint8, ``t_host_ns`` n x int64, ``lengths`` n x uint32 (each
payload's bytes) and ``payloads`` the payloads one after another. (Reading a row per
notification cost about a second for an hour; a block row costs nothing per frame.)
``status`` holds STATUS notifications, a row each. ``segments`` (format version 2) holds every
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

import os
import sqlite3
import stat
from pathlib import Path

from winkmon.errors import RecordingError

SUFFIX = ".winkmon"
FORMAT_VERSION = 3
APPLICATION_ID = 0x574B4D4E  # "WKMN"
SQLITE_MAGIC = b"SQLite format 3\x00"
SIDE_FILES = ("-wal", "-shm", "-journal")
#: What reading a damaged file can raise: the sqlite3 module raises UnicodeDecodeError when
#: an error message quotes damaged schema bytes.
DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, UnicodeDecodeError)

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
CREATE TABLE frame_blocks (
    id INTEGER PRIMARY KEY,
    first_frame INTEGER NOT NULL,
    n INTEGER NOT NULL,
    roles BLOB NOT NULL,
    t_host_ns BLOB NOT NULL,
    lengths BLOB NOT NULL,
    payloads BLOB NOT NULL
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
        if not p.is_file():
            raise RecordingError(f"{p}: not a regular file (a FIFO or a device); not read")
        return p
    alt = output_path(p)
    if alt != p and alt.exists():
        return alt
    raise RecordingError(f"{p}: no such recording")


def check_header(path: Path) -> None:
    """Refuse files that are not winkmon recordings before SQLite sees them."""
    try:
        # Non-blocking and checked with fstat before reading: a FIFO never hangs us.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise RecordingError(f"{path}: not a regular file (a FIFO or a device); not read")
            head = os.read(fd, 100)
        finally:
            os.close(fd)
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


def connect_ro(path: Path, shown: Path | None = None) -> sqlite3.Connection:
    """A read-only connection (works on a live or crashed recording in WAL mode too).

    Text that is not valid UTF-8 (a damaged file) is decoded with replacement characters
    instead of raising UnicodeDecodeError. ``shown`` is the name used in errors.
    """
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise RecordingError(f"{shown or path}: cannot open: {exc}") from None
    conn.text_factory = _lenient_text
    return conn


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


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


def unreadable(path: Path, exc: BaseException) -> RecordingError:
    """The error for a file SQLite could not open: lack of access, or damage."""
    msg = str(exc).lower()
    if "readonly" in msg or "unable to open" in msg or "attempt to write" in msg:
        return RecordingError(
            f"{path}: cannot be read where it is ({exc}); the data are probably intact: copy "
            f"{path.name} with its -wal/-journal files to a writable folder and open the copy"
        )
    return corrupted(path, exc)


def corrupted(
    path: Path, exc: BaseException, frames_read: int | None = None
) -> DamagedRecordingError:
    """The error for a file SQLite could not read through."""
    tail = "" if frames_read is None else f"; {frames_read} frames could be read"
    return DamagedRecordingError(f"{path}: file is truncated or corrupted ({exc}){tail}")
