"""The archive on disk: two Parquet tables, partitioned by athlete and date (Hive layout).

::

    DIR/reps/athlete=Sam/date=2026-11-29/<session_id>.parquet      one row per rep
    DIR/sessions/athlete=Sam/date=2026-11-29/<session_id>.parquet  one row per session

One file per session and table: a re-run rewrites only the sessions it analyses, and
Spark, Dask, DuckDB and pyarrow read the folders as they are (``athlete`` and ``date`` come
from the folder names). Every file's schema carries the winkmon version, the report version
and the units (per column, and as one JSON map under the key ``winkmon.units``).
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from winkmon.archive.analyse import UNITS, SessionRows, session_date

log = logging.getLogger(__name__)

NO_ATHLETE = "unassigned"

REP_FIELDS: list[tuple[str, pa.DataType]] = [
    ("session_id", pa.string()),
    ("set", pa.int32()),
    ("rep", pa.int32()),
    ("start_s", pa.float64()),
    ("bottom_s", pa.float64()),
    ("end_s", pa.float64()),
    ("peak_s", pa.float64()),
    ("depth_cm", pa.float64()),
    ("set_angle_deg", pa.float64()),
    ("peak_flexion_deg", pa.float64()),
    ("rise_deg", pa.float64()),
    ("verdict", pa.string()),
    ("flexion_onset_s", pa.float64()),
    ("flexion_onset_depth_cm", pa.float64()),
    ("peak_phase", pa.string()),
    ("pelvis_tuck_deg", pa.float64()),
    ("duration_s", pa.float64()),
    ("descent_s", pa.float64()),
    ("ascent_s", pa.float64()),
]

SESSION_FIELDS: list[tuple[str, pa.DataType]] = [
    ("session_id", pa.string()),
    ("session", pa.string()),
    ("recorded_utc", pa.string()),
    ("duration_s", pa.float64()),
    ("reps", pa.int32()),
    ("calibration", pa.string()),
    ("lumbopelvic", pa.bool_()),
    ("simulated", pa.bool_()),
    ("damage", pa.string()),
    ("key", pa.string()),
    ("winkmon_version", pa.string()),
    ("analysed_utc", pa.string()),
]


def _schema(fields: list[tuple[str, pa.DataType]], with_partitions: bool) -> pa.Schema:
    from winkmon import __version__
    from winkmon.commands.report import REPORT_VERSION

    cols = [
        pa.field(name, typ, metadata={"unit": UNITS[name]} if name in UNITS else None)
        for name, typ in fields
    ]
    if with_partitions:
        cols = [pa.field("athlete", pa.string()), pa.field("date", pa.string()), *cols]
    meta = {
        "winkmon.version": __version__,
        "winkmon.report_version": str(REPORT_VERSION),
        "winkmon.units": json.dumps({k: v for k, v in UNITS.items() if k in dict(fields)}),
    }
    return pa.schema(cols, metadata=meta)


def rep_schema(with_partitions: bool = False) -> pa.Schema:
    return _schema(REP_FIELDS, with_partitions)


def session_schema(with_partitions: bool = False) -> pa.Schema:
    return _schema(SESSION_FIELDS, with_partitions)


def partition_value(text: str | None) -> str:
    """A folder-safe partition value (``/``, ``=`` and control characters replaced)."""
    if not text:
        return NO_ATHLETE
    return re.sub(r"[/\\=\x00-\x1f]+", "_", text).strip() or NO_ATHLETE


def tables(
    rows: list[tuple[str | None, SessionRows]],
) -> tuple[pa.Table, pa.Table]:
    """In-memory (reps, sessions) tables with ``athlete`` and ``date`` columns."""
    reps: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    for athlete, r in rows:
        extra = {
            "athlete": partition_value(athlete),
            "date": session_date(r.session["recorded_utc"]),
        }
        sessions.append({**extra, **r.session})
        reps.extend({**extra, **rep} for rep in r.reps)
    return (
        pa.Table.from_pylist(reps, schema=rep_schema(True)),
        pa.Table.from_pylist(sessions, schema=session_schema(True)),
    )


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)  # a reader never sees half a file


def write_session(root: Path, athlete: str | None, rows: SessionRows) -> None:
    """Write (or replace) one session's rows into the dataset at ``root``."""
    part = Path(
        f"athlete={partition_value(athlete)}", f"date={session_date(rows.session['recorded_utc'])}"
    )
    name = f"{rows.session['session_id']}.parquet"
    reps = pa.Table.from_pylist(rows.reps, schema=rep_schema())
    # The session row last: its presence marks the session as done (see existing_keys).
    _write(reps, root / "reps" / part / name)
    _write(
        pa.Table.from_pylist([rows.session], schema=session_schema()),
        root / "sessions" / part / name,
    )


def existing_keys(root: Path) -> dict[tuple[str, str], str]:
    """(athlete partition, session_id) -> analysis key of every session in the dataset."""
    out: dict[tuple[str, str], str] = {}
    base = root / "sessions"
    if not base.is_dir():
        return out
    for f in base.glob("athlete=*/date=*/*.parquet"):
        athlete = f.parent.parent.name.split("=", 1)[1]
        try:
            t = pq.read_table(f, columns=["session_id", "key"])
        except (OSError, pa.ArrowInvalid) as exc:
            log.warning("unreadable %s (%s): it will be analysed again", f, exc)
            continue
        for sid, key in zip(t["session_id"].to_pylist(), t["key"].to_pylist(), strict=True):
            out[(athlete, sid)] = key
    return out
