"""``winkmon batch`` over 20 simulated sessions: the Parquet dataset, DuckDB, Dask, re-runs."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from archive_testutil import ATHLETES, SESSIONS_EACH

from winkmon import __version__
from winkmon.archive.batch import run_batch
from winkmon.archive.query import connect_dataset, history
from winkmon.cli import main
from winkmon.errors import WinkmonError

N = len(ATHLETES) * SESSIONS_EACH


@pytest.fixture(scope="module")
def dataset(library: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dataset") / "ds"
    result = run_batch([library], out, workers=2)
    assert not result.failed, result.failed
    assert len(result.analysed) == N
    return out


def _rows(root: Path, table: str) -> list[dict[str, object]]:
    t = pads.dataset(root / table, format="parquet", partitioning="hive").to_table()
    rows = t.drop_columns(["analysed_utc"]).to_pylist() if table == "sessions" else t.to_pylist()
    key = ("athlete", "session_id", "rep") if table == "reps" else ("athlete", "session_id")
    return sorted(rows, key=lambda r: tuple(str(r[k]) for k in key))


def test_dataset_is_partitioned_by_athlete_and_date_with_units(dataset: Path) -> None:
    for name in ATHLETES:
        dates = sorted(p.name for p in (dataset / "reps" / f"athlete={name}").iterdir())
        assert dates == [f"date=2026-11-{10 + 3 * k:02d}" for k in range(SESSIONS_EACH)]
    f = next((dataset / "reps").rglob("*.parquet"))
    schema = pq.read_schema(f)
    assert schema.metadata[b"winkmon.version"].decode() == __version__
    units = json.loads(schema.metadata[b"winkmon.units"])
    assert units["depth_cm"] == "cm" and units["set_angle_deg"] == "deg"
    assert schema.field("depth_cm").metadata == {b"unit": b"cm"}
    # pyarrow reads the folders as they are, athlete and date from the folder names
    reps = _rows(dataset, "reps")
    assert {r["athlete"] for r in reps} == set(ATHLETES)
    assert len(_rows(dataset, "sessions")) == N


def test_dask_dataframe_reads_the_dataset_as_it_is(dataset: Path) -> None:
    """A study that outgrows one machine reads the folders with Dask (or Spark) directly."""
    import dask.dataframe as dd

    df = dd.read_parquet(str(dataset / "reps"), engine="pyarrow").compute()
    reps = _rows(dataset, "reps")
    assert len(df) == len(reps)
    assert {"athlete", "date", "depth_cm", "verdict"} <= set(df.columns)
    per = df.groupby(df["athlete"].astype(str))["rep"].count().to_dict()
    assert per == {a: sum(r["athlete"] == a for r in reps) for a in ATHLETES}


def test_duckdb_answers_per_athlete_queries(dataset: Path) -> None:
    con = connect_dataset(dataset)
    per = con.execute(
        "SELECT athlete, count(DISTINCT session_id), count(*), "
        "count(*) FILTER (WHERE verdict = 'flexion') FROM reps GROUP BY athlete ORDER BY 1"
    ).fetchall()
    reps = _rows(dataset, "reps")
    for athlete, sessions, n, winks in per:
        mine = [r for r in reps if r["athlete"] == athlete]
        assert n == len(mine) and winks == sum(r["verdict"] == "flexion" for r in mine)
        assert sessions <= SESSIONS_EACH
    rows = history(con, "Ana")  # the name as given, like profile names
    with pytest.raises(WinkmonError, match="athletes: Ana"):
        history(con, "ana")
    assert [r.date for r in rows] == [f"2026-11-{10 + 3 * k}" for k in range(SESSIONS_EACH)]
    for r in rows:
        mine = [x for x in reps if x["session_id"] == r.session_id]
        assert r.reps == len(mine)
        assert r.winks == sum(x["verdict"] == "flexion" for x in mine)
        clean = [x["depth_cm"] for x in mine if x["verdict"] != "flexion"]
        want = max(clean) if r.winks and clean else None
        assert r.wink_free_depth_cm == want


def test_history_from_recordings_equals_history_from_the_dataset(
    library: Path, dataset: Path, tmp_path: Path
) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["history", "--athlete", "Ben", "--library", str(library), "--json", str(a)]) == 0
    assert main(["history", "--athlete", "Ben", "--dataset", str(dataset), "--json", str(b)]) == 0
    assert json.loads(a.read_text()) == json.loads(b.read_text())
    assert len(json.loads(a.read_text())) == SESSIONS_EACH


def test_rerun_is_incremental(library: Path, dataset: Path, tmp_path: Path) -> None:
    again = run_batch([library], dataset, workers=2)
    assert again.analysed == [] and len(again.skipped) == N
    # a new profile for one athlete: only that athlete's sessions are analysed again
    profiles = tmp_path / "profiles"
    assert (
        main(
            [
                "calibrate",
                str(library / "Cleo" / "2026-11-10.winkmon"),
                "--athlete",
                "Cleo",
                "--profiles",
                str(profiles),
            ]
        )
        == 0
    )
    third = run_batch([library], dataset, workers=1, profiles_dir=profiles)
    assert sorted(Path(o.path).parent.name for o in third.analysed) == ["Cleo"] * SESSIONS_EACH
    assert len(third.skipped) == N - SESSIONS_EACH
    files = f"{dataset}/sessions/athlete=Cleo/*/*.parquet"
    cal = duckdb.sql(f"SELECT DISTINCT calibration FROM read_parquet('{files}')").fetchall()
    assert cal == [("profile",)]


def test_dask_local_cluster_gives_the_same_rows(
    library: Path, dataset: Path, tmp_path: Path
) -> None:
    from distributed import Client, LocalCluster

    out = tmp_path / "dask"
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cl,
        Client(cl) as client,
    ):
        result = run_batch([library], out, dask=client)
    assert not result.failed and len(result.analysed) == N
    base = [r for r in _rows(dataset, "reps") if r["athlete"] != "Cleo"]  # re-run with a profile
    assert [r for r in _rows(out, "reps") if r["athlete"] != "Cleo"] == base
    sess = [r for r in _rows(out, "sessions") if r["athlete"] != "Cleo"]
    assert sess == [r for r in _rows(dataset, "sessions") if r["athlete"] != "Cleo"]


def test_sql_command_and_its_errors(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q = "SELECT athlete, count(*) AS reps FROM reps GROUP BY athlete ORDER BY athlete"
    assert main(["sql", q, "--dataset", str(dataset), "--csv", "-"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "athlete,reps" and [ln.split(",")[0] for ln in lines[1:]] == list(ATHLETES)
    assert main(["sql", "SELECT nope FROM reps", "--dataset", str(dataset)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("winkmon: error: SQL:") and len(err.strip().splitlines()) == 1
    assert main(["sql", "SELECT 1", "--dataset", str(dataset / "reps")]) == 2
    assert "not a winkmon dataset" in capsys.readouterr().err
