"""What :class:`~winkmon.ble.hub.SensorHub` hands the app: frozen, slotted event records.

Host times (``t_host_ns``) are :func:`time.monotonic_ns` values (or whatever ``clock_ns`` the
hub was given), taken in the notification callback, before any queueing or decoding: they are
the arrival times the clock model needs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from winkmon.protocol.constants import Role
from winkmon.protocol.records import SensorStatus
from winkmon.samples import SampleBatch


class LinkStateKind(enum.Enum):
    """Where a sensor's link is."""

    CONNECTING = "connecting"  #: first connection attempt in progress
    CONNECTED = "connected"  #: negotiated and streaming
    RECONNECTING = "reconnecting"  #: the link dropped; retrying with backoff (a gap starts)
    DISCONNECTED = "disconnected"  #: closed, or given up (``detail`` says why)


@dataclass(frozen=True, slots=True, eq=False)
class Notification:
    """One DATA notification as it arrived, and the samples it carried once decoded.

    ``batch`` is None for anchors, duplicates and malformed notifications (those are counted in
    the sensor's counters). ``payload`` is the raw frame, for the recorder.
    """

    role: Role
    t_host_ns: int
    payload: bytes
    batch: SampleBatch | None = None


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A STATUS notification (about once a second)."""

    role: Role
    t_host_ns: int
    status: SensorStatus
    payload: bytes = b""  #: the record as received, for the recorder


@dataclass(frozen=True, slots=True)
class LinkState:
    """A change of a sensor's link. RECONNECTING starts a gap; the next CONNECTED ends it."""

    role: Role
    t_host_ns: int
    state: LinkStateKind
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TimeSync:
    """One TIME_SYNC round trip: sent at ``t_send_ns``, answered at ``t_host_ns`` (host clock),
    the device clock read ``t_dev_us`` (unwrapped) in between."""

    role: Role
    t_host_ns: int
    t_send_ns: int
    t_dev_us: int

    @property
    def rtt_ns(self) -> int:
        return self.t_host_ns - self.t_send_ns

    @property
    def mid_ns(self) -> int:
        """Best estimate of the host time at which the device read its clock."""
        return (self.t_host_ns + self.t_send_ns) // 2


HubEvent = Notification | StatusUpdate | LinkState | TimeSync
