"""``winkmon info``: what a recording holds (sensors, duration, loss, athlete, notes)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from winkmon.recording import Recording, Replay


def register(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "info",
        help="show what a recording holds",
        description="Show a recording's duration, sensors, packet loss, gaps, athlete, "
        "calibration and notes. A damaged recording is summarised up to the damage.",
    )
    p.add_argument("session", metavar="SESSION", help="the recording (.winkmon)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def summary(rec: Recording, replay: Replay) -> dict[str, Any]:
    """The facts ``info`` shows, as plain JSON-able data."""
    meta = rec.meta
    sensors = []
    for role, sm in rec.sensors.items():
        stats = replay.stats.get(role)
        info = sm.info_json or {}
        sensors.append(
            {
                "role": role.label,
                "address": sm.address,
                "firmware": info.get("fw_version"),
                "imu_part": info.get("imu_part"),
                "serial": info.get("serial"),
                "rate_hz": sm.rate_hz,
                "frames": stats.frames_ok + stats.frames_bad if stats else 0,
                "samples": stats.samples_received if stats else 0,
                "samples_lost": stats.samples_lost if stats else 0,
                "loss_pct": round(stats.loss_pct, 3) if stats else 0.0,
                "notifications_lost": stats.notifications_lost if stats else 0,
                "malformed_frames": stats.frames_bad if stats else 0,
                "last_error": stats.last_error if stats else "",
            }
        )
    calib = meta.calibration
    return {
        "path": str(rec.path),
        "format_version": meta.format_version,
        "app_version": meta.app_version,
        "created_utc": meta.created_utc,
        "closed_cleanly": meta.closed_cleanly,
        "duration_s": round(rec.duration_s, 3),
        "clock": meta.clock,
        "simulated": meta.simulated,
        "notes": meta.notes,
        "source": meta.source,
        "sensors": sensors,
        "gaps": [
            {"role": g.role.label, "t_s": round(g.t_s, 3), "kind": g.kind, "detail": g.detail}
            for g in rec.gaps
        ],
        "athlete": meta.athlete,
        "calibration": None if calib is None else {"keys": sorted(calib)},
        "events": _event_counts(rec),
        "warnings": list(dict.fromkeys([*replay.warnings, *([rec.damage] if rec.damage else [])])),
    }


def _event_counts(rec: Recording) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ev in rec.events():
        counts[ev.kind] = counts.get(ev.kind, 0) + 1
    return counts


def _athlete_line(athlete: dict[str, Any] | None) -> str:
    if not athlete:
        return "none"
    for key in ("name", "athlete", "id"):
        if key in athlete:
            return str(athlete[key])
    return ", ".join(sorted(athlete))


def source_line(source: dict[str, Any]) -> str:
    """Where the recording came from, in one short line (``--json`` has the whole record)."""
    from winkmon.numbers import plural

    parts = []
    for key, value in source.items():
        if key == "truth" and isinstance(value, dict):
            reps = value.get("rep_list")
            n = f" of {plural(len(reps), 'rep')}" if isinstance(reps, list) else ""
            parts.append(f"with the simulator's ground truth{n}")
        elif isinstance(value, dict):
            scalars = [f"{k} {_short(v)}" for k, v in value.items() if _is_scalar(v)]
            parts.append(f"{key} ({', '.join(scalars)})" if scalars else key)
        elif _is_scalar(value):
            parts.append(f"{key} {_short(value)}")
        else:
            parts.append(key)
    return "; ".join(parts) + " (--json for the details)"


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from winkmon.recording import Recording, load_samples

    with Recording.open(args.session, partial_ok=True) as rec:
        replay = load_samples(rec)
        facts = summary(rec, replay)
    if args.json:
        print(json.dumps(facts, indent=2, sort_keys=True))
        return 0

    # Not a terminal (a pipe, a test): wide enough that the table never wraps.
    width = None if sys.stdout.isatty() else 120
    console = Console(file=sys.stdout, highlight=False, soft_wrap=True, width=width)
    console.print(f"[bold]{facts['path']}[/bold]")
    lines = [
        ("duration", f"{facts['duration_s']:.1f} s"),
        (
            "created",
            f"{facts['created_utc']} (winkmon {facts['app_version']}, recording format "
            f"{facts['format_version']})",
        ),
        (
            "complete",
            "yes" if facts["closed_cleanly"] else "no (not closed: the last second may be lost)",
        ),
        ("simulated", "yes" if facts["simulated"] else "no"),
        ("clock", facts["clock"]),
        ("athlete", _athlete_line(rec.meta.athlete)),
        (
            "calibration",
            "none"
            if facts["calibration"] is None
            else "present (" + ", ".join(facts["calibration"]["keys"]) + ")",
        ),
        ("notes", facts["notes"] or "-"),
    ]
    if facts["source"]:
        lines.append(("source", source_line(facts["source"])))
    if facts["events"]:
        lines.append(("events", ", ".join(f"{k}: {n}" for k, n in facts["events"].items())))
    for key, value in lines:
        console.print(f"{key + ':':<13}{value}")

    table = Table(title="sensors", title_justify="left")
    for col in ("role", "address", "firmware", "IMU", "rate", "samples", "lost", "malformed"):
        table.add_column(col, no_wrap=True)
    for s in facts["sensors"]:
        table.add_row(
            s["role"],
            s["address"] or "-",
            s["firmware"] or "-",
            s["imu_part"] or "-",
            f"{s['rate_hz']:g} Hz",
            str(s["samples"]),
            f"{s['samples_lost']} ({s['loss_pct']:.2f}%)",
            str(s["malformed_frames"]),
        )
    console.print(table)
    if facts["gaps"]:
        console.print(f"gaps: {len(facts['gaps'])}")
        for g in facts["gaps"]:
            console.print(f"  {g['t_s']:9.2f} s  {g['role']:<7} {g['kind']}  {g['detail']}")
    else:
        console.print("gaps: none")
    for warning in facts["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    return 0
