"""Decoders: from one sensor's raw notifications to sample batches, by notification format.

A :class:`Decoder` reads one sensor's notifications in one format. The session makes one per
sensor at its first :class:`~winkmon.session.contract.StreamStarted` (by the name the event
gives) and keeps it for the whole session: at each later segment it is told to
:meth:`~Decoder.restart`, so loss counters and the clock model carry on across reconnects.

``"winkmon"`` (this project's ``firmware_protocol/PROTOCOL.md``) is built in; a driver for
another device registers its own with :func:`register_decoder`, and recordings name the decoder
of each segment, so replay decodes through the same code as live.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from winkmon.clock import ClockModel
from winkmon.errors import FrameError, WinkmonError
from winkmon.packed import IntColumn
from winkmon.protocol.constants import Role
from winkmon.protocol.records import SensorStatus
from winkmon.samples import SampleBatch
from winkmon.session.contract import StreamStarted
from winkmon.stream import SensorStream, StreamStats

WINKMON_DECODER = "winkmon"


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """What a STATUS-like notification says about the device (None: not reported)."""

    battery_pct: float | None = None
    temperature_C: float | None = None
    dropped_on_device: int | None = None  #: samples the device could not send (its counter)


class Decoder(Protocol):
    """Decodes one sensor's notifications (see module doc)."""

    @property
    def role(self) -> Role:
        """The sensor's role."""
        ...

    @property
    def rate_hz(self) -> float:
        """The current segment's sample rate, Hz."""
        ...

    @property
    def stats(self) -> StreamStats:
        """Counters summed over the session's segments."""
        ...

    def restart(self, started: StreamStarted) -> None:
        """A new segment of the same sensor begins (START, reconnect)."""
        ...

    def feed(self, t_host_ns: int, payload: bytes) -> SampleBatch | None:
        """One DATA notification; its new samples (None: none, or malformed and counted)."""
        ...

    def feed_many(self, t_host_ns: IntColumn, payloads: Sequence[bytes]) -> SampleBatch | None:
        """DATA notifications in arrival order; all their new samples as one batch."""
        ...

    def status(self, payload: bytes) -> DeviceStatus | None:
        """A STATUS notification; None if malformed (counted)."""
        ...


#: Makes a decoder: (the segment that starts it, the clock model factory, session start ns).
DecoderFactory = Callable[[StreamStarted, Callable[[], ClockModel], int], Decoder]


class WinkmonDecoder:
    """The decoder of ``firmware_protocol/PROTOCOL.md`` DATA and STATUS notifications."""

    def __init__(
        self,
        started: StreamStarted,
        clock_factory: Callable[[], ClockModel],
        session_start_ns: int,
    ) -> None:
        self._role = started.role
        self._clock_factory = clock_factory
        self.stream = SensorStream(
            started.role,
            started.rate_hz,
            clock=clock_factory(),
            session_start_ns=session_start_ns,
        )
        self.status_bad = 0

    @property
    def role(self) -> Role:
        return self._role

    @property
    def rate_hz(self) -> float:
        return self.stream.rate_hz

    @property
    def stats(self) -> StreamStats:
        return self.stream.stats

    def restart(self, started: StreamStarted) -> None:
        self.stream.restart(started.rate_hz, self._clock_factory)

    def feed(self, t_host_ns: int, payload: bytes) -> SampleBatch | None:
        return self.stream.feed(t_host_ns, payload)

    def feed_many(self, t_host_ns: IntColumn, payloads: Sequence[bytes]) -> SampleBatch | None:
        return self.stream.feed_many(t_host_ns, payloads)

    def status(self, payload: bytes) -> DeviceStatus | None:
        try:
            st = SensorStatus.from_bytes(payload)
        except FrameError:
            self.status_bad += 1
            return None
        return DeviceStatus(st.battery_pct, st.temperature_C, st.tx_dropped)


_DECODERS: dict[str, DecoderFactory] = {WINKMON_DECODER: WinkmonDecoder}


def register_decoder(name: str, factory: DecoderFactory) -> None:
    """Make ``name`` (as sources put it in :class:`StreamStarted`) decode with ``factory``."""
    if not name or not name.isascii():
        raise WinkmonError(f"decoder name {name!r}: use a short ASCII name")
    _DECODERS[name] = factory


def known_decoders() -> Mapping[str, DecoderFactory]:
    return dict(_DECODERS)


def make_decoder(
    started: StreamStarted, clock_factory: Callable[[], ClockModel], session_start_ns: int
) -> Decoder:
    """The decoder ``started.decoder`` names, for ``started.role``."""
    factory = _DECODERS.get(started.decoder)
    if factory is None and started.decoder not in _DECODERS:
        import winkmon.drivers  # noqa: F401  (the vendor drivers register their decoders)

        factory = _DECODERS.get(started.decoder)
    if factory is None:
        known = ", ".join(sorted(_DECODERS))
        raise WinkmonError(
            f"{started.role.label} sensor: notifications in the {started.decoder!r} format, "
            f"which this winkmon cannot decode (it knows: {known}); update winkmon"
        )
    return factory(started, clock_factory, session_start_ns)


__all__ = [
    "WINKMON_DECODER",
    "Decoder",
    "DecoderFactory",
    "DeviceStatus",
    "WinkmonDecoder",
    "known_decoders",
    "make_decoder",
    "register_decoder",
]
