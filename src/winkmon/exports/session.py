"""Everything a researcher takes away from one session (``winkmon research-export``).

Files written into the output folder:

- ``orientations.sto``: each sensor's orientation quaternions for OpenSim OpenSense
  (:mod:`.opensim`), on a common ``rate_hz`` grid over the time both sensors ran;
- ``segment_angles.sto``: lumbopelvic angle, pelvis tilt (degrees) and depth (cm), OpenSim
  storage format, on the pipeline's 100 Hz grid;
- ``angles.parquet``: the same series plus the zone and phase codes;
- ``reps.parquet``: one row per rep (the report's fields).

Both Parquet files carry the units per column (field metadata ``unit``) and the session in
their schema metadata: ``winkmon.session`` is a JSON object with the athlete, the recording
time, the sensors, the calibration and thresholds, and the winkmon and report versions
(the same facts as ``winkmon report --json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from winkmon.errors import RecordingError
from winkmon.exports.opensim import (
    BODY_OF_ROLE,
    format_orientations,
    format_storage,
    resample_quaternions,
)

FILES = ("orientations.sto", "segment_angles.sto", "angles.parquet", "reps.parquet")

ANGLE_UNITS = {
    "time_s": "s",
    "lumbopelvic_deg": "deg",
    "depth_cm": "cm",
    "pelvis_tilt_deg": "deg",
    "zone": "enum: 0 unknown, 1 extension, 2 extension lost, 3 flexion",
    "phase": "enum: 0 idle, 1 descent, 2 bottom, 3 ascent",
}


def orientations(
    samples: dict[Any, Any], rate_hz: float, method: str = "vqf"
) -> tuple[Any, dict[str, Any]]:
    """(grid_s, {"<body>_imu": (N, 4)}) for the sensors in ``samples`` (role -> SampleBatch)."""
    from winkmon.orientation import estimate

    per: dict[str, tuple[Any, Any]] = {}
    for role, b in samples.items():
        body = BODY_OF_ROLE.get(role.label)
        if body is None or len(b.t_s) < 2:
            continue
        rate = b.rate_hz or float(1.0 / np.median(np.diff(b.t_s)))
        per[f"{body}_imu"] = (b.t_s, estimate(b.gyr_rad_s, b.acc_m_s2, rate, method=method))
    if not per:
        raise RecordingError("no sensor samples to compute orientations from")
    t0 = max(float(t[0]) for t, _ in per.values())
    t1 = min(float(t[-1]) for t, _ in per.values())
    grid = np.arange(np.ceil(t0 * rate_hz), np.floor(t1 * rate_hz) + 1) / rate_hz
    return grid, {name: resample_quaternions(t, q, grid) for name, (t, q) in per.items()}


def session_metadata(doc: dict[str, Any], info: Any) -> dict[str, Any]:
    """The session facts stored in the Parquet files (JSON-ready)."""
    return {
        "athlete": doc["athlete"],
        "recorded_utc": info.recorded_utc,
        "duration_s": round(info.duration_s, 3),
        "simulated": info.simulated,
        "sensors": [
            {"role": s.role, "rate_hz": s.rate_hz, "unit": s.part, "firmware": s.firmware}
            for s in info.sensors
        ],
        "calibration": doc["calibration"],
        "thresholds": doc["thresholds"],
        "lumbopelvic_available": doc["lumbopelvic"]["available"],
        "winkmon_version": doc["app_version"],
        "report_version": doc["report_version"],
        "source": doc["session"],
        "calibration_source": doc.get("calibration_source"),
    }


def _write_parquet(
    path: Path, columns: dict[str, Any], units: dict[str, str], meta: dict[str, Any]
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = []
    arrays = []
    for name, values in columns.items():
        arr = pa.array(values)
        fields.append(
            pa.field(name, arr.type, metadata={"unit": units[name]} if name in units else None)
        )
        arrays.append(arr)
    schema = pa.schema(
        fields,
        metadata={
            "winkmon.session": json.dumps(meta),
            "winkmon.units": json.dumps({k: v for k, v in units.items() if k in columns}),
        },
    )
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), path, compression="zstd")


def export_research(
    samples: dict[Any, Any],
    result: Any,
    doc: dict[str, Any],
    info: Any,
    out_dir: Path,
    *,
    rate_hz: float = 100.0,
    method: str = "vqf",
    overwrite: bool = False,
) -> list[Path]:
    """Write the four files (see the module doc); returns their paths."""
    from winkmon.archive.analyse import UNITS

    if out_dir.exists() and not out_dir.is_dir():
        raise RecordingError(f"{out_dir}: exists and is not a directory")
    clash = [f for f in FILES if (out_dir / f).exists()]
    if clash and not overwrite:
        raise RecordingError(
            f"{out_dir}: {', '.join(clash)} already exist(s) (choose another folder or --overwrite)"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        grid, quats = orientations(samples, rate_hz, method)
        paths = [out_dir / f for f in FILES]
        paths[0].write_text(format_orientations(grid, quats, rate_hz), encoding="utf-8")
        a = result.angles
        paths[1].write_text(
            format_storage(
                "segment_angles",
                a.t_s,
                {
                    "lumbopelvic_flexion": a.lumbopelvic_deg,
                    "pelvis_tilt": a.pelvis_deg,
                    "depth_cm": a.depth_cm,
                },
            ),
            encoding="utf-8",
        )
        meta = session_metadata(doc, info)
        _write_parquet(
            paths[2],
            {
                "time_s": a.t_s,
                "lumbopelvic_deg": a.lumbopelvic_deg,
                "depth_cm": a.depth_cm,
                "pelvis_tilt_deg": a.pelvis_deg,
                "zone": a.zone,
                "phase": a.phase,
            },
            ANGLE_UNITS,
            meta,
        )
        reps = doc["reps"]
        keys = list(reps[0]) if reps else ["number"]
        _write_parquet(
            paths[3],
            {k: [r.get(k) for r in reps] for k in keys},
            UNITS,
            meta,
        )
    except OSError as exc:
        raise RecordingError(f"cannot write into {out_dir}: {exc.strerror or exc}") from None
    return paths
