"""The grid aligner on its own: two sensors at their own rates and clocks onto one grid."""

from __future__ import annotations

import numpy as np

from winkmon.pipeline.align import GridAligner, GridBlock
from winkmon.pipeline.chain import ChainOutput
from winkmon.protocol.constants import Role


def chain_output(t: np.ndarray, slope_deg_s: float) -> ChainOutput:
    """A chain's output whose inclination is a ramp (exactly interpolable) and acc a sine."""
    n = len(t)
    up = np.tile([0.0, 0.0, 1.0], (n, 1))
    return ChainOutput(t, slope_deg_s * t, np.sin(t), np.full(n, 0.1), np.ones(n, dtype=bool), up)


def concat(blocks: list[GridBlock]) -> dict[str, np.ndarray]:
    keys = ("t_s", "incl_pelvis_deg", "incl_lumbar_deg", "a_vert_m_s2", "a_vert_lumbar_m_s2")
    return {k: np.concatenate([getattr(b, k) for b in blocks]) for k in keys}


def feed(chunk: int) -> dict[str, np.ndarray]:
    """Sacrum at 200 Hz from 0.003 s, lumbar at 100 Hz from 0.0071 s, 5 s, in chunks of
    ``chunk`` samples each, arrival order interleaved."""
    al = GridAligner({Role.SACRUM: 200.0, Role.LUMBAR: 100.0}, out_rate_hz=100.0)
    ts = 0.003 + np.arange(1000) / 200.0
    tl = 0.0071 + np.arange(500) / 100.0
    out: list[GridBlock] = []
    for i in range(0, 1000, chunk):
        al.push(Role.SACRUM, chain_output(ts[i : i + chunk], 2.0))
        al.push(Role.LUMBAR, chain_output(tl[i // 2 : (i + chunk) // 2], -3.0))
        out.append(al.pull())
    out.append(al.pull(final=True))
    return concat(out)


def test_both_sensors_land_on_one_grid_at_their_true_values() -> None:
    got = feed(40)
    t = got["t_s"]
    np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-9)
    inside = (t >= 0.01) & (t <= 4.99)
    np.testing.assert_allclose(got["incl_pelvis_deg"][inside], 2.0 * t[inside], atol=1e-9)
    np.testing.assert_allclose(got["incl_lumbar_deg"][inside], -3.0 * t[inside], atol=1e-9)
    # before a sensor's first sample there is nothing to interpolate
    assert np.isnan(got["incl_lumbar_deg"][0])


def test_the_grid_does_not_depend_on_the_chunking() -> None:
    a, b = feed(7), feed(333)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_a_sensor_that_drops_out_stops_holding_the_output_back_after_max_wait() -> None:
    al = GridAligner({Role.SACRUM: 100.0, Role.LUMBAR: 100.0}, max_wait_s=1.0)
    t = np.arange(300) / 100.0  # 3 s
    al.push(Role.SACRUM, chain_output(t, 1.0))
    al.push(Role.LUMBAR, chain_output(t[:100], 1.0))  # the lumbar sensor stops at 1 s
    block = al.pull()
    # Output runs to max_wait_s behind the sacrum (1.99 s), the lumbar part NaN after 1 s.
    assert abs(block.t_s[-1] - 1.99) < 1e-9
    late = block.t_s > 1.05
    assert np.isnan(block.incl_lumbar_deg[late]).all()
    assert np.isfinite(block.incl_pelvis_deg[late]).all()
    # With one sensor only, nothing waits for the other.
    solo = GridAligner({Role.SACRUM: 100.0})
    solo.push(Role.SACRUM, chain_output(t, 1.0))
    assert abs(solo.pull().t_s[-1] - 2.99) < 1e-9


def test_a_session_on_an_epoch_clock_starts_its_grid_at_its_data() -> None:
    """Samples at t ~ 1.7e9 s (an imported CSV or vendor export on a wall clock): the grid
    starts max_wait_s before the first sample, not at t = 0 (1.7e11 empty points)."""
    t0 = 1_700_000_000.0
    al = GridAligner({Role.SACRUM: 100.0, Role.LUMBAR: 100.0}, out_rate_hz=100.0, max_wait_s=1.0)
    t = t0 + np.arange(300) / 100.0
    al.push(Role.SACRUM, chain_output(t, 2.0))
    al.push(Role.LUMBAR, chain_output(t + 0.004, -3.0))
    block = al.pull(final=True)
    assert block.t_s[0] == (round(t0 * 100) - 100) / 100.0
    assert len(block) == 400
    valid = ~np.isnan(block.incl_pelvis_deg)
    np.testing.assert_allclose(block.incl_pelvis_deg[valid], 2.0 * block.t_s[valid])
    assert block.t_s[valid][0] == t0
