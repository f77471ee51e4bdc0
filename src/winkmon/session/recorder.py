"""The one recording policy: every source event goes to the file as it was received.

:class:`SessionRecorder` is what :meth:`Session.start_recording
<winkmon.session.session.Session.start_recording>` is given. It stores

- every DATA and STATUS notification exactly as received (malformed ones too);
- every stream segment (:class:`~winkmon.session.contract.StreamStarted`: the first START,
  each reconnect) with its decoder, rate, parameters and the id of the first frame after it, so
  the player restarts each decoder exactly where the live session did; the first segment of a
  sensor also declares it (``sensors`` table);
- link changes as gap markers (``disconnect`` when a link drops, ``reconnect`` when it is
  back), committing at once when a link drops.

Live (``winkmon live``, ``record``, the dashboard's Record button) and the demo all record
through it, so every recording replays the same way.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping

from winkmon.errors import FrameError
from winkmon.protocol.constants import Role
from winkmon.protocol.records import SensorInfo, StartParams
from winkmon.recording import RecordingWriter
from winkmon.session.contract import (
    Channel,
    LinkChanged,
    LinkState,
    Notification,
    NotificationBlock,
    SourceEvent,
    StreamStarted,
)
from winkmon.session.decode import WINKMON_DECODER

log = logging.getLogger(__name__)


def _from_hex(doc: Mapping[str, object], key: str = "raw_hex") -> bytes | None:
    raw = doc.get(key)
    if not isinstance(raw, str):
        return None
    try:
        return bytes.fromhex(raw)
    except ValueError:
        return None


class SessionRecorder:
    """Writes a session's source events to a :class:`~winkmon.recording.RecordingWriter`."""

    def __init__(self, writer: RecordingWriter, session_start_ns: int) -> None:
        self.writer = writer
        self.session_start_ns = int(session_start_ns)
        self._declared: set[Role] = set()
        self._gap_open: set[Role] = set()

    def __call__(self, event: SourceEvent) -> None:
        w = self.writer
        if isinstance(event, Notification):
            if event.channel is Channel.DATA:
                w.write_frame(event.role, event.t_host_ns, event.payload)
            else:
                w.write_status(event.role, event.t_host_ns, event.payload)
        elif isinstance(event, NotificationBlock):
            for r, t_ns, payload in zip(event.roles, event.t_host_ns, event.payloads, strict=True):
                w.write_frame(Role(r), t_ns, payload)
        elif isinstance(event, StreamStarted):
            self._segment(event)
        elif isinstance(event, LinkChanged):
            self._link(event)

    def close(self) -> None:
        self.writer.close()

    def _segment(self, event: StreamStarted) -> None:
        if event.role not in self._declared:
            info = start = None
            if event.decoder == WINKMON_DECODER:
                raw_info, raw_start = _from_hex(event.info), _from_hex(event.params)
                with contextlib.suppress(FrameError, ValueError):
                    info = None if raw_info is None else SensorInfo.from_bytes(raw_info)
                with contextlib.suppress(FrameError, ValueError):
                    start = None if raw_start is None else StartParams.from_bytes(raw_start)
            self.writer.add_sensor(
                event.role, event.rate_hz, info=info, start=start, address=event.address or None
            )
            self._declared.add(event.role)
        self.writer.write_segment(
            event.role,
            event.t_host_ns,
            event.decoder,
            event.rate_hz,
            event.reason,
            event.params,
            event.address,
            event.info,
        )

    def _link(self, event: LinkChanged) -> None:
        t_s = (event.t_host_ns - self.session_start_ns) / 1e9
        if event.state is LinkState.RECONNECTING and event.role not in self._gap_open:
            self._gap_open.add(event.role)
            self.writer.mark_gap(event.role, t_s, "disconnect", event.detail)
            self.writer.flush()  # no frames may come for a while: commit what we have
        elif event.state is LinkState.CONNECTED and event.role in self._gap_open:
            self._gap_open.discard(event.role)
            self.writer.mark_gap(event.role, t_s, "reconnect", event.detail)


__all__ = ["SessionRecorder"]
