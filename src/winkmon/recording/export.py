"""Exporting decoded samples: CSV (the import format, lossless) and Parquet.

Files are named after the sensor role (``sacrum.csv``, ``lumbar.parquet``). ``time_s`` is on
the session clock: for a CSV import that is the original CSV clock, so importing an exported
directory gives back the very same frames.

Memory is bounded by the chunk, not the recording: frames are decoded a few thousand at a
time (:func:`iter_sample_batches`) and each batch is appended to its file at once.

Files are written safely (see :mod:`winkmon.safe_io`): each goes to an exclusive temporary
file beside its destination and is renamed into place only when the whole export succeeded;
an output never replaces the recording being exported (or its side files), and replaces an
existing file only with ``overwrite``. Temporary files of an export that was killed are
removed by the next export into that directory.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from winkmon.errors import RecordingError, WinkmonError
from winkmon.protocol.constants import Role
from winkmon.recording.csv_format import ACC, GYR, MAG, REQUIRED, format_imu_csv
from winkmon.recording.reader import Recording
from winkmon.recording.replay import Replay
from winkmon.recording.schema import SIDE_FILES
from winkmon.safe_io import check_output, publish, remove_stale_temps, temp_path
from winkmon.samples import SampleBatch

CHUNK_FRAMES = 4096  #: frames per sensor decoded at a time


@dataclass(slots=True)
class ExportResult:
    """What an export wrote, and what went wrong on the way (damage, undeclared sensors)."""

    written: list[Path] = field(default_factory=list)
    samples: dict[Role, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def iter_sample_batches(
    recording: Recording, *, chunk_frames: int = CHUNK_FRAMES, warnings: list[str] | None = None
) -> Iterator[SampleBatch]:
    """The recording's samples as the one session decodes them (the same as
    :func:`~winkmon.recording.load_samples`), a stored block at a time, never holding more
    than one block; ``warnings`` gets frames of undeclared sensors and damage. (``chunk_frames``
    is kept for callers; blocks are as stored.)"""
    from winkmon.session.offline import iter_decoded

    yield from iter_decoded(recording, warnings=warnings)


class _Sink:
    """One output file being written under its temporary name."""

    def __init__(self, dest: Path, fmt: str, mag: bool) -> None:
        self.dest = dest
        self.fmt = fmt
        self.mag = mag
        self.tmp = temp_path(dest)
        self.rows = 0
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.tmp, flags, 0o644)
        except OSError as exc:
            raise RecordingError(f"{dest}: cannot write: {exc.strerror or exc}") from None
        self._fh = os.fdopen(fd, "wb")
        self._pq: Any = None
        if fmt == "csv":
            header = [*REQUIRED, *(MAG if mag else ())]
            self._fh.write((",".join(header) + "\n").encode())

    def write(self, batch: SampleBatch) -> None:
        mag = batch.mag_uT if self.mag else None
        if self.fmt == "csv":
            text = format_imu_csv(batch.t_s, batch.acc_m_s2, batch.gyr_rad_s, mag)
            self._fh.write(text.split("\n", 1)[1].encode())
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.table(_parquet_columns(batch, mag))
            if self._pq is None:
                self._pq = pq.ParquetWriter(self._fh, table.schema)
            self._pq.write_table(table)
        self.rows += len(batch)

    def finish(self) -> None:
        if self._pq is not None:
            self._pq.close()
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self._fh.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink(missing_ok=True)


def _parquet_columns(batch: SampleBatch, mag: np.ndarray | None) -> dict[str, object]:
    columns: dict[str, object] = {
        REQUIRED[0]: batch.t_s,
        "index": batch.index.astype(np.int64),
        "t_dev_us": batch.t_dev_us.astype(np.int64),
    }
    for i, name in enumerate(ACC):
        columns[name] = batch.acc_m_s2[:, i]
    for i, name in enumerate(GYR):
        columns[name] = batch.gyr_rad_s[:, i]
    if mag is not None:
        for i, name in enumerate(MAG):
            columns[name] = mag[:, i]
    return columns


def _prepare_dir(out_dir: str | Path) -> Path:
    d = Path(out_dir)
    if d.exists() and not d.is_dir():
        raise RecordingError(f"{d}: exists and is not a directory")
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordingError(f"{d}: cannot create directory: {exc.strerror or exc}") from None
    remove_stale_temps(d)
    return d


def export_recording(
    recording: Recording,
    *,
    csv_dir: str | Path | None = None,
    parquet_dir: str | Path | None = None,
    overwrite: bool = False,
    chunk_frames: int = CHUNK_FRAMES,
) -> ExportResult:
    """One file per sensor with samples, as CSV and/or Parquet, in one pass over the frames.

    Raises RecordingError (nothing written) when an output would land on the recording or,
    without ``overwrite``, on an existing file; WinkmonError when the recording has no samples.
    """
    targets: list[tuple[str, Path]] = []
    if parquet_dir is not None:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise WinkmonError(
                "Parquet export needs pyarrow, which is not installed "
                "(pip install 'winkmon[parquet]'); CSV export works without it"
            ) from None
    if csv_dir is not None:
        targets.append(("csv", _prepare_dir(csv_dir)))
    if parquet_dir is not None:
        targets.append(("parquet", _prepare_dir(parquet_dir)))
    src = recording.path
    inputs = [src, *(src.with_name(src.name + s) for s in SIDE_FILES)]
    for fmt, d in targets:
        for role in recording.sensors:
            dest = d / f"{role.label}.{fmt}"
            try:
                check_output(dest, inputs=inputs, overwrite=overwrite)
            except WinkmonError as exc:
                raise RecordingError(str(exc)) from None
    no_mag: set[Role] = set()
    while True:
        result, retry = _export_pass(recording, targets, no_mag, chunk_frames, overwrite)
        if not retry:
            break
        no_mag |= retry  # some batches of these sensors lack the magnetometer: export without
    if not result.samples:
        raise WinkmonError(f"{recording.path}: the recording holds no samples to export")
    return result


def _export_pass(
    recording: Recording,
    targets: list[tuple[str, Path]],
    no_mag: set[Role],
    chunk_frames: int,
    overwrite: bool,
) -> tuple[ExportResult, set[Role]]:
    result = ExportResult()
    sinks: dict[tuple[str, Role], _Sink] = {}
    retry: set[Role] = set()
    src = recording.path
    inputs = [src, *(src.with_name(src.name + s) for s in SIDE_FILES)]
    try:
        warnings: list[str] = []
        for batch in iter_sample_batches(recording, chunk_frames=chunk_frames, warnings=warnings):
            role = batch.role
            for fmt, d in targets:
                sink = sinks.get((fmt, role))
                if sink is None:
                    mag = batch.mag_uT is not None and role not in no_mag
                    sink = sinks[(fmt, role)] = _Sink(d / f"{role.label}.{fmt}", fmt, mag)
                elif sink.mag and batch.mag_uT is None:
                    retry.add(role)
                sink.write(batch)
            result.samples[role] = result.samples.get(role, 0) + len(batch)
        if retry:
            return result, retry
        for sink in sinks.values():
            sink.finish()
        for sink in sinks.values():
            check_output(sink.dest, inputs=inputs, overwrite=overwrite)
            publish(sink.tmp, sink.dest, overwrite=overwrite)
            result.written.append(sink.dest)
        result.warnings = warnings
    except OSError as exc:
        raise RecordingError(f"cannot write the export: {exc.strerror or exc}") from None
    finally:
        for sink in sinks.values():
            sink.discard()
    return result, retry


def _write_replay(replay: Replay, out_dir: str | Path, fmt: str, overwrite: bool) -> list[Path]:
    d = _prepare_dir(out_dir)
    dests = {role: d / f"{role.label}.{fmt}" for role in replay.samples}
    for dest in dests.values():
        try:
            check_output(dest, overwrite=overwrite)
        except WinkmonError as exc:
            raise RecordingError(str(exc)) from None
    sinks = []
    try:
        for role, batch in replay.samples.items():
            sink = _Sink(dests[role], fmt, batch.mag_uT is not None)
            sinks.append(sink)
            sink.write(batch)
            sink.finish()
        for sink in sinks:
            publish(sink.tmp, sink.dest, overwrite=overwrite)
    except OSError as exc:
        raise RecordingError(f"cannot write the export: {exc.strerror or exc}") from None
    finally:
        for sink in sinks:
            sink.discard()
    return list(dests.values())


def export_csv(replay: Replay, out_dir: str | Path, *, overwrite: bool = False) -> list[Path]:
    """One CSV per sensor of already decoded samples (see :mod:`.csv_format`)."""
    return _write_replay(replay, out_dir, "csv", overwrite)


def export_parquet(replay: Replay, out_dir: str | Path, *, overwrite: bool = False) -> list[Path]:
    """One Parquet file per sensor: the CSV columns plus ``index`` and ``t_dev_us`` (int64).

    Needs pyarrow (``pip install 'winkmon[parquet]'``).
    """
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise WinkmonError(
            "Parquet export needs pyarrow, which is not installed "
            "(pip install 'winkmon[parquet]'); CSV export works without it"
        ) from None
    return _write_replay(replay, out_dir, "parquet", overwrite)
