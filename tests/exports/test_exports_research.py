"""``winkmon research-export``: OpenSense orientations, segment angles, Parquet with metadata."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from winkmon.cli import main
from winkmon.exports.opensim import read_sto, resample_quaternions

SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "demo.winkmon"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("research")
    assert main(["research-export", str(SAMPLE), "-o", str(out)]) == 0
    return out


def _quats(cells: list[str]) -> np.ndarray:
    return np.array([[float(v) for v in c.split(",")] for c in cells])


def test_orientations_sto_is_an_opensense_quaternion_table(exported: Path) -> None:
    header, cols, rows = read_sto(exported / "orientations.sto")
    assert header["DataType"] == "Quaternion" and float(header["DataRate"]) == 100.0
    assert header["version"] == "3"
    assert cols == ["time", "pelvis_imu", "torso_imu"]
    t = np.array([float(r[0]) for r in rows])
    assert np.allclose(np.diff(t), 0.01, atol=1e-6)
    assert t[-1] - t[0] > 100  # the whole 113 s session
    for k in (1, 2):
        q = _quats([r[k] for r in rows])
        assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)


def test_pelvis_quaternions_tilt_as_the_pelvis_tilt_says(exported: Path) -> None:
    """Heading-free check against the pipeline's own output: how far the sacrum sensor's
    vertical moved from a standing moment equals how far the pelvis tilted."""
    from winkmon.quaternion import conjugate, rotate

    _, _, rows = read_sto(exported / "orientations.sto")
    t = np.array([float(r[0]) for r in rows])
    up = rotate(conjugate(_quats([r[1] for r in rows])), np.array([0.0, 0.0, 1.0]))
    _, cols, arows = read_sto(exported / "segment_angles.sto")
    assert cols == ["time", "lumbopelvic_flexion", "pelvis_tilt", "depth_cm"]
    ta = np.array([float(r[0]) for r in arows])
    tilt = np.array([float(r[2]) for r in arows])
    ok = np.isfinite(tilt)
    tilt_on_t = np.interp(t, ta[ok], tilt[ok])
    sel = np.flatnonzero(t > 20)  # after the calibration moves
    k0 = sel[np.argmin(np.abs(tilt_on_t[sel]))]  # a moment at the neutral tilt
    moved_deg = np.degrees(np.arccos(np.clip(up[sel] @ up[k0], -1, 1)))
    want_deg = np.abs(tilt_on_t[sel] - tilt_on_t[k0])
    assert np.corrcoef(moved_deg, want_deg)[0, 1] > 0.9
    assert np.median(np.abs(moved_deg - want_deg)) < 3.0


def test_parquet_files_carry_units_and_session(exported: Path) -> None:
    angles = pq.read_table(exported / "angles.parquet")
    assert angles.schema.field("lumbopelvic_deg").metadata == {b"unit": b"deg"}
    assert angles.schema.field("depth_cm").metadata == {b"unit": b"cm"}
    meta = json.loads(angles.schema.metadata[b"winkmon.session"])
    assert meta["recorded_utc"].startswith("2026-11-26")
    assert [s["role"] for s in meta["sensors"]] == ["sacrum", "lumbar"]
    assert meta["calibration_source"] == "session" and meta["lumbopelvic_available"]
    assert meta["thresholds"]["flexion_deg"] == 2.0
    reps = pq.read_table(exported / "reps.parquet").to_pylist()
    assert len(reps) == 9 and reps[4]["verdict"] == "flexion"
    assert (
        json.loads(pq.read_schema(exported / "reps.parquet").metadata[b"winkmon.units"])["depth_cm"]
        == "cm"
    )


def test_existing_files_need_overwrite(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["research-export", str(SAMPLE), "-o", str(exported)]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_resampling_keeps_unit_quaternions_across_a_sign_flip() -> None:
    t = np.array([0.0, 1.0, 2.0])
    q = np.array([[1.0, 0, 0, 0], [-1.0, 0, 0, 0], [1.0, 0, 0, 0]])  # the same rotation
    out = resample_quaternions(t, q, np.array([0.5, 1.5]))
    assert np.allclose(np.abs(out[:, 0]), 1.0)
