"""The session on its own: decoders by name, segments, orphans, the recorder, another format.

A made-up notification format ("csv-text/1": one sample per notification, as ASCII
``index,ax,ay,az,gx,gy,gz``) shows that the session, the recorder and the player carry any
format a driver registers, not only winkmon's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from winkmon.clock import ClockModel
from winkmon.errors import WinkmonError
from winkmon.protocol.constants import Role
from winkmon.recording import Recording, RecordingWriter
from winkmon.samples import SampleBatch
from winkmon.session.contract import (
    Channel,
    LinkChanged,
    LinkState,
    Notification,
    NotificationBlock,
    SourceEvent,
    StreamStarted,
)
from winkmon.session.decode import DeviceStatus, register_decoder
from winkmon.session.player import RecordingPlayer
from winkmon.session.recorder import SessionRecorder
from winkmon.session.session import Session
from winkmon.stream import SensorStream, StreamStats

TEXT = "csv-text/1"


class TextDecoder:
    """One sample per notification, ``index,ax,ay,az,gx,gy,gz``; the host clock is the clock."""

    def __init__(
        self, started: StreamStarted, clock: Callable[[], ClockModel], session_start_ns: int
    ) -> None:
        self._role = started.role
        self._rate = started.rate_hz
        self._start = session_start_ns
        self._stats = StreamStats()
        self.segments = 1

    @property
    def role(self) -> Role:
        return self._role

    @property
    def rate_hz(self) -> float:
        return self._rate

    @property
    def stats(self) -> StreamStats:
        return self._stats

    def restart(self, started: StreamStarted) -> None:
        self.segments += 1
        self._rate = started.rate_hz

    def feed(self, t_host_ns: int, payload: bytes) -> SampleBatch | None:
        return self.feed_many([t_host_ns], [payload])

    def feed_many(self, t_host_ns: Sequence[int], payloads: Sequence[bytes]) -> SampleBatch | None:
        rows = []
        times = []
        for t, p in zip(t_host_ns, payloads, strict=True):
            try:
                rows.append([float(x) for x in p.decode("ascii").split(",")])
                times.append(t)
            except ValueError:
                self._stats.frames_bad += 1
        if not rows:
            return None
        a = np.array(rows)
        self._stats.frames_ok += len(rows)
        self._stats.samples_received += len(rows)
        return SampleBatch(
            role=self._role,
            index=a[:, 0].astype(np.int64),
            t_dev_us=((np.array(times) - self._start) // 1000).astype(np.int64),
            t_s=(np.array(times, dtype=np.float64) - self._start) / 1e9,
            acc_m_s2=a[:, 1:4],
            gyr_rad_s=a[:, 4:7],
            rate_hz=self._rate,
        )

    def status(self, payload: bytes) -> DeviceStatus | None:
        return DeviceStatus(battery_pct=float(payload.decode("ascii")))


register_decoder(TEXT, TextDecoder)


def text_events(n: int, role: Role = Role.SACRUM) -> list[SourceEvent]:
    events: list[SourceEvent] = [StreamStarted(role, 0, TEXT, 100.0, {"rate_hz": 100})]
    for k in range(n):
        payload = f"{k},0,0,9.8,0.{k % 10},0,0".encode()
        events.append(Notification(role, 1_000_000 + k * 10_000_000, payload))
    events.append(Notification(role, 2_000_000_000, b"77", Channel.STATUS))
    return events


def decoded(session: Session) -> dict[Role, SampleBatch]:
    got: dict[Role, list[SampleBatch]] = {}
    session.batch_listeners.append(lambda b: got.setdefault(b.role, []).append(b))
    return got  # type: ignore[return-value]


def test_another_notification_format_is_decoded_recorded_and_replayed(tmp_path: Path) -> None:
    session = Session(None, roles=[Role.SACRUM])
    got: dict[Role, list[SampleBatch]] = {}
    session.batch_listeners.append(lambda b: got.setdefault(b.role, []).append(b))
    path = tmp_path / "text.winkmon"
    with RecordingWriter(path, session_start_ns=0) as writer:
        session.start_recording(SessionRecorder(writer, 0))
        session.run(text_events(50))
    live = SampleBatch.concat(got[Role.SACRUM])
    assert len(live) == 50 and session.sensors[Role.SACRUM].battery_pct == 77.0
    assert session.sensors[Role.SACRUM].decoder == TEXT
    with Recording.open(path) as rec:
        assert [(s.decoder, s.rate_hz) for s in rec.segments()] == [(TEXT, 100.0)]
        replay = Session(None, roles=[Role.SACRUM])
        back: dict[Role, list[SampleBatch]] = {}
        replay.batch_listeners.append(lambda b: back.setdefault(b.role, []).append(b))
        replay.run(RecordingPlayer(rec).iter_events())
    again = SampleBatch.concat(back[Role.SACRUM])
    np.testing.assert_array_equal(again.t_s, live.t_s)
    np.testing.assert_array_equal(again.gyr_rad_s, live.gyr_rad_s)


def test_an_unknown_format_is_a_clear_error() -> None:
    session = Session(None)
    with pytest.raises(WinkmonError, match="'never-heard-of' format"):
        session.handle(StreamStarted(Role.SACRUM, 0, "never-heard-of", 100.0))


def test_notifications_before_their_stream_started_are_counted_not_decoded() -> None:
    session = Session(None, roles=[Role.SACRUM])
    session.handle(Notification(Role.SACRUM, 0, b"1,0,0,9.8,0,0,0"))
    session.handle(NotificationBlock([int(Role.LUMBAR)] * 2, [1, 2], [b"x", b"y"]))
    assert session.orphans == {Role.SACRUM: 1, Role.LUMBAR: 2}
    assert session.decoders == {}


def test_segments_restart_the_decoder_and_links_count_drops() -> None:
    session = Session(None, roles=[Role.SACRUM])
    session.run(text_events(3))
    session.handle(LinkChanged(Role.SACRUM, 5, LinkState.RECONNECTING, "dropped"))
    session.handle(LinkChanged(Role.SACRUM, 6, LinkState.RECONNECTING, "still away"))
    session.handle(StreamStarted(Role.SACRUM, 7, TEXT, 50.0, reason="reconnect"))
    session.handle(LinkChanged(Role.SACRUM, 8, LinkState.CONNECTED, "back"))
    view = session.sensors[Role.SACRUM]
    decoder = session.decoders[Role.SACRUM]
    assert isinstance(decoder, TextDecoder) and decoder.segments == 2
    assert view.gaps == 1 and view.state is LinkState.CONNECTED and view.rate_hz == 50.0
    assert view.segments == 2


def test_a_recording_started_mid_session_declares_the_segments_in_force(tmp_path: Path) -> None:
    session = Session(None, roles=[Role.SACRUM])
    events = text_events(20)
    session.run(events[:10])
    path = tmp_path / "late.winkmon"
    with RecordingWriter(path, session_start_ns=0) as writer:
        session.start_recording(SessionRecorder(writer, 0))
        for e in events[10:]:
            session.handle(e)
    with Recording.open(path) as rec:
        assert [s.decoder for s in rec.segments()] == [TEXT]
        assert rec.frame_count() == 11


def _frames(t0_us: int, n: int, first_host_ns: int) -> list[tuple[int, bytes]]:
    from winkmon.protocol import DataFrame, FrameType, encode_samples

    out = []
    for k in range(n):
        raw, _ = encode_samples(np.zeros((10, 3)), np.zeros((10, 3)), 2, 3)
        frame = DataFrame(
            FrameType.DATA, Role.SACRUM, k, 10 * k, (t0_us + 50_000 * k) & 0xFFFFFFFF, 2, 3, 0, raw
        )
        out.append((first_host_ns + 50_000_000 * k, bytes(frame)))
    return out


@pytest.mark.parametrize("reset", [False, True])
def test_a_restart_keeps_the_clock_unless_the_device_clock_was_reset(reset: bool) -> None:
    stream = SensorStream(Role.SACRUM, 200.0)
    stream.restart(200.0)
    for t, p in _frames(5_000_000, 20, 10**9):  # device clock 5 s at host 1 s
        stream.feed(t, p)
    clock = stream.clock
    stream.restart(200.0)
    # Back 3 s later (host 4 s): the device clock ran on (8 s) or starts again (0 s).
    t0 = 0 if reset else 8_000_000
    batches = [stream.feed(t, p) for t, p in _frames(t0, 20, 4 * 10**9)]
    assert stream.stats.restarts == 1
    assert stream.stats.clock_resets == (1 if reset else 0)
    assert (stream.clock is clock) is not reset
    first = next(b for b in batches if b is not None)
    # On the session clock either way: its first frame (10 samples, 50 ms) came at host 4 s.
    assert abs(first.t_s[0] - 3.95) < 0.01
