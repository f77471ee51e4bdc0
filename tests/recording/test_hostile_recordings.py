"""Recordings in every state a crash leaves them in, damaged recordings, concurrent writers.

Issue 15, cases 1, 7, 8 and the recording parts of 9. Processes are real and killed with
SIGKILL at the worst moment (inside the transaction, just before its COMMIT).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from recording_testutil import write_session

import winkmon
from winkmon.cli import main
from winkmon.errors import RecordingError
from winkmon.protocol import Role
from winkmon.recording import (
    FORMAT_VERSION,
    Event,
    Recording,
    RecordingWriter,
    replace_event_kinds,
)
from winkmon.recording.csv_import import import_csv
from winkmon.recording.writer import append_events

SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "demo.winkmon"
SRC = str(Path(winkmon.__file__).resolve().parents[1])
HERE = str(Path(__file__).resolve().parent)
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL, flock")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([SRC, HERE, env.get("PYTHONPATH", "")])
    return env


def _winkmon(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "winkmon", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
    )


# ---------------------------------------------------------------- case 1: a killed `report`
KILLED_REPORT = textwrap.dedent(
    """
    import os, signal, sys
    import winkmon.recording.writer as w

    real = w.connect_rw

    def traced(path):
        conn = real(path)
        seen = []

        def trace(sql):
            seen.append(sql)
            # The worst moment: everything of the events' write is done but its COMMIT.
            if sql.strip().upper() == "COMMIT" and any("alert" in s for s in seen):
                os.kill(os.getpid(), signal.SIGKILL)

        conn.execute("PRAGMA cache_size=1")  # spill pages into the file before the commit
        conn.set_trace_callback(trace)
        return conn

    w.connect_rw = traced
    from winkmon.cli import main
    main(["report", sys.argv[1], "--save"])
    """
)


def _kinds(path: Path) -> tuple[int, int]:
    with Recording.open(path) as rec:
        return len(rec.events("rep")), len(rec.events("alert"))


@pytest.fixture()
def reported(tmp_path: Path) -> Path:
    session = tmp_path / "demo.winkmon"
    shutil.copy(SAMPLE, session)
    old = {
        "rep": [Event("rep", float(i), {"old": True}) for i in range(3)],
        "alert": [Event("alert", float(i), {"old": True}) for i in range(2)],
    }
    replace_event_kinds(session, old)
    return session


def test_killed_report_leaves_a_readable_recording_with_all_old_events(
    reported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_REPORT, str(reported)],
        env=_env(),
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL
    journal = reported.with_name(reported.name + "-journal")
    assert journal.stat().st_size > 0  # the crash state: a read-only open fails
    # Every command reads it (the journal is rolled back) and none calls it corrupted.
    assert main(["info", str(reported)]) == 0
    with Recording.open(reported) as rec:
        assert rec.frame_count() > 0
    # Old reps with old alerts: never the new reps without their alerts.
    assert _kinds(reported) == (3, 2)
    assert main(["export", str(reported), "--csv", str(tmp_path / "out"), "--partial"]) == 0
    assert main(["report", str(reported), "--no-save"]) == 0
    out = capsys.readouterr()
    assert "corrupted" not in out.out + out.err


def test_killed_report_in_a_read_only_folder_reads_a_recovered_copy(
    reported: Path, read_only: _ReadOnly
) -> None:
    subprocess.run([sys.executable, "-c", KILLED_REPORT, str(reported)], env=_env(), timeout=120)
    journal = reported.with_name(reported.name + "-journal")
    assert journal.exists()
    before = reported.read_bytes()
    with read_only(reported.parent):
        with Recording.open(reported) as rec:
            assert len(rec.events("rep")) == 3 and len(rec.events("alert")) == 2
            assert rec.frame_count() > 0
        proc = _winkmon("info", str(reported))
        assert proc.returncode == 0, proc.stderr
        assert "corrupted" not in proc.stderr
    assert reported.read_bytes() == before and journal.exists()  # nothing changed in place


def test_events_of_several_kinds_are_one_transaction(tmp_path: Path) -> None:
    path = write_session(tmp_path / "s.winkmon", 10)
    append_events(path, "rep", [Event("rep", 1.0, {})])
    with pytest.raises(ValueError):
        replace_event_kinds(
            path, {"rep": [Event("rep", 2.0, {})], "alert": [Event("rep", 3.0, {})]}
        )
    assert _kinds(path) == (1, 0)  # nothing of the refused call was written


# ---------------------------------------------------------------- read-only folders
class _ReadOnly:
    """Makes a directory read-only even for root (chattr +i, or a read-only bind mount)."""

    def __init__(self) -> None:
        self.method: str | None = None

    @contextlib.contextmanager
    def __call__(self, directory: Path) -> Iterator[None]:
        if os.geteuid() != 0:
            mode = directory.stat().st_mode
            directory.chmod(0o555)
            try:
                yield
            finally:
                directory.chmod(mode)
            return
        if (
            shutil.which("chattr")
            and subprocess.run(["chattr", "+i", str(directory)], capture_output=True).returncode
            == 0
        ):
            try:
                yield
            finally:
                subprocess.run(["chattr", "-i", str(directory)], check=True)
            return
        pytest.skip("cannot make a folder read-only for root here (no chattr +i)")


@pytest.fixture()
def read_only() -> _ReadOnly:
    return _ReadOnly()


# ---------------------------------------------------------------- case 8: the WAL
WRITER = textwrap.dedent(
    """
    import sys, time
    from recording_testutil import RATE_HZ, frame_bytes
    from winkmon.protocol import Role
    from winkmon.recording import RecordingWriter

    kw = {} if sys.argv[2] == "default" else {"checkpoint_interval_s": float(sys.argv[2])}
    w = RecordingWriter(sys.argv[1], session_start_ns=0, **kw)
    w.add_sensor(Role.SACRUM, RATE_HZ)
    i = 0
    t0 = time.monotonic()
    while True:
        w.write_frame(Role.SACRUM, i * 25_000_000, frame_bytes(Role.SACRUM, i))
        i += 1
        if i % 20 == 0:
            print(i, w.frames_committed, flush=True)
            time.sleep(0.01)
    """
)


def _run_writer_then_kill(path: Path, seconds: float, checkpoint: str) -> int:
    """Write for ``seconds``, SIGKILL the writer; returns the frames committed by then."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), checkpoint],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert proc.stdout is not None
    t0: float | None = None
    committed = 0
    try:
        while t0 is None or time.monotonic() - t0 < seconds or committed == 0:
            line = proc.stdout.readline()
            assert line, "writer died early"
            committed = int(line.split()[1])
            t0 = time.monotonic() if t0 is None else t0
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    return committed


def test_main_file_alone_is_at_most_a_checkpoint_behind(tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    path = live / "s.winkmon"
    committed = _run_writer_then_kill(path, 3.0, "0.5")
    assert path.with_name(path.name + "-wal").exists()  # the crash state of the issue
    alone = tmp_path / "copy"
    alone.mkdir()
    shutil.copy(path, alone / path.name)  # the main file without its -wal
    with Recording.open(alone / path.name) as rec:
        n = rec.frame_count()
        assert rec.duration_s > 1.0
    # At most one checkpoint interval (0.5 s) plus a commit interval (1 s) behind.
    frames_per_s = committed / 3.0
    assert n >= committed - 2.0 * frames_per_s
    assert n > 0


def test_default_checkpoint_interval_is_a_few_seconds(tmp_path: Path) -> None:
    with RecordingWriter(tmp_path / "s.winkmon", session_start_ns=0) as w:
        assert 0 < w.checkpoint_interval_s <= 5.0


def test_unclosed_recording_in_read_only_folder_without_shm(
    tmp_path: Path, read_only: _ReadOnly
) -> None:
    path = tmp_path / "s.winkmon"
    committed = _run_writer_then_kill(path, 1.5, "1000")
    shm = path.with_name(path.name + "-shm")
    shm.unlink(missing_ok=True)
    assert path.with_name(path.name + "-wal").stat().st_size > 0
    with read_only(tmp_path):
        with Recording.open(path) as rec:  # every committed frame, from the WAL too
            assert rec.frame_count() >= committed > 0
        proc = _winkmon("info", str(path))
        assert proc.returncode == 0, proc.stderr
    assert not shm.exists()


# ---------------------------------------------------------------- case 7: two writers
HOLDER = textwrap.dedent(
    """
    import sys, time
    from recording_testutil import RATE_HZ, frame_bytes
    from winkmon.protocol import Role
    from winkmon.recording import RecordingWriter

    with RecordingWriter(sys.argv[1], session_start_ns=0) as w:
        w.add_sensor(Role.SACRUM, RATE_HZ)
        for i in range(40):
            w.write_frame(Role.SACRUM, i * 25_000_000, frame_bytes(Role.SACRUM, i))
        w.flush()
        print("ready", flush=True)
        sys.stdin.readline()
        for i in range(40, 80):
            w.write_frame(Role.SACRUM, i * 25_000_000, frame_bytes(Role.SACRUM, i))
    print("closed", flush=True)
    """
)


def test_a_recording_being_written_is_locked_against_a_second_writer(tmp_path: Path) -> None:
    path = tmp_path / "s.winkmon"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        assert proc.stdout.readline().strip() == "ready"
        with pytest.raises(RecordingError, match="being recorded"):
            RecordingWriter(path, session_start_ns=0, overwrite=True)
        csv = tmp_path / "a.csv"
        csv.write_text("time_s,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.01,0,0,9.8,0,0,0\n")
        with pytest.raises(RecordingError, match="being recorded"):
            import_csv({Role.SACRUM: csv}, path, overwrite=True)
        second = _winkmon(
            "record",
            "--virtual",
            "--athlete",
            "x",
            "-o",
            str(path),
            "--overwrite",
            "--seconds",
            "1",
            "--quiet",
            "--profiles",
            str(tmp_path / "p"),
        )
        assert second.returncode != 0 and "being recorded" in second.stderr
        with pytest.raises(RecordingError, match="being recorded"):
            replace_event_kinds(path, {"rep": []})
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "closed"
    finally:
        proc.kill()
        proc.wait()
    with Recording.open(path) as rec:  # the first writer's data, all of it
        assert rec.frame_count() == 80 and rec.meta.closed_cleanly
    # Once closed, the lock is gone: overwriting is allowed again.
    RecordingWriter(path, session_start_ns=0, overwrite=True).close()


# ---------------------------------------------------------------- case 9: damage, FIFO, version
def test_no_corrupted_byte_of_the_schema_gives_a_traceback(tmp_path: Path) -> None:
    path = write_session(tmp_path / "s.winkmon", 20)
    orig = path.read_bytes()
    # The schema (CREATE statements and their names) sits at the end of the first page.
    start = orig.index(b"CREATE TABLE") - 64
    victim = tmp_path / "c.winkmon"
    refused = 0
    for i in range(start, 4096):
        b = bytearray(orig)
        b[i] ^= 0xFF
        victim.write_bytes(bytes(b))
        try:
            with Recording.open(victim) as rec:
                rec.frame_count()
                rec.events()
        except RecordingError:
            refused += 1
    assert refused > 0  # the damage was seen, and only ever as RecordingError


def test_a_fifo_as_session_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "s.winkmon"
    os.mkfifo(fifo)
    for args in (
        ["info", str(fifo)],
        ["export", str(fifo), "--csv", str(tmp_path / "o")],
        ["report", str(fifo), "--no-save"],
    ):
        proc = _winkmon(*args, timeout=30)
        assert proc.returncode != 0
        assert "not a regular file" in proc.stderr and "Traceback" not in proc.stderr


def test_a_newer_format_version_is_refused_clearly(tmp_path: Path) -> None:
    path = write_session(tmp_path / "s.winkmon", 5)
    conn = sqlite3.connect(path)
    conn.execute(
        "UPDATE meta SET value = ? WHERE key = 'format_version'", (str(FORMAT_VERSION + 1),)
    )
    conn.commit()
    conn.close()
    with pytest.raises(RecordingError, match=f"format version {FORMAT_VERSION + 1} is newer"):
        Recording.open(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = 'true' WHERE key = 'format_version'")
    conn.commit()
    conn.close()
    with pytest.raises(RecordingError, match="format_version"):
        Recording.open(path)
