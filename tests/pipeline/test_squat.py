"""The rep tracker on what real sets look like: back to back, no stand, offsets, pauses.

The pelvis's height is written down rep by rep (cosine descents and ascents, optional pauses
at the bottom and top), differentiated twice into the vertical acceleration the tracker sees,
and spoiled as real sensors spoil it: a constant offset, white noise. The reps' times and
depths are known exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from winkmon.errors import WinkmonError
from winkmon.pipeline.events import Alert, Rep, RepStarted, Verdict
from winkmon.pipeline.model import AthleteModel, Mount, Thresholds
from winkmon.pipeline.offline import run_batches
from winkmon.pipeline.pipeline import Pipeline
from winkmon.pipeline.squat import SquatTracker
from winkmon.protocol.constants import Role
from winkmon.samples import SampleBatch

RATE = 100.0


def height_track(
    reps: list[tuple[float, float, float, float]], lead_s: float, tail_s: float
) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float, float, float]]]:
    """Pelvis height (m) for reps of (descent s, bottom pause s, ascent s, depth m), back to
    back. Returns time, height and each rep's (start, bottom, end, depth)."""
    pieces = [np.zeros(round(lead_s * RATE))]
    truth = []
    t = lead_s
    for down, pause, up, depth in reps:
        d = 0.5 * depth * (1 - np.cos(np.pi * np.arange(round(down * RATE)) / (down * RATE)))
        u = depth - 0.5 * depth * (1 - np.cos(np.pi * np.arange(round(up * RATE)) / (up * RATE)))
        pieces += [-d, np.full(round(pause * RATE), -depth), -u]
        truth.append((t, t + down, t + down + pause + up, depth))
        t += down + pause + up
    pieces.append(np.zeros(round(tail_s * RATE)))
    z = np.concatenate(pieces)
    return np.arange(len(z)) / RATE, z, truth


def pelvis_up(z: np.ndarray, tilt_per_m_deg: float = 60.0) -> np.ndarray:
    """The up axis a sacrum sensor reports when the pelvis tilts forward with depth (about
    25-30 deg in a full squat, as real sets show)."""
    tilt = np.radians(-z * tilt_per_m_deg)
    return np.stack([np.sin(tilt), np.zeros_like(tilt), np.cos(tilt)], axis=1)


def run_tracker(
    t: np.ndarray,
    a: np.ndarray,
    moving: np.ndarray,
    chunk: int = 10**9,
    thresholds: Thresholds | None = None,
    up: np.ndarray | None = None,
) -> list[Rep]:
    tr = SquatTracker(thresholds or Thresholds(), RATE, angle_available=False)
    reps: list[Rep] = []
    gyr = np.where(moving, 0.5, 0.02)
    nan = np.full(len(t), np.nan)
    for i in range(0, len(t), chunk):
        sl = slice(i, i + chunk)
        *_, events = tr.step(
            t[sl], nan[sl], a[sl], gyr[sl], None, up[sl] if up is not None else None
        )
        reps += [e for e in events if isinstance(e, Rep)]
        assert not any(isinstance(e, Alert) for e in events)  # no angle, no alert
    return reps


def spoil(z: np.ndarray, offset: float, noise: float, seed: int) -> np.ndarray:
    a = np.gradient(np.gradient(z, 1 / RATE), 1 / RATE)
    rng = np.random.default_rng(seed)
    return a + offset + rng.normal(0.0, noise, len(a))


def check(
    reps: list[Rep],
    truth: list[tuple[float, float, float, float]],
    tol_cm: float,
    first_tol_cm: float | None = None,
) -> None:
    assert len(reps) == len(truth)
    for i, (rep, (start, _bottom, end, depth)) in enumerate(zip(reps, truth, strict=True)):
        assert start - 0.3 <= rep.bottom_s <= end + 0.3
        assert abs(rep.start_s - start) < 0.5
        assert abs(rep.end_s - end) < 0.6
        tol = first_tol_cm if i == 0 and first_tol_cm is not None else tol_cm
        assert abs(rep.depth_cm - depth * 100) < tol
        assert rep.verdict is Verdict.UNAVAILABLE


@pytest.mark.parametrize("offset", [0.0, 0.25, -0.3])
def test_back_to_back_set_with_no_stand_and_an_offset(offset: float) -> None:
    """Ten reps without rest, starting 0.3 s into the recording, accelerometer offset up to
    0.3 m/s^2 (what real sensors show): every rep, each depth within 5 cm. The first rep
    comes before the offset is known (no still moment): within 12 cm."""
    rng = np.random.default_rng(1)
    plan = [
        (float(rng.uniform(0.8, 1.6)), 0.0, float(rng.uniform(0.7, 1.4)), 0.45) for _ in range(10)
    ]
    t, z, truth = height_track(plan, lead_s=0.3, tail_s=2.0)
    a = spoil(z, offset, 0.15, seed=2)
    moving = np.abs(np.gradient(z, 1 / RATE)) > 1e-3
    check(run_tracker(t, a, moving, up=pelvis_up(z)), truth, tol_cm=5.0, first_tol_cm=12.0)


def test_tempo_pauses_and_partial_reps() -> None:
    """Tempo from 1 to 6 s a rep, pauses at the bottom, partial reps of 25 cm."""
    plan = [
        (3.0, 0.0, 3.0, 0.50),  # 6 s, slow
        (0.5, 0.0, 0.5, 0.40),  # 1 s, fast
        (1.2, 1.0, 1.0, 0.45),  # a paused squat
        (0.8, 0.0, 0.7, 0.25),  # partial
        (0.9, 0.0, 0.8, 0.25),  # partial
        (1.5, 2.0, 1.2, 0.55),  # a long pause at the bottom
        (1.0, 0.0, 1.0, 0.45),
    ]
    t, z, truth = height_track(plan, lead_s=2.0, tail_s=2.0)
    a = spoil(z, 0.1, 0.1, seed=3)
    moving = np.abs(np.gradient(z, 1 / RATE)) > 1e-3
    reps = run_tracker(t, a, moving, up=pelvis_up(z))
    # The slow eccentric's start is vague (0.27 m/s^2 at first, in 0.1 m/s^2 of noise): 8 cm.
    check(reps, truth, tol_cm=6.0, first_tol_cm=8.0)
    partial = [r.depth_cm for r in reps[3:5]]
    assert max(partial) < min(r.depth_cm for r in reps if r not in reps[3:5])
    assert reps[0].end_s - reps[0].start_s > 5.0 and reps[1].end_s - reps[1].start_s < 1.5


def test_sways_steps_and_a_pick_up_are_not_reps() -> None:
    """Shallow movements (a 12 cm pick-up bend, 4 cm steps) give no rep and no number."""
    t, z, _ = height_track([(1.0, 0.8, 1.0, 0.12)], lead_s=2.0, tail_s=2.0)
    steps = 0.02 * np.sin(2 * np.pi * 1.9 * np.arange(round(8 * RATE)) / RATE)
    z = np.concatenate([z, steps, np.zeros(200)])
    t = np.arange(len(z)) / RATE
    tr = SquatTracker(Thresholds(), RATE, angle_available=False)
    *_, events = tr.step(t, np.full(len(t), np.nan), spoil(z, 0.0, 0.05, 4), np.full(len(t), 0.5))
    assert not [e for e in events if isinstance(e, Rep | RepStarted)]


def test_chunking_does_not_change_the_reps() -> None:
    rng = np.random.default_rng(5)
    plan = [(float(rng.uniform(0.8, 2)), 0.3, float(rng.uniform(0.7, 2)), 0.4) for _ in range(6)]
    t, z, _ = height_track(plan, lead_s=1.0, tail_s=1.0)
    a = spoil(z, 0.2, 0.1, seed=6)
    moving = np.abs(np.gradient(z, 1 / RATE)) > 1e-3
    up = pelvis_up(z)
    whole = repr(run_tracker(t, a, moving, up=up))  # repr: NaN fields compare equal
    for chunk in (1, 7, 333):
        assert repr(run_tracker(t, a, moving, chunk=chunk, up=up)) == whole


def test_sacrum_only_pipeline_reports_reps_without_an_angle() -> None:
    """One sensor, no calibration: reps and depth from the whole pipeline; the angle is NaN,
    not zero, and every verdict says it is unavailable. A sensor worn facing into the body
    gives the same reps and depths as one facing out."""
    plan = [(1.0, 0.2, 1.0, 0.45)] * 5
    t_z, z, truth = height_track(plan, lead_s=1.0, tail_s=2.0)
    rate = 200.0
    t = np.arange(0, t_z[-1], 1 / rate)
    a_up = np.interp(t, t_z, np.gradient(np.gradient(z, 1 / RATE), 1 / RATE))
    tilt = np.radians(30.0) * np.interp(t, t_z, -z / 0.45)  # the pelvis tilts as it goes down
    results = []
    for facing_in in (False, True):
        # Sensor frame: gravity along +x at rest (as the real waist sensor), rotated by the
        # pelvic tilt about its y axis; facing in turns the sensor 180 deg about its x axis.
        f_up = np.stack(
            [(9.80665 + a_up) * np.cos(tilt), np.zeros_like(t), (9.80665 + a_up) * np.sin(tilt)],
            axis=1,
        )
        dtilt = np.gradient(tilt, 1 / rate)
        gyr = np.stack([np.zeros_like(t), dtilt, np.zeros_like(t)], axis=1)
        if facing_in:
            flip = np.diag([1.0, -1.0, -1.0])
            f_up, gyr = f_up @ flip, gyr @ flip
        batch = SampleBatch(
            Role.SACRUM,
            np.arange(len(t)),
            np.round(t * 1e6).astype(np.int64),
            t,
            f_up,
            gyr,
            rate_hz=rate,
        )
        pipe = Pipeline(AthleteModel.uncalibrated(), {Role.SACRUM: rate})
        res = run_batches(pipe, [batch])
        reps = res.reps
        assert np.isnan(res.angles.lumbopelvic_deg).all()
        assert not pipe.has_angle
        check(reps, truth, tol_cm=4.0)
        results.append([r.depth_cm for r in reps])
    assert np.allclose(results[0], results[1], atol=0.5)


def test_model_without_a_lumbar_mount_gives_pelvic_tilt_only() -> None:
    model = AthleteModel({Role.SACRUM: Mount()})
    assert not model.has_angle
    assert AthleteModel({Role.SACRUM: Mount(), Role.LUMBAR: Mount()}).has_angle
    with pytest.raises(WinkmonError, match="at least one sensor"):
        Pipeline(model, {})


def test_pelvis_tuck_at_the_bottom_is_measured() -> None:
    """A pelvis that tilts forward 60 deg/m of depth but back by 20 deg over the last 30 % of
    the descent (butt wink seen from the pelvis) tucks 12 deg from its largest forward tilt
    to the bottom; one that does not reads near 0."""
    plan = [(1.2, 0.3, 1.0, 0.45)] * 4
    t, z, _ = height_track(plan, lead_s=1.0, tail_s=2.0)
    a = spoil(z, 0.0, 0.05, seed=7)
    moving = np.abs(np.gradient(z, 1 / RATE)) > 1e-3
    up_plain = pelvis_up(z)
    # the same, but the last 30 % of each descent tilts the pelvis back by 20 deg
    depth = -z / 0.45
    back = np.radians(20.0) * np.clip((depth - 0.7) / 0.3, 0.0, 1.0)
    tilt = np.radians(-z * 60.0) - back
    up_tuck = np.stack([np.sin(tilt), np.zeros_like(tilt), np.cos(tilt)], axis=1)
    plain = run_tracker(t, a, moving, up=up_plain)
    tucked = run_tracker(t, a, moving, up=up_tuck)
    assert len(plain) == len(tucked) == 4
    assert all(r.pelvis_tuck_deg is not None and r.pelvis_tuck_deg < 2.0 for r in plain)
    assert all(r.pelvis_tuck_deg is not None and 10.0 < r.pelvis_tuck_deg < 14.0 for r in tucked)


def test_a_rep_whose_bottom_was_not_seen_is_unknown_not_ok() -> None:
    """The angle missing for 0.5 s at the bottom (a loss burst, where a wink would peak):
    the verdict is `unknown`; seen throughout, the same rep is `ok`."""
    t, z, truth = height_track([(1.2, 0.4, 1.0, 0.45)], lead_s=2.0, tail_s=2.0)
    a = spoil(z, 0.0, 0.05, seed=8)
    moving = np.abs(np.gradient(z, 1 / RATE)) > 1e-3
    gyr = np.where(moving, 0.5, 0.02)
    angle = np.full(len(t), -10.0)
    verdicts = []
    for hide in (False, True):
        ang = angle.copy()
        if hide:
            bottom = truth[0][1] + 0.2
            ang[(t > bottom - 0.25) & (t < bottom + 0.25)] = np.nan
        tr = SquatTracker(Thresholds(), RATE)
        *_, events = tr.step(t, ang, a, gyr, None, pelvis_up(z))
        reps = [e for e in events if isinstance(e, Rep)]
        assert len(reps) == 1
        verdicts.append(reps[0].verdict)
    assert verdicts == [Verdict.OK, Verdict.UNKNOWN]


@pytest.mark.parametrize("offset", [-0.15, -0.3, 0.25])
def test_flexion_onset_is_never_deeper_than_the_rep(offset: float) -> None:
    """The onset's depth is the live estimate, the rep's the refined top-to-top one: with an
    accelerometer offset the live one runs deeper (up to 10 cm here before the clip), but the
    back cannot turn deeper than the rep went."""
    t, z, truth = height_track([(1.2, 0.3, 1.0, 0.36)] * 5, 3.0, 3.0)
    a = spoil(z, offset, 0.05, seed=2)
    angle = np.where(z < -0.30, 8.0, -8.0)  # into flexion near the bottom of every rep
    gyr = np.where(np.abs(np.gradient(z)) > 1e-5, 0.5, 0.02)
    tracker = SquatTracker(Thresholds(), RATE, angle_available=True)
    *_, events = tracker.step(t, angle, a, gyr, None, pelvis_up(z))
    reps = [e for e in events if isinstance(e, Rep)]
    assert len(reps) == len(truth)
    for rep in reps:
        assert rep.verdict is Verdict.FLEXION and rep.flexion_onset_depth_cm is not None
        assert 20.0 < rep.flexion_onset_depth_cm <= rep.depth_cm


def test_every_output_is_the_same_however_chunked_with_lost_data_and_angles() -> None:
    """Depth, phase, zone and every event (alerts too) are the same fed sample by sample, in
    odd chunks or whole: with an angle crossing the zones, the sacrum's data lost for a while
    (the lumbar sensor stands in), and both lost for a moment."""
    rng = np.random.default_rng(11)
    plan = [(float(rng.uniform(0.8, 2)), 0.3, float(rng.uniform(0.7, 2)), 0.45) for _ in range(8)]
    t, z, _ = height_track(plan, lead_s=2.0, tail_s=2.0)
    a = spoil(z, 0.15, 0.08, seed=12)
    alt = spoil(z, -0.1, 0.08, seed=13)
    a[700:760] = np.nan  # sacrum lost: lumbar stands in
    a[1200:1230] = np.nan
    alt[1200:1230] = np.nan  # both lost
    gyr = np.where(np.abs(np.gradient(z, 1 / RATE)) > 1e-3, 0.5, 0.02)
    angle = -20.0 + 60.0 * (-z) + rng.normal(0, 0.3, len(z))  # flexes at depth
    angle[400:420] = np.nan
    up = pelvis_up(z)

    def run(chunks: list[int]) -> tuple:
        tr = SquatTracker(Thresholds(), RATE, angle_available=True)
        outs = []
        i = 0
        for k in chunks:
            sl = slice(i, i + k)
            outs.append(tr.step(t[sl], angle[sl], a[sl], gyr[sl], alt[sl], up[sl]))
            i += k
        assert i >= len(t)
        depth = np.concatenate([o[0] for o in outs])
        phase = np.concatenate([o[1] for o in outs])
        zone = np.concatenate([o[2] for o in outs])
        events = [e for o in outs for e in o[3]]
        return depth, phase, zone, repr(events), events

    whole = run([len(t)])
    assert any(isinstance(e, Alert) for e in whole[4])
    assert sum(isinstance(e, Rep) for e in whole[4]) >= 6
    assert np.isnan(whole[0][1200:1230]).all() and np.isfinite(whole[0][700:760]).all()
    for chunks in ([1] * len(t), list(rng.integers(1, 40, size=len(t)))):
        got = run([int(c) for c in chunks])
        np.testing.assert_array_equal(got[0], whole[0])
        np.testing.assert_array_equal(got[1], whole[1])
        np.testing.assert_array_equal(got[2], whole[2])
        assert got[3] == whole[3]


def test_the_compiled_tracker_gives_exactly_what_its_source_gives() -> None:
    """setup.py compiles this module with mypyc; the compiled tracker must be in use (unless
    WINKMON_PURE_PYTHON=1) and give bit for bit the depth, phase, zone and events of the
    Python source, on a set with lost data, angles crossing the zones and odd chunks."""
    import os

    from winkmon import _native
    from winkmon.pipeline import squat

    if os.environ.get(_native.PURE_ENV) == "1":
        assert not _native.is_compiled(squat)
    else:
        assert _native.is_compiled(squat), (
            "the rep tracker is not compiled: reinstall with a C compiler (pip install -e .)"
        )
    source = _native.load_source("winkmon.pipeline.squat", "_winkmon_squat_source")
    assert not _native.is_compiled(source)

    rng = np.random.default_rng(5)
    plan = [(float(rng.uniform(0.6, 3)), float(rng.uniform(0, 1)), 1.2, 0.4) for _ in range(12)]
    t, z, _ = height_track(plan, lead_s=3.0, tail_s=3.0)
    a = spoil(z, 0.2, 0.1, seed=6)
    alt = spoil(z, -0.15, 0.1, seed=7)
    a[900:980] = np.nan
    alt[1500:1520] = np.nan
    a[1500:1540] = np.nan
    gyr = np.where(np.abs(np.gradient(z, 1 / RATE)) > 1e-3, 0.5, 0.02)
    angle = -15.0 + 55.0 * (-z) + rng.normal(0, 0.5, len(z))
    angle[300:330] = np.nan
    up = pelvis_up(z)
    chunks = [int(c) for c in rng.integers(1, 120, size=len(t))]

    def run(cls: type) -> tuple:
        tr = cls(Thresholds(), RATE, angle_available=True)
        outs, i = [], 0
        for k in chunks:
            sl = slice(i, i + k)
            outs.append(tr.step(t[sl], angle[sl], a[sl], gyr[sl], alt[sl], up[sl]))
            i += k
            if i >= len(t):
                break
        return (
            np.concatenate([o[0] for o in outs]),
            np.concatenate([o[1] for o in outs]),
            np.concatenate([o[2] for o in outs]),
            repr([e for o in outs for e in o[3]]),
        )

    native, python = run(squat.SquatTracker), run(source.SquatTracker)
    assert "Rep(" in python[3] and "Alert(" in python[3]
    for got, want in zip(native[:3], python[:3], strict=True):
        np.testing.assert_array_equal(got, want)
    assert native[3] == python[3]


def test_the_trackers_phase_numbers_are_the_phases() -> None:
    from winkmon.pipeline import squat
    from winkmon.pipeline.events import Phase

    phases = [squat.IDLE, squat.DESCENT, squat.BOTTOM, squat.ASCENT]
    assert phases == [int(p) for p in (Phase.IDLE, Phase.DESCENT, Phase.BOTTOM, Phase.ASCENT)]


def test_the_set_angle_median_is_numpys() -> None:
    from librt.vecs import vec

    from winkmon.pipeline.squat import _median_before

    rng = np.random.default_rng(3)
    for n in range(0, 40):
        # a ring of 30 slots, as the tracker keeps it: empty slots (NaN times) and, past 30,
        # the oldest overwritten, so the slots are not in time order
        t = np.full(30, np.nan)
        a = np.full(30, np.nan)
        values = rng.normal(0.0, 10.0, n)
        for i in range(n):
            t[i % 30], a[i % 30] = i * 0.01, values[i]
        for t_end in (0.0, 0.1, 0.25, 0.5):
            inside = [x for s, x in zip(t, a, strict=True) if t_end - 0.2 <= s <= t_end]
            got = _median_before(vec[float](t), vec[float](a), t_end, 0.2)
            if inside:
                assert got == float(np.median(inside))
            else:
                assert np.isnan(got)
