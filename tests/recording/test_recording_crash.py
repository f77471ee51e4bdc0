"""A recording whose writer is killed (SIGKILL) keeps everything up to its last commit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from recording_testutil import PER_FRAME

from winkmon.protocol import Role
from winkmon.recording import Recording, load_samples

WRITER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[2])
    from recording_testutil import RATE_HZ, frame_bytes
    from winkmon.protocol import Role
    from winkmon.recording import RecordingWriter

    w = RecordingWriter(sys.argv[1], session_start_ns=0)
    w.add_sensor(Role.SACRUM, RATE_HZ)
    i = 0
    while True:
        w.write_frame(Role.SACRUM, i * 25_000_000, frame_bytes(Role.SACRUM, i))
        i += 1
        if i % 20 == 0:
            print(w.frames_written, w.frames_committed, flush=True)
            time.sleep(0.002)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_writer_replays_up_to_last_committed_second(tmp_path: Path) -> None:
    path = tmp_path / "crash.winkmon"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(Path(__file__).parent)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    progress: list[tuple[float, int, int]] = []  # (monotonic, written, committed)
    try:
        while True:
            line = proc.stdout.readline()
            assert line, "writer died early"
            written, committed = map(int, line.split())
            progress.append((time.monotonic(), written, committed))
            if progress[-1][0] - progress[0][0] > 2.5:
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    t_kill = time.monotonic()
    assert proc.returncode == -signal.SIGKILL
    last_committed = progress[-1][2]
    assert last_committed > 0  # the writer commits at least every second
    # Everything written more than a second (plus scheduling slack) before the kill survives.
    before = [w for t, w, _ in progress if t <= t_kill - 1.5]
    assert before

    with Recording.open(path) as rec:
        assert not rec.meta.closed_cleanly
        frames = list(rec.iter_frames())
        replay = load_samples(rec)
    n = len(frames)
    assert n >= last_committed and n >= before[-1]
    assert n <= progress[-1][1] + 10_000  # nothing invented
    # The frames are exactly a prefix of what was written, in order.
    assert [t for _, t, _ in frames] == [i * 25_000_000 for i in range(n)]
    batch = replay.samples[Role.SACRUM]
    assert len(batch) == n * PER_FRAME and replay.stats[Role.SACRUM].frames_bad == 0
    np.testing.assert_array_equal(batch.index, np.arange(n * PER_FRAME))
