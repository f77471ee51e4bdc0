"""Reading a recording in any state a crash can leave it in.

States and what :func:`open_view` does with them:

- **A rollback journal** (``SESSION.winkmon-journal``) left by a program killed while it stored
  events (``report``): the main file may hold half of that transaction. SQLite undoes it on the
  first read-write open, which a read-only open cannot do ("attempt to write a readonly
  database"). It is rolled back in place when the file can be written (the data before the
  transaction are intact), otherwise in a private copy.
- **An unclosed recording** (``-wal`` beside it, the recorder was killed): readable as is where
  its folder can be written; in a read-only folder without its ``-shm`` SQLite cannot open it,
  so it is read through a private copy of the file and its ``-wal`` (the data in the WAL are
  kept, unlike an ``immutable`` open, which would ignore them).

A private copy lives in a temporary directory removed when the recording is closed. If no copy
can be made either, the error says what is wrong and how to recover.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from winkmon.errors import RecordingError
from winkmon.recording.lock import is_being_written
from winkmon.recording.schema import connect_ro

log = logging.getLogger(__name__)

_CANNOT_OPEN = ("readonly", "read-only", "unable to open", "attempt to write")


@dataclass(slots=True)
class RecoveredView:
    """The file to read for a recording: itself, or a private recovered copy."""

    path: Path
    tmpdir: Path | None = None
    note: str | None = None  #: why a copy was read, for people

    def close(self) -> None:
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None


def _side(p: Path, suffix: str) -> Path:
    return p.with_name(p.name + suffix)


def _nonempty(p: Path) -> bool:
    """A journal SQLite may have to roll back (a read-only connection then refuses the file)."""
    try:
        return p.is_file() and p.stat().st_size > 0
    except OSError:
        return False


def cannot_open_read_only(exc: BaseException) -> bool:
    """True if SQLite failed for lack of write access (not for damage)."""
    msg = str(exc).lower()
    return any(m in msg for m in _CANNOT_OPEN)


def _rollback_in_place(p: Path) -> bool:
    try:
        conn = sqlite3.connect(str(p), timeout=5.0)
    except sqlite3.Error:
        return False
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        log.info("%s: cannot roll back its journal in place: %s", p, exc)
        return False
    finally:
        conn.close()
    return True


def _probe(p: Path) -> sqlite3.Error | None:
    """None if a read-only connection can read ``p`` as it is, else SQLite's error."""
    try:
        conn = connect_ro(p)
    except RecordingError as exc:
        return sqlite3.OperationalError(str(exc))
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        return exc
    except UnicodeDecodeError:  # damage, which the reader reports
        return None
    finally:
        conn.close()
    return None


def _private_copy(p: Path, why: str) -> RecoveredView:
    tmpdir = Path(tempfile.mkdtemp(prefix="winkmon-recovered-"))
    copy = tmpdir / p.name
    try:
        shutil.copyfile(p, copy)
        for suffix in ("-wal", "-journal"):
            if _side(p, suffix).exists():
                shutil.copyfile(_side(p, suffix), _side(copy, suffix))
        conn = sqlite3.connect(str(copy), timeout=5.0)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except (OSError, sqlite3.Error, UnicodeDecodeError) as exc:
        shutil.rmtree(tmpdir, ignore_errors=True)
        sides = " and ".join(p.name + s for s in ("-wal", "-journal") if _side(p, s).exists())
        raise RecordingError(
            f"{p}: {why}, and no private copy could be made ({exc}); copy {p.name}"
            f"{' and ' + sides if sides else ''} to a writable folder and open the copy"
        ) from None
    note = f"{p}: {why}; read through a recovered private copy (the file was not changed)"
    log.warning("%s", note)
    return RecoveredView(copy, tmpdir, note)


def open_view(p: Path) -> RecoveredView:
    """What to read for recording ``p`` (see the module doc)."""
    if _nonempty(_side(p, "-journal")) and not is_being_written(p):
        if _rollback_in_place(p):
            log.warning(
                "%s: rolled back an unfinished transaction left by a program that was killed "
                "(the data before it are intact)",
                p,
            )
        else:
            return _private_copy(
                p,
                "an unfinished transaction was left by a killed program and cannot be "
                "rolled back here (read-only)",
            )
    err = _probe(p)
    if err is not None and cannot_open_read_only(err):
        return _private_copy(p, f"cannot be read in place ({err})")
    return RecoveredView(p)
