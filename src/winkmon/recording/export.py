"""Exporting decoded samples: CSV (the import format, lossless) and Parquet.

Files are named after the sensor role (``sacrum.csv``, ``lumbar.parquet``). ``time_s`` is on
the session clock: for a CSV import that is the original CSV clock, so importing an exported
directory gives back the very same frames.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from winkmon.errors import RecordingError, WinkmonError
from winkmon.recording.csv_format import ACC, GYR, MAG, REQUIRED, format_imu_csv
from winkmon.recording.replay import Replay


def _prepare(out_dir: str | Path, names: list[str], overwrite: bool) -> Path:
    d = Path(out_dir)
    if d.exists() and not d.is_dir():
        raise RecordingError(f"{d}: exists and is not a directory")
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordingError(f"{d}: cannot create directory: {exc.strerror or exc}") from None
    if not overwrite:
        clash = [n for n in names if (d / n).exists()]
        if clash:
            raise RecordingError(
                f"{d}: {', '.join(clash)} already exist(s) (choose another directory or "
                "allow overwriting)"
            )
    return d


def export_csv(replay: Replay, out_dir: str | Path, *, overwrite: bool = False) -> list[Path]:
    """One CSV per sensor with samples (see :mod:`.csv_format`); returns the files written."""
    names = {role: f"{role.label}.csv" for role in replay.samples}
    d = _prepare(out_dir, list(names.values()), overwrite)
    written = []
    for role, batch in replay.samples.items():
        path = d / names[role]
        text = format_imu_csv(batch.t_s, batch.acc_m_s2, batch.gyr_rad_s, batch.mag_uT)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise RecordingError(f"{path}: cannot write: {exc.strerror or exc}") from None
        written.append(path)
    return written


def export_parquet(replay: Replay, out_dir: str | Path, *, overwrite: bool = False) -> list[Path]:
    """One Parquet file per sensor: the CSV columns plus ``index`` and ``t_dev_us`` (int64).

    Needs pyarrow (``pip install 'winkmon[parquet]'``).
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise WinkmonError(
            "Parquet export needs pyarrow, which is not installed "
            "(pip install 'winkmon[parquet]'); CSV export works without it"
        ) from None
    names = {role: f"{role.label}.parquet" for role in replay.samples}
    d = _prepare(out_dir, list(names.values()), overwrite)
    written = []
    for role, batch in replay.samples.items():
        columns: dict[str, object] = {
            REQUIRED[0]: batch.t_s,
            "index": batch.index.astype(np.int64),
            "t_dev_us": batch.t_dev_us.astype(np.int64),
        }
        for i, name in enumerate(ACC):
            columns[name] = batch.acc_m_s2[:, i]
        for i, name in enumerate(GYR):
            columns[name] = batch.gyr_rad_s[:, i]
        if batch.mag_uT is not None:
            for i, name in enumerate(MAG):
                columns[name] = batch.mag_uT[:, i]
        path = d / names[role]
        try:
            pq.write_table(pa.table(columns), path)
        except OSError as exc:
            raise RecordingError(f"{path}: cannot write: {exc}") from None
        written.append(path)
    return written
