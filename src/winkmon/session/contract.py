"""The input contract: what every source of sensor data hands the session.

A *source* (the BLE hub, a recording player, the simulator, a vendor's driver) delivers raw
notifications exactly as they arrived, each stamped with the host clock in the notification
callback, plus the events that say how to read them:

- :class:`StreamStarted`: a sensor (re)started streaming. It names the *decoder* for its
  notifications (``"winkmon"`` for ``firmware_protocol/PROTOCOL.md``; a vendor driver names its
  own) and the stream's parameters (rate, ranges, ...). Every START and every reconnect starts a
  new segment: sample indices begin anew; the device clock may run on or be reset.
- :class:`Notification` (one, the live case) and :class:`NotificationBlock` (many, in arrival
  order, how a recording is read fastest): raw payloads, DATA or STATUS channel.
- :class:`LinkChanged`: connecting, connected, reconnecting (a gap starts), disconnected.

Sources never decode: the one :class:`~winkmon.session.session.Session` does, so live, demo,
replay and reports read the same bytes the same way. A source is iterated asynchronously
(:class:`NotificationSource`); one whose sensors have a motor is also an :class:`Actuator`.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from winkmon.packed import IntColumn
from winkmon.protocol.constants import BuzzPattern, Role


class LinkState(enum.StrEnum):
    """Where a sensor's link is. The one link-state type of winkmon."""

    CONNECTING = "connecting"  #: first connection attempt in progress
    CONNECTED = "connected"  #: negotiated and streaming
    RECONNECTING = "reconnecting"  #: the link dropped; retrying with backoff (a gap starts)
    DISCONNECTED = "disconnected"  #: closed, or given up (``detail`` says why)
    REPLAY = "replay"  #: the data comes from a file


class Channel(enum.IntEnum):
    """Which of a sensor's notification streams a payload came from."""

    DATA = 0  #: samples
    STATUS = 1  #: battery, temperature, counters


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification as received: ``t_host_ns`` was taken in the BLE callback."""

    role: Role
    t_host_ns: int
    payload: bytes
    channel: Channel = Channel.DATA


@dataclass(frozen=True, slots=True, eq=False)
class NotificationBlock:
    """Many DATA notifications of one or more sensors, in arrival order (column-wise)."""

    roles: IntColumn
    t_host_ns: IntColumn
    payloads: Sequence[bytes]

    def __len__(self) -> int:
        return len(self.payloads)


@dataclass(frozen=True, slots=True, eq=False)
class StreamStarted:
    """A sensor starts a stream segment; its DATA notifications follow.

    ``decoder`` names the decoder of the notifications (see
    :func:`winkmon.session.decode.register_decoder`); ``rate_hz`` is the configured sample rate;
    ``params`` the stream's parameters as the driver sent them (JSON-able, stored in
    recordings); ``reason`` is ``"start"`` or ``"reconnect"``. ``address`` and ``info`` (JSON-able)
    describe the device, for recordings and the sensor panel (``info["battery_pct"]``: the
    battery level read at connect, if known).
    """

    role: Role
    t_host_ns: int
    decoder: str
    rate_hz: float
    params: Mapping[str, object] = field(default_factory=dict)
    reason: str = "start"
    address: str = ""
    info: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LinkChanged:
    """A sensor's link changed state. RECONNECTING starts a gap; the next CONNECTED ends it."""

    role: Role
    t_host_ns: int
    state: LinkState
    detail: str = ""


SourceEvent = Notification | NotificationBlock | StreamStarted | LinkChanged


@runtime_checkable
class NotificationSource(Protocol):
    """A source of raw sensor notifications (see module doc).

    ``session_start_ns`` is the zero of the session time base on the host clock of the
    notifications' ``t_host_ns``; ``roles`` the sensors it delivers. :meth:`events` yields the
    source's events in arrival order until the source ends or :meth:`close` is called.
    """

    @property
    def session_start_ns(self) -> int:
        """Zero of the session time base (host clock, ns)."""
        ...

    @property
    def roles(self) -> tuple[Role, ...]:
        """The sensors this source delivers."""
        ...

    def events(self) -> AsyncIterator[SourceEvent]:
        """The events, in arrival order."""
        ...

    async def close(self) -> None:
        """Stop; :meth:`events` ends."""
        ...


@runtime_checkable
class Actuator(Protocol):
    """A source whose sensors can buzz (the athlete's cue under the bar)."""

    async def buzz(self, role: Role, pattern: BuzzPattern, duration_ms: int = 400) -> object:
        """Buzz the sensor in ``role``; raises :class:`~winkmon.errors.BleError` if it can't."""
        ...


__all__ = [
    "Actuator",
    "Channel",
    "IntColumn",
    "LinkChanged",
    "LinkState",
    "Notification",
    "NotificationBlock",
    "NotificationSource",
    "SourceEvent",
    "StreamStarted",
]
