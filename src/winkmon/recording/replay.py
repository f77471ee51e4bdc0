"""A recording's samples, decoded by the one session (:mod:`winkmon.session.offline`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch
from winkmon.stream import StreamStats

if TYPE_CHECKING:
    from winkmon.recording.reader import Recording


@dataclass(slots=True)
class Replay:
    """All samples of a recording, per sensor, with the stream statistics.

    A sensor that delivered no sample at all has stats but no entry in ``samples``.
    ``warnings`` lists what went wrong on the way (damage, frames of undeclared sensors).
    """

    samples: dict[Role, SampleBatch] = field(default_factory=dict)
    stats: dict[Role, StreamStats] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def load_samples(recording: Recording, roles: Iterable[Role] | None = None) -> Replay:
    """Every stored frame decoded, per sensor, exactly as the live session decoded it
    (segments, clocks). A recording opened with ``partial_ok`` is read up to its damage."""
    from winkmon.session.offline import decode_recording

    return decode_recording(recording, roles)
