"""A live-style recording (clocks mapped by the envelope estimate) exports to CSV that imports
back: times never repeat, samples survive."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from winkmon.cli import main
from winkmon.protocol.constants import Role
from winkmon.recording import Recording, load_samples

SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "demo.winkmon"


def test_export_of_a_live_recording_imports_back(tmp_path: Path) -> None:
    out = tmp_path / "csv"
    assert main(["export", str(SAMPLE), "--csv", str(out)]) == 0
    for name in ("sacrum.csv", "lumbar.csv"):
        with (out / name).open() as fh:
            times = [float(row[0]) for row in list(csv.reader(fh))[1:]]
        assert np.all(np.diff(times) > 0)
    again = tmp_path / "again.winkmon"
    rc = main(
        [
            "import-csv",
            "--sacrum",
            str(out / "sacrum.csv"),
            "--lumbar",
            str(out / "lumbar.csv"),
            "-o",
            str(again),
        ]
    )
    assert rc == 0
    with Recording.open(SAMPLE) as a, Recording.open(again) as b:
        first, second = load_samples(a).samples, load_samples(b).samples
    for role in (Role.SACRUM, Role.LUMBAR):
        np.testing.assert_allclose(second[role].acc_m_s2, first[role].acc_m_s2, atol=1e-9)
        np.testing.assert_allclose(second[role].gyr_rad_s, first[role].gyr_rad_s, atol=1e-9)
        np.testing.assert_allclose(second[role].t_s, first[role].t_s, atol=1e-6)
