"""A simulated session as a sensor of any kind would deliver it: the kind's own framing, rate
and timing, with a model of the BLE link in place of the radio (fast: for benches).

:func:`kind_session` takes a simulated session (:class:`~winkmon.sim.session.SimStream`) and
gives, per sensor, the :class:`~winkmon.session.contract.StreamStarted` the kind's driver
would send and the DATA notifications with their host arrival times, ready for the one
:class:`~winkmon.session.session.Session` (which decodes them with the kind's registered
decoder). For ``winkmon`` sensors these are the simulator's own frames. For a vendor kind:

- **samples**: the simulator's IMU model measured at the kind's rate on the sensor's drifting
  device clock (so noise, bias and mounts are the simulator's, per session seed);
- **framing**: the kind's emulator (:mod:`winkmon.drivers`'s ``emulator.py``) frames them with
  its own ``send_samples``, in its own batches (it wakes every ``notify_interval_s`` and sends
  what is due), with its quantisation and device time stamps; nothing is rewritten here;
- **link**: each notification leaves at the next connection event (the session's
  ``conn_interval_ms``; the MetaMotion driver asks for 7.5 ms), 3 % need one or two more
  events, the host stack adds 2-8 ms, and notifications are lost at random and in the
  session's loss bursts (the same intervals as the winkmon sensor's). Host-timed kinds get no
  device time: their decoders count samples and fit the arrivals.

Not modelled: how many notifications a connection event carries (the link never saturates),
a real device's sample-instant jitter, and the vendors' on-board filters.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from winkmon.drivers import KINDS, WINKMON_KIND, device_kind
from winkmon.protocol.constants import Role
from winkmon.session.contract import NotificationBlock, SourceEvent, StreamStarted
from winkmon.sim.config import SimConfig
from winkmon.sim.session import ROLES, SimStream
from winkmon.virtual.source import ImuSamples
from winkmon.virtual.vendor import VendorEmulator

_U32 = 1 << 32
_ATT_MTU = 247  #: the MTU the drivers ask for
#: The connection interval the MetaMotion driver asks for (its packed mode needs it), ms.
METAMOTION_INTERVAL_MS = 7.5
#: Polar's device clock: ns since 2000-01-01; the emulated one starts in 2026.
_POLAR_EPOCH_NS = 820_454_400 * 1_000_000_000


@dataclass(frozen=True, slots=True, eq=False)
class KindStream:
    """One sensor's stream: how it started and its DATA notifications in arrival order."""

    started: StreamStarted
    t_host_ns: list[int]
    payloads: list[bytes]
    sent: int  #: notifications the sensor sent (some were lost on the way)


def kind_config(config: SimConfig, kind: str) -> SimConfig:
    """``config`` for sensors of ``kind``: the kind's live rate; vendor sensors sample on a
    regular device clock (the acquisition box's ms clock and stalls are winkmon's model of a
    loop-driven box, not of these devices)."""
    if kind == WINKMON_KIND:
        return config
    rate = round(device_kind(kind).rate_hz)
    return replace(
        config,
        sacrum_rate_hz=rate,
        lumbar_rate_hz=rate,
        clock_ms=False,
        stall_prob=0.0,
        late_stamp_prob=0.0,
    )


def kind_session(stream: SimStream, kind: str) -> dict[Role, KindStream]:
    """Both sensors of ``stream`` as sensors of ``kind`` (``stream`` was made with
    :func:`kind_config`; see the module doc)."""
    if kind not in KINDS:
        device_kind(kind)  # the one-line error naming the known kinds
    if kind == WINKMON_KIND:
        return _winkmon_streams(stream)
    return {role: _vendor_stream(stream, role, kind) for role in ROLES}


def session_events(streams: Mapping[Role, KindStream], chunk: int = 8192) -> list[SourceEvent]:
    """The streams as source events: each StreamStarted, then the notifications of both
    sensors merged in arrival order (ties: sacrum first), in blocks of ``chunk``."""
    events: list[SourceEvent] = [s.started for s in streams.values()]
    merged = sorted(
        (t, int(role), i, p)
        for role, s in streams.items()
        for i, (t, p) in enumerate(zip(s.t_host_ns, s.payloads, strict=True))
    )
    for a in range(0, len(merged), chunk):
        part = merged[a : a + chunk]
        events.append(
            NotificationBlock([m[1] for m in part], [m[0] for m in part], [m[3] for m in part])
        )
    return events


# ---------------------------------------------------------------------------------- winkmon
def _winkmon_streams(stream: SimStream) -> dict[Role, KindStream]:
    frames: dict[Role, tuple[list[int], list[bytes]]] = {r: ([], []) for r in ROLES}
    for chunk in stream.chunks(30.0):
        for f in chunk:
            frames[f.role][0].append(f.t_host_ns)
            frames[f.role][1].append(f.payload)
    return {
        r: KindStream(
            StreamStarted(r, 0, KINDS[WINKMON_KIND].decoder, float(stream.config.rate_hz(r))),
            frames[r][0],
            frames[r][1],
            stream.link_stats[r].notifications,
        )
        for r in ROLES
    }


# ---------------------------------------------------------------------------------- vendors
class _Capture:
    """Mixed into an emulator: notifications are kept, not sent; the ATT MTU is the drivers'."""

    captured: list[bytes]

    async def notify(self, char: object, value: bytes, data: bool) -> None:
        if data:
            self.captured.append(bytes(value))

    @property
    def mtu_payload(self) -> int:
        return _ATT_MTU - 3


def _setup_polar(emu: Any, rate_hz: float) -> dict[str, object]:
    from winkmon.drivers.polar_verity import emulator as pe
    from winkmon.drivers.polar_verity import protocol as pmd

    emu.sdk_mode = True
    emu.active = {pmd.Measurement.ACC: pe.ACC_FACTOR, pmd.Measurement.GYRO: pe.GYRO_FACTOR}
    return {
        "rate_hz": rate_hz,
        "acc_range_g": 8,
        "gyro_range_dps": 2000,
        "acc_factor": pe.ACC_FACTOR,
        "gyro_factor": pe.GYRO_FACTOR,
        "sdk_mode": True,
    }


def _setup_metamotion(emu: Any, rate_hz: float) -> dict[str, object]:
    from winkmon.drivers.metamotion import protocol as mw

    emu.acc_config = mw.acc_config(rate_hz, 8, emu.chip)
    emu.gyro_config = mw.gyro_config(rate_hz, 2000)
    return {
        "rate_hz": rate_hz,
        "acc_range_g": 8,
        "gyro_range_dps": 2000,
        "packed": True,
        "chip": emu.chip.name,
    }


def _setup_witmotion(emu: Any, rate_hz: float) -> dict[str, object]:
    return {"rate_hz": rate_hz, "acc_range_g": 16, "gyro_range_dps": 2000}


def _setup_dot(emu: Any, rate_hz: float) -> dict[str, object]:
    from winkmon.drivers.movella_dot import protocol as dot

    emu.output_rate_hz = round(rate_hz)
    return {"rate_hz": round(rate_hz), "mode": dot.MODE_RATE_QUANTITIES}


#: Per vendor kind: put its emulator in the streaming state its driver sets up; returns the
#: stream parameters the driver would send with StreamStarted.
_SETUP: dict[str, Callable[[Any, float], dict[str, object]]] = {
    "polar-verity": _setup_polar,
    "metamotion": _setup_metamotion,
    "witmotion": _setup_witmotion,
    "movella-dot": _setup_dot,
}


def _run_now(coro: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never waits (the emulator's framing with a capturing notify)."""
    try:
        coro.send(None)
    except StopIteration:
        return
    coro.close()
    raise RuntimeError("the emulator's framing waited for something")


def _emulator(kind: str) -> VendorEmulator:
    from bumble.device import Device

    base = device_kind(kind).emulator_class()
    cls = type(f"Capturing{base.__name__}", (_Capture, base), {})
    emu: VendorEmulator = cls(Device(), source=None)
    emu.captured = []  # type: ignore[attr-defined]
    return emu


def _vendor_stream(stream: SimStream, role: Role, kind: str) -> KindStream:
    spec = device_kind(kind)
    cfg = stream.config
    sensor = stream.sensors[role]
    clock = stream.clocks[role]
    rate = float(clock.rate_hz)
    if abs(rate - spec.rate_hz) > 0.5:
        raise ValueError(f"the stream samples at {rate:g} Hz, {kind} at {spec.rate_hz:g} Hz")
    n = sensor.n_samples
    t_true = clock.sample_time_s(np.arange(n))
    acc, gyr, _ = sensor.imu.measure(stream.body, t_true, 0)

    emu = _emulator(kind)
    emu.rate_hz = rate
    params = _SETUP[kind](emu, rate)
    captured: list[bytes] = emu.captured  # type: ignore[attr-defined]
    dev0_ns = clock.t_dev0_us * 1000 + (_POLAR_EPOCH_NS if kind == "polar-verity" else 0)
    period_ns = 1e9 / rate

    # The emulator's sampling loop, on the host clock: wake, send what is due, in batches.
    wake_s = float(emu.notify_interval_s)
    batch = emu.batch_size()
    sent = 0
    t_send: list[float] = []
    wake = clock.start_s
    while n - sent >= max(1, batch) and wake <= stream.duration_s + 1.0:
        wake += wake_s
        due = min(n, clock.samples_before(wake))
        while due - sent >= max(1, batch):
            m = batch if batch > 0 else due - sent
            before = len(captured)
            samples = ImuSamples(acc[sent : sent + m], gyr[sent : sent + m])
            _run_now(emu.send_samples(sent, samples, dev0_ns + round(sent * period_ns)))
            t_send.extend([wake] * (len(captured) - before))
            sent += m
    arrive_ns, keep = _link(cfg, kind, role, np.asarray(t_send), sensor.outages_s)
    started = StreamStarted(role, 0, spec.decoder, rate, params, address=f"sim-{kind}")
    return KindStream(
        started,
        [int(t) for t, k in zip(arrive_ns, keep, strict=True) if k],
        [p for p, k in zip(captured, keep, strict=True) if k],
        len(captured),
    )


def _link(
    cfg: SimConfig,
    kind: str,
    role: Role,
    t_send_s: np.ndarray,
    outages_s: list[tuple[float, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """Host arrival times (ns, non-decreasing) of notifications sent at ``t_send_s``, and
    which arrive (see the module doc)."""
    salt = sum(kind.encode())
    rng = np.random.default_rng([cfg.seed, 0xB1E, salt, int(role)])
    interval_ms = METAMOTION_INTERVAL_MS if kind == "metamotion" else cfg.conn_interval_ms
    ci = interval_ms * 1e-3
    phase = float(rng.uniform(0.0, ci))
    m = t_send_s.shape[0]
    u = rng.uniform(size=(m, 4))
    event = phase + np.ceil((t_send_s - phase) / ci) * ci
    retx = (u[:, 0] < cfg.retransmit_prob) * (1 + (u[:, 1] < 0.3))
    lo, hi = cfg.host_delay_ms
    t_arrive = event + retx * ci + (lo + (hi - lo) * u[:, 2]) * 1e-3
    keep = u[:, 3] >= cfg.drop_prob
    for a, b in outages_s:
        keep &= ~((t_send_s >= a) & (t_send_s < b))
    arrive_ns = np.maximum.accumulate(np.round(t_arrive * 1e9)).astype(np.int64)
    return arrive_ns, keep


__all__ = [
    "METAMOTION_INTERVAL_MS",
    "KindStream",
    "kind_config",
    "kind_session",
    "session_events",
]
