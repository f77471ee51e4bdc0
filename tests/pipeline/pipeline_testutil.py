"""Helpers for pipeline tests: run a simulated session through the pipeline."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from winkmon.pipeline.events import AngleBlock, Event
from winkmon.pipeline.model import AthleteModel, Mount, Thresholds
from winkmon.pipeline.offline import SessionResult
from winkmon.pipeline.pipeline import Pipeline, PipelineConfig
from winkmon.protocol.constants import Role
from winkmon.session.contract import NotificationBlock
from winkmon.session.offline import notification_events, run_notifications
from winkmon.session.session import Session
from winkmon.sim import SimSession

ROLES = (Role.SACRUM, Role.LUMBAR)


def oracle_model(sess: SimSession, thresholds: Thresholds | None = None) -> AthleteModel:
    """The athlete model with the simulator's true mounts (no calibration error)."""
    return AthleteModel(
        {r: Mount(sess.truth.mounts[r].matrix.T) for r in ROLES}, thresholds or Thresholds()
    )


def notifications(sess: SimSession) -> list[tuple[Role, int, bytes]]:
    """Both sensors' notifications in arrival order."""
    items = [(r, t, p) for r in ROLES for (t, p) in sess.frames[r]]
    items.sort(key=lambda x: x[1])
    return items


def make_pipeline(
    sess: SimSession, model: AthleteModel, config: PipelineConfig | None = None
) -> Pipeline:
    rates = {r: float(sess.start_params[r].rate_hz) for r in ROLES}
    return Pipeline(model, rates, config)


def run_whole(sess: SimSession, model: AthleteModel) -> SessionResult:
    return run_notifications(make_pipeline(sess, model), notifications(sess), chunk=10**9)


def run_chunked(sess: SimSession, model: AthleteModel, sizes: Sequence[int]) -> SessionResult:
    """Feed in chunks of the given sizes (cycled)."""
    p = make_pipeline(sess, model)
    session = Session(p)
    for event in notification_events([], p.rates_hz):
        session.handle(event)
    items = notifications(sess)
    blocks: list[AngleBlock] = []
    events: list[Event] = []
    i = k = 0
    while i < len(items):
        n = sizes[k % len(sizes)]
        roles, times, payloads = zip(*items[i : i + n], strict=True)
        step = session.handle(NotificationBlock(roles, times, payloads))
        if step is not None:
            blocks.append(step.angles)
            events.extend(step.events)
        i += n
        k += 1
    step = session.finish()
    blocks.append(step.angles)
    events.extend(step.events)
    return SessionResult(AngleBlock.concat(blocks), events, dict(session.stats))


def truth_angle(sess: SimSession, t_s: np.ndarray) -> np.ndarray:
    return np.interp(t_s, sess.truth.t_s, sess.truth.lumbopelvic_deg)
