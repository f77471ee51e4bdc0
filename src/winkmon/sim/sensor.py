"""A virtual sensor's firmware and radio link: samples in, DATA notifications out.

Device clock
------------
Each sensor has its own microsecond clock (:class:`SimClock`): it reads ``t_dev0_us`` when the
stream starts at session time ``start_s`` and runs fast by ``drift_ppm``. The IMU samples on
that clock: sample ``k`` is taken at device time ``t_dev0_us + k * 1e6 / rate_hz``, which is
session (host) time ``start_s + k / (rate_hz * (1 + drift_ppm * 1e-6))``. Frames carry the
device time rounded to a microsecond, modulo 2^32.

A loop-driven acquisition box (``SimConfig.with_box_timing``) samples less regularly: its loop
sometimes stalls (``stall_prob`` per sample, ``stall_ms`` long) and the stalled sample and every
later one come that much later (:class:`SampleJitter`); with ``clock_ms`` its clock counts whole
milliseconds, so a sample's stamp is its device time floored to 1 ms (sometimes read 1 ms late,
``late_stamp_prob``), sent on the wire in us (a multiple of 1000 until the u32 wraps).

Firmware
--------
Full frames (ATT MTU - 3 >= 28) carry ``B = min(max_batch, (mtu - 3 - 16) // sample_bytes,
flush_ms * rate_hz // 1000)`` samples each (at least 1), and one anchor (``n = 0``) is sent
right after START. At smaller MTUs every sample goes in its own compact frame, with an anchor
before every ``rate_hz``-th sample (once a second) and right after START. A firmware FIFO
overflow (``fifo_overflow_prob``) loses one batch: no notification, no seq, the index jumps and
the next full frame carries ``FIFO_OVERFLOW``.

Radio
-----
A notification is sent after its last sample (0.3 ms processing), waits for the next BLE
connection event, sometimes for one or two more (retransmissions), then for the host stack
(``host_delay_ms``). Host receive times are made non-decreasing per sensor. Notifications are
lost at random (``drop_prob``), in bursts (``bursts_per_min``) and, optionally, for a dropout of
``dropout_s`` seconds; a lost notification still used its seq number.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from winkmon.protocol.constants import (
    FULL_HEADER_BYTES,
    MAG_LSB_UT,
    SAMPLE_BYTES_6D,
    SAMPLE_BYTES_9D,
    Capability,
    FrameFlags,
    FrameType,
    Role,
    acc_lsb_m_s2,
    gyr_lsb_rad_s,
)
from winkmon.protocol.frames import DataFrame, quantize
from winkmon.protocol.records import SensorInfo, StartParams
from winkmon.sim._keyed import BLOCK, KeyedStream
from winkmon.sim.config import SimConfig
from winkmon.sim.imu import ImuModel, SimMount
from winkmon.sim.kinematics import BodyMotion
from winkmon.sim.rotation import FloatArray

IntArray = npt.NDArray[np.int64]

_PROCESSING_S = 0.3e-3
_U32 = 1 << 32


@dataclass(frozen=True, slots=True)
class SampleJitter:
    """Irregular sampling of a loop-driven box: cumulative stalls and late ms stamps.

    Random draws are keyed by sample index (blocks of :data:`~winkmon.sim._keyed.BLOCK`), so
    any chunking of a session sees the same timing.
    """

    key: tuple[int, ...]  #: seeds the draws (config seed, role)
    stall_prob: float  #: chance the loop stalls just before a sample
    stall_us: tuple[float, float]  #: stall length range, device-clock microseconds
    late_prob: float  #: chance a sample's ms stamp reads 1 ms late (that sample only)

    def _block(self, blk: int) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        return _jitter_block(self.key, self.stall_prob, self.stall_us, self.late_prob, blk)

    def _before_block(self, blk: int) -> float:
        """Total stall time (us) of blocks ``0 .. blk - 1``."""
        if self not in _JITTER_PREFIX and len(_JITTER_PREFIX) >= 64:
            _JITTER_PREFIX.clear()
        done = _JITTER_PREFIX.setdefault(self, [0.0])
        while len(done) <= blk:
            done.append(done[-1] + float(self._block(len(done) - 1)[0][-1]))
        return done[blk]

    def delay_us(self, index: npt.ArrayLike) -> FloatArray:
        """Stall time (us) accumulated up to and including samples ``index`` (>= 0)."""
        k = np.asarray(index, dtype=np.int64)
        out = np.zeros(k.shape)
        if self.stall_prob <= 0.0 or k.size == 0:
            return out
        blocks = k // BLOCK
        for blk in np.unique(blocks):
            sel = blocks == blk
            cum, _ = self._block(int(blk))
            out[sel] = self._before_block(int(blk)) + cum[k[sel] - blk * BLOCK]
        return out

    def late(self, index: npt.ArrayLike) -> IntArray:
        """1 where sample ``index``'s stamp reads 1 ms late, else 0."""
        k = np.asarray(index, dtype=np.int64)
        out = np.zeros(k.shape, dtype=np.int64)
        if self.late_prob <= 0.0 or k.size == 0:
            return out
        blocks = k // BLOCK
        for blk in np.unique(blocks):
            sel = blocks == blk
            out[sel] = self._block(int(blk))[1][k[sel] - blk * BLOCK]
        return out


_JITTER_PREFIX: dict[SampleJitter, list[float]] = {}


@functools.lru_cache(maxsize=64)
def _jitter_block(
    key: tuple[int, ...],
    stall_prob: float,
    stall_us: tuple[float, float],
    late_prob: float,
    blk: int,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Cumulative stall time (us) within block ``blk`` and its late-stamp flags."""
    u = np.random.default_rng([*key, blk]).random((BLOCK, 3))
    lo, hi = stall_us
    stall = np.where(u[:, 0] < stall_prob, lo + (hi - lo) * u[:, 1], 0.0)
    return np.cumsum(stall), u[:, 2] < late_prob


@dataclass(frozen=True, slots=True)
class SimClock:
    """A sensor's device clock against the session (host) clock; see the module docstring."""

    start_s: float  #: session time of sample 0 (the stream starts)
    t_dev0_us: int  #: device clock at sample 0, microseconds (unwrapped; frames send it mod 2^32)
    drift_ppm: float  #: the device clock runs fast by this many parts per million
    rate_hz: int  #: sample rate, in device-clock hertz
    clock_ms: bool = False  #: the clock counts whole ms (stamps and TIME_SYNC floored to 1 ms)
    jitter: SampleJitter | None = None  #: irregular sampling; None: exactly 1 / rate_hz apart

    def _due_us(self, index: npt.ArrayLike) -> FloatArray:
        """Device time of samples ``index`` after ``t_dev0_us`` (us, not rounded)."""
        k = np.asarray(index, dtype=np.float64)
        due = k * 1e6 / self.rate_hz
        if self.jitter is not None:
            due = due + self.jitter.delay_us(np.asarray(index, dtype=np.int64))
        return due

    def device_us(self, t_s: npt.ArrayLike) -> FloatArray:
        """Unwrapped device clock reading (us) at session times ``t_s``."""
        t = np.asarray(t_s, dtype=np.float64)
        return self.t_dev0_us + (t - self.start_s) * 1e6 * (1.0 + self.drift_ppm * 1e-6)

    def session_s(self, device_us: npt.ArrayLike) -> FloatArray:
        """Session time (s) at which the unwrapped device clock reads ``device_us``."""
        d = np.asarray(device_us, dtype=np.float64)
        return self.start_s + (d - self.t_dev0_us) / (1e6 * (1.0 + self.drift_ppm * 1e-6))

    def sample_time_s(self, index: npt.ArrayLike) -> FloatArray:
        """Session (true) time of samples ``index``."""
        if self.jitter is None:
            k = np.asarray(index, dtype=np.float64)
            return self.start_s + k / (self.rate_hz * (1.0 + self.drift_ppm * 1e-6))
        return self.start_s + self._due_us(index) * 1e-6 / (1.0 + self.drift_ppm * 1e-6)

    def sample_device_us(self, index: npt.ArrayLike) -> IntArray:
        """Unwrapped device timestamp (us) of samples ``index``: rounded, or floored to 1 ms."""
        due = self._due_us(index)
        if not self.clock_ms:
            return self.t_dev0_us + np.rint(due).astype(np.int64)
        ms = np.floor((self.t_dev0_us + due) * 1e-3).astype(np.int64)
        if self.jitter is not None:
            ms = ms + self.jitter.late(np.asarray(index, dtype=np.int64))
        return ms * 1000

    def samples_before(self, t_s: float) -> int:
        """Number of samples (from index 0) taken before session time ``t_s``."""
        x = (t_s - self.start_s) * self.rate_hz * (1.0 + self.drift_ppm * 1e-6)
        n = max(0, int(np.ceil(x)))
        if self.jitter is None or n == 0:
            return n
        # Stalls only delay samples, so n is an upper bound; no sample before ``n`` is delayed
        # more than sample ``n``, so every sample before ``lo`` is taken before ``t_s``.
        behind = float(self.jitter.delay_us(n)) * 1e-6 * self.rate_hz
        lo = max(0, int(np.floor(x - behind)) - 2)
        times = self.sample_time_s(np.arange(lo, n + 1))
        return lo + int(np.searchsorted(times, t_s, side="left"))

    def time_sync_us(self, t_s: float) -> int:
        """What the device answers to TIME_SYNC handled at session time ``t_s`` (u32)."""
        if self.clock_ms:
            return int(np.floor(self.device_us(t_s) * 1e-3)) * 1000 % _U32
        return int(np.rint(self.device_us(t_s))) % _U32


@dataclass(frozen=True, slots=True)
class SimFrame:
    """One DATA notification as the host receives it."""

    role: Role
    t_host_ns: int  #: host receive time, ns since session start
    payload: bytes  #: the notification's bytes, decodable by ``winkmon.protocol.decode_frame``


@dataclass(slots=True)
class SimLinkStats:
    """What the firmware and the link did to a sensor's notifications (counts so far)."""

    notifications: int = 0  #: notifications the firmware sent (each took a seq number)
    delivered: int = 0  #: notifications the host received
    ble_dropped: int = 0  #: sent but lost on the air (random, bursts, dropout)
    fifo_lost_batches: int = 0  #: batches the firmware lost before sending (no seq number)


def sensor_info(role: Role, seed: int) -> SensorInfo:
    """The INFO record a simulated sensor reports."""
    caps = (
        Capability.MAGNETOMETER
        | Capability.HAPTIC
        | Capability.LED
        | Capability.TIME_SYNC
        | Capability.COMPACT_FRAMES
    )
    return SensorInfo(
        protocol_version=1,
        fw_version=(1, 0, 0),
        capabilities=caps,
        max_rate_hz=1000,
        acc_ranges_mask=0x0F,
        gyr_ranges_mask=0x1F,
        mag_lsb_nT=100,
        role=role,
        imu_part="SIM-BMI270",
        serial=f"SIM{role.label[0].upper()}{seed & 0xFFFFFFFF:08X}",
    )


class SimSensor:
    """One simulated sensor: IMU samples, firmware framing, radio link, in time order.

    :meth:`advance` returns the notifications whose samples exist by a given session time, in
    send (= seq) order, each stamped with its host receive time (which may be later).
    """

    def __init__(
        self,
        role: Role,
        config: SimConfig,
        body: BodyMotion,
        mount: SimMount,
        clock: SimClock,
        duration_s: float,
    ) -> None:
        self.role = role
        self.config = config
        self.body = body
        self.clock = clock
        self.duration_s = duration_s
        rate = clock.rate_hz
        self.imu = ImuModel(config, mount, rate)
        room = config.mtu - 3
        self.compact = room < FULL_HEADER_BYTES + SAMPLE_BYTES_6D
        self.with_mag = (
            config.mag_on and not self.compact and room >= FULL_HEADER_BYTES + SAMPLE_BYTES_9D
        )
        sample_bytes = SAMPLE_BYTES_9D if self.with_mag else SAMPLE_BYTES_6D
        self.batch = (
            1
            if self.compact
            else max(
                1,
                min(
                    config.max_batch,
                    (room - FULL_HEADER_BYTES) // sample_bytes,
                    config.flush_ms * rate // 1000,
                ),
            )
        )
        self.anchor_every = rate  # compact mode: an anchor before every rate-th sample (1 s)
        self.start_params = StartParams(
            rate_hz=rate,
            acc_range=config.acc_range,
            gyr_range=config.gyr_range,
            mag_on=self.with_mag,
            max_batch=config.max_batch,
            flush_ms=config.flush_ms,
        )
        self.info = sensor_info(role, config.seed)
        self.n_samples = clock.samples_before(duration_s)
        while self.n_samples and clock.sample_time_s(self.n_samples - 1) >= duration_s:
            self.n_samples -= 1
        self.stats = SimLinkStats()
        rng = np.random.default_rng([config.seed, 0xB0, int(role)])
        self.conn_phase_s = float(rng.uniform(0.0, config.conn_interval_ms * 1e-3))
        self._outages = self._draw_outages(rng)
        self._link = KeyedStream((config.seed, 0x11E, int(role)), 5, normal=False)
        self._acc_lsb = acc_lsb_m_s2(config.acc_range)
        self._gyr_lsb = gyr_lsb_rad_s(config.gyr_range)
        self._m_next = 0  # next notification number (counts FIFO-lost batches too)
        self._k_done = 0  # samples generated so far
        self._fifo_lost = 0
        self._overflow_pending = False
        self._last_host_ns = -1

    # ------------------------------------------------------------------ planning
    def _draw_outages(self, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        cfg = self.config
        n = int(rng.poisson(cfg.bursts_per_min * self.duration_s / 60.0))
        starts = rng.uniform(0.0, self.duration_s, n)
        ends = starts + rng.uniform(*cfg.burst_s, n)
        if cfg.dropout_s > 0 and cfg.dropout_role is self.role:
            t0 = float(rng.uniform(0.3, 0.6)) * self.duration_s
            starts = np.append(starts, t0)
            ends = np.append(ends, t0 + cfg.dropout_s)
        order = np.argsort(starts)
        return starts[order], np.maximum.accumulate(ends[order])

    @property
    def outages_s(self) -> list[tuple[float, float]]:
        """Intervals (session time) in which every notification is lost (bursts, dropout)."""
        starts, ends = self._outages
        return [(float(a), float(b)) for a, b in zip(starts, ends, strict=True)]

    def _in_outage(self, t: FloatArray) -> npt.NDArray[np.bool_]:
        starts, ends = self._outages
        if starts.size == 0:
            return np.zeros(t.shape, dtype=bool)
        i = np.searchsorted(starts, t, side="right") - 1
        return (i >= 0) & (t < ends[np.maximum(i, 0)])

    def _layout(self, m: IntArray) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_]]:
        """First sample index, sample count and anchor flag of notifications ``m``."""
        if self.compact:
            period = self.anchor_every + 1
            p, r = m // period, m % period
            anchor = r == 0
            first = p * self.anchor_every + np.where(anchor, 0, r - 1)
            return first, np.where(anchor, 0, 1), anchor
        anchor = m == 0
        first = np.where(anchor, 0, (m - 1) * self.batch)
        n = np.where(anchor, 0, np.minimum(self.batch, self.n_samples - first))
        return first, n, anchor

    def _ready(self, n_samples: int, final: bool) -> int:
        """How many notifications can be sent once ``n_samples`` samples exist."""
        if self.compact:
            return n_samples + n_samples // self.anchor_every + 1
        extra = 1 if final and n_samples % self.batch else 0
        return 1 + n_samples // self.batch + extra

    def samples_before(self, t_s: float) -> int:
        """Number of samples taken before session time ``t_s``."""
        return min(self.clock.samples_before(t_s), self.n_samples)

    # ------------------------------------------------------------------ output
    def advance(self, t_s: float) -> list[SimFrame]:
        """Notifications sendable by session time ``t_s`` (all of them once past the end)."""
        final = t_s >= self.duration_s
        k_ready = self.n_samples if final else self.samples_before(t_s)
        m1 = self._ready(k_ready, final)
        if m1 <= self._m_next:
            return []
        m = np.arange(self._m_next, m1, dtype=np.int64)
        self._m_next = m1
        first, n, anchor = self._layout(m)
        k0, k1 = self._k_done, int(np.max(first + n))
        raw, clip_acc, clip_gyr = self._samples(k0, k1)
        self._k_done = max(k1, k0)
        cfg = self.config
        u = self._link.take(int(m[0]), int(m[-1]) + 1)
        lost = ~anchor & (u[:, 0] < cfg.fifo_overflow_prob)
        lost_before = self._fifo_lost + np.cumsum(lost) - lost
        self._fifo_lost += int(np.sum(lost))
        seq = (m - lost_before) & 0xFFFF
        last = first + n - 1
        t_send = (
            np.where(last >= 0, self.clock.sample_time_s(np.maximum(last, 0)), self.clock.start_s)
            + _PROCESSING_S
        )
        dropped = (u[:, 1] < cfg.drop_prob) | self._in_outage(t_send)
        ci = cfg.conn_interval_ms * 1e-3
        event = self.conn_phase_s + np.ceil((t_send - self.conn_phase_s) / ci) * ci
        retx = (u[:, 2] < cfg.retransmit_prob) * (1 + (u[:, 3] < 0.3))
        lo, hi = cfg.host_delay_ms
        t_arrive = event + retx * ci + (lo + (hi - lo) * u[:, 4]) * 1e-3
        t_dev = self.clock.sample_device_us(first) % _U32
        clip_a = np.concatenate([[0], np.cumsum(clip_acc)])
        clip_g = np.concatenate([[0], np.cumsum(clip_gyr)])
        base_flags = FrameFlags.MAG_PRESENT if self.with_mag else FrameFlags.NONE
        width = 9 if self.with_mag else 6
        out: list[SimFrame] = []
        st = self.stats
        for i in range(m.shape[0]):
            if lost[i]:
                self._overflow_pending = True
                st.fifo_lost_batches += 1
                continue
            st.notifications += 1
            a, b = int(first[i]) - k0, int(first[i] + n[i]) - k0
            if self.compact and not anchor[i]:
                frame = DataFrame(
                    FrameType.DATA_COMPACT,
                    self.role,
                    int(seq[i]),
                    int(first[i]) & 0xFFFF,
                    None,
                    None,
                    None,
                    FrameFlags.NONE,
                    raw[a:b, :6],
                )
            else:
                flags = base_flags
                if clip_a[b] > clip_a[a]:
                    flags |= FrameFlags.ACC_CLIP
                if clip_g[b] > clip_g[a]:
                    flags |= FrameFlags.GYR_CLIP
                if self._overflow_pending:
                    flags |= FrameFlags.FIFO_OVERFLOW
                    self._overflow_pending = False
                samples = raw[a:b, :width] if b > a else np.zeros((0, width), np.int16)
                if anchor[i]:
                    flags &= ~FrameFlags.MAG_PRESENT
                    samples = np.zeros((0, 6), np.int16)
                frame = DataFrame(
                    FrameType.DATA,
                    self.role,
                    int(seq[i]),
                    int(first[i]) & 0xFFFFFFFF,
                    int(t_dev[i]),
                    cfg.acc_range,
                    cfg.gyr_range,
                    flags,
                    samples,
                )
            if dropped[i]:
                st.ble_dropped += 1
                continue
            t_ns = max(round(float(t_arrive[i]) * 1e9), self._last_host_ns)
            self._last_host_ns = t_ns
            st.delivered += 1
            out.append(SimFrame(self.role, t_ns, bytes(frame)))
        return out

    def _samples(
        self, k0: int, k1: int
    ) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Quantised samples ``[k0, k1)`` as (n, 9) int16, and per-sample clip flags."""
        if k1 <= k0:
            return np.zeros((0, 9), np.int16), np.zeros(0, bool), np.zeros(0, bool)
        t = self.clock.sample_time_s(np.arange(k0, k1))
        acc, gyr, mag = self.imu.measure(self.body, t, k0)
        qa = quantize(acc, self._acc_lsb)
        qg = quantize(gyr, self._gyr_lsb)
        qm = quantize(mag, MAG_LSB_UT)
        clip_a = np.any((qa == 32767) | (qa == -32768), axis=1)
        clip_g = np.any((qg == 32767) | (qg == -32768), axis=1)
        return np.hstack([qa, qg, qm]), clip_a, clip_g
