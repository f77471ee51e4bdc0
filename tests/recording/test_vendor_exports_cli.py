"""``winkmon import-csv`` with vendor exports, end to end: the recording reports like the source.

The shipped demo session's samples are written out in each vendor's layout (synthetic files,
see vendor_writers.py), imported through the CLI, and ``winkmon report`` must find the same
squats in the imported recording as in the demo itself: the conversions of units, times and
the acc+gyro join keep the signal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import numpy as np
import pytest
from vendor_writers import (
    PHONE0,
    write_dot,
    write_metabase_pair,
    write_psl_pair,
    write_witmotion,
)

from winkmon.cli import main
from winkmon.protocol import Role
from winkmon.recording import Recording, load_samples
from winkmon.samples import SampleBatch

DEMO = Path(__file__).resolve().parents[2] / "recordings" / "demo.winkmon"
EPOCH_S = 1_731_000_000.0


@pytest.fixture(scope="module")
def demo() -> dict[Role, SampleBatch]:
    with Recording.open(DEMO) as rec:
        return dict(load_samples(rec).samples)


def _report(path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, float]]:
    capsys.readouterr()
    assert main(["report", str(path), "--json", "-"]) == 0
    return list(json.loads(capsys.readouterr().out)["reps"])


Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]  # t_s, acc_m_s2, gyr_rad_s


def _psl(d: Path, role: str, x: Arrays) -> list[Path]:
    return list(write_psl_pair(d / f"Polar_Sense_{role}", *x))


def _metabase(d: Path, role: str, x: Arrays) -> list[Path]:
    stem = d / f"{role}_2024-11-07T17.20.00.000_C8D4A1B2C3D4"
    return list(write_metabase_pair(stem, *x, EPOCH_S))


def _dot(d: Path, role: str, x: Arrays) -> list[Path]:
    return [write_dot(d / f"{role}_dot.csv", *x)]


def _wit(d: Path, role: str, x: Arrays) -> list[Path]:
    return [write_witmotion(d / f"{role}_WT901.txt", *x, EPOCH_S)]


Writer = Callable[[Path, str, Arrays], list[Path]]


def _arrays(b: SampleBatch, resolution_s: float, clock_s: float) -> Arrays:
    """The batch's samples; with a coarse time resolution (ms), samples that would share a
    time are left out (the simulated demo has a sample 10 µs after another)."""
    ticks = np.rint((b.t_s + clock_s) / resolution_s)
    keep = np.concatenate([[True], np.diff(ticks) > 0])
    return b.t_s[keep], b.acc_m_s2[keep], b.gyr_rad_s[keep]


PHONE0_S = PHONE0.replace(tzinfo=UTC).timestamp()  # the phone's local time, read as UTC
DOT_STF0_S = 296.953427  # write_dot's first SampleTimeFine


@pytest.mark.parametrize(
    ("writer", "detected", "clock_s", "resolution_s"),
    [
        (_psl, "Polar Sensor Logger gyroscope", PHONE0_S, 1e-9),
        (_metabase, "MetaBase accelerometer", EPOCH_S, 1e-3),
        (_dot, "Movella DOT", DOT_STF0_S, 1e-6),
        (_wit, "WitMotion", EPOCH_S, 1e-3),
    ],
    ids=["polar", "metabase", "dot", "witmotion"],
)
def test_vendor_import_reports_the_demo_squats(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    demo: dict[Role, SampleBatch],
    writer: Writer,
    detected: str,
    clock_s: float,
    resolution_s: float,
) -> None:
    data = {role: _arrays(demo[role], resolution_s, clock_s) for role in demo}
    sacrum = writer(tmp_path, "sacrum", data[Role.SACRUM])
    lumbar = writer(tmp_path, "lumbar", data[Role.LUMBAR])
    out = tmp_path / "imported"
    argv = ["import-csv", "--sacrum", *map(str, sacrum), "--lumbar", *map(str, lumbar)]
    assert main([*argv, "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert any(f"sacrum: {p.name}: {detected}" in text for p in sacrum), text
    assert "rows at 200 Hz" in text
    assert f"wrote {out}.winkmon" in text

    with Recording.open(f"{out}.winkmon") as rec:
        imported = load_samples(rec).samples
        source = rec.meta.source or {}
    # the recording says where its data came from: every file and the format detected
    assert source["inputs"]["sacrum"]["paths"] == [str(x) for x in sacrum]
    assert detected.split()[0] in source["inputs"]["lumbar"]["format"]
    for role in (Role.SACRUM, Role.LUMBAR):
        (t, acc, gyr), b = data[role], imported[role]
        assert len(b.t_s) == len(t) >= len(demo[role].t_s) - 2
        tol = max(resolution_s, 2e-6)  # the file's time resolution, µs in the recording
        np.testing.assert_allclose(b.t_s - b.t_s[0], t - t[0], atol=tol)
        np.testing.assert_allclose(b.acc_m_s2, acc, atol=0.01)  # 1 mg, 1e-4 g
        np.testing.assert_allclose(b.gyr_rad_s, gyr, atol=0.002)

    # Same reps, at the same times on the vendor's clock (the demo's session time plus the
    # clock the files were written on), same depth. (The bottom of a rep is a flat stretch:
    # the import's finer int16 quantisation can move it by a few tenths; start and end not.)
    want = _report(DEMO, capsys)
    got = _report(Path(f"{out}.winkmon"), capsys)
    assert len(want) >= 5 and len(got) == len(want)
    for w, g in zip(want, got, strict=True):
        assert g["start_s"] - clock_s == pytest.approx(w["start_s"], abs=0.05)
        assert g["end_s"] - clock_s == pytest.approx(w["end_s"], abs=0.05)
        assert g["depth_cm"] == pytest.approx(w["depth_cm"], abs=0.5)


def test_broken_vendor_files_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], demo: dict[Role, SampleBatch]
) -> None:
    b = demo[Role.SACRUM]
    acc, gyr = write_psl_pair(tmp_path / "P", b.t_s[:400], b.acc_m_s2[:400], b.gyr_rad_s[:400])
    out = tmp_path / "o"
    cut = acc.read_text()
    acc.write_text(cut[: len(cut) - 9])  # the app killed mid-row
    cases = [
        (["--sacrum", str(acc), str(gyr)], f"{acc}, line 401: expected 5 cells"),
        (["--sacrum", str(gyr)], "has no matching accelerometer file: P_ACC.txt is next to it"),
        (["--sacrum", str(tmp_path / "missing_ACC.txt")], "cannot read"),
    ]
    for args, message in cases:
        capsys.readouterr()
        assert main(["import-csv", *args, "-o", str(out)]) == 2, args
        err = capsys.readouterr().err.strip()
        assert message in err, err
        assert len(err.splitlines()) == 1
        assert not list(tmp_path.glob("o*"))
