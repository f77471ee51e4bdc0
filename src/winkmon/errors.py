"""The package's error hierarchy.

Every error a user can cause (a bad file, a malformed frame, a missing profile) is a subclass
of :class:`WinkmonError`; the CLI prints its message on one line and exits non-zero instead of
showing a traceback. Library code raises these, never ``assert``.
"""

from __future__ import annotations

import enum


class WinkmonError(Exception):
    """Base class of every error winkmon raises on purpose."""


class InputError(WinkmonError, ValueError):
    """A value given to winkmon's API is out of its documented range (a programming or
    configuration mistake; also a ``ValueError`` for callers that catch those)."""


class FrameErrorKind(enum.Enum):
    """Why a wire frame was rejected. The value is the name used in the test vectors."""

    SHORT = "short"  #: fewer bytes than the header, or than the header says
    LONG = "long"  #: more bytes than the header says
    UNKNOWN_TYPE = "unknown_type"  #: the frame type byte is not one this decoder knows
    BAD_VERSION = "bad_version"  #: protocol version not supported by this decoder
    LENGTH_MISMATCH = "length_mismatch"  #: n inconsistent with the frame length
    BAD_RANGE = "bad_range"  #: accelerometer or gyroscope range code out of table
    BAD_ROLE = "bad_role"  #: sensor role byte out of table
    BAD_FIELD = "bad_field"  #: any other field out of its documented range


class FrameError(WinkmonError, ValueError):
    """A wire frame (DATA, STATUS, CTRL, INFO) could not be decoded.

    ``kind`` says why, in a way tests and counters can use; the message is for people.
    """

    def __init__(self, kind: FrameErrorKind, message: str) -> None:
        super().__init__(f"{kind.value}: {message}")
        self.kind = kind


class RecordingError(WinkmonError):
    """A recording could not be opened, read or written (missing, corrupted, truncated)."""


class CsvImportError(WinkmonError):
    """A CSV file was refused; the message names the file, the line and the problem."""


class ProfileError(WinkmonError):
    """An athlete profile is missing, unreadable or of an unknown schema version."""


class CalibrationError(WinkmonError):
    """A calibration could not be computed; the message says what the athlete should redo."""


class BleError(WinkmonError):
    """A Bluetooth problem the user can act on (no sensor found, incompatible firmware, ...)."""


class OutputError(WinkmonError):
    """An output file was refused: it is an input of the command, it exists (without
    ``--overwrite``), or it could not be written safely."""
