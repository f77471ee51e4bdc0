"""Writing and reading recordings: round trip, malformed frames, damaged and foreign files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from recording_testutil import PER_FRAME, RATE_HZ, frame_bytes, sensor_info, write_session

from winkmon.errors import RecordingError
from winkmon.protocol import Role, SensorStatus, StartParams
from winkmon.recording import (
    FORMAT_VERSION,
    Event,
    Recording,
    RecordingWriter,
    Replay,
    append_events,
    load_samples,
    replace_events,
)
from winkmon.samples import SampleBatch
from winkmon.session.contract import NotificationBlock
from winkmon.session.player import RecordingPlayer
from winkmon.session.session import Session


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "s.winkmon"
    status = bytes(SensorStatus(87, 31.5, 0, 2, 7.5, 247))
    athlete = {"name": "Ana", "height_m": 1.68}
    calibration = {"neutral_deg": 12.5, "segments": [1, 2]}
    with RecordingWriter(path, session_start_ns=10**9, simulated=True, notes="heavy day") as w:
        w.add_sensor(Role.SACRUM, 400, sensor_info(Role.SACRUM), StartParams(rate_hz=400), "AA:01")
        w.add_sensor(Role.LUMBAR, 200.0)
        w.set_athlete(athlete)
        w.set_calibration(calibration)
        w.write_frame(Role.SACRUM, 10**9 + 5, frame_bytes(Role.SACRUM, 0))
        w.write_frames(Role.LUMBAR, [(10**9 + 6, b"\x01"), (10**9 + 7, b"")])
        w.write_frame(Role.SACRUM, 10**9 + 2_500_000_000, bytearray(b"\xff\x00"))
        w.write_status(Role.SACRUM, 10**9 + 8, status)
        w.mark_gap(Role.LUMBAR, 1.25, "disconnect", "link lost")
        w.mark_gap(Role.LUMBAR, 2.0, "reconnect")
        w.write_event(Event("rep", 3.0, {"depth_deg": 95.0}))
    assert not Path(str(path) + "-wal").exists()  # a closed recording is one file

    with Recording.open(path) as rec:
        m = rec.meta
        assert (m.session_start_ns, m.clock, m.simulated, m.notes) == (
            10**9,
            "envelope",
            True,
            "heavy day",
        )
        assert m.athlete == athlete and m.calibration == calibration
        assert (
            m.format_version == FORMAT_VERSION
            and m.app_version
            and m.created_utc
            and m.closed_cleanly
        )
        s = rec.sensors[Role.SACRUM]
        assert s.info == sensor_info(Role.SACRUM)
        assert s.info_json is not None and s.info_json["imu_part"] == "BMI270"
        assert s.start == StartParams(rate_hz=400) and s.address == "AA:01" and s.rate_hz == 400
        lum = rec.sensors[Role.LUMBAR]
        assert lum.info is None and lum.start is None and lum.rate_hz == 200.0
        frames = list(rec.iter_frames())
        assert frames == [
            (Role.SACRUM, 10**9 + 5, frame_bytes(Role.SACRUM, 0)),
            (Role.LUMBAR, 10**9 + 6, b"\x01"),
            (Role.LUMBAR, 10**9 + 7, b""),
            (Role.SACRUM, 10**9 + 2_500_000_000, b"\xff\x00"),
        ]
        assert [f[0] for f in rec.iter_frames([Role.LUMBAR])] == [Role.LUMBAR] * 2
        assert list(rec.iter_frames([])) == []
        assert list(rec.iter_status()) == [(Role.SACRUM, 10**9 + 8, status)]
        assert rec.frame_count() == 4 and rec.frame_count(Role.SACRUM) == 2
        assert rec.duration_s == pytest.approx(2.5)
        assert [(g.role, g.t_s, g.kind, g.detail) for g in rec.gaps] == [
            (Role.LUMBAR, 1.25, "disconnect", "link lost"),
            (Role.LUMBAR, 2.0, "reconnect", ""),
        ]
        assert rec.events() == [Event("rep", 3.0, {"depth_deg": 95.0})]


def test_malformed_frames_are_stored_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "m.winkmon"
    bad = [b"", b"\x01", b"\x07\x01" + bytes(14), frame_bytes(Role.SACRUM, 3)[:-1]]
    with RecordingWriter(path, session_start_ns=0) as w:
        w.add_sensor(Role.SACRUM, RATE_HZ)
        for i in range(6):
            w.write_frame(Role.SACRUM, (i + 1) * 25_000_000, frame_bytes(Role.SACRUM, i))
            if i < len(bad):
                w.write_frame(Role.SACRUM, (i + 1) * 25_000_000 + 1, bad[i])
    with Recording.open(path) as rec:
        assert [p for _, _, p in rec.iter_frames()][1::2][: len(bad)] == bad
        replay = load_samples(rec)
    stats = replay.stats[Role.SACRUM]
    assert stats.frames_bad == len(bad) and stats.frames_ok == 6
    batch = replay.samples[Role.SACRUM]
    assert len(batch) == 6 * PER_FRAME and stats.samples_lost == 0
    np.testing.assert_array_equal(batch.index, np.arange(6 * PER_FRAME))


def _load_in_blocks_of(rec: Recording, n: int) -> Replay:
    """The recording decoded by the session fed ``n`` notifications at a time."""
    player = RecordingPlayer(rec)
    session = Session(None, session_start_ns=player.session_start_ns)
    got: dict[Role, list[SampleBatch]] = {}
    session.batch_listeners.append(lambda b: got.setdefault(b.role, []).append(b))
    for event in player.iter_events():
        if isinstance(event, NotificationBlock):
            for a in range(0, len(event), n):
                session.handle(
                    NotificationBlock(
                        event.roles[a : a + n],
                        event.t_host_ns[a : a + n],
                        event.payloads[a : a + n],
                    )
                )
        else:
            session.handle(event)
    return Replay(samples={r: SampleBatch.concat(b) for r, b in got.items()})


def test_load_samples_envelope_clock(tmp_path: Path) -> None:
    path = write_session(tmp_path / "e.winkmon", frames_per_sensor=400)
    with Recording.open(path) as rec:
        one = load_samples(rec)
        chunked = _load_in_blocks_of(rec, 7)
    for role in (Role.SACRUM, Role.LUMBAR):
        b = one.samples[role]
        assert len(b) == 400 * PER_FRAME and one.stats[role].loss_pct == 0.0
        assert np.all(np.diff(b.t_s) >= 0)
        # Frames arrive 25 ms apart, 25 ms of samples each: session time ~ arrival time.
        assert b.t_s[-1] == pytest.approx(0.03 + 399 * 0.025, abs=0.03)
        np.testing.assert_array_equal(b.t_s, chunked.samples[role].t_s)
        np.testing.assert_array_equal(b.acc_m_s2, chunked.samples[role].acc_m_s2)


def test_frames_of_undeclared_sensor_are_skipped_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "u.winkmon"
    with RecordingWriter(path, session_start_ns=0) as w:
        w.add_sensor(Role.SACRUM, RATE_HZ)
        w.write_frame(Role.SACRUM, 1, frame_bytes(Role.SACRUM, 0))
        w.write_frame(Role.LUMBAR, 2, frame_bytes(Role.LUMBAR, 0))
    with Recording.open(path) as rec:
        replay = load_samples(rec)
    assert set(replay.samples) == {Role.SACRUM}
    assert any("lumbar" in w for w in replay.warnings)


def test_events_append_and_replace(tmp_path: Path) -> None:
    path = write_session(tmp_path / "ev.winkmon", frames_per_sensor=5)
    append_events(path, "rep", [Event("rep", 2.0, {"n": 2}), Event("rep", 1.0, {"n": 1})])
    append_events(path, "alert", [Event("alert", 1.5, {"level": "soft"})])
    with Recording.open(path) as rec:
        assert [e.data["n"] for e in rec.events("rep")] == [1, 2]
        assert [e.kind for e in rec.events()] == ["rep", "alert", "rep"]
    assert replace_events(path, "rep", [Event("rep", 5.0, {"n": 9})]) == 1
    with Recording.open(path) as rec:
        assert rec.events("rep") == [Event("rep", 5.0, {"n": 9})]
        assert len(rec.events("alert")) == 1
    with pytest.raises(ValueError, match="kind"):
        replace_events(path, "rep", [Event("alert", 1.0)])
    with Recording.open(path) as rec:  # the failed replace changed nothing
        assert rec.events("rep") == [Event("rep", 5.0, {"n": 9})]


def test_commits_on_time_and_flush(tmp_path: Path) -> None:
    path = tmp_path / "c.winkmon"
    w = RecordingWriter(path, session_start_ns=0, commit_interval_s=3600)
    w.add_sensor(Role.SACRUM, RATE_HZ)
    w.write_frame(Role.SACRUM, 1, frame_bytes(Role.SACRUM, 0))
    assert w.frames_written == 1 and w.frames_committed == 0
    with Recording.open(path) as rec:  # a reader sees only committed data
        assert rec.frame_count() == 0
    w.flush()
    assert w.frames_committed == 1
    with Recording.open(path) as rec:
        assert rec.frame_count() == 1 and not rec.meta.closed_cleanly
    w.commit_interval_s = 0.0
    w.write_frame(Role.SACRUM, 2, frame_bytes(Role.SACRUM, 1))
    assert w.frames_committed == 2
    w.close()
    w.close()  # idempotent
    with pytest.raises(RecordingError, match="closed"):
        w.write_frame(Role.SACRUM, 3, b"")


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    path = write_session(tmp_path / "o.winkmon", frames_per_sensor=3)
    with pytest.raises(RecordingError, match="already exists"):
        RecordingWriter(path, session_start_ns=0)
    with Recording.open(path) as rec:
        assert rec.frame_count() == 6
    with RecordingWriter(path, session_start_ns=0, overwrite=True) as w:
        w.add_sensor(Role.SACRUM, 100)
    with Recording.open(path) as rec:
        assert rec.frame_count() == 0
    with pytest.raises(RecordingError, match="does not exist"):
        RecordingWriter(tmp_path / "nodir" / "x.winkmon", session_start_ns=0)


def test_session_name_without_suffix(tmp_path: Path) -> None:
    write_session(tmp_path / "day1.winkmon", frames_per_sensor=1)
    with Recording.open(tmp_path / "day1") as rec:
        assert rec.path.name == "day1.winkmon"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such recording"),
        (b"", "not a winkmon recording"),
        (b"time_s,ax\n1,2\n", "not a winkmon recording"),
        (bytes(range(256)) * 40, "not a winkmon recording"),
        (b"SQLite format 3\x00" + bytes(20), "truncated"),
    ],
)
def test_foreign_and_missing_files(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "x.winkmon"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RecordingError, match=message) as info:
        Recording.open(path)
    assert str(path) in str(info.value)


def test_other_sqlite_database_is_not_a_recording(tmp_path: Path) -> None:
    path = tmp_path / "other.winkmon"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(RecordingError, match="not a winkmon recording"):
        Recording.open(path)


def test_newer_format_is_refused(tmp_path: Path) -> None:
    path = write_session(tmp_path / "n.winkmon", frames_per_sensor=1)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    with pytest.raises(RecordingError, match="newer"):
        Recording.open(path)


def _open_and_replay(path: Path, partial_ok: bool) -> int:
    """Frames replayed; any failure must be a RecordingError."""
    with Recording.open(path, partial_ok=partial_ok) as rec:
        replay = load_samples(rec)
        if rec.damage:
            assert partial_ok and str(path) in rec.damage
            assert rec.damage in replay.warnings
        _ = rec.duration_s, rec.gaps, rec.events()
        assert rec.damage is None or partial_ok
        return sum(s.frames_ok + s.frames_bad for s in replay.stats.values())


def test_truncated_file_gives_recording_error_or_partial_replay(tmp_path: Path) -> None:
    good = write_session(tmp_path / "t.winkmon", frames_per_sensor=1500)
    data = good.read_bytes()
    total = 3000
    cuts = [1, 50, 99, 100, 1000, 4096, 8192, len(data) // 3, len(data) // 2, len(data) - 1]
    partial_seen = False
    for cut in cuts:
        path = tmp_path / f"cut{cut}.winkmon"
        path.write_bytes(data[:cut])
        try:
            n = _open_and_replay(path, partial_ok=True)
        except RecordingError as exc:
            assert str(path) in str(exc)
            continue
        assert n <= total
        if n < total:
            partial_seen |= n > 0
            with pytest.raises(RecordingError, match="truncated or corrupted"):
                _open_and_replay(path, partial_ok=False)
    assert partial_seen  # somewhere a damaged file still replays up to the damage


def test_partial_replay_reports_frames_read(tmp_path: Path) -> None:
    good = write_session(tmp_path / "p.winkmon", frames_per_sensor=1500)
    path = tmp_path / "half.winkmon"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(RecordingError, match="truncated or corrupted"), Recording.open(path) as rec:
        load_samples(rec)
    with Recording.open(path, partial_ok=True) as rec:
        replay = load_samples(rec)
        assert rec.damage is not None and "frames could be read" in rec.damage
    n = len(replay.samples[Role.SACRUM])
    assert 0 < n < 1500 * PER_FRAME
    np.testing.assert_array_equal(replay.samples[Role.SACRUM].index, np.arange(n))


def test_corrupted_bytes_never_escape_as_other_exceptions(tmp_path: Path) -> None:
    good = write_session(tmp_path / "g.winkmon", frames_per_sensor=600)
    data = bytearray(good.read_bytes())
    rng = np.random.default_rng(7)
    for trial in range(40):
        bad = bytearray(data)
        start = int(rng.integers(100, len(bad) - 64))
        length = min(int(rng.integers(1, 4096)), len(bad) - start)
        bad[start : start + length] = rng.integers(0, 256, size=length, dtype=np.uint8).tobytes()
        path = tmp_path / f"bad{trial}.winkmon"
        path.write_bytes(bytes(bad))
        for partial_ok in (True, False):
            try:
                _open_and_replay(path, partial_ok)
            except RecordingError as exc:
                assert str(path) in str(exc)
