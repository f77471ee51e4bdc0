"""A simulated session as each kind delivers it: the kind's emulator framing, its rate and a
BLE timing model, decoded by the kind's registered decoder."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from winkmon.drivers import device_kind
from winkmon.errors import WinkmonError
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch
from winkmon.session.session import Session
from winkmon.sim.config import SimConfig
from winkmon.sim.script import SessionScript, Stand, Walk
from winkmon.sim.session import SimStream
from winkmon.virtual.kind_session import kind_config, kind_session, session_events

SCRIPT = SessionScript((Stand(2.0), Walk(6.0), Stand(2.0)))
G = 9.80665
DPS = np.pi / 180
#: largest |decoded - true| per kind: half an LSB of acc (m/s²) and gyro (rad/s), as the
#: drivers configure them; DOT sends float32
QUANTUM = {
    "polar-verity": (0.5e-3 * G, 0.5 * 2000 / 32768 * DPS),  # 1 mG; the SDK's gyro factor
    "witmotion": (0.5 * 16 / 32768 * G, 0.5 * 2000 / 32768 * DPS),
    "metamotion": (0.5 / 4096 * G, 0.5 / 16.4 * DPS),  # ±8 g: 4096 LSB/g; 16.4 LSB/(deg/s)
    "movella-dot": (1e-5, 1e-6),
}


def decode(kind: str, config: SimConfig) -> tuple[SimStream, dict[Role, SampleBatch], Session]:
    stream = SimStream(kind_config(config, kind), SCRIPT)
    got: dict[Role, list[SampleBatch]] = {}
    session = Session(None, session_start_ns=0)
    session.batch_listeners.append(lambda b: got.setdefault(b.role, []).append(b))
    session.run(session_events(kind_session(stream, kind)))
    session.finish()
    return stream, {r: SampleBatch.concat(v) for r, v in got.items()}, session


@pytest.mark.parametrize("kind", sorted(QUANTUM))
def test_each_kind_decodes_to_the_simulated_samples_at_its_rate(kind: str) -> None:
    config = replace(SimConfig(seed=4), drop_prob=0.0, bursts_per_min=0.0)
    stream, batches, session = decode(kind, config)
    acc_q, gyr_q = QUANTUM[kind]
    for role, b in batches.items():
        assert b.rate_hz == device_kind(kind).rate_hz
        sensor, clock = stream.sensors[role], stream.clocks[role]
        assert len(b) >= sensor.n_samples - 3  # a last partial packet may stay unsent
        assert np.array_equal(b.index, np.arange(len(b)))
        acc, gyr, _ = sensor.imu.measure(stream.body, clock.sample_time_s(b.index), 0)
        assert np.abs(b.acc_m_s2 - acc).max() <= acc_q * 1.0001
        assert np.abs(b.gyr_rad_s - gyr).max() <= gyr_q * 1.0001
        # times: within the BLE latency of the truth (host-timed kinds: fitted to arrivals)
        err_ms = (b.t_s - clock.sample_time_s(b.index)) * 1e3
        assert np.abs(err_ms[len(err_ms) // 2 :]).max() < 40.0
        assert session.stats[role].samples_lost == 0


def test_device_timed_kinds_see_lost_notifications() -> None:
    config = replace(SimConfig(seed=4), drop_prob=0.05, bursts_per_min=0.0)
    stream, batches, session = decode("movella-dot", config)
    for role, b in batches.items():
        lost = session.stats[role].samples_lost
        assert lost > 0 and len(b) + lost == stream.sensors[role].n_samples
        # every decoded sample keeps its true index, so its true time
        err_ms = (b.t_s - stream.clocks[role].sample_time_s(b.index)) * 1e3
        assert np.abs(err_ms[len(err_ms) // 2 :]).max() < 40.0


def test_winkmon_sensors_are_the_simulators_own_frames() -> None:
    stream = SimStream(SimConfig(seed=4), SCRIPT)
    streams = kind_session(stream, "winkmon")
    assert {s.started.decoder for s in streams.values()} == {"winkmon"}
    assert all(s.sent >= len(s.payloads) > 0 for s in streams.values())


def test_an_unknown_kind_is_a_one_line_error() -> None:
    with pytest.raises(WinkmonError, match="unknown sensor kind 'fitbit'"):
        kind_session(SimStream(SimConfig(seed=4), SCRIPT), "fitbit")
