"""What a recording holds, as plain frozen dataclasses (the reader hands these out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from winkmon.protocol.constants import Role
from winkmon.protocol.records import SensorInfo, StartParams

ClockKind = Literal["envelope", "shared"]
"""How device time maps onto the session clock on replay.

``"envelope"``: live BLE or simulated data; each sensor's clock is mapped by an
:class:`~winkmon.clock.EnvelopeClock` fed with the host arrival times.
``"shared"``: device time already *is* the session clock (CSV imports): session seconds are
``(t_dev_us + clock_offset_us) / 1e6`` (:class:`~winkmon.clock.SharedClock`).
"""

CLOCK_KINDS: tuple[ClockKind, ...] = ("envelope", "shared")


@dataclass(frozen=True, slots=True)
class RecordingMeta:
    """Session-wide facts of a recording.

    ``athlete`` and ``calibration`` are the JSON documents in force when the session was
    recorded; this package does not interpret them. ``closed_utc`` is ``None`` when the writer
    never closed the file (the app was killed): such a recording may miss its last second.
    """

    path: Path
    format_version: int
    app_version: str
    created_utc: str  #: ISO 8601, wall clock, when the writer created the file
    session_start_ns: int  #: host clock (ns) at the session start; frame times are on it
    clock: ClockKind
    clock_offset_us: int  #: for ``clock="shared"``: session µs = device µs + this
    simulated: bool  #: the frames came from the simulator, not from real sensors
    notes: str
    athlete: dict[str, Any] | None = None
    calibration: dict[str, Any] | None = None
    source: dict[str, Any] | None = None  #: where the data came from (e.g. CSV file names)
    closed_utc: str | None = None  #: ISO 8601 when the writer closed it; None after a crash

    @property
    def closed_cleanly(self) -> bool:
        return self.closed_utc is not None


@dataclass(frozen=True, slots=True)
class SensorMeta:
    """One sensor of a recording: its role, configured rate and what it said about itself.

    ``info`` is the decoded INFO record, or ``None`` if there was none (CSV import) or it no
    longer decodes; ``info_json`` is the record as JSON when it was written, kept either way.
    """

    role: Role
    rate_hz: float
    address: str | None = None
    info: SensorInfo | None = None
    info_json: dict[str, Any] | None = None
    start: StartParams | None = None


@dataclass(frozen=True, slots=True)
class Gap:
    """A sensor dropout or reconnect, marked live by the connection code.

    ``kind`` is free text; the conventional values are ``"disconnect"``, ``"reconnect"`` and
    ``"dropout"`` (no data for a while, link still up).
    """

    role: Role
    t_s: float  #: session seconds
    kind: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """A derived event (a rep, an alert, ...) that analysis code stores in a recording.

    ``data`` must be JSON-serialisable; it comes back as a plain ``dict``.
    """

    kind: str
    t_s: float  #: session seconds
    data: dict[str, Any] = field(default_factory=dict)
