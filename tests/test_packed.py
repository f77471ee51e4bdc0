"""Packed payloads: a sequence of bytes like any list, read by the decoder as one table."""

from __future__ import annotations

import numpy as np
import pytest

from winkmon.packed import PackedPayloads
from winkmon.protocol import DataFrame, FrameType, Role, encode_samples
from winkmon.stream import SensorStream


def _packed(payloads: list[bytes]) -> PackedPayloads:
    lengths = np.array([len(p) for p in payloads], dtype=np.int64)
    return PackedPayloads.from_buffer(b"".join(payloads), lengths)


@pytest.mark.parametrize(
    "payloads",
    [
        [b"abcd", b"efgh", b"ijkl", b"mnop"],  # one length: a table
        [b"a", b"bcd", b"", b"efghij", b"kl"],  # lengths differ
    ],
)
def test_packed_payloads_behave_as_the_list_they_hold(payloads: list[bytes]) -> None:
    packed = _packed(payloads)
    assert len(packed) == len(payloads)
    assert list(packed) == payloads
    assert [packed[i] for i in range(len(payloads))] == payloads
    assert packed[-1] == payloads[-1]
    assert list(packed[1:3]) == payloads[1:3]
    assert list(packed[::-2]) == payloads[::-2]
    assert list(packed.take(np.array([3, 0, 2]))) == [payloads[3], payloads[0], payloads[2]]
    assert packed.lengths().tolist() == [len(p) for p in payloads]
    uniform = len({len(p) for p in payloads}) == 1
    rows = packed.rows()
    assert (rows is not None) == uniform
    if rows is not None:
        assert [r.tobytes() for r in rows] == payloads
    both = PackedPayloads.concat([packed, packed[1:]])
    assert list(both) == payloads + payloads[1:]


def test_concatenating_payloads_of_different_lengths_keeps_each() -> None:
    a, b = _packed([b"xy", b"zw"]), _packed([b"abc"])
    joined = PackedPayloads.concat([a, b, _packed([b"q", b"rs"])])
    assert list(joined) == [b"xy", b"zw", b"abc", b"q", b"rs"]
    assert joined.rows() is None
    assert list(PackedPayloads.concat([])) == []


def test_lengths_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(ValueError, match="add up"):
        PackedPayloads.from_buffer(b"abcdef", np.array([2, 2]))


def _notifications(count: int) -> tuple[list[int], list[bytes]]:
    """A sacrum sensor's DATA notifications of 4 samples each (one length), 200 Hz."""
    rng = np.random.default_rng(5)
    times, payloads = [], []
    for i in range(count):
        raw, flags = encode_samples(rng.normal(0, 5, (4, 3)), rng.normal(0, 1, (4, 3)), 2, 3)
        frame = DataFrame(FrameType.DATA, Role.SACRUM, i, 4 * i, 20_000 * i, 2, 3, flags, raw)
        times.append(int((i * 0.02 + 0.01 + rng.uniform(0, 0.01)) * 1e9))
        payloads.append(bytes(frame))
    return times, payloads


@pytest.mark.parametrize("ragged", [False, True])
def test_a_stream_decodes_packed_payloads_as_it_decodes_a_list(ragged: bool) -> None:
    times, payloads = _notifications(900)
    if ragged:
        payloads[7] = payloads[7][:5]  # a malformed one: counted and skipped either way
    got = []
    for given in (payloads, _packed(payloads)):
        stream = SensorStream(Role.SACRUM, 200.0)
        batches = [stream.feed_many(times[a : a + 300], given[a : a + 300]) for a in (0, 300)]
        batches.append(stream.feed_many(times[600:], given[600:]))
        got.append((batches, stream.stats))
    (list_batches, list_stats), (packed_batches, packed_stats) = got
    assert packed_stats == list_stats and list_stats.frames_bad == int(ragged)
    for x, y in zip(list_batches, packed_batches, strict=True):
        assert x is not None and y is not None
        for field in ("t_s", "index", "acc_m_s2", "gyr_rad_s"):
            np.testing.assert_array_equal(getattr(x, field), getattr(y, field))
