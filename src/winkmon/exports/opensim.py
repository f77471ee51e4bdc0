"""OpenSim storage files (``.sto``): sensor orientations for OpenSense, and segment angles.

*Orientations* (``orientations.sto``) follow OpenSense's quaternion table: a header with
``DataRate``, ``DataType=Quaternion``, ``version=3`` and ``OpenSimVersion``, then a
tab-separated table whose first column is ``time`` and whose other columns are one IMU each,
each cell ``w,x,y,z``. The IMU columns are named after the OpenSim body the sensor sits on,
``<body>_imu``, which is how OpenSense's IMU placer and IMU inverse kinematics find them:
the sacrum sensor is ``pelvis_imu``; the L1 sensor is ``torso_imu`` (full-body models such as
Rajagopal 2015 join the pelvis and the torso at one lumbar joint). Quaternions are sensor to
earth (ENU, z up; 6D, so each sensor has its own heading: OpenSense aligns headings with its
base IMU at the first frame), from the same orientation filter as the pipeline, resampled onto
one time grid by normalised linear interpolation.

*Segment angles* (``segment_angles.sto``) use OpenSim's classic storage header (name,
``version=1``, ``nRows``, ``nColumns``, ``inDegrees=yes``, ``endheader``): time, the
lumbopelvic angle (flexion positive), the pelvis tilt (forward positive) and the depth.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: OpenSim body names of the sensors, by winkmon role label.
BODY_OF_ROLE = {"sacrum": "pelvis", "lumbar": "torso"}
OPENSIM_VERSION = "4.4"


def resample_quaternions(t_s: FloatArray, q_wxyz: FloatArray, grid_s: FloatArray) -> FloatArray:
    """``q`` at ``grid_s`` by normalised linear interpolation (signs made continuous first)."""
    q = np.array(q_wxyz, dtype=float, copy=True)
    flip = np.cumsum(np.r_[False, np.einsum("ij,ij->i", q[1:], q[:-1]) < 0]) % 2 == 1
    q[flip] *= -1.0
    out = np.column_stack([np.interp(grid_s, t_s, q[:, k]) for k in range(4)])
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def format_orientations(grid_s: FloatArray, quats: Mapping[str, FloatArray], rate_hz: float) -> str:
    """The OpenSense orientations table (``quats``: column name -> (N, 4) ``w, x, y, z``)."""
    names = list(quats)
    lines = [
        f"DataRate={rate_hz:.6f}",
        "DataType=Quaternion",
        "version=3",
        f"OpenSimVersion={OPENSIM_VERSION}",
        "endheader",
        "\t".join(["time", *names]),
    ]
    cols = [quats[n] for n in names]
    for i, t in enumerate(grid_s.tolist()):
        cells = [f"{t:.5f}"] + [",".join(f"{v:.7f}" for v in c[i]) for c in cols]
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def format_storage(name: str, t_s: FloatArray, columns: Mapping[str, FloatArray]) -> str:
    """An OpenSim storage table of doubles, angles in degrees; NaN written as ``NaN``."""
    names = list(columns)
    lines = [
        name,
        "version=1",
        f"nRows={len(t_s)}",
        f"nColumns={len(names) + 1}",
        "inDegrees=yes",
        "endheader",
        "\t".join(["time", *names]),
    ]
    data = np.column_stack([t_s, *(columns[n] for n in names)])
    for row in data:
        lines.append("\t".join("NaN" if np.isnan(v) else f"{v:.6f}" for v in row))
    return "\n".join(lines) + "\n"


def read_sto(path: Path) -> tuple[dict[str, str], list[str], list[list[str]]]:
    """(header key=value pairs, column names, rows of cells) of a .sto file (for tests/tools)."""
    text = path.read_text(encoding="utf-8").splitlines()
    end = text.index("endheader")
    header = dict(line.split("=", 1) for line in text[:end] if "=" in line)
    cols = text[end + 1].split("\t")
    rows = [line.split("\t") for line in text[end + 2 :] if line]
    return header, cols, rows
