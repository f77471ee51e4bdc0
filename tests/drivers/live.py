"""Shared by the drivers' tests: a recorded live session on emulated sensors of any kind,
and the check that its recording replays to identical samples."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from winkmon.protocol.constants import Role
from winkmon.recording import Recording, RecordingWriter, load_samples
from winkmon.samples import SampleBatch
from winkmon.session.recorder import SessionRecorder
from winkmon.session.run import run_source
from winkmon.session.session import Session
from winkmon.virtual.kinds import KindRig, open_kind_rig
from winkmon.virtual.source import SampleSource
from winkmon.virtual.vendor import EmulatorConfig


def run(coro_fn: Callable[[], Awaitable[None]], timeout_s: float) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro_fn(), timeout_s)

    asyncio.run(bounded())


@dataclass
class Live:
    batches: dict[Role, list[SampleBatch]] = field(default_factory=dict)
    session: Session | None = None
    rig: KindRig | None = None

    def samples(self, role: Role) -> SampleBatch:
        return SampleBatch.concat(self.batches[role])


async def live_session(
    kinds: Mapping[Role, str],
    source: SampleSource,
    seconds: float,
    path: Path | None = None,
    options: Mapping[Role, EmulatorConfig] | None = None,
    outages: tuple[tuple[Role, float, float], ...] = (),
) -> Live:
    """Stream ``seconds`` from emulated sensors through bleak into a Session (recorded to
    ``path`` if given), with sensors going out of range as ``outages`` say."""
    live = Live()
    async with open_kind_rig(kinds, source, options=options) as rig:
        live.rig = rig
        hub = rig.hub
        session = Session(None, session_start_ns=hub.session_start_ns, roles=tuple(kinds))
        live.session = session
        session.batch_listeners.append(lambda b: live.batches.setdefault(b.role, []).append(b))
        loop = asyncio.get_running_loop()
        tasks: list[asyncio.Task[None]] = []
        for role, at, d in outages:
            loop.call_later(
                at,
                lambda r=role, d=d: tasks.append(asyncio.ensure_future(rig.sensors[r].outage(d))),
            )
        stop = asyncio.Event()
        loop.call_later(seconds, stop.set)
        if path is None:
            await run_source(hub, session, stop)
            await hub.close()
            await run_source(hub, session)
            return live
        with RecordingWriter(path, session_start_ns=hub.session_start_ns) as writer:
            session.start_recording(SessionRecorder(writer, hub.session_start_ns))
            await run_source(hub, session, stop)
            await hub.close()
            await run_source(hub, session)
            session.finish()
    return live


def assert_replays_identically(live: Live, path: Path) -> None:
    with Recording.open(path) as rec:
        replay = load_samples(rec)
    assert live.session is not None
    for role in live.batches:
        got = live.samples(role)
        back = replay.samples[role]
        assert len(back) == len(got) > 0
        np.testing.assert_array_equal(back.index, got.index)
        np.testing.assert_array_equal(back.t_dev_us, got.t_dev_us)
        np.testing.assert_array_equal(back.t_s, got.t_s)
        np.testing.assert_array_equal(back.acc_m_s2, got.acc_m_s2)
        np.testing.assert_array_equal(back.gyr_rad_s, got.gyr_rad_s)
        assert replay.stats[role] == live.session.stats[role]
