"""Reading untrusted files and writing outputs safely.

Every file winkmon writes goes through :class:`AtomicOutput` (or :func:`write_text`):

- the data go to an exclusive temporary file beside the destination, created with
  ``O_CREAT | O_EXCL | O_NOFOLLOW`` so a planted file or symlink is never written through;
- the temporary file is flushed, synced and renamed onto the destination only when complete,
  so a reader (or a crash) sees the old file or the new one, never half of one;
- the destination must not be one of the command's inputs (compared by inode and by resolved
  path, so a symlink or a second spelling is caught) and an existing file is replaced only when
  the caller allows it (``--overwrite``).

Temporary files are named ``.winkmon-tmp-<pid>-<random>-<name>``. A process killed with
SIGKILL cannot remove its own; :func:`remove_stale_temps` (run by every writer before it
writes into a directory) removes those of processes that no longer exist.

:func:`read_regular_file` reads a file that may be hostile: only a regular file (a FIFO or a
device is refused without blocking), at most ``max_bytes``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from winkmon.errors import OutputError, WinkmonError

log = logging.getLogger(__name__)

TEMP_PREFIX = ".winkmon-tmp-"
_TEMP_RE = re.compile(re.escape(TEMP_PREFIX) + r"(\d+)-[0-9a-f]+-")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def temp_path(dest: Path) -> Path:
    """A fresh temporary name beside ``dest`` (same directory, so the rename is atomic)."""
    tail = dest.name[-120:]
    return dest.with_name(f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{tail}")


def remove_stale_temps(directory: Path) -> list[Path]:
    """Remove winkmon temporary files left in ``directory`` by processes that are gone.

    Only names of the form ``.winkmon-tmp-<pid>-<hex>-...`` whose ``<pid>`` is not a running
    process are touched (the entry itself; links are not followed). Returns what was removed.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m is None or _pid_alive(int(m.group(1))):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                continue
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
        log.info("removed %s, left by a winkmon process that was killed", entry.path)
    return removed


def same_file(a: Path, b: Path) -> bool:
    """True if ``a`` and ``b`` name one file (same inode, or the same resolved path)."""
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        pass
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False


def check_output(dest: Path, *, inputs: Iterable[Path] = (), overwrite: bool = False) -> None:
    """Refuse to write ``dest`` onto an input, a directory, or (without ``overwrite``) an
    existing file; raises :class:`~winkmon.errors.OutputError` with the reason."""
    for inp in inputs:
        if same_file(dest, Path(inp)):
            raise OutputError(
                f"{dest}: is an input of this command ({inp}); choose another output file"
            )
    if dest.is_dir():
        raise OutputError(f"{dest}: is a directory; give a file name")
    if (dest.exists() or dest.is_symlink()) and not overwrite:
        raise OutputError(f"{dest}: already exists (choose another name or use --overwrite)")
    if not dest.parent.is_dir():
        raise OutputError(f"{dest}: directory {dest.parent} does not exist")


class AtomicOutput:
    """A file written under a temporary name and renamed onto ``dest`` when complete.

    Use as a context manager; the body writes to the returned file object. On an exception
    the temporary file is removed and ``dest`` is untouched. ``inputs`` and ``overwrite`` are
    checked before the temporary file is created and again just before the rename.
    """

    def __init__(
        self,
        dest: str | os.PathLike[str],
        *,
        inputs: Iterable[str | os.PathLike[str]] = (),
        overwrite: bool = False,
        binary: bool = False,
        mode: int = 0o644,
    ) -> None:
        self.dest = Path(dest)
        self.inputs = [Path(p) for p in inputs]
        self.overwrite = overwrite
        self.binary = binary
        self.mode = mode
        self.tmp: Path | None = None
        self._fh: IO[Any] | None = None

    def __enter__(self) -> IO[Any]:
        check_output(self.dest, inputs=self.inputs, overwrite=self.overwrite)
        remove_stale_temps(self.dest.parent)
        self.tmp = temp_path(self.dest)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
        try:
            fd = os.open(self.tmp, flags, self.mode)
        except OSError as exc:
            raise OutputError(f"{self.dest}: cannot write: {exc.strerror or exc}") from None
        if self.binary:
            self._fh = os.fdopen(fd, "wb")
        else:
            self._fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        return self._fh

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._fh is not None and self.tmp is not None
        tmp = self.tmp
        try:
            if exc_type is None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            self._fh.close()
            if exc_type is None:
                check_output(self.dest, inputs=self.inputs, overwrite=self.overwrite)
                publish(tmp, self.dest, overwrite=self.overwrite)
        except OSError as exc:
            raise OutputError(f"{self.dest}: cannot write: {exc.strerror or exc}") from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def publish(tmp: Path, dest: Path, *, overwrite: bool) -> None:
    """Move the complete file ``tmp`` onto ``dest`` atomically and sync the directory.

    Without ``overwrite`` the move never replaces a file that appeared meanwhile (a hard link
    then unlink: fails if ``dest`` exists).
    """
    if overwrite:
        os.replace(tmp, dest)
    else:
        try:
            os.link(tmp, dest, follow_symlinks=False)
        except FileExistsError:
            raise OutputError(
                f"{dest}: already exists (choose another name or use --overwrite)"
            ) from None
        except OSError:  # no hard links on this file system: a plain rename
            if dest.exists() or dest.is_symlink():
                raise OutputError(
                    f"{dest}: already exists (choose another name or use --overwrite)"
                ) from None
            os.replace(tmp, dest)
        else:
            tmp.unlink()
    sync_dir(dest.parent)


def sync_dir(directory: Path) -> None:
    """fsync a directory so a rename in it is durable (a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def write_text(
    dest: str | os.PathLike[str],
    text: str,
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
    overwrite: bool = False,
) -> Path:
    """Write ``text`` (UTF-8) to ``dest`` atomically (see :class:`AtomicOutput`)."""
    with AtomicOutput(dest, inputs=inputs, overwrite=overwrite) as fh:
        fh.write(text)
    return Path(dest)


def read_regular_file(path: Path, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``.

    A FIFO, a device or a directory is refused without blocking (the file is opened
    non-blocking and checked with ``fstat`` before any read), and so is a longer file.
    Raises :class:`~winkmon.errors.WinkmonError` naming the file and the problem.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _CLOEXEC)
    except OSError as exc:
        raise WinkmonError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise WinkmonError(f"{path}: not a regular file (a {_kind(st.st_mode)}); not read")
        if st.st_size > max_bytes:
            raise WinkmonError(
                f"{path}: {st.st_size} bytes, larger than a {what} can be ({max_bytes}); not read"
            )
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(1 << 16, max_bytes + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise WinkmonError(f"{path}: larger than a {what} can be ({max_bytes} bytes)")
        return b"".join(chunks)
    except OSError as exc:
        raise WinkmonError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"
