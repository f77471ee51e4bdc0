"""DuckDB (embedded) over the archive: the ``reps`` and ``sessions`` views, history, SQL.

The views read the Parquet dataset in place (``hive_partitioning``: ``athlete`` and ``date``
from the folder names), or in-memory Arrow tables when the history is made straight from
recordings. The history is one SQL query, so the dataset and the recordings give the same
numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from winkmon.errors import WinkmonError

#: Per session: reps, wink rate, wink-free depth, onset depth, set angle. The wink-free depth
#: follows :func:`winkmon.pipeline.insights.wink_free_depth_cm` (the deepest rep without
#: flexion, only when some reps wink and some do not).
HISTORY_SQL = """
SELECT
    s.athlete, CAST(s.date AS VARCHAR) AS date, s.recorded_utc, s.session_id, s.session,
    s.calibration, s.lumbopelvic,
    count(r.rep) AS reps,
    count(r.rep) FILTER (WHERE r.verdict IN ('ok', 'extension_lost', 'flexion')) AS judged,
    count(r.rep) FILTER (WHERE r.verdict = 'flexion') AS winks,
    count(r.rep) FILTER (WHERE r.verdict = 'extension_lost') AS extension_lost,
    CASE WHEN judged > 0 THEN winks / judged END AS wink_rate,
    CASE WHEN winks > 0 AND count(r.rep) FILTER (WHERE r.verdict <> 'flexion') > 0
         THEN max(r.depth_cm) FILTER (WHERE r.verdict <> 'flexion') END AS wink_free_depth_cm,
    median(r.flexion_onset_depth_cm) AS onset_depth_cm,
    median(r.set_angle_deg) AS set_angle_deg,
    median(r.depth_cm) AS depth_cm
FROM sessions s
LEFT JOIN reps r ON r.session_id = s.session_id AND r.athlete = s.athlete
WHERE s.athlete IN (SELECT unnest($names))
GROUP BY ALL
ORDER BY s.recorded_utc, s.session
"""


def connect_dataset(root: Path) -> duckdb.DuckDBPyConnection:
    """A connection with the views ``reps`` and ``sessions`` over the dataset at ``root``."""
    if not (root / "sessions").is_dir():
        raise WinkmonError(
            f"{root}: not a winkmon dataset (no sessions folder); write one with winkmon batch"
        )
    con = duckdb.connect()
    for name in ("reps", "sessions"):
        glob = str(root / name / "**" / "*.parquet").replace("'", "''")
        con.execute(
            f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{glob}', "
            "hive_partitioning = true, hive_types_autocast = false, union_by_name = true)"
        )
    return con


def connect_tables(reps: pa.Table, sessions: pa.Table) -> duckdb.DuckDBPyConnection:
    """The same views over in-memory Arrow tables."""
    con = duckdb.connect()
    con.register("reps_arrow", reps)
    con.register("sessions_arrow", sessions)
    con.execute("CREATE VIEW reps AS SELECT * FROM reps_arrow")
    con.execute("CREATE VIEW sessions AS SELECT * FROM sessions_arrow")
    return con


def athletes(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int, str, str]]:
    """(athlete, sessions, reps, first date, last date) for every athlete."""
    rows = con.execute(
        "SELECT athlete, count(*), sum(reps), min(CAST(date AS VARCHAR)), "
        "max(CAST(date AS VARCHAR)) FROM sessions GROUP BY athlete ORDER BY athlete"
    ).fetchall()
    return [(str(a), int(n), int(r or 0), str(d0), str(d1)) for a, n, r, d0, d1 in rows]


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One session in an athlete's history (None where the session cannot say)."""

    athlete: str
    date: str
    recorded_utc: str
    session_id: str
    session: str
    calibration: str
    lumbopelvic: bool
    reps: int
    judged: int
    winks: int
    extension_lost: int
    wink_rate: float | None
    wink_free_depth_cm: float | None
    onset_depth_cm: float | None
    set_angle_deg: float | None
    depth_cm: float | None


def history(con: duckdb.DuckDBPyConnection, athlete: str) -> list[HistoryRow]:
    """The athlete's sessions, oldest first (the name matches exactly, as profiles do)."""
    from winkmon.archive.library import same_athlete

    known = [a for (a,) in con.execute("SELECT DISTINCT athlete FROM sessions").fetchall()]
    names = [a for a in known if same_athlete(a, athlete)]
    if not names:
        have = ", ".join(sorted(map(str, known))) or "none"
        raise WinkmonError(f"no sessions of {athlete!r} (athletes: {have})")
    cur = con.execute(HISTORY_SQL, {"names": names})
    cols = [d[0] for d in cur.description]
    return [HistoryRow(**dict(zip(cols, row, strict=True))) for row in cur.fetchall()]


def sql(con: duckdb.DuckDBPyConnection, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ad-hoc SQL; a bad query is a one-line error."""
    try:
        cur = con.execute(query)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise WinkmonError(f"SQL: {first}") from None
    if cur.description is None:
        return [], []
    return [d[0] for d in cur.description], cur.fetchall()
