"""The pipeline's output as Lab Streaming Layer streams (pylsl), for a lab's recorder.

Two outlets per session:

- ``<name>-angle`` (type ``Angle``, float32, the pipeline's output rate, 100 Hz): channels
  ``lumbopelvic_deg``, ``depth_cm``, ``pelvis_tilt_deg`` (NaN where unknown), ``zone``
  (:class:`~winkmon.pipeline.events.Zone`) and ``phase``
  (:class:`~winkmon.pipeline.events.Phase`), each with its label and unit in the stream's
  description.
- ``<name>-events`` (type ``Markers``, one string channel, irregular): one JSON object per
  event, ``{"kind": "rep" | "rep_started" | "alert" | "gap", ...}`` with the fields of the
  report's JSON (``Rep.as_dict()``, ``Alert.as_dict()``).

Timestamps are on LSL's clock (:func:`pylsl.local_clock`), so LabRecorder aligns them with the
lab's other streams. A sample at session time ``t_s`` is stamped ``t_s + offset``: with
``session_start_ns`` (host :func:`time.monotonic_ns` at the session start, as the BLE hub
stamps arrivals) the offset maps the host clock onto LSL's, so each sample carries the time its
data was measured, not the time it was published; without it (a replay, a simulation) the
first sample published is stamped "now" and the rest follow on the session's time base.
Events are stamped at the time they happened (a rep at its end, an alert when it fired).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from winkmon.pipeline.events import Alert, Event, Gap, Rep, RepStarted, StepResult

#: (label, unit) of the angle stream's channels, in order.
ANGLE_CHANNELS: tuple[tuple[str, str], ...] = (
    ("lumbopelvic_deg", "degrees"),
    ("depth_cm", "cm"),
    ("pelvis_tilt_deg", "degrees"),
    ("zone", "enum: 0 unknown, 1 extension, 2 extension lost, 3 flexion"),
    ("phase", "enum: 0 idle, 1 descent, 2 bottom, 3 ascent"),
)


@dataclass(frozen=True, slots=True)
class LslConfig:
    """Stream names and rates."""

    name: str = "winkmon"  #: stream name prefix: ``<name>-angle``, ``<name>-events``
    #: Unique per device or session; LSL uses it to reconnect inlets after a restart.
    source_id: str = "winkmon"
    angle_rate_hz: float = 100.0  #: nominal rate of the angle stream (the pipeline's grid)
    max_buffered_s: int = 60  #: how much an outlet keeps for a slow inlet, seconds


def _event_json(e: Event) -> tuple[float, str] | None:
    """(session time, JSON) of one event; None for events not published."""
    if isinstance(e, Rep):
        return e.end_s, json.dumps({"kind": "rep", **e.as_dict()})
    if isinstance(e, Alert):
        return e.t_s, json.dumps({"kind": "alert", **e.as_dict()})
    if isinstance(e, RepStarted):
        d = {"kind": "rep_started", "rep": e.number, "t_s": round(e.t_s, 3)}
        if math.isfinite(e.set_angle_deg):
            d["set_angle_deg"] = round(e.set_angle_deg, 2)
        return e.t_s, json.dumps(d)
    if isinstance(e, Gap):
        d2: dict[str, Any] = {
            "kind": "gap",
            "sensor": e.role.label,
            "start_s": round(e.start_s, 3),
            "end_s": round(e.end_s, 3),
        }
        return e.start_s, json.dumps(d2)
    return None


class LslPublisher:
    """Publishes every pipeline step on two LSL outlets (see the module doc).

    Call :meth:`push_step` (or the object itself) with each step, in order, from one thread;
    :meth:`close` when the session ends (or use it as a context manager).
    """

    def __init__(self, config: LslConfig | None = None, *, session_start_ns: int | None = None):
        try:
            import pylsl
        except (ImportError, RuntimeError, OSError) as exc:  # the wheel bundles liblsl
            from winkmon.errors import WinkmonError

            raise WinkmonError(f"Lab Streaming Layer unavailable (pylsl: {exc})") from None
        self._lsl = pylsl
        self.config = c = config or LslConfig()
        angle = pylsl.StreamInfo(
            f"{c.name}-angle",
            "Angle",
            len(ANGLE_CHANNELS),
            c.angle_rate_hz,
            pylsl.cf_float32,
            f"{c.source_id}-angle",
        )
        chans = angle.desc().append_child("channels")
        for label, unit in ANGLE_CHANNELS:
            ch = chans.append_child("channel")
            ch.append_child_value("label", label)
            ch.append_child_value("unit", unit)
        angle.desc().append_child_value("manufacturer", "winkmon")
        events = pylsl.StreamInfo(
            f"{c.name}-events",
            "Markers",
            1,
            pylsl.IRREGULAR_RATE,
            pylsl.cf_string,
            f"{c.source_id}-events",
        )
        events.desc().append_child_value("format", "json")
        self._angle = pylsl.StreamOutlet(angle, 0, c.max_buffered_s)
        self._events = pylsl.StreamOutlet(events, 0, c.max_buffered_s)
        #: LSL time = session seconds + this; None until known (see the module doc).
        self.offset_s: float | None = None
        if session_start_ns is not None:
            host_to_lsl = pylsl.local_clock() - time.monotonic()
            self.offset_s = session_start_ns / 1e9 + host_to_lsl
        self.samples = 0
        self.events = 0

    def _offset(self, first_t_s: float) -> float:
        if self.offset_s is None:
            self.offset_s = self._lsl.local_clock() - first_t_s
        return self.offset_s

    def push_step(self, step: StepResult) -> None:
        """Publish one step's angle samples and events."""
        a = step.angles
        if len(a):
            off = self._offset(float(a.t_s[0]))
            data = np.column_stack(
                [a.lumbopelvic_deg, a.depth_cm, a.pelvis_deg, a.zone, a.phase]
            ).astype(np.float32)
            self._angle.push_chunk(data.tolist(), (a.t_s + off).tolist())
            self.samples += len(a)
        for e in step.events:
            item = _event_json(e)
            if item is None:
                continue
            t_s, text = item
            self._events.push_sample([text], t_s + self._offset(t_s))
            self.events += 1

    __call__ = push_step

    def has_consumers(self) -> bool:
        return bool(self._angle.have_consumers() or self._events.have_consumers())

    def close(self) -> None:
        """Close both outlets (inlets see the streams end)."""
        self._angle = self._events = None

    def __enter__(self) -> LslPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
