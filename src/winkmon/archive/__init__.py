"""Many sessions: an athlete's history, a team's archive (Parquet + DuckDB), batch analysis.

- :mod:`.library`: where sessions live and whose they are.
- :mod:`.analyse`: one recording in, one row per rep and one row for the session out.
- :mod:`.dataset`: those rows as a Parquet dataset partitioned by athlete and date.
- :mod:`.query`: DuckDB (embedded) over the rows: history and ad-hoc SQL.
- :mod:`.batch`: many recordings in parallel (local processes or a Dask cluster).
"""
