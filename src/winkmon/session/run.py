"""Driving a :class:`~winkmon.session.session.Session` from an asynchronous source.

:func:`run_source` is the loop of every live session (the dashboard, ``winkmon live``,
``record``, ``demo --headless``): it takes the source's events in arrival order, hands each to
the session, and buzzes the sensors on an alert when the source can (an
:class:`~winkmon.session.contract.Actuator`), without ever blocking the loop on a buzz.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from winkmon.pipeline.events import Alert, AlertLevel, StepResult
from winkmon.protocol.constants import BuzzPattern, Role
from winkmon.session.contract import Actuator, NotificationSource
from winkmon.session.session import Session

log = logging.getLogger(__name__)


class _Buzzer:
    """Buzzes both sensors on each alert (flexion: three long; extension lost: one short)."""

    def __init__(self, actuator: Actuator) -> None:
        self.actuator = actuator
        self.tasks: set[asyncio.Task[None]] = set()

    def __call__(self, step: StepResult) -> None:
        for e in step.events:
            if not isinstance(e, Alert):
                continue
            pattern = (
                BuzzPattern.TRIPLE_LONG if e.level is AlertLevel.FLEXION else BuzzPattern.SHORT
            )
            for role in (Role.LUMBAR, Role.SACRUM):
                task = asyncio.ensure_future(self._buzz(role, pattern))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    async def _buzz(self, role: Role, pattern: BuzzPattern) -> None:
        try:
            await self.actuator.buzz(role, pattern)
        except Exception as exc:  # a sensor without a motor, or one that is reconnecting
            log.debug("buzz %s on %s: %s", pattern.name, role.label, exc)


async def run_source(
    source: NotificationSource,
    session: Session,
    stop: asyncio.Event | None = None,
    *,
    buzz: bool = True,
) -> None:
    """Feed ``source``'s events to ``session`` until ``stop`` is set or the source ends.

    Does not call :meth:`Session.finish` (a live session may go on with another source)."""
    stop = stop or asyncio.Event()
    buzzer = _Buzzer(source) if buzz and isinstance(source, Actuator) else None
    if buzzer is not None:
        session.step_listeners.append(buzzer)
    events = source.events()
    stopper = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            nxt = asyncio.ensure_future(anext(events))
            done, _ = await asyncio.wait({nxt, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if nxt not in done:
                nxt.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await nxt
                break
            try:
                event = nxt.result()
            except StopAsyncIteration:
                break
            session.handle(event)
    finally:
        stopper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopper
        closer = getattr(events, "aclose", None)
        if closer is not None:
            with contextlib.suppress(RuntimeError):
                await closer()
        if buzzer is not None:
            session.step_listeners.remove(buzzer)
            if buzzer.tasks:
                await asyncio.wait(list(buzzer.tasks), timeout=1.0)


__all__ = ["run_source"]
