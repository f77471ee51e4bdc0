"""``winkmon simulate``: write a simulated session (two virtual sensors, known truth).

Useful to try every other command without sensors; the sample sessions in ``recordings/`` are
made with it. The recording is marked as simulated, and the truth (reps and their verdicts,
calibration windows) is stored in its ``source`` entry for comparison.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

STYLES = ("classic", "back-to-back", "training")  #: as winkmon.sim.STYLES (imported lazily)


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="write a simulated session (virtual sensors, simulated athlete)",
        description="Simulate a squat session with two virtual sensors and write it as a "
        "recording. The default script (~2 min) has a calibration, walking, a set whose last "
        "reps lose extension and wink into flexion, a pick-up and a clean set.",
    )
    p.add_argument("-o", "--output", required=True, metavar="SESSION", help="recording to write")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--random",
        action="store_true",
        help="a random athlete, mounts, noise and session instead of the demo",
    )
    p.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="with --random or --style: about this long (default: 2-4 sets)",
    )
    p.add_argument(
        "--style",
        choices=STYLES,
        default=None,
        help="a random session (implies --random) of this kind: 'classic' (the default with "
        "--random: calibration, then sets with a stand between reps), 'back-to-back' (the same "
        "with every set back to back: no rest between reps, some partial or paused reps, tempo "
        "1-6 s), 'training' (like real training recordings: no stand and no calibration, "
        "straight into back-to-back sets; sensors sometimes worn facing in, sometimes on a "
        "110 Hz whole-millisecond clock)",
    )
    p.add_argument("--rate", type=int, default=None, help="both sensors' rate in Hz")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from winkmon.errors import WinkmonError
    from winkmon.recording import output_path
    from winkmon.sim import SimConfig, default_demo_script, random_session

    if args.rate is not None and not 10 <= args.rate <= 1000:
        raise WinkmonError(f"--rate must be 10..1000 Hz, not {args.rate}")
    if args.minutes is not None and not 0 < args.minutes <= 600:
        raise WinkmonError(f"--minutes must be more than 0 and at most 600, not {args.minutes}")
    if args.random or args.style is not None:
        config, script = random_session(
            args.seed,
            args.style or "classic",
            duration_s=None if args.minutes is None else args.minutes * 60.0,
        )
    else:
        config = SimConfig(seed=args.seed)
        script = default_demo_script()
    if args.rate is not None:
        config = dataclasses.replace(config, sacrum_rate_hz=args.rate, lumbar_rate_hz=args.rate)
    target = output_path(Path(args.output))
    info = write_simulated_recording(target, config, script, overwrite=args.overwrite)
    calib = (
        f"calibration block at {info['static_s']} / {info['functional_s']} s"
        if info["static_s"]
        else "no calibration block"
    )
    print(f"wrote {target}: {info['duration_s']:.0f} s, {info['reps']} reps (simulated; {calib})")
    return 0


def write_simulated_recording(
    path: Path,
    config: Any,
    script: Any,
    overwrite: bool = False,
    addresses: Mapping[Any, str] | None = None,
) -> dict[str, Any]:
    """Simulate ``script`` with ``config`` and write it to ``path``; returns a summary.

    ``addresses`` (by role) are stored as the sensors' Bluetooth addresses; by default none,
    so that a profile calibrated from a simulated session does not inherit fake addresses.
    """
    from winkmon.protocol.constants import Role
    from winkmon.recording import RecordingWriter
    from winkmon.sim import SimStream

    stream = SimStream(config, script)
    with RecordingWriter(
        path,
        session_start_ns=0,
        simulated=True,
        overwrite=overwrite,
        notes="simulated session (winkmon simulate)",
    ) as w:
        for role in (Role.SACRUM, Role.LUMBAR):
            w.add_sensor(
                role,
                stream.start_params[role].rate_hz,
                stream.infos[role],
                stream.start_params[role],
                address=(addresses or {}).get(role),
            )
        for chunk in stream.chunks(10.0):
            # In arrival order, as a live recording stores them: runs of one sensor at a time.
            for role, run in itertools.groupby(chunk, key=lambda f: f.role):
                w.write_frames(role, [(f.t_host_ns, f.payload) for f in run])
        truth = stream.truth(rate_hz=50)
        summary: dict[str, Any] = {
            "duration_s": float(stream.duration_s),
            "reps": len(truth.reps),
            "static_s": list(truth.static_s) if truth.static_s else None,
            "functional_s": list(truth.functional_s) if truth.functional_s else None,
        }
        w.set_source(
            {
                "simulator": {"seed": config.seed},
                "truth": {
                    **summary,
                    "rep_list": [
                        {
                            "start_s": round(r.start_s, 3),
                            "bottom_s": round(r.bottom_s, 3),
                            "end_s": round(r.end_s, 3),
                            "depth_cm": round(r.depth_cm, 1),
                            "set_angle_deg": round(r.set_angle_deg, 2),
                            "peak_flexion_deg": round(r.peak_flexion_deg, 2),
                            "verdict": str(r.verdict.value),
                            "set": r.set_index,
                        }
                        for r in truth.reps
                    ],
                },
            }
        )
    return summary
