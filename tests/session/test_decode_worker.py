"""Decoding in a second process gives the pipeline exactly what the session gives it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from winkmon.cli import main
from winkmon.errors import RecordingError
from winkmon.pipeline.model import AthleteModel
from winkmon.pipeline.offline import SessionResult
from winkmon.profiles import ProfileStore
from winkmon.recording import Recording
from winkmon.session import decode_worker, offline
from winkmon.session.offline import analyze_recording

SAMPLE = Path(__file__).resolve().parents[2] / "recordings" / "demo.winkmon"


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, AthleteModel]:
    """A copy of the demo recording and the model calibrated from it."""
    monkeypatch.setattr(decode_worker, "MIN_FRAMES", 0)  # the demo is short
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    path = tmp_path / "demo.winkmon"
    shutil.copy(SAMPLE, path)
    profiles = tmp_path / "profiles"
    assert main(["calibrate", str(path), "--athlete", "Sam", "--profiles", str(profiles)]) == 0
    return path, ProfileStore(profiles).load("Sam").model()


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the decoded steps that came from the child process."""
    steps: list[int] = []
    real = offline.decoded_steps

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        for step in real(*args, **kwargs):
            steps.append(step.frames)
            yield step

    monkeypatch.setattr(offline, "decoded_steps", spy)
    return steps


def _same(a: SessionResult, b: SessionResult) -> None:
    for name in a.angles.__dataclass_fields__:
        x, y = getattr(a.angles, name), getattr(b.angles, name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=name)
    assert repr(a.events) == repr(b.events)
    assert a.stats == b.stats and a.has_angle == b.has_angle


def test_offloaded_decoding_gives_the_same_result(
    session: tuple[Path, AthleteModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, model = session
    steps = _counting(monkeypatch)
    with Recording.open(path) as rec:
        here = analyze_recording(rec, model)
        seen: list[int] = []
        away = analyze_recording(rec, model, offload=True, progress=seen.append)
        assert sum(steps) == sum(seen) == rec.frame_count() > 0
    assert len(here.reps) >= 3 and len(here.angles) > 1000
    _same(away, here)


def test_a_damaged_recording_is_read_as_far_as_it_goes_either_way(
    session: tuple[Path, AthleteModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, model = session
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.7)])  # cut off, as by a full disk
    steps = _counting(monkeypatch)
    monkeypatch.setattr(offline, "_worth_offloading", lambda rec: True)
    with Recording.open(path, partial_ok=True) as rec:
        here = analyze_recording(rec, model)
        damage_here = rec.damage
    with Recording.open(path, partial_ok=True) as rec:
        away = analyze_recording(rec, model, offload=True)
        damage_away = rec.damage
    assert steps and damage_here and damage_away == damage_here
    _same(away, here)


def test_a_decoding_process_that_dies_is_a_clear_error(
    session: tuple[Path, AthleteModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, model = session

    def dies(*args: object) -> None:
        os._exit(7)  # as if killed

    monkeypatch.setattr(decode_worker, "_child", dies)
    with Recording.open(path) as rec, pytest.raises(RecordingError) as err:
        analyze_recording(rec, model, offload=True)
    assert "ended unexpectedly (exit code 7)" in str(err.value)


def test_no_second_process_where_it_cannot_help_or_start(monkeypatch: pytest.MonkeyPatch) -> None:
    assert decode_worker.can_offload(10**6) is ((os.cpu_count() or 1) >= 2)
    assert not decode_worker.can_offload(decode_worker.MIN_FRAMES - 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert not decode_worker.can_offload(10**6)


def test_an_error_in_the_decoding_process_is_raised_here_with_its_message(
    session: tuple[Path, AthleteModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, model = session
    parent = os.getpid()
    real_open = Recording.open

    def open_in_child_fails(p: Path, **kwargs: bool) -> Recording:
        if os.getpid() != parent:
            raise RecordingError(f"{p}: file is truncated or corrupted (as found by the child)")
        return real_open(p, **kwargs)

    monkeypatch.setattr(Recording, "open", staticmethod(open_in_child_fails))
    with Recording.open(path) as rec, pytest.raises(RecordingError) as err:
        analyze_recording(rec, model, offload=True)
    assert str(err.value) == f"{path}: file is truncated or corrupted (as found by the child)"


def test_a_chain_run_in_the_decoding_process_gives_what_it_gives_here(
    session: tuple[Path, AthleteModel],
) -> None:
    """The sacrum's chain in the child: the same outputs, and its counters come back."""
    import sqlite3

    from winkmon.pipeline.chain import ChainOutput
    from winkmon.pipeline.pipeline import Pipeline
    from winkmon.protocol.constants import Role
    from winkmon.session.decode_worker import ChainedBatch, DecodeSummary, decoded_steps
    from winkmon.session.offline import iter_decoded

    path, model = session
    with sqlite3.connect(path) as db:  # lost notifications: the chain bridges them
        db.execute("DELETE FROM frames WHERE role = ? AND id % 40 = 0", (int(Role.SACRUM),))
    db.close()
    with Recording.open(path) as rec:
        rates = {r: rec.sensors[r].rate_hz for r in (Role.SACRUM, Role.LUMBAR)}
        here = Pipeline(model, rates)
        expected = [here.chains[b.role].process(b) for b in iter_decoded(rec) if len(b)]
    away = Pipeline(model, rates)
    summary = DecodeSummary()
    got: list[ChainOutput] = []
    for step in decoded_steps(
        path,
        [Role.SACRUM, Role.LUMBAR],
        partial_ok=False,
        summary=summary,
        chains={Role.SACRUM: away.chains[Role.SACRUM]},
    ):
        for item in step.batches:
            if isinstance(item, ChainedBatch):
                assert item.role is Role.SACRUM
                got.append(item.output)
            else:
                assert item.role is Role.LUMBAR  # the lumbar's chain stays here
                got.append(away.chains[item.role].process(item))
    assert len(got) == len(expected) > 2
    for g, e in zip(got, expected, strict=True):
        for name in ChainOutput.__dataclass_fields__:
            np.testing.assert_array_equal(getattr(g, name), getattr(e, name), err_msg=name)
    sacrum = here.chains[Role.SACRUM]
    assert sacrum.bridged_samples > 0
    assert summary.chain_counts == {
        Role.SACRUM: (sacrum.restarts, sacrum.bridged_samples, sacrum.settled_samples)
    }
    assert away.chains[Role.SACRUM].bridged_samples == 0  # this copy never ran


def test_a_child_whose_parent_is_gone_finishes_without_waiting() -> None:
    """The child's writer thread meets a closed pipe: the rest is dropped, nothing hangs."""
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    sender = decode_worker._Sender(write_fd, depth=2)
    for _ in range(20):  # far more than the queue holds
        sender.send(np.zeros(100_000))
    sender.close()
    os.close(write_fd)


def test_messages_arrive_whole_and_in_order() -> None:
    import threading

    read_fd, write_fd = os.pipe()
    got: list[object] = []
    # ten messages through a queue of two: the sender waits for the writer, which waits
    # for this reader
    drain = threading.Thread(
        target=lambda: got.extend(decode_worker._receive(read_fd) for _ in range(10))
    )
    drain.start()
    sender = decode_worker._Sender(write_fd, depth=2)
    for i in range(10):
        # arrays go out of band, other objects in the pickle; a view that is not contiguous
        # goes in band
        sender.send((i, np.full(50_000, float(i)), np.arange(30.0)[::3], {"n": i}))
    sender.close()
    drain.join(30)
    os.close(write_fd)
    assert [m[0] for m in got] == list(range(10))  # type: ignore[index]
    for m in got:
        i, big, strided, extra = m  # type: ignore[misc]
        assert big.shape == (50_000,) and float(big[-1]) == i and big.flags.writeable
        np.testing.assert_array_equal(strided, np.arange(30.0)[::3])
        assert extra == {"n": i}
    with pytest.raises(EOFError):  # the writer is closed: the pipe ends
        decode_worker._receive(read_fd)
    os.close(read_fd)
