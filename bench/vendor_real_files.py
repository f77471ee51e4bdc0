"""Check the vendor export readers on real export files you have (not shipped with winkmon).

No real export with a licence allowing redistribution was found (tests/data/vendor_exports/
README.md lists the real files found and their licences), so the tests use synthetic files in
each app's layout and this script is how the readers are checked against real ones: for each
file it prints the detected format and, for a file that imports on its own, the rows, the
median rate and the first row in SI units; for a file of a pair (Polar Sensor Logger or
MetaBase) the per-file reading (times, units); or the one-line error the import would give.

    python bench/vendor_real_files.py FILE [FILE ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from winkmon.errors import CsvImportError
from winkmon.recording.vendor_exports import (
    VendorSource,
    detect,
    metabase,
    open_sensor,
    polar_sensor_logger,
)
from winkmon.recording.vendor_exports._common import read_lines


def _rate(t_us: np.ndarray) -> str:
    return f"{1e6 / float(np.median(np.diff(t_us))):.2f} Hz" if len(t_us) > 1 else "-"


def check(path: Path) -> str:
    try:
        found = detect(path)
    except CsvImportError as exc:
        return f"refused: {exc}"
    out = [f"detected: {found.describe()}"]
    try:
        if found.kind:
            lines = read_lines(path)
            if found.vendor == metabase.NAME:
                stream, spread = metabase.read_stream(path, lines, found.kind)  # type: ignore[arg-type]
                out.append(f"rows with spread (packed) times: {spread}")
            else:
                stream = polar_sensor_logger.read_stream(path, lines, found.kind)  # type: ignore[arg-type]
            out.append(
                f"{len(stream)} rows, {_rate(stream.t_us)}, first row (line {stream.line[0]}) "
                f"t={stream.t_us[0]} µs, {found.kind}={np.round(stream.xyz[0], 6).tolist()} SI"
            )
        else:
            source, _ = open_sensor([path])
            if isinstance(source, VendorSource):
                t = source.table
                out.append(
                    f"{source.format_label}: {len(t)} rows, {_rate(t.t_us)}, first row (line "
                    f"{t.line[0]}) t={t.t_us[0]} µs, acc={np.round(t.acc_m_s2[0], 6).tolist()}"
                    f" m/s^2, gyr={np.round(t.gyr_rad_s[0], 6).tolist()} rad/s"
                )
                out += [f"note: {w}" for w in source.warnings]
    except CsvImportError as exc:
        out.append(f"refused: {exc}")
    return "\n  ".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    for path in args.files:
        print(f"{path.name}\n  {check(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
