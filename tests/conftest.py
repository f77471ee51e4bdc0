"""Shared fixtures: simulated sessions are cached per test run (each takes about a second)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from winkmon.sim import SimConfig, SimSession, default_demo_script, simulate


@functools.cache
def _demo_session(seed: int = 0, **overrides: object) -> SimSession:
    config = SimConfig(seed=seed, **overrides)  # type: ignore[arg-type]
    return simulate(config, default_demo_script())


@pytest.fixture(scope="session")
def sim_session() -> Callable[..., SimSession]:
    """``sim_session(seed, **SimConfig overrides)``: the demo script, simulated once per run."""
    return _demo_session


@pytest.fixture(scope="session")
def demo(sim_session: Callable[..., SimSession]) -> SimSession:
    return sim_session()
