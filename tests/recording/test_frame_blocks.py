"""Format version 3: frames stored in blocks read back exactly as written, damage to a block
is found and read up to, and files of the versions before still read the same."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from recording_testutil import frame_bytes, sensor_info

from winkmon.errors import RecordingError
from winkmon.protocol.constants import Role
from winkmon.recording import Recording, RecordingWriter
from winkmon.recording.schema import FORMAT_VERSION
from winkmon.recording.writer import BLOCK_FRAMES
from winkmon.session.offline import decode_recording

SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "demo.winkmon"


def _frames_as_written(n: int) -> list[tuple[Role, int, bytes]]:
    """Notifications of two sensors, with a short malformed one and one sensor pausing."""
    out: list[tuple[Role, int, bytes]] = []
    for i in range(n):
        t = 2_000_000_000 + i * 12_500_000
        out.append((Role.SACRUM, t, frame_bytes(Role.SACRUM, i)))
        if not 300 <= i < 420:  # the lumbar sensor is out for a while
            out.append((Role.LUMBAR, t + 700_000, frame_bytes(Role.LUMBAR, i)))
        if i == 50:
            out.append((Role.LUMBAR, t + 900_000, b"\x01\x02"))  # malformed: stored as is
    return out


def _write(path: Path, frames: list[tuple[Role, int, bytes]], commit_every: int) -> None:
    with RecordingWriter(path, session_start_ns=2_000_000_000) as w:
        for role in (Role.SACRUM, Role.LUMBAR):
            w.add_sensor(role, 400, info=sensor_info(role))
        w.write_segment(Role.SACRUM, 2_000_000_000, "winkmon", 400)
        w.write_segment(Role.LUMBAR, 2_000_000_000, "winkmon", 400)
        for k, (role, t, payload) in enumerate(frames):
            if k == 700:
                w.write_segment(Role.LUMBAR, t, "winkmon", 400, reason="reconnect")
            w.write_frame(role, t, payload)
            if k % commit_every == commit_every - 1:
                w.flush()


def test_frames_read_back_exactly_as_written_in_blocks(tmp_path: Path) -> None:
    frames = _frames_as_written(900)
    path = tmp_path / "s.winkmon"
    _write(path, frames, commit_every=97)
    with sqlite3.connect(path) as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        sizes = [n for (n,) in db.execute("SELECT n FROM frame_blocks ORDER BY id")]
        firsts = [f for (f,) in db.execute("SELECT first_frame FROM frame_blocks ORDER BY id")]
    db.close()
    assert version == FORMAT_VERSION == 3
    assert max(sizes) <= min(97, BLOCK_FRAMES) and sum(sizes) == len(frames)
    assert firsts == list(np.cumsum([1, *sizes[:-1]]))  # frame ids run on from block to block
    with Recording.open(path) as rec:
        assert [(r, t, p) for r, t, p in rec.iter_frames()] == frames
        chunks = list(rec.iter_frame_chunks())
        assert [i for c in chunks for i in c.ids] == list(range(1, len(frames) + 1))
        lumbar = [f for f in frames if f[0] is Role.LUMBAR]
        assert list(rec.iter_frames([Role.LUMBAR])) == lumbar
        ids = [i for c in rec.iter_frame_chunks([Role.LUMBAR]) for i in c.ids]
        assert ids == [k + 1 for k, f in enumerate(frames) if f[0] is Role.LUMBAR]
        assert rec.frame_count() == len(frames)
        assert rec.frame_count(Role.LUMBAR) == len(lumbar)
        assert rec.duration_s == pytest.approx((frames[-1][1] - 2_000_000_000) / 1e9)
        segments = rec.segments()
        assert segments[-1].reason == "reconnect" and segments[-1].frame_id == 701


def test_many_frames_at_once_make_blocks_of_at_most_block_frames(tmp_path: Path) -> None:
    frames = _frames_as_written(1500)
    path = tmp_path / "bulk.winkmon"
    with RecordingWriter(path, session_start_ns=2_000_000_000, bulk=True) as w:
        w.add_sensor(Role.SACRUM, 400)
        w.add_sensor(Role.LUMBAR, 400)
        w.write_mixed_frames((int(r), t, p) for r, t, p in frames)
    with sqlite3.connect(path) as db:
        sizes = [n for (n,) in db.execute("SELECT n FROM frame_blocks ORDER BY id")]
    db.close()
    assert sizes[:-1] == [BLOCK_FRAMES] * (len(sizes) - 1) and sum(sizes) == len(frames)
    with Recording.open(path) as rec:
        assert list(rec.iter_frames()) == frames


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("lengths", b"\x00\x00\x00\x00"),  # the lengths no longer add up to the payloads
        ("roles", "1"),  # text, not a blob
        ("n", 0),
        ("t_host_ns", b"\x00" * 3),
    ],
)
def test_a_damaged_block_is_damage_and_what_comes_before_it_reads(
    tmp_path: Path, column: str, value: object
) -> None:
    frames = _frames_as_written(600)
    path = tmp_path / "d.winkmon"
    _write(path, frames, commit_every=100)
    with sqlite3.connect(path) as db:
        (block_id, first) = db.execute(
            "SELECT id, first_frame FROM frame_blocks ORDER BY id LIMIT 1 OFFSET 3"
        ).fetchone()
        db.execute(f"UPDATE frame_blocks SET {column} = ? WHERE id = ?", (value, block_id))
    db.close()
    with Recording.open(path) as rec, pytest.raises(RecordingError) as err:
        list(rec.iter_frames())
    assert "truncated or corrupted" in str(err.value)
    assert "frame block 4 is malformed" in str(err.value)
    with Recording.open(path, partial_ok=True) as rec:
        got = list(rec.iter_frames())
        assert rec.damage is not None and f"{first - 1} frames could be read" in rec.damage
    assert got == frames[: first - 1]


def _as_version_2(src: Path, dst: Path) -> None:
    """The recording as winkmon wrote it before format 3: a ``frames`` row per notification."""
    shutil.copy(src, dst)
    with Recording.open(src) as rec:
        rows = [(int(r), t, p) for r, t, p in rec.iter_frames()]
    with sqlite3.connect(dst) as db:
        db.execute(
            "CREATE TABLE frames (id INTEGER PRIMARY KEY, role INTEGER NOT NULL, "
            "t_host_ns INTEGER NOT NULL, payload BLOB NOT NULL)"
        )
        db.executemany("INSERT INTO frames (role, t_host_ns, payload) VALUES (?, ?, ?)", rows)
        db.execute("DROP TABLE frame_blocks")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'format_version'")
        db.execute("PRAGMA user_version = 2")
    db.close()


def test_a_version_2_recording_reads_and_decodes_as_its_version_3_twin(tmp_path: Path) -> None:
    v3 = tmp_path / "v3.winkmon"
    _write(v3, _frames_as_written(900), commit_every=64)
    v2 = tmp_path / "v2.winkmon"
    _as_version_2(v3, v2)
    with Recording.open(v2) as old, Recording.open(v3) as new:
        assert old.meta.format_version == 2 and new.meta.format_version == 3
        assert list(old.iter_frames()) == list(new.iter_frames())
        new_chunks = list(new.iter_frame_chunks())
        ids = [i for c in new_chunks for i in c.ids]
        assert [i for c in old.iter_frame_chunks() for i in c.ids] == ids
        # a format 3 chunk's payloads have one length (one table for the decoder), unless it
        # is a single block that holds payloads of different lengths
        for c in new_chunks:
            lengths = {len(p) for p in c.payloads}
            assert len(lengths) == 1 or len(c.ids) <= BLOCK_FRAMES
        assert any(len({len(p) for p in c.payloads}) > 1 for c in new_chunks)
        assert old.frame_count(Role.SACRUM) == new.frame_count(Role.SACRUM)
        assert old.duration_s == new.duration_s
        a, b = decode_recording(old), decode_recording(new)
    assert a.stats == b.stats and set(a.samples) == set(b.samples) == {Role.SACRUM, Role.LUMBAR}
    for role in a.samples:
        np.testing.assert_array_equal(a.samples[role].t_s, b.samples[role].t_s)
        np.testing.assert_array_equal(a.samples[role].acc_m_s2, b.samples[role].acc_m_s2)


def test_the_shipped_version_1_demo_still_reads(tmp_path: Path) -> None:
    with Recording.open(SAMPLE) as rec:
        assert rec.meta.format_version == 1 and not rec.blocks
        assert rec.frame_count() == sum(1 for _ in rec.iter_frames()) > 1000


def test_frame_ids_that_go_back_are_damage(tmp_path: Path) -> None:
    path = tmp_path / "ids.winkmon"
    _write(path, _frames_as_written(600), commit_every=100)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE frame_blocks SET first_frame = 1 WHERE id = 3")
    db.close()
    with Recording.open(path) as rec, pytest.raises(RecordingError, match="frame block 3"):
        list(rec.iter_frames())
