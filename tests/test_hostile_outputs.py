"""Outputs never land on inputs, never write through links, and never stay half-written
(issue 15, cases 4 and 9: killed ``export`` / ``import-csv``, ``1e308`` in a CSV)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import winkmon
from winkmon.cli import main
from winkmon.errors import CsvImportError, OutputError
from winkmon.protocol.constants import Role
from winkmon.recording import Recording
from winkmon.recording.csv_import import import_csv
from winkmon.safe_io import TEMP_PREFIX, AtomicOutput, remove_stale_temps, write_text

SRC = str(Path(winkmon.__file__).resolve().parents[1])
SAMPLE = Path(__file__).resolve().parents[1] / "recordings" / "demo.winkmon"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL, links")


@pytest.fixture()
def session(tmp_path: Path) -> Path:
    path = tmp_path / "s.winkmon"
    shutil.copy(SAMPLE, path)
    return path


def _is_recording(path: Path) -> bool:
    with Recording.open(path) as rec:
        return rec.frame_count() > 0


# ---------------------------------------------------------------- case 4
@pytest.mark.parametrize("flag", ["--json", "--angles-csv"])
def test_report_never_writes_onto_its_recording(
    session: Path, flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    alias = session.parent / "alias.winkmon"
    os.symlink(session, alias)
    for target in (session, alias, session.parent / "." / session.name):
        for extra in ([], ["--overwrite"]):
            code = main(["report", str(session), flag, str(target), "--no-save", *extra])
            assert code != 0
            assert "is an input of this command" in capsys.readouterr().err
    assert _is_recording(session)


def test_report_replaces_an_existing_output_only_with_overwrite(
    session: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.json"
    out.write_text("keep")
    assert main(["report", str(session), "--json", str(out), "--no-save"]) != 0
    assert "already exists" in capsys.readouterr().err and out.read_text() == "keep"
    assert main(["report", str(session), "--json", str(out), "--no-save", "--overwrite"]) == 0
    assert out.read_text().startswith("{")


def test_export_never_replaces_the_recording_it_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "sacrum.csv"  # a recording named like one of export's outputs
    shutil.copy(SAMPLE, rec)
    assert main(["export", str(rec), "--csv", str(tmp_path), "--overwrite"]) != 0
    assert "is an input of this command" in capsys.readouterr().err
    assert _is_recording(rec)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]


# ---------------------------------------------------------------- safe writing
def test_atomic_output_refuses_planted_links_and_cleans_up(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    dest = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), AtomicOutput(dest) as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert not dest.exists() and list(tmp_path.iterdir()) == [victim]
    os.symlink(victim, dest)
    with pytest.raises(OutputError, match="already exists"):
        write_text(dest, "x")
    write_text(dest, "new", overwrite=True)  # replaces the link itself
    assert victim.read_text() == "precious" and dest.read_text() == "new"
    with pytest.raises(OutputError, match="is an input"):
        write_text(tmp_path / "v2", "x", inputs=[tmp_path / "v2"], overwrite=True)


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(proc.stdout)
    stale = tmp_path / f"{TEMP_PREFIX}{dead}-abcd1234-sacrum.csv"
    mine = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-abcd1234-sacrum.csv"
    other = tmp_path / ".hidden-of-someone-else"
    for p in (stale, mine, other):
        p.write_text("")
    assert remove_stale_temps(tmp_path) == [stale]
    assert mine.exists() and other.exists()


# ---------------------------------------------------------------- case 9: killed writers
KILLED = textwrap.dedent(
    """
    import os, signal, sys
    target, attr, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    module_name, _, cls = target.rpartition(":")
    import importlib
    module = importlib.import_module(module_name)
    owner = getattr(module, cls) if cls else module
    real = getattr(owner, attr)
    calls = []

    def dying(*a, **k):
        calls.append(1)
        if len(calls) == 2:  # the second piece of output: some of it written, not all
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*a, **k)

    setattr(owner, attr, dying)
    from winkmon.cli import main
    main(argv)
    """
)


def _killed(target: str, attr: str, *argv: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", KILLED, target, attr, *argv],
        env=dict(os.environ, PYTHONPATH=SRC),
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def test_killed_export_leaves_no_half_export_and_the_next_run_cleans_up(
    session: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _killed(
        "winkmon.recording.csv_format:", "format_imu_csv", "export", str(session), "--csv", str(out)
    )
    names = sorted(p.name for p in out.iterdir()) if out.exists() else []
    finished = [n for n in names if not n.startswith(TEMP_PREFIX)]
    assert finished in ([], ["lumbar.csv", "sacrum.csv"])  # all or nothing
    assert all(n.startswith(TEMP_PREFIX) for n in names)  # leftovers are clearly winkmon's
    assert main(["export", str(session), "--csv", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["lumbar.csv", "sacrum.csv"]
    assert all(p.stat().st_size > 0 for p in out.iterdir())


def test_killed_import_leaves_nothing_after_the_next_run(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    rows = "".join(f"{i / 100},0,0,9.8,0,0,0\n" for i in range(3000))
    csv.write_text("time_s,ax,ay,az,gx,gy,gz\n" + rows)
    dest = tmp_path / "s.winkmon"
    args = ["import-csv", "--sacrum", str(csv), "--lumbar", str(csv), "-o", str(dest)]
    # killed while the recording is being built: at its second sensor
    _killed("winkmon.recording.writer:RecordingWriter", "add_sensor", *args)
    assert not dest.exists()  # never a half recording under the final name
    assert any(p.name.startswith(TEMP_PREFIX) for p in tmp_path.iterdir())  # the half one
    assert main(args) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "s.winkmon"]


def test_overflowing_csv_value_is_a_clean_error(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("time_s,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.01,1e308,0,9.8,0,0,0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CsvImportError, match=r"line 3: column ax: 1e\+308 is out of range"):
            import_csv({Role.SACRUM: csv}, tmp_path / "s")
    assert not (tmp_path / "s.winkmon").exists()


def test_an_output_onto_a_device_is_refused_even_with_overwrite(tmp_path: Path) -> None:
    """`--json /dev/null --overwrite` must not rename a file over the device node."""
    import os

    from winkmon.errors import OutputError
    from winkmon.safe_io import check_output

    with pytest.raises(OutputError, match="not a regular file"):
        check_output(Path(os.devnull), overwrite=True)
    assert Path(os.devnull).is_char_device()
