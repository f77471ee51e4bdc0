"""Analyse many recordings in parallel into the Parquet dataset.

Local runs use a process pool (one process per core by default); ``dask_address`` sends the
same work to an existing Dask cluster (its workers must see the recordings and the output
folder at the same paths, e.g. a shared file system). Re-runs are incremental: a recording
whose content, winkmon version and athlete profile are unchanged since it was written into
the dataset is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from winkmon.archive.analyse import SessionRows, Task, analyse, content_hash, profile_key
from winkmon.archive.dataset import existing_keys, partition_value, write_session
from winkmon.archive.library import SessionRef, scan
from winkmon.errors import WinkmonError

log = logging.getLogger(__name__)

Progress = Callable[["Outcome"], None]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one recording."""

    path: str
    athlete: str | None
    reps: int = 0
    error: str | None = None


@dataclass(slots=True)
class BatchResult:
    analysed: list[Outcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.analysed if o.error is not None]

    @property
    def reps(self) -> int:
        return sum(o.reps for o in self.analysed)


def analysis_key(profiles_dir: Path | None, athlete: str | None) -> str:
    from winkmon import __version__

    return f"{__version__}/{profile_key(profiles_dir, athlete)}"


def refs_for(paths: Sequence[str | Path]) -> list[SessionRef]:
    """Recordings under each path; a folder is the library root for the athlete names."""
    refs: dict[Path, SessionRef] = {}
    for p in paths:
        root = Path(p) if Path(p).is_dir() else None
        for ref in scan([p], root):
            refs.setdefault(ref.path, ref)
    return sorted(refs.values(), key=lambda r: (r.recorded_utc, str(r.path)))


def plan(
    refs: Iterable[SessionRef], out: Path, profiles_dir: Path | None
) -> tuple[list[Task], list[str]]:
    """The tasks to run and the recordings skipped as already analysed."""
    done = existing_keys(out)
    tasks, skipped = [], []
    for ref in refs:
        sid = content_hash(ref.path)
        key = analysis_key(profiles_dir, ref.athlete)
        if done.get((partition_value(ref.athlete), sid)) == key:
            skipped.append(str(ref.path))
            continue
        tasks.append(
            Task(
                str(ref.path),
                ref.athlete,
                None if profiles_dir is None else str(profiles_dir),
                sid,
                key,
            )
        )
    return tasks, skipped


def work(task: Task, out: str) -> Outcome:
    """Analyse one recording and write its rows (runs in a worker process or on Dask)."""
    try:
        rows: SessionRows = analyse(task)
        write_session(Path(out), task.athlete, rows)
    except WinkmonError as exc:
        return Outcome(task.path, task.athlete, error=str(exc))
    except Exception as exc:  # a bug in one recording's analysis must not stop the batch
        log.exception("analysing %s failed", task.path)
        return Outcome(task.path, task.athlete, error=f"{type(exc).__name__}: {exc}")
    return Outcome(task.path, task.athlete, reps=len(rows.reps))


def run_local(
    tasks: Sequence[Task], out: Path, workers: int, progress: Progress | None = None
) -> list[Outcome]:
    """The tasks on a local process pool (``workers`` processes; 1: in this process)."""
    if workers <= 1 or len(tasks) <= 1:
        results = []
        for t in tasks:
            o = work(t, str(out))
            results.append(o)
            if progress is not None:
                progress(o)
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")  # no inherited threads or Qt state
    results = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(work, t, str(out)) for t in tasks]
        for f in as_completed(futures):
            o = f.result()
            results.append(o)
            if progress is not None:
                progress(o)
    return results


def run_dask(
    tasks: Sequence[Task], out: Path, address: object, progress: Progress | None = None
) -> list[Outcome]:
    """The tasks on an existing Dask cluster (``address``: a scheduler address or a Client)."""
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - a dependency
        raise WinkmonError(
            "--dask needs the distributed package (pip install 'dask[distributed]')"
        ) from None
    own = not isinstance(address, Client)
    try:
        client = Client(address, timeout="20s") if own else address
    except OSError as exc:
        raise WinkmonError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    assert isinstance(client, Client)
    try:
        futures = client.map(work, list(tasks), out=str(out), pure=False)
        results = []
        for f in as_completed(futures):
            o = f.result()
            results.append(o)
            if progress is not None:
                progress(o)
        return results
    finally:
        if own:
            client.close()


def run_batch(
    paths: Sequence[str | Path],
    out: Path,
    *,
    profiles_dir: Path | None = None,
    workers: int = 1,
    dask: object | None = None,
    progress: Progress | None = None,
    on_plan: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Analyse every recording under ``paths`` into the dataset at ``out``.

    ``on_plan(to_analyse, skipped)`` is called once the work is known (for a progress bar)."""
    tasks, skipped = plan(refs_for(paths), out, profiles_dir)
    if on_plan is not None:
        on_plan(len(tasks), len(skipped))
    out.mkdir(parents=True, exist_ok=True)
    if dask is not None:
        done = run_dask(tasks, out, dask, progress)
    else:
        done = run_local(tasks, out, workers, progress)
    return BatchResult(sorted(done, key=lambda o: o.path), skipped)


def analyse_in_memory(
    refs: Sequence[SessionRef], profiles_dir: Path | None
) -> list[tuple[str | None, SessionRows]]:
    """The rows of each recording without writing a dataset (``winkmon history`` on paths)."""
    rows = []
    for ref in refs:
        task = Task(
            str(ref.path),
            ref.athlete,
            None if profiles_dir is None else str(profiles_dir),
            content_hash(ref.path),
            analysis_key(profiles_dir, ref.athlete),
        )
        rows.append((ref.athlete, analyse(task)))
    return rows
