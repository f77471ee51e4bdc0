"""The writer's lock on a recording: one writer at a time, and nobody deletes it meanwhile.

A :class:`~winkmon.recording.RecordingWriter` holds an exclusive ``flock`` on the recording's
main file from its creation to its close. The lock belongs to the open file, so it disappears
with the process (a crash leaves no stale lock). ``flock`` locks are independent of the POSIX
record locks SQLite uses, so readers are not disturbed.

Within one process the lock is also kept in a table of (device, inode) pairs: opening and
closing a second descriptor of the file to probe its ``flock`` would drop SQLite's POSIX
locks of that process, so a probe never touches a file this process is writing.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from winkmon.errors import RecordingError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, no lock
    fcntl = None  # type: ignore[assignment]

_HELD: set[tuple[int, int]] = set()
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _key(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


class WriterLock:
    """An exclusive lock on a newly created recording file (see the module doc)."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd
        self._key = _key(os.fstat(fd))
        _HELD.add(self._key)

    @classmethod
    def create(cls, path: Path) -> WriterLock:
        """Create ``path`` exclusively (never through a link) and lock it."""
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
        try:
            fd = os.open(path, flags, 0o644)
        except FileExistsError:
            raise RecordingError(
                f"{path}: already exists (choose another name or allow overwriting)"
            ) from None
        except OSError as exc:
            raise RecordingError(f"{path}: cannot create: {exc.strerror or exc}") from None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise RecordingError(f"{path}: is being written by another program") from None
        return cls(fd)

    def release(self) -> None:
        if self._fd is None:
            return
        _HELD.discard(self._key)
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = None


def is_being_written(path: Path) -> bool:
    """True if a winkmon writer (of any process) holds ``path``'s lock right now."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if _key(st) in _HELD:
        return True
    if fcntl is None:  # pragma: no cover
        return False
    try:
        fd = os.open(path, os.O_RDONLY | _CLOEXEC | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def refuse_if_being_written(path: Path, doing: str = "replace it") -> None:
    """Raise RecordingError if a writer holds ``path`` (see :func:`is_being_written`)."""
    if is_being_written(path):
        raise RecordingError(
            f"{path}: is being recorded right now; cannot {doing} (stop that recording first, "
            "or choose another name)"
        )
