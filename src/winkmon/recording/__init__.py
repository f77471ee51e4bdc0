"""Recordings: one session's raw frames and context in one crash-safe ``.winkmon`` file.

A recording keeps everything needed to replay a session exactly: every DATA and STATUS
notification as received (malformed ones included), the sensors' INFO and START parameters,
the athlete profile and calibration in force, gap markers and derived events. The format is
described in :mod:`winkmon.recording.schema`.

- :class:`RecordingWriter` writes a session (commits at least every second: ``kill -9`` loses
  at most the last second);
- :class:`Recording` reads one; :func:`load_samples` decodes it into sample batches;
- :func:`append_events` / :func:`replace_events` store derived events afterwards;
- :mod:`winkmon.recording.csv_import` and :mod:`winkmon.recording.export` convert from and to
  CSV (and Parquet).
"""

from winkmon.recording.model import ClockKind, Event, Gap, RecordingMeta, SensorMeta
from winkmon.recording.reader import FrameChunk, FrameRecord, Recording, SegmentRow
from winkmon.recording.replay import Replay, load_samples
from winkmon.recording.schema import (
    FORMAT_VERSION,
    SUFFIX,
    DamagedRecordingError,
    input_path,
    output_path,
)
from winkmon.recording.writer import (
    RecordingWriter,
    append_events,
    replace_event_kinds,
    replace_events,
)

__all__ = [
    "FORMAT_VERSION",
    "SUFFIX",
    "ClockKind",
    "DamagedRecordingError",
    "Event",
    "FrameChunk",
    "FrameRecord",
    "Gap",
    "Recording",
    "RecordingMeta",
    "RecordingWriter",
    "Replay",
    "SegmentRow",
    "SensorMeta",
    "append_events",
    "input_path",
    "load_samples",
    "output_path",
    "replace_event_kinds",
    "replace_events",
]
